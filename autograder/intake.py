"""Turn SUBMISSIONS (a folder, or a .zip of one) into the list of student notebooks to grade.

Every name and byte in SUBMISSIONS was chosen by a student, so it is read as
hostile. A symbolic link could have the grader read /etc/passwd or
another student's notebook as if it were the submission; a zip can hold paths
that climb out of the folder it is unpacked into, links, encrypted or damaged
entries, and entries that inflate to gigabytes; a folder name can carry
terminal escapes onto the instructor's screen.

One student's bad submission must not stop the class from being graded, so a
problem refuses only the student it belongs to, with a message that says why
and never shows a file's content or a link's target. Only a problem with the
input as a whole (not a folder or a zip, no student folders, an archive that
unpacks to more than MAX_ARCHIVE_BYTES) stops the run.
"""
import datetime
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MAX_MEMBER_BYTES = 64 * 2**20       # one zip member, counted as it is unpacked
MAX_ARCHIVE_BYTES = 2**30           # the whole zip, counted as it is unpacked
MAX_ID_LENGTH = 100
CHUNK_BYTES = 2**20
LAYOUT = "STUDENT_ID/NN_topic/NN_topic.ipynb"
PLAIN_FILES_ONLY = "submit plain files only"
# what zipfile raises when a member's data turns out to be broken as it is read
UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


@dataclass
class Intake:
    students: list = field(default_factory=list)   # every student id found, sorted, refused ones included
    notebooks: dict = field(default_factory=dict)  # {(student, notebook name): Path of a regular .ipynb file}
    refused: dict = field(default_factory=dict)    # {student: why the whole submission is refused}
    notes: list = field(default_factory=list)      # for the instructor's log: entries ignored, and why
    zip_times: dict = field(default_factory=dict)  # {(student, notebook name): when its zip entry was written}


class _Refusal(Exception):
    """A student's whole submission cannot be graded; the message is meant for the student."""


def gather(submissions, scratch, names):
    """Find the notebooks to grade in `submissions`, laid out as STUDENT_ID/NN_topic/NN_topic.ipynb.

    A folder is read in place; a zip is unpacked into `scratch` (emptied first).
    `names` are the course's notebook folders. Each notebook path found is
    ROOT/STUDENT_ID/NN_topic/NN_topic.ipynb, ROOT being the folder or `scratch`.
    """
    submissions = Path(submissions)
    intake = Intake()
    if submissions.is_dir():
        root = submissions.resolve()
    elif submissions.is_file():
        root = _unzip(submissions, Path(scratch), names, intake)
    else:
        raise SystemExit(f"{submissions} is neither a folder nor a zip file of submissions")
    _read_students(root, names, intake)
    if not intake.students:
        raise SystemExit(f"No student folders in {submissions}: expected {LAYOUT}")
    return intake


def _read_students(root, names, intake):
    """Check every student folder under `root` and record its notebooks, or why it is refused."""
    students = set(intake.refused)      # students refused while unzipping have no folder left
    for entry in sorted(os.scandir(root), key=lambda entry: entry.name):
        if _hidden(entry.name):
            continue
        if not entry.is_dir():          # follows a link: a link to a folder is a student's, and refused
            intake.notes.append(f"{shown(entry.name)} is not a student folder; ignored")
            continue
        student = entry.name
        students.add(student)
        if student in intake.refused:
            continue
        try:
            found = _check_student(Path(entry.path), names, intake.notes)
        except _Refusal as refusal:
            intake.refused[student] = str(refusal)
            continue
        intake.notebooks.update(((student, name), path) for name, path in found.items())
    intake.students = sorted(students)


def _check_student(folder, names, notes):
    """{notebook name: path} of a student folder that holds only plain files and folders."""
    problem = _id_problem(folder.name)
    if problem:
        raise _Refusal(problem)
    if folder.is_symlink():
        raise _Refusal(f"your submission folder is a symbolic link; {PLAIN_FILES_ONLY}")
    _check_plain(folder)
    for entry in sorted(os.listdir(folder)):
        if not _hidden(entry) and entry not in names:
            notes.append(f"{shown(folder.name + '/' + entry)} is not a course notebook; ignored")
    return _notebooks(folder, names)


def _check_plain(folder):
    """Refuse a folder holding, at any depth, a link or anything else but plain files and folders."""
    try:
        for here, folders, files in os.walk(folder, onerror=_raise, followlinks=False):
            folders.sort()
            for name in sorted(folders + files):
                path = os.path.join(here, name)
                kind = _unplain_kind(os.lstat(path))
                if kind:
                    where = shown(os.path.relpath(path, folder))
                    raise _Refusal(f"your submission contains {kind} ({where}); {PLAIN_FILES_ONLY}")
    except OSError as error:
        raise _Refusal(f"your submission could not be read completely ({error.strerror})") from None


def _raise(error):
    raise error


def _unplain_kind(status):
    """What makes an entry unsafe to read, from its own lstat(); None for a plain file or folder."""
    if stat.S_ISLNK(status.st_mode):
        return "a symbolic link"
    if stat.S_ISDIR(status.st_mode):
        return None
    if not stat.S_ISREG(status.st_mode):
        return "a special file (not a regular file)"
    return None


def _notebooks(folder, names):
    found = {}
    for name in names:
        path = folder / name / f"{name}.ipynb"
        try:
            mode = os.lstat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        if not stat.S_ISREG(mode):
            raise _Refusal(f"your submission's {name}/{name}.ipynb is not a regular file; {PLAIN_FILES_ONLY}")
        found[name] = path
    return found


