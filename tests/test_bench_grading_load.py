"""The load benchmark counts lost and duplicated grades right, in each record (no timing asserted)."""
import csv
import json

import pytest

from autograder.grade import Settings, grade_class
from bench import grading, grading_load

from grading_cases import TEST_LIMITS

NOTEBOOK = grading_load.NOTEBOOKS[0]
STUDENTS = ["student000", "student001"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("load")
    grading.write_class(folder / "class", len(STUDENTS), [NOTEBOOK])
    grade_class(folder / "class", folder / "out", Settings(jobs=2, limits=TEST_LIMITS), log=lambda *a: None,
                progress=False)
    return folder / "out"


def test_a_whole_run_has_nothing_lost_or_duplicated(graded):
    assert grading_load.account(graded, STUDENTS, [NOTEBOOK]) == {"graded": 2, "lost": 0, "duplicated": 0}


def test_a_student_nobody_graded_counts_as_lost_in_every_record(graded):
    counted = grading_load.account(graded, STUDENTS + ["student002"], [NOTEBOOK])
    exercises = sum(1 for row in csv.DictReader(open(graded / "grades.csv"))
                    if (row["student"], row["notebook"]) == (STUDENTS[0], NOTEBOOK))
    assert counted == {"graded": 2, "lost": 1 + 2 * exercises, "duplicated": 0}


def test_an_outcome_recorded_twice_and_a_row_exported_twice_are_duplicates(graded, tmp_path):
    copy = tmp_path / "out"
    copy.mkdir()
    (copy / "gradebook.db").write_bytes((graded / "gradebook.db").read_bytes())
    outcomes = json.loads((graded / "outcomes.json").read_text())
    again = next(o for o in outcomes if o["status"] == "graded")
    (copy / "outcomes.json").write_text(json.dumps(outcomes + [again]))
    lines = (graded / "grades.csv").read_text().splitlines(keepends=True)
    (copy / "grades.csv").write_text("".join(lines + lines[1:2]))
    assert grading_load.account(copy, STUDENTS, [NOTEBOOK]) == {"graded": 2, "lost": 0, "duplicated": 2}


def test_memory_halves_peak_separately():
    assert grading_load.halves([1, 5, 2, 3, 9, 4]) == (5, 9)
    assert grading_load.halves([]) == (0, 0)
