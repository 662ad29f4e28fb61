"""A sample class to see the whole grading loop in one command.

    python -m autograder grade --demo --out OUT

Four students, built from the course's own notebooks each time (so the demo
always matches the current solutions): one perfect, one who handed in the
blank notebook, one with realistic mistakes, and one who cheats on top of
wrong answers.
"""
from pathlib import Path

import nbformat

from . import casebook, registry, submissions
from .casebook import cheats


def mistakes(name):
    """The first mutant of each exercise the casebook names for the demo: a half-right submission."""
    book = casebook.for_notebook(name)
    return [next(m.edit for m in book.MUTANTS if m.exercise == exercise) for exercise in book.DEMO_MISTAKES]


def wrong_everywhere(name):
    """The first mutant of every exercise."""
    firsts = {}
    for mutant in casebook.for_notebook(name).MUTANTS:
        firsts.setdefault(mutant.exercise, mutant.edit)
    return list(firsts.values())


def cheater(name):
    nb = submissions.build(name, wrong_everywhere(name))
    for trick in (cheats.CODE_CHEATS[0], cheats.CODE_CHEATS[2], cheats.CODE_CHEATS[4]):
        nb = trick.apply(nb)
    return nb


STUDENTS = {
    "perfect_student": lambda name: submissions.build(name),
    "blank_student": lambda name: submissions.release_notebook(name),
    "mistaken_student": lambda name: submissions.build(name, mistakes(name)),
    "cheating_student": cheater,
}


def write_class(folder):
    """Write the demo submissions as STUDENT/NN_topic/NN_topic.ipynb under `folder`."""
    folder = Path(folder)
    for student, make in STUDENTS.items():
        for name in registry.names():
            path = folder / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(make(name), path)
    return folder