def _unzip(path, scratch, names, intake):
    """Unpack the zip at `path` into `scratch` member by member; return the folder of student folders."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SystemExit(f"{path} is not a readable zip file of submissions ({error})")
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    scratch = scratch.resolve()
    with archive:
        members = archive.infolist()
        top = _wrapping_folder([member.filename for member in members], names)
        unpacker = _Unpacker(archive, scratch, top, intake)
        for member in members:
            unpacker.take(member)
    return scratch


def _wrapping_folder(filenames, names):
    """The one folder a zip holds the class in ("class/alice/..."), or None when students are at its root.

    A lone folder that is a course notebook, or that holds course notebook
    folders, is one student's (or one notebook's) folder, not a wrapper.
    """
    paths = [filename.split("/") for filename in filenames]
    tops = {parts[0] for parts in paths if parts[0] and not _hidden(parts[0])}
    if len(tops) != 1:
        return None
    (top,) = tops
    below = [parts[1] for parts in paths if parts[0] == top and len(parts) > 1]
    if not below or top in names or any(name in names for name in below):
        return None
    return top


class _Unpacker:
    """Unpacks a zip one member at a time, counting the bytes really written for the whole archive."""

    def __init__(self, archive, into, top, intake):
        self.archive = archive
        self.into = into
        self.top = top              # the folder wrapping the class, dropped from every path; or None
        self.intake = intake
        self.unpacked = 0

    def take(self, member):
        """Unpack `member` into its student's folder, or refuse that student, or note why it is ignored."""
        parts = member.filename.split("/")
        if self.top and parts[0] == self.top:
            parts = parts[1:]
        problem = _member_problem(member)
        first = parts[0]
        if not first or _hidden(first):     # also an absolute path, and a ".." at the root
            if problem:
                self.intake.notes.append(f"zip entry {shown(member.filename)} ignored: "
                                         f"it is {problem} outside any student folder")
            return
        if len(parts) == 1:
            self.intake.notes.append(f"{shown(first)} is not a student folder; ignored")
            return
        student = first
        if student in self.intake.refused:
            return
        id_problem = _id_problem(student)
        if id_problem:
            self.intake.refused[student] = id_problem
            return
        where = shown("/".join(parts[1:]))
        try:
            if problem:
                raise _Refusal(f"your submission contains {problem} ({where}); {PLAIN_FILES_ONLY}")
            self._unpack(member, self.into.joinpath(*parts), where)
            if len(parts) == 3 and parts[2] == f"{parts[1]}.ipynb":  # zip times have no zone: read as UTC
                self.intake.zip_times[student, parts[1]] = datetime.datetime(*member.date_time)
        except _Refusal as refusal:
            self.intake.refused[student] = str(refusal)
            if (self.into / student).exists():
                shutil.rmtree(self.into / student)

    def _unpack(self, member, destination, where):
        """Write one member through a temporary file, so a member that fails leaves nothing behind."""
        if member.is_dir():
            with _placing(where):
                destination.mkdir(parents=True, exist_ok=True)
            return
        handle, name = tempfile.mkstemp(dir=self.into, prefix=".unpacking-")
        partial = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                self._copy(member, out, where)
            with _placing(where):
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)

    def _copy(self, member, out, where):
        """Copy a member's data in chunks, checking sizes on the bytes read: a zip's stated sizes can lie."""
        size = 0
        try:
            with self.archive.open(member) as data:
                while chunk := data.read(CHUNK_BYTES):
                    size += len(chunk)
                    self.unpacked += len(chunk)
                    if self.unpacked > MAX_ARCHIVE_BYTES:
                        raise SystemExit(f"{self.archive.filename}: more than {_mib(MAX_ARCHIVE_BYTES)} "
                                         "once unpacked; refusing it")
                    if size > MAX_MEMBER_BYTES:
                        raise _Refusal(f"your submission contains a file larger than "
                                       f"{_mib(MAX_MEMBER_BYTES)} ({where})")
                    out.write(chunk)
        except UNPACK_ERRORS:
            raise _Refusal(f"your submission contains a file that is damaged in the zip ({where})") from None


def _member_problem(member):
    """Why a zip member may not be unpacked at all, judged from its name and header; None if it may."""
    name = member.filename
    if name.startswith("/") or "\\" in name or "\0" in name or ".." in name.split("/"):
        return "an unsafe path"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "a symbolic link"
    if member.flag_bits & 0x1:
        return "an encrypted file"
    return None


@contextmanager
def _placing(where):
    """A member that cannot be put where its name says (a name clash, a name too long) refuses its student."""
    try:
        yield
    except OSError as error:
        raise _Refusal(f"your submission contains a file that cannot be unpacked ({where}: "
                       f"{error.strerror})") from None


def _id_problem(student):
    if student.isprintable() and len(student) <= MAX_ID_LENGTH and not any(c in student for c in "/\\\0"):
        return None
    return (f"the student folder name {student!r} is not allowed: use at most {MAX_ID_LENGTH} "
            "printable characters and no slashes")


def _hidden(name):
    return name.startswith(".") or name == "__MACOSX"


def shown(text):
    """`text` as it may be printed: through repr() when it holds a control character or an escape."""
    return text if text.isprintable() else repr(text)


def _mib(size):
    return f"{size / 2**20:g} MiB"
