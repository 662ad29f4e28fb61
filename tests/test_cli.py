"""The instructor's commands, run as they are typed."""
import csv
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograder import casebook, course, registry, submissions

from grading_cases import graded_notebooks

NAMES = graded_notebooks()


def run(*args, cwd=course.REPO):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=1200)


def read_grades(out):
    with open(out / "grades.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["student", "notebook", "exercise", "points", "max_points", "seed",
                                     "raw_points", "submitted", "late_days", "penalty_percent"]
        return list(reader)


def totals(rows):
    result = {}
    for row in rows:
        key = (row["student"], row["notebook"])
        got, top = result.get(key, (0.0, 0.0))
        result[key] = (got + float(row["points"]), top + float(row["max_points"]))
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    done = run("grade", "--demo", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout, done.stderr


def test_demo_grades_the_sample_class(demo):
    out, printed, _ = demo
    scores = totals(read_grades(out))
    for name in NAMES:
        got, top = scores[("perfect_student", name)]
        assert got == top > 0
        assert scores[("blank_student", name)][0] == 0
        assert 0 < scores[("mistaken_student", name)][0] < top
        assert scores[("cheating_student", name)][0] == 0
    for student in ("perfect_student", "blank_student", "mistaken_student", "cheating_student"):
        assert student in printed
        for name in NAMES:
            feedback = out / "feedback" / student / f"{name}.html"
            assert feedback.exists() and "Score" in feedback.read_text()


def test_demo_shows_one_progress_bar_for_the_class(demo):
    """A bar with the count, the rate and the time left, in place of a line per notebook."""
    _, printed, bar = demo
    count = 4 * len(registry.names())         # the demo's four students hand in every notebook
    assert f"{count}/{count}" in bar and ("notebook/s" in bar or "s/notebook" in bar), bar[-500:]
    assert "100%" in bar
    assert not re.search(r"^ +\S+ +\d\d_\w+ +graded +[\d.]+ s$", printed, re.M), "a line per graded notebook"


def test_feedback_explains_lost_points_without_revealing_hidden_tests(demo):
    out, _, _ = demo
    text = (out / "feedback" / "mistaken_student" / f"{NAMES[0]}.html").read_text()
    assert "hidden test failed" in text.lower() or "visible test failed" in text.lower()
    assert "BEGIN HIDDEN TESTS" not in text and "autograder.reference" not in text


def test_demo_feedback_names_the_mistaken_students_likely_mistake(demo):
    out, _, _ = demo
    text = (out / "feedback" / "mistaken_student" / f"{NAMES[0]}.html").read_text()
    assert "Likely mistake: your answer behaves like one that" in text and "Reread the section" in text


def test_grading_a_zip_with_broken_and_missing_work(tmp_path):
    name = NAMES[0]
    folder = tmp_path / "class"
    good = folder / "alice" / name / f"{name}.ipynb"
    good.parent.mkdir(parents=True)
    nbformat.write(submissions.build(name), good)
    broken = folder / "bob" / name / f"{name}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ this is not json')
    (folder / "carol" / "99_not_a_notebook").mkdir(parents=True)
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in folder.rglob("*"):
            zipped.write(path, path.relative_to(tmp_path))
        zipped.writestr(f"class/mallory/{name}/{name}.ipynb", good.read_text())
        zipped.writestr("class/mallory/../../escaped.txt", "outside")   # refuses mallory alone
    out = tmp_path / "out"
    done = run("grade", str(archive), "--out", str(out), "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    scores = totals(read_grades(out))
    assert scores[("alice", name)][0] == scores[("alice", name)][1] > 0
    assert scores[("bob", name)][0] == 0 and scores[("carol", name)][0] == 0
    assert "not a valid notebook" in (out / "feedback" / "bob" / f"{name}.html").read_text()
    assert "not submitted" in (out / "feedback" / "carol" / f"{name}.html").read_text()
    assert "99_not_a_notebook is not a course notebook" in done.stdout
    assert scores[("mallory", name)][0] == 0 and "REFUSED mallory: your submission contains an unsafe path" in done.stdout
    assert "unsafe path" in (out / "feedback" / "mallory" / f"{name}.html").read_text()
    assert not (tmp_path / "escaped.txt").exists() and not (out / "escaped.txt").exists()


def test_grading_twice_gives_the_same_grades_file(tmp_path):
    """Hidden tests draw their inputs from seeds fixed per student, notebook and exercise."""
    name = NAMES[0]
    book = casebook.for_notebook(name)
    for student, nb in (("alice", submissions.build(name, [book.MUTANTS[0].edit])),
                        ("bob", submissions.build(name, [m.edit for m in book.MUTANTS[1::3]]))):
        path = tmp_path / "class" / student / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    for run_number in (1, 2):
        done = run("grade", str(tmp_path / "class"), "--out", str(tmp_path / f"out{run_number}"), "--jobs", "2")
        assert done.returncode == 0, done.stdout + done.stderr
    first, second = ((tmp_path / f"out{n}" / "grades.csv").read_text() for n in (1, 2))
    assert first == second
    assert {row["seed"] for row in read_grades(tmp_path / "out1")} != {""}


def test_grading_without_bubblewrap_must_be_asked_for(tmp_path):
    done = run("grade", str(tmp_path), "--out", str(tmp_path / "out"), "--sandbox", "guard-only")
    assert done.returncode != 0 and "--i-understand-unsafe" in done.stdout + done.stderr


def test_auto_refuses_where_bubblewrap_cannot_run(monkeypatch):
    from autograder import grade
    monkeypatch.setattr(grade, "bwrap_available", lambda: False)
    for choice in ("auto", "bwrap"):
        with pytest.raises(SystemExit, match="user namespaces") as refusal:
            grade.decide_sandbox(choice, unsafe=False, log=print)
        assert "--sandbox guard-only --i-understand-unsafe" in str(refusal.value)
    assert grade.decide_sandbox("guard-only", unsafe=True, log=lambda *a: None) is False


def test_clear_errors_for_bad_arguments(tmp_path):
    done = run("grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert done.returncode != 0 and "does not exist" in done.stderr
    (tmp_path / "empty").mkdir()
    done = run("grade", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert done.returncode != 0 and "No student folders" in (done.stdout + done.stderr)
