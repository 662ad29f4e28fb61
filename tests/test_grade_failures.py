"""One student's failure in recording or feedback stays that student's: the rest of the class is written."""
from autograder import feedback, grade
from autograder.grade import Outcome


class FakeGradebook:
    """Stands in for nbgrader's gradebook: accepts every submission, records nothing."""

    def __init__(self, url):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update_or_create_submission(self, assignment, student):
        return None


def test_a_notebook_that_cannot_be_recorded_becomes_that_students_grader_error(monkeypatch):
    monkeypatch.setattr(grade, "Gradebook", FakeGradebook)

    def save(job, result):
        if job["student"] == "mallory":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(grade, "_save_grades", save)
    jobs = {student: {"student": student, "assignment": "01_derivatives", "notebook": "01_derivatives",
                      "db_url": "sqlite://"} for student in ("alice", "mallory", "bob")}
    outcomes = [grade._record(job, {"status": "graded", "cells": []}, 1.0, lambda *a: None) for job in jobs.values()]
    assert [o.status for o in outcomes] == ["graded", "grader-error", "graded"]
    assert "could not be recorded" in outcomes[1].message and "No space left" in outcomes[1].message


def test_a_feedback_page_that_cannot_be_made_becomes_a_plain_page(tmp_path):
    outcomes = [Outcome("alice", "01_derivatives", "graded"), Outcome("bob", "01_derivatives", "missing",
                                                                     message="01_derivatives.ipynb was not submitted")]
    problems = []
    with feedback.Pages(tmp_path / "no-such-class", tmp_path, "sqlite:///" + str(tmp_path / "none.db"), 1,
                        problems.append) as pages:
        for outcome in outcomes:
            pages.add(outcome)
    alice = (tmp_path / "feedback" / "alice" / "01_derivatives.html").read_text()
    assert "could not be made" in alice and "Content-Security-Policy" in alice
    assert "not submitted" in (tmp_path / "feedback" / "bob" / "01_derivatives.html").read_text()
    assert problems and "alice" in problems[0]


def test_spreadsheet_formulas_are_quoted():
    assert [grade.spreadsheet_safe(v) for v in ("=1+2", "+1", "-cmd", "@SUM(A1)", "alice", 3.0, "")] == \
        ["'=1+2", "'+1", "'-cmd", "'@SUM(A1)", "alice", 3.0, ""]


def test_score_table_prints_no_control_characters():
    rows = [{"student": "\x1b[31mred", "notebook": "01_derivatives", "points": 1.0, "max_points": 2.0}]
    table = grade.score_table(rows, ["\x1b[31mred"], ["01_derivatives"])
    assert "\x1b" not in table and "\\x1b[31mred" in table
