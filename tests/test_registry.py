"""The registry holds every notebook, and every notebook has all that its grading proof needs."""
import importlib

import pytest

from autograder import casebook, course, registry, runner, submissions
from autograder.casebook import cheats


def test_every_notebook_folder_is_registered_in_course_order():
    assert registry.names() == course.assignments(), \
        "solutions/ and autograder/registry.py disagree: register every notebook, in order"


@pytest.mark.parametrize("notebook", registry.NOTEBOOKS, ids=lambda n: n.name)
def test_a_notebook_has_its_reference_casebook_and_stand_ins(notebook):
    importlib.import_module(f"autograder.reference.{notebook.reference}")
    book = casebook.for_notebook(notebook.name)
    for module in notebook.stand_ins:
        importlib.import_module(f"autograder.stand_ins.{module}")
    for module in notebook.publishes:
        importlib.import_module(f"autograder.published.{module}")
    assert (course.COURSE / notebook.name / f"{notebook.name}.ipynb").exists(), "release it: python -m autograder release"
    exercises = [c.metadata.nbgrader["grade_id"] for c in submissions.release_notebook(notebook.name).cells
                 if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(exercises) >= 5, f"{notebook.name} has only {len(exercises)} graded exercises"
    for exercise in exercises:
        mutants = [m for m in book.MUTANTS if m.exercise == exercise]
        alternatives = [a for a in book.ALTERNATIVES if a.exercise == exercise]
        assert len(mutants) >= 2, f"{notebook.name}/{exercise} has {len(mutants)} mutants"
        assert len(alternatives) >= 1, f"{notebook.name}/{exercise} has no alternative"
    assert {m.exercise for m in book.MUTANTS} <= set(exercises), "a mutant names an exercise that does not exist"


def test_an_unknown_notebook_is_a_clear_error():
    with pytest.raises(KeyError, match="registry.py"):
        registry.get("99_nowhere")


def test_modules_published_later_are_denied_before():
    publishing = [n for n in registry.NOTEBOOKS if n.publishes]
    for notebook in registry.NOTEBOOKS:
        denied = registry.denied_while_grading(notebook.name)
        assert set(registry.DENIED_WHILE_GRADING) | set(notebook.denied) <= set(denied)
        for later in publishing:
            if registry.names().index(later.name) > registry.names().index(notebook.name):
                assert set(later.publishes) <= set(denied)
            else:
                assert not set(later.publishes) & set(denied)


def test_the_reference_import_cheat_attacks_every_hidden_module():
    modules = cheats.hidden_modules()
    for notebook in registry.NOTEBOOKS:
        assert f"autograder.reference.{notebook.reference}" in modules
        assert all(f"autograder.stand_ins.{module}" in modules for module in notebook.stand_ins)


@pytest.mark.parametrize("notebook", registry.NOTEBOOKS, ids=lambda n: n.name)
def test_cells_skipped_while_grading_are_locked(notebook):
    """The grader skips a tagged cell only if it is one of nbgrader's locked cells (a student could tag
    any other cell), so a data, training or explorer cell tagged without that would run while grading."""
    cells = submissions.release_notebook(notebook.name).cells
    tagged = [c for c in cells if runner.SKIP_TAG in c.metadata.get("tags", [])]
    loose = [c.id for c in tagged if not c.metadata.get("nbgrader", {}).get("locked")]
    assert not loose, f"{notebook.name}: cells tagged {runner.SKIP_TAG} but not locked: {loose}"


@pytest.mark.parametrize("notebook", registry.NOTEBOOKS, ids=lambda n: n.name)
def test_a_published_module_sits_beside_its_notebook_and_later_ones_only(notebook):
    """solutions/NN links to the one copy of each module published by NN or earlier, and holds no other .py file."""
    folder = course.SOLUTIONS / notebook.name
    expected = {f"{module}.py" for module in registry.published_through(notebook.name)}
    assert {path.name for path in folder.glob("*.py")} == expected, \
        f"{folder} should link exactly {sorted(expected)}, the modules published by {notebook.name} or earlier"
    for name in expected:
        link = folder / name
        assert link.is_symlink() and link.resolve() == course.REPO / "autograder" / "published" / name, \
            f"{link} should be a link to autograder/published/{name}, the one copy"

