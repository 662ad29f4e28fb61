"""Known answers, right and wrong, for every exercise: what the grader must tell apart.

For each notebook a module lists
  MUTANTS       realistic wrong answers, each naming the test cell that must lose its points;
  ALTERNATIVES  correct answers written differently, which must keep full marks;
  HARDCODED     an answer that only reproduces the visible checks' cases.
cheats.py lists tricks that work on any notebook, and attacks.py attacks on
the grader itself. The project's tests grade all of them, and the demo class
is drawn from them.
"""
import importlib
from dataclasses import dataclass

from .. import registry
from ..submissions import Edit


@dataclass(frozen=True)
class Mutant:
    exercise: str          # the test cell (grade id) that must lose its points
    why: str
    edit: Edit
    hint: str = ""         # for the student it matches (hints.py): completes "your answer behaves like one that ..."
    unseeded: bool = False  # draws from a generator the test did not seed: no replay can give its replies again
    slow: bool = False      # its hidden test runs out of time, so it can only match code that did too


@dataclass(frozen=True)
class Alternative:
    exercise: str          # the test cell it answers (every test cell must still score full marks)
    why: str
    edits: tuple           # one or more Edits that together stay correct


def for_notebook(name):
    """The casebook module of notebook `name` (e.g. '01_derivatives'), as the registry names it."""
    return importlib.import_module(f"{__name__}.{registry.get(name).casebook}")


def pasted_copies(nb):
    """A correct notebook in which an answer cell and a test cell were copied and pasted, as JupyterLab does.

    JupyterLab keeps nbgrader's metadata on a pasted copy, so two cells claim
    one grade id; grading must take one of them and keep full marks.
    """
    import copy
    from nbgrader import utils as nbutils
    nb = copy.deepcopy(nb)
    for is_kind in (nbutils.is_solution, nbutils.is_grade):
        index = next(i for i, cell in enumerate(nb.cells) if is_kind(cell))
        twin = copy.deepcopy(nb.cells[index])
        twin.id = f"{twin.id}-pasted"[:64]
        nb.cells.insert(index + 1, twin)
    return nb


def tricks():
    """Every cheat and attack, each to be tried on the notebooks it names."""
    from . import attacks, cheats
    return cheats.ALL + attacks.ALL


