"""Deadlines and late penalties (autograder/late.py), from the nbgrader config file to grades.csv and feedback."""
import csv
import datetime
import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograder import course, late, registry, submissions

NAME = "01_derivatives"
POLICY = f'''
c = get_config()
c.LatePolicy.deadlines = {{"{NAME}": "2026-10-05 23:59 UTC"}}
c.LatePolicy.rule = "per-day"
c.LatePolicy.percent_per_day = 10
c.LatePolicy.floor_percent = 50
c.LatePolicy.extensions = {{"extended": {{"{NAME}": "2026-10-08 23:59 UTC"}}}}
'''
# student: (nbgrader timestamp, or None for no timestamp.txt)
HANDED_IN = {"early": "2026-10-05 20:00:00.000000 UTC", "late": "2026-10-07 11:59:00.000000 UTC",
             "extended": "2026-10-07 11:59:00.000000 UTC", "very-late": "2026-11-05 10:00:00 UTC", "unknown": None}


def run(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          cwd=course.REPO, timeout=900)


def rows_of(out):
    with open(out / "grades.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["notebook"] == NAME]


@pytest.fixture(scope="module")
def graded_late(tmp_path_factory):
    root = tmp_path_factory.mktemp("late")
    (root / "deadlines.py").write_text(POLICY)
    for student, stamp in HANDED_IN.items():
        folder = root / "class" / student / NAME
        folder.mkdir(parents=True)
        nbformat.write(submissions.build(NAME), folder / f"{NAME}.ipynb")
        if stamp:
            (folder / "timestamp.txt").write_text(stamp)
    done = run("grade", str(root / "class"), "--out", str(root / "out"), "--deadlines", str(root / "deadlines.py"),
               "--no-hints", "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    zipped = root / "zipped.zip"
    with zipfile.ZipFile(zipped, "w") as archive:  # no timestamp.txt: the entry's own time counts
        entry = zipfile.ZipInfo(f"zipped/{NAME}/{NAME}.ipynb", date_time=(2026, 10, 6, 12, 30, 0))
        archive.writestr(entry, nbformat.writes(submissions.build(NAME)))
    done = run("grade", str(zipped), "--out", str(root / "zip-out"), "--deadlines", str(root / "deadlines.py"),
               "--no-hints", "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def by_student(rows):
    found = {}
    for row in rows:
        entry = found.setdefault(row["student"], {"points": 0.0, "raw": 0.0, "row": row})
        entry["points"] += float(row["points"])
        entry["raw"] += float(row["raw_points"])
    return found


def test_submissions_on_both_sides_of_the_deadline(graded_late):
    found = by_student(rows_of(graded_late / "out"))
    full = found["early"]["raw"]
    assert full > 0 and all(entry["raw"] == full for entry in found.values()), "the raw score is kept"
    assert found["early"]["points"] == full and found["early"]["row"]["penalty_percent"] == "0.0"
    late_row = found["late"]["row"]
    assert late_row["submitted"] == "2026-10-07 11:59:00 UTC" and float(late_row["late_days"]) == 1.5
    assert late_row["penalty_percent"] == "20.0", "a started day counts: 1.5 days late is 2 days"
    assert found["late"]["points"] == pytest.approx(0.8 * full)
    assert found["very-late"]["points"] == pytest.approx(0.5 * full), "the floor keeps half"


def test_an_extension_moves_the_deadline_for_that_student_only(graded_late):
    found = by_student(rows_of(graded_late / "out"))
    assert found["extended"]["points"] == found["extended"]["raw"]
    assert found["extended"]["row"]["late_days"] == "0.0"


def test_a_missing_timestamp_counts_as_on_time_and_says_so(graded_late):
    found = by_student(rows_of(graded_late / "out"))
    assert found["unknown"]["points"] == found["unknown"]["raw"] and found["unknown"]["row"]["submitted"] == "unknown"


def test_a_zip_entrys_time_is_the_submission_time(graded_late):
    found = by_student(rows_of(graded_late / "zip-out"))
    row = found["zipped"]["row"]
    assert row["submitted"] == "2026-10-06 12:30:00 UTC" and row["penalty_percent"] == "10.0"
    assert found["zipped"]["points"] == pytest.approx(0.9 * found["zipped"]["raw"])


def test_the_feedback_shows_the_penalty(graded_late):
    assert "Late submission penalty" in (graded_late / "out" / "feedback" / "late" / f"{NAME}.html").read_text()
    assert "Late submission penalty" not in (graded_late / "out" / "feedback" / "early" / f"{NAME}.html").read_text()


def test_the_rules(tmp_path):
    policy = late.LatePolicy(percent_per_day=10, floor_percent=50)
    assert [policy.percent(days * late.DAY) for days in (0, 0.01, 1, 1.01, 4.5, 30)] == [0, 10, 10, 20, 50, 50]
    zero = late.LatePolicy(rule="zero", cutoff_days=2)
    assert [zero.percent(days * late.DAY) for days in (0.5, 2, 2.01)] == [0, 0, 100]
    assert zero.late_submission_penalty("s", 8.0, 3 * late.DAY) == 8.0, "nbgrader's plugin call"
    assert late.submitted_at(tmp_path / "x.ipynb") == (None, "unknown")
    (tmp_path / "timestamp.txt").write_text("2026-10-05 21:59:00.000000 Europe/Berlin")
    when, source = late.submitted_at(tmp_path / "x.ipynb", datetime.datetime(2026, 1, 1))
    assert (when, source) == (datetime.datetime(2026, 10, 5, 19, 59), "timestamp.txt"), "it wins over the zip's time"


@pytest.mark.parametrize("text, says", [
    ("c.LatePolicy.deadlines = {'99_nothing': '2026-10-05 23:59 UTC'}", "not a course"),
    ("c.LatePolicy.deadlines = {'%s': 'next tuesday-ish'}" % NAME, "not a date"),
    ("c.LatePolicy.rule = 'half'", "cannot be read")])
def test_a_bad_policy_file_is_refused_with_what_is_wrong(tmp_path, text, says):
    path = tmp_path / "deadlines.py"
    path.write_text("c = get_config()\n" + text + "\n")
    with pytest.raises(SystemExit, match=says):
        late.load(path, registry.names())
