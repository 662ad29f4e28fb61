"""Shared fixtures: one class-grading run holds every case the grading tests look at.

Grading is the slow part (a sandboxed kernel per notebook), so the session
grades all cases of all notebooks at once, in parallel, through the same
`grade_class` the instructor's command uses, and the tests read the results.
"""
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from autograder import casebook, course, demo, submissions
from autograder.grade import Settings, grade_class
from autograder.sandbox import Limits

TEST_LIMITS = Limits(memory_bytes=2 * 2**30, cell_timeout=20, notebook_timeout=300, disk_bytes=256 * 2**20)


def graded_notebooks():
    """Released notebooks that have a casebook (and so a full grading proof).

    GRADING_NOTEBOOKS=03_tensors,04_linear_regression limits the slow grading
    tests to some notebooks while one works on them.
    """
    chosen = [n for n in os.environ.get("GRADING_NOTEBOOKS", "").split(",") if n]
    return [name for name in course.assignments() if casebook.has_casebook(name)
            and (course.COURSE / name / f"{name}.ipynb").exists() and (not chosen or name in chosen)]


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def class_cases(name, out="", bwrap=True):
    """{student label: notebook} for every case of notebook `name` (graded into `out`)."""
    book = casebook.for_notebook(name)
    wrong = demo.wrong_everywhere(name)
    cases = {
        "perfect": submissions.build(name),
        "blank": submissions.release_notebook(name),
        "baseline": submissions.build(name, wrong),
        "hardcoded": submissions.build(name, list(wrong) + list(book.HARDCODED)),
    }
    for index, mutant in enumerate(book.MUTANTS):
        cases[f"mutant-{index:02d}"] = submissions.build(name, [mutant.edit])
    for index, alternative in enumerate(book.ALTERNATIVES):
        cases[f"alternative-{index:02d}"] = submissions.build(name, alternative.edits)
    cases["pasted"] = casebook.pasted_copies(cases["perfect"])
    baseline = cases["baseline"]
    for cheat in casebook.tricks():
        if cheat.applies_to(name) and (bwrap or not cheat.needs_bwrap):
            cases[f"cheat-{slug(cheat.name)}"] = cheat.apply(baseline, out)
    return cases


class GradedClass:
    def __init__(self, out):
        self.out = Path(out)
        self.rows = {}
        with open(self.out / "grades.csv") as handle:
            import csv
            for row in csv.DictReader(handle):
                key = (row["student"], row["notebook"])
                self.rows.setdefault(key, {})[row["exercise"]] = (float(row["points"]), float(row["max_points"]))
        self.outcomes = {(o["student"], o["notebook"]): o
                         for o in json.loads((self.out / "outcomes.json").read_text())}

    def points(self, student, notebook):
        return {exercise: got for exercise, (got, _) in self.rows[(student, notebook)].items()}

    def total(self, student, notebook):
        return sum(self.points(student, notebook).values())

    def maximum(self, notebook):
        return sum(top for _, top in self.rows[("perfect", notebook)].values())

    def messages(self, student, notebook, key="message"):
        """{exercise: why it lost its points}; key="hidden_message" gives what the hidden tests alone found."""
        result = self.out / "nbgrader" / "autograded" / student / notebook / f"{notebook}.job.result.json"
        data = json.loads(result.read_text())
        return {cell["grade_id"]: cell[key] for cell in data.get("cells", [])}


def grade_cases(tmp_path_factory, sandbox, names):
    root = tmp_path_factory.mktemp(f"class-{sandbox}")
    for name in names:
        for student, nb in class_cases(name, root / "out", bwrap=sandbox != "guard-only").items():
            path = root / "submitted" / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
    if "01_derivatives" in names:  # an id a spreadsheet would run, and a file that is no notebook
        for student, content in (("=1+2", nbformat.writes(submissions.release_notebook("01_derivatives"))),
                                 ("not-a-notebook", "root:x:0:0:root:/root:/bin/bash\n")):
            path = root / "submitted" / student / "01_derivatives" / "01_derivatives.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    settings = Settings(jobs=max(2, os.cpu_count() or 2), limits=TEST_LIMITS, sandbox=sandbox,
                        unsafe=sandbox == "guard-only")
    grade_class(root / "submitted", root / "out", settings, log=lambda *a: None)
    return GradedClass(root / "out")


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Every case of every notebook, graded in the default (bubblewrap) sandbox."""
    return grade_cases(tmp_path_factory, "bwrap", graded_notebooks())


@pytest.fixture(scope="session")
def graded_guard_only(tmp_path_factory):
    """The cases of notebook 01 again, with the in-kernel guard as the only protection."""
    return grade_cases(tmp_path_factory, "guard-only", graded_notebooks()[:1])
