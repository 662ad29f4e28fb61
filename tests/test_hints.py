"""Hints name the likely mistake (autograder/hints.py): each known wrong answer gets its own, right answers none.

The graded cases are the shared class run of tests/conftest.py: every
casebook mutant handed in as a student's notebook, with the correct
alternatives, the hard-coded answers, the blank notebook and the cheats.
"""
import numpy as np
import pytest

from autograder import casebook, hints, judge, submissions

from grading_cases import (BUILT_ON_OTHER_ANSWERS, RAISES_WHERE_THE_SOLUTION_RETURNS, graded_notebooks, mutant_cases,
                           mutant_students, shares_a_notebook)

NOTEBOOKS = graded_notebooks()
OPENING = "Likely mistake: your answer behaves like one that "


def hinted(graded, student, name):
    """{exercise: hint} of one graded student's notebook, for the exercises that got one."""
    return {exercise: hint for exercise, hint in graded.messages(student, name, "hint").items() if hint}


def no_values_to_compare(found):
    """Why a hidden test's message (`found`) leaves a hint nothing to go on, or ''.

    Hints compare values: code that raised or ran out of time where the
    solution returned one gave none that could differ.
    """
    if " raised " in found:
        return "its code raised where the solution returned a value"
    if "did not finish within" in found:
        return "its code ran out of time"
    return ""


# Mutants whose mistake the hidden test sees only as an error it catches itself, where the solution
# answered: the replies then differ from the solution's only by that error, which hints do not guess from.
CAUGHT_INSIDE_THE_TEST = {
    ("06_building_blocks", "always uses a new Sigmoid instead of the given activation"):
        "the test's mark written on the third operation is missing from the activation (an AttributeError)",
}


# Hard-coded answers whose code past the visible cases is itself a known mistake: there the hint is true.
FALLS_BACK_ON_A_KNOWN_MISTAKE = {
    "06_building_blocks": {"test_mse"},                # np.mean of the squared errors, as a casebook mutant
    "07_training_better": {"test_momentum_update",     # plain SGD that never updates the velocity in place
                           "test_adam_update"},        # sign steps that leave m and v at zero, as rebinding them does
}


@pytest.mark.parametrize("name, index, mutant", mutant_cases(NOTEBOOKS))
def test_each_mutant_handed_in_gets_its_own_hint(graded, name, index, mutant):
    student = mutant_students(name)[index]
    hint = hinted(graded, student, name).get(mutant.exercise, "")
    if shares_a_notebook(student):
        # Its hint shows that the other mutants in its notebook changed nothing its hidden test saw.
        assert mutant.hint in hint, (f"{mutant.why}: graded beside other mutants, it must get its own hint; got "
                                     f"{hint or 'none'}. If its test also runs another exercise's answer, or its code "
                                     "raises where the solution's returns, tests/grading_cases.py must grade it alone")
    if mutant.unseeded:
        pytest.skip("it draws from an unseeded generator, so no replay gives its replies again")
    if (name, mutant.why) in CAUGHT_INSIDE_THE_TEST and not hint:
        pytest.skip(CAUGHT_INSIDE_THE_TEST[name, mutant.why])
    found = graded.messages(student, name, "hidden_message")[mutant.exercise]
    assert mutant.slow == ("did not finish within" in found), "slow=True marks exactly the mutants that time out"
    if not hint and no_values_to_compare(found):
        pytest.skip(no_values_to_compare(found))
    assert mutant.hint in hint, f"{mutant.why}: {hint or 'no hint'}"
    assert hint in graded.messages(student, name)[mutant.exercise], "the feedback must show it"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_right_answers_get_no_hint(graded, name):
    book = casebook.for_notebook(name)
    for student in ["perfect", "blank", "pasted"] + [f"alternative-{i:02d}" for i in range(len(book.ALTERNATIVES))]:
        assert not hinted(graded, student, name), student
    hardcoded = {edit.cell for edit in book.HARDCODED}
    mutants = {mutant.edit.cell: mutant.exercise for mutant in book.MUTANTS}
    guessed = set(hinted(graded, "hardcoded", name)) & {mutants.get(cell) for cell in hardcoded}
    assert not guessed - FALLS_BACK_ON_A_KNOWN_MISTAKE.get(name, set())


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_hints_say_only_what_the_casebook_wrote(graded, name):
    """Every hint, a cheat's included, is the casebook's sentences for that exercise.

    A cheat that changes how its own kernel computes (tampered stand-ins, patched
    builtins) may match another known mistake than its baseline does; its hint
    is still only the course's words, and hints never change points.
    """
    known = {}
    for mutant in casebook.for_notebook(name).MUTANTS:
        known.setdefault(mutant.exercise, set()).add(mutant.hint)
    students = {student for (student, notebook), outcome in graded.outcomes.items()
                if notebook == name and outcome["status"] == "graded"}
    for student in students:
        for exercise, hint in hinted(graded, student, name).items():
            said = hint.removeprefix(OPENING).split(". Reread the section")[0]
            assert hint.startswith(OPENING) and set(said.split(", or like one that ")) <= known[exercise], hint


