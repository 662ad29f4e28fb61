"""The similarity check (autograder/similarity.py): a copy under new names and a new order ranks first."""
import csv
import subprocess
import sys

import nbformat
import pytest

from autograder import casebook, course, submissions
from autograder.submissions import Edit

NAME = "01_derivatives"
CELL = "relu_family"



def _alternative(cell):
    """The casebook's correct alternative for `cell`: an answer unlike the solution, to be copied here."""
    answer = next(a for a in casebook.for_notebook(NAME).ALTERNATIVES if a.edits[0].cell == cell).edits[0]
    return answer.apply(submissions.solution_answers(NAME)[cell])


ORIGINAL = _alternative(CELL)

# The same answer, its variables renamed and its definitions in another order.
DISGUISED = '''
def leaky_relu_deriv(values, slope=0.01):
    above = np.asarray(values) > 0
    return above + slope * ~above

def leaky_relu(values, slope=0.01):
    values = np.asarray(values, dtype=float)
    return np.maximum(values, 0) + slope * np.minimum(values, 0)

def relu(values):
    values = np.asarray(values, dtype=float)
    flat = values.copy().ravel()
    for k in range(flat.size):
        if flat[k] < 0:
            flat[k] = 0.0
    return flat.reshape(values.shape)

def relu_deriv(values):
    return (np.asarray(values) > 0) * 1.0
'''

# Written independently: right, and in its own way. Its comment tries to get into the HTML page.
INDEPENDENT = '''
# </pre><script>alert("similarity")</script>
def relu(x):
    x = np.array(x, dtype=float)
    return x * (x > 0)

def relu_deriv(x):
    return np.greater(x, 0).astype(float)

def leaky_relu(x, alpha=0.01):
    x = np.array(x, dtype=float)
    slopes = np.where(x >= 0, 1.0, alpha)
    return slopes * x

def leaky_relu_deriv(x, alpha=0.01):
    result = np.ones_like(np.array(x, dtype=float))
    result[np.array(x) <= 0] = alpha
    return result
'''


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    answers = {"copier-a": ORIGINAL, "copier-b": DISGUISED, "independent": INDEPENDENT,
               "solution": submissions.solution_answers(NAME)[CELL]}
    for student, code in answers.items():
        path = root / "class" / student / NAME / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(submissions.build(NAME, [Edit(CELL, code=code)], perfect=False), path)
    untouched = root / "class" / "starter-only" / NAME / f"{NAME}.ipynb"  # hands in the release as it was
    untouched.parent.mkdir(parents=True)
    nbformat.write(submissions.release_notebook(NAME), untouched)
    done = subprocess.run([sys.executable, "-m", "autograder", "similarity", str(root / "class"),
                           "--out", str(root / "out")], capture_output=True, text=True, cwd=course.REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(root / "out" / "similarity.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {"rows": rows, "html": (root / "out" / "similarity.html").read_text(), "printed": done.stdout}


def test_a_disguised_copy_ranks_above_independent_answers(checked):
    rows = checked["rows"]
    assert rows and {row["exercise"] for row in rows} == {CELL}, "cells left as the starter code are not compared"
    first = rows[0]
    assert (first["student_a"], first["student_b"], first["rank"]) == ("copier-a", "copier-b", "1")
    others = [float(row["similarity"]) for row in rows[1:]]
    assert float(first["similarity"]) >= 0.8 and all(value < float(first["similarity"]) - 0.3 for value in others)
    assert "copier-a and copier-b" in checked["printed"]


def test_starter_code_is_left_out():
    from copydetect import compare_files

    from autograder import similarity
    starter = submissions.release_notebook(NAME)
    stub = next(c.source for c in starter.cells if c.metadata.get("nbgrader", {}).get("grade_id") == CELL)
    left_out = similarity.fingerprint(stub).hashes
    kept = [similarity.fingerprint(stub + "\n" + code) for code in (ORIGINAL, INDEPENDENT)]
    dropped = [similarity.fingerprint(stub + "\n" + code, left_out) for code in (ORIGINAL, INDEPENDENT)]
    assert compare_files(*dropped)[0] < compare_files(*kept)[0], "the starter code both keep counts for nothing"


def test_the_page_shows_each_pair_side_by_side_as_text(checked):
    page = checked["html"]
    assert "copier-a" in page and "copier-b" in page and "<mark>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "reason to look, not a verdict" in page
