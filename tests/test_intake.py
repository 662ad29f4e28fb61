"""Intake of submissions: each unsafe submission refuses its own student, and only that student."""
import os
import stat
import struct
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import intake
from autograder.intake import gather

NAMES = ["01_derivatives", "02_chain_rule"]


def notebook_bytes():
    return nbformat.writes(nbformat.v4.new_notebook()).encode()


def write_notebook(folder, student, name):
    path = folder / student / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(), path)
    return path


def make_class(folder, students=("alice", "bob")):
    for student in students:
        for name in NAMES:
            write_notebook(folder, student, name)
    return folder


def make_zip(path, members, compression=zipfile.ZIP_DEFLATED):
    """members: {name: bytes}."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def class_members(students=("alice", "bob"), prefix=""):
    return {f"{prefix}{student}/{name}/{name}.ipynb": notebook_bytes()
            for student in students for name in NAMES}


def nothing_unprintable(result):
    return all(text.isprintable() for text in list(result.refused.values()) + result.notes)


# --- folders ---------------------------------------------------------------------------------

def test_a_normal_folder_lists_present_notebooks_and_notes_extra_folders(tmp_path):
    submissions = make_class(tmp_path / "class")
    (submissions / "bob" / "02_chain_rule" / "02_chain_rule.ipynb").unlink()
    (submissions / "bob" / "99_extra").mkdir()
    (submissions / ".DS_Store").write_text("")
    (submissions / "alice" / ".ipynb_checkpoints").mkdir()

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert result.students == ["alice", "bob"]
    assert result.refused == {}
    assert set(result.notebooks) == {("alice", "01_derivatives"), ("alice", "02_chain_rule"),
                                     ("bob", "01_derivatives")}
    path = result.notebooks[("bob", "01_derivatives")]
    assert path == submissions.resolve() / "bob" / "01_derivatives" / "01_derivatives.ipynb"
    assert result.notes == ["bob/99_extra is not a course notebook; ignored"]
    assert not (tmp_path / "scratch").exists()      # a folder is read in place


def test_a_notebook_linked_to_etc_passwd_refuses_the_student_without_showing_it(tmp_path):
    submissions = make_class(tmp_path / "class")
    notebook = submissions / "mallory" / "01_derivatives" / "01_derivatives.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.symlink_to("/etc/passwd")

    result = gather(submissions, tmp_path / "scratch", NAMES)

    message = result.refused["mallory"]
    assert message == ("your submission contains a symbolic link (01_derivatives/01_derivatives.ipynb); "
                       "submit plain files only")
    assert "/etc/passwd" not in message
    for line in Path("/etc/passwd").read_text().splitlines():
        assert not line.strip() or line not in message
    assert not any(key[0] == "mallory" for key in result.notebooks)
    assert result.students == ["alice", "bob", "mallory"]


def test_a_link_to_another_students_notebook_refuses_only_the_linker(tmp_path):
    submissions = make_class(tmp_path / "class")
    notebook = submissions / "mallory" / "01_derivatives" / "01_derivatives.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.symlink_to(submissions / "alice" / "01_derivatives" / "01_derivatives.ipynb")

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert list(result.refused) == ["mallory"]
    assert "alice" not in result.refused["mallory"]
    assert ("alice", "01_derivatives") in result.notebooks


def test_a_student_folder_that_is_a_link_is_refused(tmp_path):
    submissions = make_class(tmp_path / "class")
    (submissions / "mallory").symlink_to(submissions / "alice")
    (submissions / "stray-link").symlink_to("/etc/passwd")

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert result.refused == {"mallory": "your submission folder is a symbolic link; submit plain files only"}
    assert result.notes == ["stray-link is not a student folder; ignored"]
    assert ("alice", "01_derivatives") in result.notebooks


def test_a_linked_subfolder_is_refused(tmp_path):
    submissions = make_class(tmp_path / "class")
    (submissions / "mallory").mkdir()
    (submissions / "mallory" / "01_derivatives").symlink_to(submissions / "alice" / "01_derivatives")

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert result.refused["mallory"] == ("your submission contains a symbolic link (01_derivatives); "
                                         "submit plain files only")


def test_a_link_deep_inside_a_student_folder_is_refused(tmp_path):
    submissions = make_class(tmp_path / "class")
    deep = submissions / "mallory" / "01_derivatives" / "data" / "more"
    deep.mkdir(parents=True)
    (deep / "secret").symlink_to("/etc/shadow")

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert "(01_derivatives/data/more/secret)" in result.refused["mallory"]
    assert "shadow" not in result.refused["mallory"]


def test_a_notebook_that_is_a_fifo_is_refused_without_being_opened(tmp_path):
    submissions = make_class(tmp_path / "class")
    (submissions / "mallory" / "01_derivatives").mkdir(parents=True)
    os.mkfifo(submissions / "mallory" / "01_derivatives" / "01_derivatives.ipynb")   # opening it would hang

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert result.refused["mallory"] == ("your submission contains a special file (not a regular file) "
                                         "(01_derivatives/01_derivatives.ipynb); submit plain files only")


def test_a_notebook_path_that_is_a_folder_is_refused(tmp_path):
    submissions = make_class(tmp_path / "class")
    (submissions / "mallory" / "01_derivatives" / "01_derivatives.ipynb").mkdir(parents=True)

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert "01_derivatives/01_derivatives.ipynb is not a regular file" in result.refused["mallory"]


@pytest.mark.parametrize("student", ["\x1b[31mred", "back\\slash", "x" * 101, "tab\there"])
def test_an_unusable_student_id_is_refused_and_shown_through_repr(tmp_path, student):
    submissions = make_class(tmp_path / "class")
    write_notebook(submissions, student, "01_derivatives")

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert student in result.students
    assert repr(student) in result.refused[student]
    assert nothing_unprintable(result)
    assert not any(key[0] == student for key in result.notebooks)


def test_an_escape_in_an_extra_folder_name_is_not_printed_raw(tmp_path):
    submissions = make_class(tmp_path / "class")
    (submissions / "alice" / "\x1b[2Jwipe").mkdir()

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert result.notes == [f"{'alice/' + chr(27) + '[2Jwipe'!r} is not a course notebook; ignored"]
    assert nothing_unprintable(result)


def test_a_formula_like_id_is_a_valid_id(tmp_path):
    submissions = make_class(tmp_path / "class", students=("=1+2",))

    result = gather(submissions, tmp_path / "scratch", NAMES)

    assert result.refused == {}
    assert ("=1+2", "01_derivatives") in result.notebooks


def test_a_path_that_is_neither_folder_nor_zip_stops_the_run(tmp_path):
    with pytest.raises(SystemExit, match="neither a folder nor a zip"):
        gather(tmp_path / "absent", tmp_path / "scratch", NAMES)
    (tmp_path / "notes.zip").write_text("not a zip at all")
    with pytest.raises(SystemExit, match="not a readable zip"):
        gather(tmp_path / "notes.zip", tmp_path / "scratch", NAMES)


def test_a_folder_without_student_folders_stops_the_run(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "readme.txt").write_text("hello")
    with pytest.raises(SystemExit, match="STUDENT_ID/NN_topic/NN_topic.ipynb"):
        gather(tmp_path / "class", tmp_path / "scratch", NAMES)


# --- zips ------------------------------------------------------------------------------------

def test_a_zip_with_the_layout_at_its_root(tmp_path):
    scratch = tmp_path / "scratch"
    (scratch / "stale").mkdir(parents=True)                 # left by an earlier run: removed
    extras = {"__MACOSX/alice/._x": b"", "readme.txt": b"hi"}
    archive = make_zip(tmp_path / "class.zip", class_members() | extras)

    result = gather(archive, scratch, NAMES)

    assert result.students == ["alice", "bob"]
    assert result.refused == {}
    assert len(result.notebooks) == 4
    path = result.notebooks[("alice", "02_chain_rule")]
    assert path == scratch.resolve() / "alice" / "02_chain_rule" / "02_chain_rule.ipynb"
    assert nbformat.read(path, as_version=4).nbformat == 4
    assert result.notes == ["readme.txt is not a student folder; ignored"]
    assert sorted(p.name for p in scratch.iterdir()) == ["alice", "bob"]


def test_a_zip_with_one_top_folder_is_unwrapped(tmp_path):
    extras = {"class/": b"", "__MACOSX/class/._alice": b""}
    archive = make_zip(tmp_path / "class.zip", class_members(prefix="class/") | extras)

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert result.students == ["alice", "bob"]
    assert len(result.notebooks) == 4


def test_a_zip_of_a_single_student_is_not_unwrapped(tmp_path):
    archive = make_zip(tmp_path / "alice.zip", class_members(students=("alice",)))

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert result.students == ["alice"]
    assert len(result.notebooks) == 2


def test_a_zip_member_climbing_out_refuses_only_its_student(tmp_path):
    members = class_members() | {"alice/../../evil.txt": b"pwned", "alice/zz_later/x.txt": b"x"}
    archive = make_zip(tmp_path / "class.zip", members)
    scratch = tmp_path / "deep" / "scratch"

    result = gather(archive, scratch, NAMES)

    assert list(result.refused) == ["alice"]
    assert "unsafe path (../../evil.txt)" in result.refused["alice"]
    assert not (scratch / "alice").exists()     # what came before is removed, nothing after is added
    assert [p for p in tmp_path.rglob("*evil*")] == []
    assert len(result.notebooks) == 2 and ("bob", "01_derivatives") in result.notebooks


def test_a_bad_zip_member_outside_any_student_is_only_a_note(tmp_path):
    archive = make_zip(tmp_path / "class.zip", class_members() | {"../evil": b"x", "/etc/x": b"y"})

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert result.refused == {}
    assert result.notes == ["zip entry ../evil ignored: it is an unsafe path outside any student folder",
                            "zip entry /etc/x ignored: it is an unsafe path outside any student folder"]
    assert list(tmp_path.rglob("evil")) == [] and not Path("/etc/x").exists()


def flip_byte_in_member(archive, member):
    """Corrupt one byte of a stored member's data, which leaves its CRC-32 wrong."""
    with zipfile.ZipFile(archive) as opened:
        offset = opened.getinfo(member).header_offset
    data = bytearray(archive.read_bytes())
    name_length, extra_length = struct.unpack("<HH", data[offset + 26:offset + 30])
    data[offset + 30 + name_length + extra_length + 5] ^= 0xFF
    archive.write_bytes(bytes(data))