def test_no_hints_turns_them_off(graded_guard_only):
    """The guard-only run grades with --no-hints (tests/conftest.py): mutants lose points and get no hint."""
    name = NOTEBOOKS[0]
    for index, mutant in enumerate(casebook.for_notebook(name).MUTANTS):
        student = mutant_students(name)[index]
        assert graded_guard_only.points(student, name)[mutant.exercise] == 0
        assert not hinted(graded_guard_only, student, name)
        assert OPENING not in graded_guard_only.messages(student, name)[mutant.exercise]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_mutant_has_a_hint_a_student_can_read(name):
    for mutant in casebook.for_notebook(name).MUTANTS:
        assert mutant.hint and mutant.hint[0].islower() and not mutant.hint.endswith("."), mutant.why
        assert "mutant" not in mutant.hint and "hidden test" not in mutant.hint, mutant.hint


def test_what_is_graded_alone_names_casebook_mutants_and_exercises():
    known = {(name, mutant.why) for name in NOTEBOOKS for mutant in casebook.for_notebook(name).MUTANTS}
    assert {(name, why) for name, why in RAISES_WHERE_THE_SOLUTION_RETURNS if name in NOTEBOOKS} <= known
    exercises = {(name, mutant.exercise) for name in NOTEBOOKS for mutant in casebook.for_notebook(name).MUTANTS}
    assert {(name, e) for name in NOTEBOOKS for e in BUILT_ON_OTHER_ANSWERS.get(name, ())} <= exercises


def test_replies_agree_within_the_tolerance_and_by_kind():
    x = np.linspace(0, 1, 5)
    assert hints.same([x, 2.0, {"a": (1, "s")}], [x * (1 + 1e-7), 2, {"a": [1, "s"]}])
    assert not hints.same(x, x[:4]) and not hints.same(x, x + 1e-3) and not hints.same(1.0, "1.0")
    assert hints.same(judge.Raised("ValueError"), judge.Raised("ValueError"))
    assert not hints.same(judge.Raised("ValueError"), judge.Raised("TypeError")) and not hints.same(x, judge.Raised("x"))
    assert hints.same(np.array([np.nan, 1.0]), [np.nan, 1.0])
    assert not hints.same(x, x.astype(np.float32)) and hints.same(x.astype(np.float32), list(x))


def test_unanswered_or_unreachable_work_is_not_diagnosed():
    assert not hints.diagnosable([]) and not hints.diagnosable([judge.Raised("ValueError")])
    assert not hints.diagnosable([1.0, judge.Raised("NotImplementedError")])
    assert not hints.diagnosable([judge.Raised("missing")]) and not hints.diagnosable([judge.Raised("gone")])
    assert hints.diagnosable([1.0, judge.Raised("ValueError")])


def test_only_a_value_unlike_the_solutions_is_worth_a_hint():
    x = np.arange(3.0)
    assert not hints.wrong_values([x, judge.Raised("ValueError")], [x, (3, 4)]), "it only raised"
    assert hints.wrong_values([x + 1e-9], [x]) and hints.wrong_values([x.astype(np.float32)], [x])
    assert hints.wrong_values([x, judge.Raised("StopIteration")], [x, (x, x)]), "a generator that ended early answered"
    assert hints.wrong_values([judge.Raised("IndexError")], [judge.Raised("ValueError")]), "another error than due"
    array, variable = (judge.Remote(None, 0, "r", {"type": kind}) for kind in ("ndarray", "Variable"))
    assert hints.wrong_values([array], [variable]), "an object of another type"
    assert not hints.wrong_values([variable], [variable])


def test_a_replay_stops_at_the_first_reply_unlike_the_students():
    record = hints.Following([1.0, judge.Raised("timeout")])
    record.append(1.0)
    record.append(judge.Raised("TimedOut"))
    with pytest.raises(hints.Diverged):
        record.append(2.0)
    with pytest.raises(hints.Diverged):
        hints.Following([1.0]).append(1.5)


def test_a_branch_says_yes_or_no_and_is_stopped_in_time():
    import time
    assert hints.branch(5, lambda: True) and not hints.branch(5, lambda: False)
    assert not hints.branch(5, lambda: 1 / 0)
    began = time.monotonic()
    assert not hints.branch(1, time.sleep, 30)
    assert time.monotonic() - began < 5


def test_the_section_to_reread_is_the_heading_above_the_answer():
    nb = submissions.release_notebook("01_derivatives")
    mutant = casebook.for_notebook("01_derivatives").MUTANTS[3]
    section = hints.section_of(nb, mutant.edit.cell)
    assert section and f'Reread the section "{section}".' in hints.sentence([mutant], nb)
    assert hints.sentence([mutant, mutant], nb).count(mutant.hint) == 1


def test_a_child_that_runs_too_long_is_stopped():
    import time

    def work(emit):
        emit(["first"])
        time.sleep(60)
        emit(["never"])
    began = time.monotonic()
    assert hints.in_child(work, 1) == [["first"]]
    assert time.monotonic() - began < 10
