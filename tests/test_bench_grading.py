"""The grading benchmark builds the class it says, and reads memory and time splits right (no timing asserted)."""
import os
import subprocess
import sys

import nbformat
import pytest

from bench import grading


def test_the_class_has_every_student_for_every_notebook_01_to_07(tmp_path):
    assert grading.write_class(tmp_path, 2) == 14
    for name in grading.NOTEBOOKS:
        first, second = (nbformat.read(tmp_path / f"student00{i}" / name / f"{name}.ipynb", as_version=4)
                         for i in range(2))
        nbformat.validate(first)
        assert nbformat.writes(first) != nbformat.writes(second), f"{name}: both students hand in the same notebook"


def test_peak_memory_counts_this_process_and_its_children():
    def rss(pid):
        return int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    child = subprocess.Popen([sys.executable, "-c", "x = bytearray(200 * 2**20); print(flush=True); input()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdout.readline()          # its 200 MB are written
        before = rss(os.getpid()) + rss(child.pid)
        assert grading.tree_rss(os.getpid()) >= 0.95 * before > 200 * 2**20
    finally:
        child.kill()
        child.wait()


def test_the_split_shows_each_part_as_seconds_and_share():
    outcomes = [{"notebook": grading.NOTEBOOKS[0], "peak_mb": 120.0,
                 "timings": {"kernel start": 1.0, "cells": 2.0, "hidden tests": 1.0, "rest": 0.0}},
                {"notebook": grading.NOTEBOOKS[0], "peak_mb": 150.0,
                 "timings": {"kernel start": 1.0, "cells": 2.0, "hidden tests": 3.0, "rest": 2.0}},
                {"notebook": grading.NOTEBOOKS[1], "peak_mb": 0.0, "timings": {}}]
    table = grading.split_table(outcomes).splitlines()
    assert len(table) == 2, "a notebook with no graded job has no row"
    assert table[1].split() == [grading.NOTEBOOKS[0], "2", "1.00s", "17%", "2.00s", "33%", "2.00s", "33%",
                                "1.00s", "17%", "6.00s", "150"]


def test_a_before_commit_git_cannot_give_is_reported_not_measured(tmp_path, capsys):
    assert grading.timed_run_before("0" * 40, 2, tmp_path / "before") is None
    assert "git cannot give commit" in capsys.readouterr().out


def test_the_before_commit_is_in_the_history():
    shallow = subprocess.run(["git", "-C", str(grading.REPO), "rev-parse", "--is-shallow-repository"],
                             capture_output=True, text=True).stdout.strip()
    if shallow != "false":
        pytest.skip("a shallow clone (or no git) lacks the history bench.grading compares with")
    done = subprocess.run(["git", "-C", str(grading.REPO), "cat-file", "-t", grading.BEFORE], capture_output=True,
                          text=True)
    assert done.stdout.strip() == "commit", "bench.grading compares with a commit that is not in this repository"


def test_the_solutions_marks_are_those_of_student000_on_notebooks_01_to_07(tmp_path):
    first, last = grading.NOTEBOOKS[0], grading.NOTEBOOKS[-1]
    (tmp_path / "grades.csv").write_text(
        "student,notebook,exercise,points,max_points,seed\n"
        f"student000,{first},test_a,2.0,2.0,1\n"
        f"student000,{last},test_b,0.5,3.0,2\n"
        f"student001,{first},test_a,0.0,2.0,3\n"
        "student000,99_not_in_the_class,test_c,0.0,4.0,4\n")
    assert grading.solution_marks(tmp_path) == (2.5, 5.0)