def test_a_zip_member_with_a_bad_crc_refuses_only_its_student(tmp_path):
    archive = make_zip(tmp_path / "class.zip", class_members(("alice", "bob", "carol")), zipfile.ZIP_STORED)
    flip_byte_in_member(archive, "bob/01_derivatives/01_derivatives.ipynb")

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert result.refused == {"bob": "your submission contains a file that is damaged in the zip "
                                     "(01_derivatives/01_derivatives.ipynb)"}
    assert {student for student, _ in result.notebooks} == {"alice", "carol"}
    assert not (tmp_path / "scratch" / "bob").exists()
    assert [p.name for p in (tmp_path / "scratch").iterdir() if p.name.startswith(".")] == []


def test_a_symlink_member_in_a_zip_refuses_its_student(tmp_path):
    archive = make_zip(tmp_path / "class.zip", class_members())
    link = zipfile.ZipInfo("mallory/01_derivatives/01_derivatives.ipynb")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as opened:
        opened.writestr(link, "/etc/passwd")

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert result.refused == {"mallory": "your submission contains a symbolic link "
                                         "(01_derivatives/01_derivatives.ipynb); submit plain files only"}
    assert not (tmp_path / "scratch" / "mallory").exists()
    assert len(result.notebooks) == 4


def test_an_encrypted_member_in_a_zip_refuses_its_student(tmp_path):
    member = "mallory/01_derivatives/01_derivatives.ipynb"
    archive = make_zip(tmp_path / "class.zip", class_members() | {member: notebook_bytes()})
    data = bytearray(archive.read_bytes())
    central_entry = data.rfind(b"PK\x01\x02", 0, data.rfind(member.encode()))
    data[central_entry + 8] |= 0x1                          # the "encrypted" general purpose flag
    archive.write_bytes(bytes(data))

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert "an encrypted file (01_derivatives/01_derivatives.ipynb)" in result.refused["mallory"]
    assert list(result.refused) == ["mallory"]


