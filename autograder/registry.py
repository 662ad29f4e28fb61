"""Every notebook of the course and what grading it involves: the one list everything else reads.

Release, export, grading, the demo, the cheat suite and the tests take the
notebooks from here. A notebook folder in solutions/ that is missing here, or
whose reference or casebook module is missing, fails the tests
(tests/test_registry.py), so no notebook can be skipped by the grading proof
without anyone noticing.
"""
from dataclasses import dataclass

# Modules student code may never import while being graded: the hidden package, the explorers
# (their maths shows results of exercises), and deep-learning libraries that would do an exercise's
# work. Denying a module also denies every library that imports it: scipy.ndimage, for one, is
# imported by scikit-learn, which notebooks use for data, so it is not denied.
DENIED_WHILE_GRADING = ("autograder", "dlscratch.explore", "torch", "tensorflow", "jax", "keras",
                        "sklearn.neural_network")


@dataclass(frozen=True)
class Notebook:
    name: str               # its folder and file name, e.g. "06_building_blocks"
    reference: str          # its module in autograder.reference: the answers hidden tests compare with
    casebook: str           # its module in autograder.casebook: mutants, alternatives, hard-coding
    denied: tuple = ()      # more modules its graded answers may not import (they would do the work)
    stand_ins: tuple = ()   # modules of autograder.stand_ins its hidden tests install in the kernel
    publishes: tuple = ()   # modules of autograder/published (earlier answers) beside this notebook and later ones
    switched_off: tuple = ()  # library functions (dotted names) that would do an exercise's work, replaced while grading


NOTEBOOKS = (
    Notebook("01_derivatives", "derivatives", "derivatives"),
    Notebook("02_chain_rule", "chain_rule", "chain_rule", publishes=("gradcheck",)),
    Notebook("03_tensors", "tensors", "tensors"),
    Notebook("04_linear_regression", "linear_regression", "linear_regression"),
    # Notebook 04's loss, loss gradient, mini-batches and error measures reach students with 05 (regression.py).
    Notebook("05_neural_network", "neural_network", "neural_network", publishes=("regression",)),
    Notebook("06_building_blocks", "building_blocks", "building_blocks", stand_ins=("building_blocks",)),
    Notebook("07_training_better", "training", "training", stand_ins=("building_blocks", "training"),
             publishes=("framework", "checking")),
    # An autodiff library would be the whole answer: torch, jax and tensorflow are denied everywhere, autograd here.
    Notebook("08_autodiff", "autodiff", "autodiff", denied=("torch", "jax", "autograd", "tensorflow"),
             stand_ins=("autodiff",)),
    # Libraries that convolve would be the answers. scipy's convolving modules are denied as modules;
    # numpy's convolve and correlate cannot be, so the grading kernel replaces them (and their
    # internal homes) before any student code runs, and a numba kernel cannot compile them either.
    Notebook("09_convolutional_networks", "cnn", "cnn",
             denied=("torch", "jax", "tensorflow", "scipy.signal", "scipy.ndimage"),
             switched_off=("numpy.convolve", "numpy.correlate", "numpy._core.numeric.convolve",
                           "numpy._core.numeric.correlate", "numpy._core.multiarray.correlate",
                           "numpy._core.multiarray.correlate2", "numpy._core._multiarray_umath.correlate",
                           "numpy._core._multiarray_umath.correlate2")),
    Notebook("10_recurrent_networks", "recurrent", "recurrent"),
    # Notebook 10's answers reach students with this notebook, which imports them (sequences.py).
    Notebook("11_lstm_gru", "gated", "gated", publishes=("sequences",)),
)
BY_NAME = {notebook.name: notebook for notebook in NOTEBOOKS}


def names():
    return [notebook.name for notebook in NOTEBOOKS]


def get(name):
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not in autograder/registry.py; add it there") from None


def denied_while_grading(name):
    """Modules the graded answers of notebook `name` may not import.

    Besides those denied everywhere and for the notebook itself, a module
    published from a later notebook on holds answers of this one or an
    earlier one, so it is denied until its notebook comes.
    """
    position = names().index(name)
    later = [module for notebook in NOTEBOOKS[position + 1:] for module in notebook.publishes]
    return DENIED_WHILE_GRADING + get(name).denied + tuple(later)


def published_through(name):
    """Modules of autograder/published that sit beside notebook `name`: those published by it or before it."""
    position = names().index(name)
    return tuple(module for notebook in NOTEBOOKS[:position + 1] for module in notebook.publishes)
