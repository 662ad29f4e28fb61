"""The grading proof, for every exercise of every notebook with a casebook.

Solutions score full marks; the blank notebook scores zero with a message per
cell; each known wrong answer loses its exercise's points; each correct
alternative keeps full marks; no cheat scores more than the same wrong
answers without it; nobody's cheat touches anybody else's grade.
"""
import nbformat
import pytest

from autograder import casebook, course

from grading_cases import graded_notebooks, mutant_cases, mutant_students, slug

NOTEBOOKS = graded_notebooks()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_scores_full_marks(graded, name):
    points = graded.points("perfect", name)
    assert all(points[e] == top for e, (_, top) in graded.rows[("perfect", name)].items()), points
    assert graded.total("perfect", name) == graded.maximum(name) > 0


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_cells_run_without_errors_while_grading(graded, name):
    """A given cell that fails in the sandbox (the setup cell's BLAS-thread limit did, once) goes unnoticed
    by the scores when what it defines comes before the failing line; the feedback would show the error."""
    graded_nb = nbformat.read(graded.out / "nbgrader" / "autograded" / "perfect" / name / f"{name}.ipynb", as_version=4)
    errors = [(cell.id, output.get("evalue", "")) for cell in graded_nb.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_blank_notebook_scores_zero_with_a_message_per_cell(graded, name):
    assert graded.outcomes[("blank", name)]["status"] == "graded"
    assert graded.total("blank", name) == 0
    messages = graded.messages("blank", name)
    assert set(messages) == set(graded.points("blank", name))
    for exercise, message in messages.items():
        assert "NotImplementedError" in message and "not answered yet" in message, (exercise, message)


@pytest.mark.parametrize("name, index, mutant", mutant_cases(NOTEBOOKS))
def test_mutant_loses_its_exercise_points(graded, name, index, mutant):
    """Lost by the hidden tests alone: a kernel that hides its visible failures must not save a mutant.

    Many mutants share a notebook with mutants of other exercises (tests/grading_cases.py); test_hints
    proves that those changed nothing this mutant's hidden test saw."""
    student = mutant_students(name)[index]
    points = graded.points(student, name)
    assert points[mutant.exercise] == 0, f"{mutant.why}: {points}"
    assert graded.messages(student, name)[mutant.exercise], "a lost exercise must say why"
    assert graded.messages(student, name, "hidden_message")[mutant.exercise], \
        f"{mutant.why}: only the visible test caught it"


def _alternative_cases():
    return [pytest.param(name, index, alt, id=f"{name}-{index:02d}-{slug(alt.why)}")
            for name in NOTEBOOKS for index, alt in enumerate(casebook.for_notebook(name).ALTERNATIVES)]


@pytest.mark.parametrize("name, index, alternative", _alternative_cases())
def test_correct_alternative_keeps_full_marks(graded, name, index, alternative):
    student = f"alternative-{index:02d}"
    assert graded.total(student, name) == graded.maximum(name), graded.messages(student, name)


def _cheat_cases():
    return [pytest.param(name, cheat, id=f"{name}-{slug(cheat.name)}")
            for name in NOTEBOOKS for cheat in casebook.tricks() if cheat.applies_to(name)]


@pytest.mark.parametrize("name, cheat", _cheat_cases())
def test_cheat_gains_nothing(graded, name, cheat):
    baseline = graded.points("baseline", name)
    cheated = graded.points(f"cheat-{slug(cheat.name)}", name)
    assert graded.outcomes[(f"cheat-{slug(cheat.name)}", name)]["status"] in ("graded", "unreadable")
    for exercise, got in cheated.items():
        assert got <= baseline[exercise], f"{cheat.name} raised {exercise} from {baseline[exercise]} to {got}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pasted_copies_of_cells_keep_full_marks(graded, name):
    """JupyterLab pastes nbgrader's metadata with a cell; the duplicate grade id must not cost the student."""
    assert graded.outcomes[("pasted", name)]["status"] == "graded", graded.outcomes[("pasted", name)]
    assert graded.total("pasted", name) == graded.maximum(name), graded.messages("pasted", name)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_two_students_with_the_same_answers_get_different_inputs(graded, name):
    """Hidden tests are seeded per student: a twin's hidden tests draw other inputs (and say which seed)."""
    first, twin = (graded.messages(student, name, "hidden_message") for student in ("baseline", "baseline-twin"))
    seeds = {student: {exercise: graded.seeds[(student, name, exercise)] for exercise in first}
             for student in ("baseline", "baseline-twin")}
    assert all(seeds["baseline"][e] != seeds["baseline-twin"][e] for e in first)
    for exercise, message in first.items():
        assert f"seed {seeds['baseline'][exercise]}" in message, message
    strip = lambda text: text.split("\n(The hidden tests drew")[0]  # noqa: E731
    assert any(strip(first[e]) != strip(twin[e]) for e in first), "the twins' hidden tests found the same values"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_hardcoding_the_visible_cases_gains_nothing(graded, name):
    assert graded.total("hardcoded", name) == 0, graded.points("hardcoded", name)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_baseline_is_a_real_baseline(graded, name):
    """The wrong answers the cheats sit on score zero, so a cheat that worked would show."""
    assert graded.total("baseline", name) == 0, graded.points("baseline", name)


@pytest.mark.parametrize("cheat", [c for c in casebook.tricks() if not c.needs_bwrap and c.applies_to(NOTEBOOKS[0])],
                         ids=lambda c: slug(c.name))
def test_guard_alone_also_stops_cheats(graded_guard_only, cheat):
    """Without bubblewrap (the in-kernel guard and limits only) cheats still gain nothing.

    Grading without bubblewrap must be asked for explicitly; the guard is a
    second line of defence, tested on its own here.
    """
    name = NOTEBOOKS[0]
    assert graded_guard_only.outcomes[(f"cheat-{slug(cheat.name)}", name)]["status"] in ("graded", "unreadable")
    baseline = graded_guard_only.points("baseline", name)
    cheated = graded_guard_only.points(f"cheat-{slug(cheat.name)}", name)
    assert all(cheated[e] <= baseline[e] for e in cheated), cheated
    assert graded_guard_only.total("perfect", name) == graded_guard_only.maximum(name)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cheaters_do_not_disturb_other_students(graded, name):
    """Students graded in the same parallel run as every cheat keep exactly their grades."""
    assert graded.total("perfect", name) == graded.maximum(name)
    for index, alternative in enumerate(casebook.for_notebook(name).ALTERNATIVES):
        assert graded.total(f"alternative-{index:02d}", name) == graded.maximum(name)
    students = {student for student, _ in graded.rows}
    assert {"perfect", "blank", "baseline"} <= students    # the gradebook still holds everyone
    assert not any(course.REPO.glob("pwned*")) and not any(course.REPO.glob("hacked*"))
