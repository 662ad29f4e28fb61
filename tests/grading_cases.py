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


# Mutants share notebooks, one per exercise: the k-th mutant of every exercise goes into the k-th shared
# notebook. Grading is the suite's slow part, and sharing pays for a kernel, the given cells and the
# other exercises' hidden tests once per notebook instead of once per mutant. It proves as much as
# grading alone because test_hints requires each shared mutant's own hint, and hints.py gives one only
# when the hidden test's replies, request by request, are those of the solution with that one mutant
# in it: the other mutants changed nothing its test saw. A mutant whose hint cannot show that is
# graded alone (which leaves every other mutant where it was): a slow one (its test runs out of time),
# an unseeded one (no replay gives its replies again), the mutants of exercises whose hidden tests run
# other exercises' answers too (a training loop runs the student's step, a network the student's
# layers), and those whose code raises where the solution's returns (hints compare values).
BUILT_ON_OTHER_ANSWERS = {
    "01_derivatives": {"test_derivatives", "test_difference_errors"},
    "02_chain_rule": {"test_neuron_backward"},
    "04_linear_regression": {"test_fit", "test_train_step"},
    "05_neural_network": {"test_backward", "test_relu_backward"},
    "07_training_better": {"test_softmax_cross_entropy", "test_softmax_cross_entropy_grad"},
    "08_autodiff": {"test_backward", "test_higher_order", "test_losses", "test_mlp", "test_no_grad", "test_nonlinear",
                    "test_operators"},
    "09_convolutional_networks": {"test_conv2d_forward", "test_he_init", "test_im2col", "test_maxpool", "test_network",
                                  "test_numba", "test_operations"},
    "10_recurrent_networks": {"test_char_loss", "test_rnn", "test_tbptt"},
    "11_lstm_gru": {"test_char_models", "test_gru", "test_layers", "test_lstm"},
}
RAISES_WHERE_THE_SOLUTION_RETURNS = {
    ("03_tensors", "aligns the shapes on the left"),
    ("03_tensors", "only stretches size 1 in the second shape"),
    ("03_tensors", "reads y as if it were transposed"),
    ("06_building_blocks", "always uses a new Sigmoid instead of the given activation"),
    ("06_building_blocks", "backward goes through the layers in forward order"),
    ("07_training_better", "takes the prediction's argmax down the columns (axis 0)"),
    ("07_training_better", "always takes the target's argmax, so class numbers break"),
    ("07_training_better", "reset keeps the velocities"),
    ("07_training_better", "unravels with the number of learning rates as the row length"),
    ("08_autodiff", "no __neg__"),
    ("08_autodiff", "sum's backward broadcasts gy without putting back the summed axes"),
    ("08_autodiff", "SGD fails on a parameter without a gradient"),
    ("09_convolutional_networks", "lets np.correlate do the forward pass (switched off while grading)"),
    ("09_convolutional_networks", "pads the top and the left only"),
    ("09_convolutional_networks", "lets scipy.signal.correlate do the work (denied while grading)"),
    ("09_convolutional_networks", "im2col's columns in channels-last order (kernel row, kernel column, channel)"),
    ("09_convolutional_networks", "pools with the default stride 2 whatever the window size"),
    ("09_convolutional_networks", "one ReLU object shared by both convolutions, so the first one's input is overwritten"),
}


def graded_alone(name, mutant):
    return (mutant.slow or mutant.unseeded or mutant.exercise in BUILT_ON_OTHER_ANSWERS.get(name, ())
            or (name, mutant.why) in RAISES_WHERE_THE_SOLUTION_RETURNS)


def mutant_students(name):
    """{index of a casebook mutant of `name`: the student whose notebook holds it}."""
    labels, rank, cells = {}, {}, {}
    for index, mutant in enumerate(casebook.for_notebook(name).MUTANTS):
        number = rank[mutant.exercise] = rank.get(mutant.exercise, -1) + 1
        shared = f"mutants-{number:02d}"
        taken = cells.setdefault(shared, set())     # the answer cells already edited in that notebook
        if graded_alone(name, mutant) or mutant.edit.cell in taken:
            labels[index] = f"mutant-{index:02d}"
        else:
            taken.add(mutant.edit.cell)
            labels[index] = shared
    return labels


def shares_a_notebook(student):
    return student.startswith("mutants-")


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
    groups = {}
    for index, student in mutant_students(name).items():
        groups.setdefault(student, []).append(book.MUTANTS[index].edit)
    for student, edits in groups.items():
        cases[student] = submissions.build(name, edits)
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
