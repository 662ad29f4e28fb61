"""Cases graded for the grading tests, and how to read their results.

Shared by tests/conftest.py (which grades them) and the test modules that
read them; kept out of conftest.py so that tests import it as a plain module.
"""
import json
import os
import re
from pathlib import Path

from autograder import casebook, demo, registry, submissions
from autograder.sandbox import Limits

TEST_LIMITS = Limits(memory_bytes=2 * 2**30, cell_timeout=20, notebook_timeout=300, disk_bytes=256 * 2**20)


def graded_notebooks():
    """The registry's notebooks, each with its full grading proof.

    GRADING_NOTEBOOKS=03_tensors,04_linear_regression limits the slow grading
    tests to some notebooks while one works on them.
    """
    chosen = [n for n in os.environ.get("GRADING_NOTEBOOKS", "").split(",") if n]
    return [name for name in registry.names() if not chosen or name in chosen]


def mutant_cases(notebooks):
    """pytest parameters (name, index, mutant) for every casebook mutant of `notebooks`, with readable ids."""
    import pytest
    return [pytest.param(name, index, mutant, id=f"{name}-{index:02d}-{slug(mutant.why)}")
            for name in notebooks for index, mutant in enumerate(casebook.for_notebook(name).MUTANTS)]


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
    cases["baseline-twin"] = cases["baseline"]  # the same wrong answers, handed in by another student
    baseline = cases["baseline"]
    for cheat in casebook.tricks():
        if cheat.applies_to(name) and (bwrap or not cheat.needs_bwrap):
            cases[f"cheat-{slug(cheat.name)}"] = cheat.apply(baseline, out)
    return cases


class GradedClass:
    def __init__(self, out):
        self.out = Path(out)
        self.rows, self.seeds = {}, {}
        with open(self.out / "grades.csv") as handle:
            import csv
            for row in csv.DictReader(handle):
                key = (row["student"], row["notebook"])
                self.rows.setdefault(key, {})[row["exercise"]] = (float(row["points"]), float(row["max_points"]))
                self.seeds[(*key, row["exercise"])] = int(row["seed"])
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
