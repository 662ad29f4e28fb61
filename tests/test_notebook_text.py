"""What the solution notebooks say, checked without running them.

Every number quoted from a run is tied to the run (tests/notebook_text.py;
tests/test_notebooks_execute.py compares them with a fresh run), every
notebook states its running time and each training cell its own, and the
books the course is built from are credited where the course first uses them.
"""
import re

import nbformat
import pytest

from autograder import course, registry, runner

from notebook_text import QUOTES, STATED_TIME, squeezed, training_cells, unaccounted_numbers


@pytest.mark.parametrize("name", registry.names())
def test_numbers_quoted_from_a_run_are_each_tied_to_the_run(name):
    """Every number in a "when we ran" sentence is a checked quote or a stated setting, and each quote is in the prose once."""
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    entries = QUOTES.get(name, [])
    for entry in entries:
        found = sum(squeezed(source).count(squeezed(entry.fragment)) for source in markdown)
        assert found == 1, f"{entry.fragment!r} is in the prose {found} times, not once"
    missing = [number for source in markdown for number in unaccounted_numbers(source, entries)]
    assert not missing, "numbers quoted from a run with nothing that checks them:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", registry.names())
def test_notebooks_say_how_long_they_take(name):
    """The opening states the whole run's time; each training cell its own, and that grading skips it."""
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    assert re.search(r"\*\*Running time\.\*\*[^\n]*", nb.cells[0].source), "the opening has no **Running time.**"
    assert "not run while grading" in nb.cells[0].source, "the opening must say which cells grading skips"
    for cell in training_cells(nb):
        first = cell.source.splitlines()[0]
        assert STATED_TIME.fullmatch(first) and "not run while grading" in first, \
            f"a training cell must begin '# About N s here; not run while grading.' (or 'Under a second'), not {first!r}"
        assert runner.SKIP_TAG in cell.metadata.get("tags", []), f"a training cell must be tagged {runner.SKIP_TAG}"


# Each book the course is built from (../shared/seeds), credited in the opening of the notebook that first uses it.
FIRST_USE = {
    "01_derivatives": ["Seth Weidman's *Deep Learning from Scratch*"],
    "03_tensors": ["François Chollet's *Deep Learning with Python*"],
    "08_autodiff": ["Koki Saitoh's DeZero (*Deep Learning from Scratch 3*)"],
    "09_convolutional_networks": ["chapter 5 of Weidman's", "CS231n"],
    "10_recurrent_networks": ["chapter 6 of Weidman's"],
}


@pytest.mark.parametrize("name", sorted(FIRST_USE))
def test_the_books_are_credited_where_first_used(name):
    opening = squeezed(nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4).cells[0].source)
    for credit in FIRST_USE[name]:
        assert credit in opening, f"{name}'s opening does not credit {credit}"
