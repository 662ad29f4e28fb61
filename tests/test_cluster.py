"""Grading on a real Dask cluster gives the grades of local grading, even when a worker is lost.

The scheduler and two workers are separate processes on 127.0.0.1
(tests/servers.py), as they would be on separate machines: nothing but the
tasks' bytes travels between them. The class is 40 students on notebook 01,
drawn from its casebook (perfect, blank, every mutant, every alternative).
"""
import csv
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Grade, Gradebook

from autograder import casebook, cluster, submissions
from autograder.grade import Settings, grade_class

from grading_cases import TEST_LIMITS
from servers import dask_cluster, free_port

NOTEBOOK = "01_derivatives"
STUDENTS = 40


@pytest.fixture(scope="module")
def big_class(tmp_path_factory):
    book = casebook.for_notebook(NOTEBOOK)
    kinds = [submissions.build(NOTEBOOK), submissions.release_notebook(NOTEBOOK)]
    kinds += [submissions.build(NOTEBOOK, [m.edit]) for m in book.MUTANTS]
    kinds += [submissions.build(NOTEBOOK, list(a.edits)) for a in book.ALTERNATIVES]
    folder = tmp_path_factory.mktemp("class")
    for index in range(STUDENTS):
        path = folder / f"student{index:02d}" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(kinds[index % len(kinds)], path)
    return folder


@pytest.fixture(scope="module")
def graded_locally(big_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    grade_class(big_class, out, Settings(jobs=2, limits=TEST_LIMITS), log=lambda *a: None, progress=False)
    return out


def rows(out):
    with open(out / "grades.csv") as handle:
        return list(csv.DictReader(handle))


def outcomes(out):
    return [(o["student"], o["notebook"], o["status"]) for o in json.loads((out / "outcomes.json").read_text())]


@pytest.fixture(scope="module")
def graded_on_cluster(big_class, tmp_path_factory):
    """The class graded on a scheduler and two workers; one worker is killed once six notebooks are back.

    One run serves both proofs below: that the cluster gives local grading's grades, and that losing a
    worker mid-run loses and duplicates nothing.
    """
    out, lines = tmp_path_factory.mktemp("cluster"), []
    with dask_cluster(workers=2) as (address, workers):
        def kill_when_grading_is_under_way():
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                if len(list((out / "nbgrader" / "autograded").rglob("*.ipynb"))) >= 6:
                    os.killpg(workers["worker-1"].pid, signal.SIGKILL)
                    return
                time.sleep(0.2)
        killer = threading.Thread(target=kill_when_grading_is_under_way, daemon=True)
        killer.start()
        grade_class(big_class, out, Settings(limits=TEST_LIMITS, scheduler=address), log=lines.append,
                    progress=False)
        killer.join()
        killed = workers["worker-1"].poll() is not None
    return {"out": out, "lines": lines, "address": address, "killed": killed}


def test_a_class_graded_on_the_cluster_gets_the_grades_of_local_grading(graded_on_cluster, graded_locally):
    out = graded_on_cluster["out"]
    assert rows(out) == rows(graded_locally)
    assert len({row["student"] for row in rows(out)}) == STUDENTS
    points = {row["student"]: 0.0 for row in rows(out)}
    for row in rows(out):
        points[row["student"]] += float(row["points"])
    assert len(set(points.values())) > 3, "the class should hold many different scores"
    assert any(f"Dask cluster at {graded_on_cluster['address']}: 2 workers; dashboard: http" in line
               for line in graded_on_cluster["lines"])
    feedback = out / "feedback" / "student00" / f"{NOTEBOOK}.html"
    assert "<html" in feedback.read_text().lower()


def test_a_worker_lost_mid_run_loses_no_grade_and_duplicates_none(graded_on_cluster):
    assert graded_on_cluster["killed"], "the worker was never killed"
    out = graded_on_cluster["out"]
    graded = outcomes(out)
    assert len(graded) == len(set(graded)), "a notebook was recorded twice"
    assert sorted(o[0] for o in graded if o[1] == NOTEBOOK and o[2] == "graded") == \
        [f"student{i:02d}" for i in range(STUDENTS)]
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        stored = [(g.student.id, g.name) for g in gb.db.query(Grade).all() if g.notebook.name == NOTEBOOK]
    assert len(stored) == len(set(stored)) == len([r for r in rows(out) if r["notebook"] == NOTEBOOK])


def kill_the_worker_for_student03(job, submitted, release, gradebook):
    """A task that takes its worker down whenever it grades student03, and grades everyone else."""
    if job["student"] == "student03":
        os._exit(1)
    return cluster.grade_remotely(job, submitted, release, gradebook)


def test_a_job_that_kills_every_worker_ends_as_that_students_zero(big_class, tmp_path, monkeypatch):
    """Through the sandbox no submission can stop a worker; this stands in for a grader crash that could."""
    real_run = cluster.run
    monkeypatch.setattr(cluster, "run", lambda *args, **kwargs: real_run(*args, task=kill_the_worker_for_student03))
    small = tmp_path / "class"
    for student in ("student02", "student03", "student04"):
        shutil.copytree(big_class / student, small / student)
    with dask_cluster(workers=2, nanny=True) as (address, _):
        grade_class(small, tmp_path / "out", Settings(limits=TEST_LIMITS, scheduler=address),
                    log=lambda *a: None, progress=False)
    by_student = {o["student"]: o for o in json.loads((tmp_path / "out" / "outcomes.json").read_text())
                  if o["notebook"] == NOTEBOOK}
    assert by_student["student03"]["status"] == "grader-error"
    assert "stopped every grading machine it ran on" in by_student["student03"]["message"]
    assert by_student["student02"]["status"] == by_student["student04"]["status"] == "graded"
    assert all(float(r["points"]) == 0 for r in rows(tmp_path / "out") if r["student"] == "student03")


def test_a_scheduler_that_is_not_there_stops_grading_at_once(big_class, tmp_path):
    with pytest.raises(SystemExit, match="cannot reach the Dask scheduler"):
        grade_class(big_class, tmp_path, Settings(limits=TEST_LIMITS, scheduler=f"tcp://127.0.0.1:{free_port()}"),
                    log=lambda *a: None, progress=False)


def test_a_submission_too_large_to_send_is_a_clear_zero(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "MAX_SUBMISSION_BYTES", 1000)
    job = {"submitted": str(tmp_path / "big.ipynb"), "release": "unused", "student": "s", "notebook": NOTEBOOK}
    Path(job["submitted"]).write_bytes(b" " * 5000)
    results = []

    class NoCluster:
        def submit(self, function, value, key):
            return value
    monkeypatch.setattr(cluster, "gradebook_copy", lambda db_url, root: b"")
    cluster.run(NoCluster(), [job], "sqlite:///unused", tmp_path, lambda j, r, s: results.append(r))
    assert results[0]["status"] == "unreadable" and "Clear its outputs" in results[0]["message"]
