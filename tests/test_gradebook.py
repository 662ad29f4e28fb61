"""The gradebook on a real PostgreSQL server: graded twice, one row per grade, hand-set scores kept.

The server is a throwaway cluster started for these tests on 127.0.0.1
(tests/servers.py). The class is the demo's four students on notebook 01:
a perfect, a blank, a mistaken and a cheating submission.
"""
import csv
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Grade, Gradebook

from autograder import demo, gradebook
from autograder.grade import Settings, grade_class

from grading_cases import TEST_LIMITS
from servers import free_port, postgres_server

NOTEBOOK = "01_derivatives"


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for student, make in demo.STUDENTS.items():
        path = folder / student / NOTEBOOK / f"{NOTEBOOK}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(make(NOTEBOOK), path)
    return folder


def stored_grades(url):
    """[(student, notebook, exercise, score)] for every grade row in the gradebook."""
    with Gradebook(gradebook.database_url(url, None)) as gb:
        return [(g.student.id, g.notebook.name, g.name, float(g.score)) for g in gb.db.query(Grade).all()]


def csv_grades(out):
    with open(out / "grades.csv") as handle:
        return [(r["student"], r["notebook"], r["exercise"], float(r["points"])) for r in csv.DictReader(handle)]


def test_a_class_graded_twice_keeps_one_row_per_grade_and_the_scores_set_by_hand(postgres, small_class, tmp_path):
    settings = Settings(jobs=2, limits=TEST_LIMITS, db_url=postgres)
    lines = []
    grade_class(small_class, tmp_path / "first", settings, log=lines.append, progress=False)
    first = csv_grades(tmp_path / "first")
    stored = stored_grades(postgres)
    assert len(stored) == len(set((s, n, e) for s, n, e, _ in stored)) == len(first)
    assert sorted(stored) == sorted(first)
    totals = {s: sum(p for st, n, _, p in first if st == s and n == NOTEBOOK) for s in demo.STUDENTS}
    assert totals["perfect_student"] > totals["mistaken_student"] > 0 == totals["blank_student"]

    # the instructor gives the mistaken student a point by hand in the formgrader, then the class is graded again
    lost = next((s, n, e) for s, n, e, p in first if s == "mistaken_student" and n == NOTEBOOK and p == 0)
    with Gradebook(gradebook.database_url(postgres, None)) as gb:
        grade = gb.find_grade(lost[2], NOTEBOOK, NOTEBOOK, lost[0])
        grade.manual_score = 1.0
        gb.db.commit()
    lines.clear()
    grade_class(small_class, tmp_path / "second", settings, log=lines.append, progress=False)
    second = csv_grades(tmp_path / "second")
    changed = [(a, b) for a, b in zip(first, second) if a != b]
    assert [(a[:3], a[3], b[3]) for a, b in changed] == [(lost, 0.0, 1.0)]
    assert sorted(stored_grades(postgres)) == sorted(second), "a regrade duplicated or lost rows"
    with Gradebook(gradebook.database_url(postgres, None)) as gb:
        kept = gb.find_grade(lost[2], NOTEBOOK, NOTEBOOK, lost[0])
        assert (kept.manual_score, kept.auto_score, kept.needs_manual_grade) == (1.0, 0.0, True)
    report = "\n".join(lines)
    assert "Kept 1 score(s) set by hand" in report and f"mistaken_student/{NOTEBOOK}/{lost[2]}: 1 by hand, 0 from" in report
    assert gradebook.manual_scores(gradebook.database_url(postgres, None)) == [
        gradebook.ManualScore(*lost, manual=1.0, automatic=0.0)]


def test_postgres_urls_get_the_installed_driver_and_others_a_clear_error():
    assert gradebook.database_url("postgresql://u:secret@db:5432/grades", None) \
        == "postgresql+psycopg://u:secret@db:5432/grades"
    assert gradebook.database_url("postgres://u@db/grades", None) == "postgresql+psycopg://u@db/grades"
    assert gradebook.database_url("", Path("/out")) == "sqlite:////out/gradebook.db"
    assert gradebook.database_url("sqlite:////tmp/g.db", None) == "sqlite:////tmp/g.db"
    with pytest.raises(SystemExit, match="SQLite or PostgreSQL, not mysql"):
        gradebook.database_url("mysql://u:secret@db/grades", None)
    with pytest.raises(SystemExit, match="not a database URL"):
        gradebook.database_url("grades please", None)
    assert "secret" not in gradebook.shown("postgresql://u:secret@db/grades")


def test_a_server_that_is_down_stops_grading_at_once_without_showing_the_password(small_class, tmp_path):
    url = f"postgresql://grader:secret@127.0.0.1:{free_port()}/gradebook"
    with pytest.raises(SystemExit, match="cannot use the gradebook at postgresql") as stopped:
        grade_class(small_class, tmp_path / "out", Settings(jobs=1, limits=TEST_LIMITS, db_url=url),
                    log=lambda *a: None, progress=False)
    assert "secret" not in str(stopped.value) and "Check that the server runs" in str(stopped.value)
    assert not (tmp_path / "out" / "feedback").exists()
