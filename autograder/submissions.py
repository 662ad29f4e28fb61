"""Build submissions from the course's own notebooks: the perfect one, the blank one, and variants.

A submission is the student edition with some answer cells filled in. The
perfect answers are the solution cells with nbgrader's markers removed; a
variant replaces some of them, either whole or by a small text edit, which
keeps mutants and cheats in step with the solutions as they change.
"""
import copy
from dataclasses import dataclass

import nbformat

from . import course

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Edit:
    """Change one answer cell: give `code` for the whole cell, or `replace=(old, new)` in the solution."""
    cell: str
    code: str = None
    replace: tuple = None
    prepend: str = None

    def apply(self, answer):
        if self.code is not None:
            return self.code
        if self.replace is not None:
            old, new = self.replace
            if old not in answer:
                raise ValueError(f"cannot edit answer cell {self.cell!r}: {old!r} is not in its solution")
            return answer.replace(old, new, 1)
        if self.prepend is not None:
            return self.prepend + "\n" + answer
        raise ValueError("an Edit needs code, replace or prepend")


def solution_answers(name, solutions=course.SOLUTIONS):
    """{answer cell id: the solution code without nbgrader's markers}."""
    nb = nbformat.read(solutions / name / f"{name}.ipynb", as_version=4)
    answers = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [line for line in cell.source.splitlines() if line.strip() not in MARKERS]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def release_notebook(name, release=course.COURSE):
    return nbformat.read(release / name / f"{name}.ipynb", as_version=4)


def build(name, edits=(), perfect=True, release=course.COURSE, solutions=course.SOLUTIONS):
    """The student edition of `name` with every answer filled in (if `perfect`) and `edits` applied."""
    nb = copy.deepcopy(release_notebook(name, release))
    answers = solution_answers(name, solutions)
    chosen = dict(answers) if perfect else {}
    for edit in edits:
        chosen[edit.cell] = edit.apply(chosen.get(edit.cell, answers[edit.cell]))
    known = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    for cell_id in chosen:
        if cell_id not in known:
            raise ValueError(f"{name} has no answer cell {cell_id!r}")
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in chosen:
            cell.source = chosen[grade_id]
    return nb