def test_an_oversized_zip_member_refuses_its_student(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_MEMBER_BYTES", 1000)
    big = {"mallory/01_derivatives/big.bin": b"\0" * 5000}
    archive = make_zip(tmp_path / "class.zip", class_members() | big)

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert list(result.refused) == ["mallory"]
    assert result.refused["mallory"].startswith("your submission contains a file larger than ")
    assert result.refused["mallory"].endswith(" (01_derivatives/big.bin)")
    assert not (tmp_path / "scratch" / "mallory").exists()
    assert len(result.notebooks) == 4


def test_a_zip_too_large_in_all_stops_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_ARCHIVE_BYTES", 1000)
    archive = make_zip(tmp_path / "class.zip", class_members() | {"bob/data.bin": b"\0" * 5000})
    with pytest.raises(SystemExit, match="once unpacked"):
        gather(archive, tmp_path / "scratch", NAMES)


def test_an_escape_in_a_zip_student_id_is_refused_and_shown_through_repr(tmp_path):
    archive = make_zip(tmp_path / "class.zip", class_members(("alice", "\x1b[31mred")))

    result = gather(archive, tmp_path / "scratch", NAMES)

    assert result.students == ["\x1b[31mred", "alice"]
    assert repr("\x1b[31mred") in result.refused["\x1b[31mred"]
    assert nothing_unprintable(result)
    assert [p.name for p in (tmp_path / "scratch").iterdir()] == ["alice"]


def test_a_zip_with_no_student_folders_stops_the_run(tmp_path):
    archive = make_zip(tmp_path / "class.zip", {"readme.txt": b"hi"})
    with pytest.raises(SystemExit, match="STUDENT_ID/NN_topic/NN_topic.ipynb"):
        gather(archive, tmp_path / "scratch", NAMES)
