"""Grading again (autograder/regrade.py): --only regrades some notebooks, and changes.csv says what moved and why."""
import csv
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import casebook, course, regrade, submissions
from autograder.grade import Settings, grade_class

from grading_cases import TEST_LIMITS

NAME = "01_derivatives"
END_HIDDEN = "### END HIDDEN TESTS"


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def hand_in(folder, student, nb):
    path = folder / student / NAME / f"{NAME}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def stricter(solutions, exercise):
    """A copy of `solutions` where the hidden test of `exercise` now fails every answer."""
    copy = solutions.parent / "stricter-solutions"
    shutil.copytree(course.SOLUTIONS / NAME, copy / NAME)
    for other in course.SOLUTIONS.iterdir():  # the other notebooks as they are
        if not (copy / other.name).exists():
            (copy / other.name).symlink_to(other)
    path = copy / NAME / f"{NAME}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == exercise)
    assert END_HIDDEN in cell.source
    cell.source = cell.source.replace(END_HIDDEN, 'raise AssertionError("a stricter test")\n' + END_HIDDEN)
    nbformat.write(nb, path)
    return copy


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    """A class of three graded, graded again with one hidden test changed, then one student regraded alone."""
    root = tmp_path_factory.mktemp("regrade")
    mutants = casebook.for_notebook(NAME).MUTANTS
    x = mutants[0]
    y = next(m for m in mutants if m.exercise != x.exercise)
    folder, out = root / "class", root / "out"
    hand_in(folder, "perfect", submissions.build(NAME))
    hand_in(folder, "wrong-x", submissions.build(NAME, [x.edit]))
    hand_in(folder, "wrong-y", submissions.build(NAME, [y.edit]))
    settings = Settings(jobs=2, limits=TEST_LIMITS, hints=False)
    grade_class(folder, out, settings, log=lambda *a: None, progress=False)
    first = read_csv(out / "grades.csv")
    settings.solutions = stricter(root / "solutions", x.exercise)
    grade_class(folder, out, settings, log=lambda *a: None, progress=False)
    second = read_csv(out / "grades.csv")
    changed_tests = read_csv(out / "changes.csv")
    page = out / "feedback" / "wrong-y" / f"{NAME}.html"
    page_before = page.stat().st_mtime_ns

    hand_in(folder, "wrong-x", submissions.build(NAME))  # wrong-x hands in a corrected notebook
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                           "--only", f"wrong-x/{NAME}", "--no-hints", "--jobs", "2"],
                          capture_output=True, text=True, cwd=course.REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    return {"x": x, "y": y, "first": first, "second": second, "changed_tests": changed_tests,
            "third": read_csv(out / "grades.csv"), "resubmitted": read_csv(out / "changes.csv"),
            "printed": done.stdout, "page_kept": page.stat().st_mtime_ns == page_before, "out": out}


def points(rows):
    return {(row["student"], row["exercise"]): float(row["points"]) for row in rows}


def test_a_changed_hidden_test_changes_exactly_the_rows_it_affects(regraded):
    x = regraded["x"].exercise
    first, second = points(regraded["first"]), points(regraded["second"])
    moved = {key for key in first if first[key] != second[key]}
    assert moved == {("perfect", x), ("wrong-y", x)}, "wrong-x had already lost it; nothing else changed"
    rows = {(row["student"], row["exercise"]): row for row in regraded["changed_tests"]}
    assert rows.keys() == moved
    for key in moved:
        assert float(rows[key]["old_points"]) == first[key] > 0 and float(rows[key]["new_points"]) == 0
        assert rows[key]["reason"] == "changed tests" and rows[key]["notebook"] == NAME


def test_only_regrades_the_one_student_and_names_the_new_submission(regraded):
    second, third = points(regraded["second"]), points(regraded["third"])
    moved = {key for key in second if second[key] != third[key]}
    assert moved and {student for student, _ in moved} == {"wrong-x"}
    assert ("wrong-x", regraded["x"].exercise) in moved, "its corrected answer meets the course's own test again"
    rows = regraded["resubmitted"]
    assert {(row["student"], row["exercise"]) for row in rows} == moved
    assert all(row["reason"].startswith("new submission") for row in rows), rows
    assert "grade(s) changed" in regraded["printed"] and "wrong-x" in regraded["printed"]


def test_grades_that_did_not_change_are_not_rewritten(regraded):
    others = [row for row in regraded["second"] if row["student"] != "wrong-x"]
    assert others == [row for row in regraded["third"] if row["student"] != "wrong-x"]
    assert regraded["page_kept"], "the feedback page of a student not regraded was written again"


def test_only_needs_a_class_graded_before_and_a_known_student(tmp_path, regraded):
    folder = tmp_path / "class"
    hand_in(folder, "alice", submissions.build(NAME))
    for args, says in (([str(folder), "--out", str(tmp_path / "new"), "--only", "alice"], "graded before"),
                       ([str(folder), "--out", str(regraded["out"]), "--only", "nobody"], "no student"),
                       ([str(folder), "--out", str(regraded["out"]), "--only", "alice/99_x"], "no notebook")):
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", *args], capture_output=True,
                              text=True, cwd=course.REPO)
        assert done.returncode != 0 and says in done.stderr, done.stderr


def test_the_reason_says_what_differs():
    before = regrade.Before(grades={("s", "n", "e"): (1.0, 7)},
                            provenance={"s/n": {"submission": "a", "tests": {"e": "t"}}})
    same = {"s/n": {"submission": "a", "tests": {"e": "t"}}}
    assert regrade.reason(before, same, ("s", "n", "e"), 7, 8) == "changed seed policy"
    assert regrade.reason(before, same, ("s", "n", "e"), 7, 7) == regrade.UNEXPLAINED
    assert regrade.reason(before, {"s/n": {"submission": "b", "tests": {"e": "u"}}}, ("s", "n", "e"), 7, 7) \
        == "new submission; changed tests"
    rows = [{"student": "s", "notebook": "n", "exercise": "e", "points": 1.0, "seed": 7},
            {"student": "t", "notebook": "n", "exercise": "e", "points": 2.0, "seed": 7}]
    assert [(c["student"], c["reason"]) for c in regrade.changes(before, rows, same)] == [("t", "first graded")]


def test_changes_csv_writes_a_formula_like_id_as_text(tmp_path):
    from autograder.grade import spreadsheet_safe
    row = {"student": "=HYPERLINK(1)", "notebook": "n", "exercise": "e", "old_points": 1.0, "new_points": 0.0,
           "reason": "new submission"}
    regrade.write(tmp_path / "changes.csv", [row], safe=spreadsheet_safe)
    assert read_csv(tmp_path / "changes.csv")[0]["student"] == "'=HYPERLINK(1)"
