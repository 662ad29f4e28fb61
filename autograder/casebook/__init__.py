"""Known answers, right and wrong, for every exercise: what the grader must tell apart.

For each notebook a module lists
  MUTANTS       realistic wrong answers, each naming the test cell that must lose its points;
  ALTERNATIVES  correct answers written differently, which must keep full marks;
  HARDCODED     an answer that only reproduces the visible checks' cases.
cheats.py lists tricks that work on any notebook. The project's tests grade
all of them, and the demo class is drawn from them.
"""
import importlib
import importlib.util
from dataclasses import dataclass

from ..submissions import Edit

MODULES = {
    "01_derivatives": "derivatives",
    "02_chain_rule": "chain_rule",
    "03_tensors": "tensors",
    "04_linear_regression": "linear_regression",
    "05_neural_network": "neural_network",
    "06_building_blocks": "building_blocks",
    "07_training_better": "training",
}


@dataclass(frozen=True)
class Mutant:
    exercise: str          # the test cell (grade id) that must lose its points
    why: str
    edit: Edit


@dataclass(frozen=True)
class Alternative:
    exercise: str          # the test cell it answers (every test cell must still score full marks)
    why: str
    edits: tuple           # one or more Edits that together stay correct


def for_notebook(name):
    """The casebook module of notebook `name` (e.g. '01_derivatives')."""
    return importlib.import_module(f"{__name__}.{MODULES[name]}")


def has_casebook(name):
    return name in MODULES and importlib.util.find_spec(f"{__name__}.{MODULES[name]}") is not None
