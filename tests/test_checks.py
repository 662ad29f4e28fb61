"""Tests of dlscratch/checks.py, the answer checks behind every test cell.

A student reads these messages instead of a traceback, so the messages are
checked word for word: None, values that are not numbers, shapes, values that
are not finite, how many values differ and where the first one is, and the
hint. The tolerance is checked at its edges: just inside passes, just
outside fails, for values near 0, near 1 and large.
"""
import numpy as np
import pytest

from dlscratch.checks import check_close, check_true


def message(actual, expected, what="f(x)", **options):
    """The AssertionError message check_close gives; the test fails if it passes."""
    with pytest.raises(AssertionError) as failure:
        check_close(actual, expected, what, **options)
    return str(failure.value)


# --------------------------------------------------------------- passing


@pytest.mark.parametrize("actual, expected", [
    (0.5, 0.5),
    (np.float64(0.5), 0.5),
    (np.array(0.5), 0.5),  # a 0-d array is a scalar
    (np.float32(0.5), 0.5),
    ([1.0, 2.0], np.array([1.0, 2.0])),  # a list is read as an array
    (np.array([[1, 2], [3, 4]]), [[1.0, 2.0], [3.0, 4.0]]),  # integers are numbers
    (np.array([True, False]), [1.0, 0.0]),  # so are booleans
    (np.zeros((0, 3)), np.zeros((0, 3))),  # nothing to compare
])
def test_equal_values_pass(actual, expected):
    check_close(actual, expected, "f(x)")


def test_a_pass_returns_nothing():
    assert check_close(1.0, 1.0, "f(x)") is None
    assert check_true(True, "never shown") is None


# ------------------------------------------------------------- tolerance


@pytest.mark.parametrize("expected", [0.0, 1.0, -3.0, 1e6])
def test_the_default_tolerance_is_1e_9_plus_1e_6_of_the_expected_value(expected):
    # np.isclose's rule |got - expected| <= atol + rtol |expected|, with the
    # defaults atol = 1e-9, rtol = 1e-6; 1% either side of the edge is far
    # above the rounding of expected + offset (~1e-16 relative)
    edge = 1e-9 + 1e-6 * abs(expected)
    for sign in (1, -1):
        check_close(expected + sign * 0.99 * edge, expected, "f(x)")
        text = message(expected + sign * 1.01 * edge, expected)
        assert text.startswith("f(x) is wrong: got ")


@pytest.mark.parametrize("rtol, atol", [(1e-3, 0.0), (0.0, 1e-3), (1e-9, 1e-12), (0.1, 0.5)])
def test_rtol_and_atol_are_honoured(rtol, atol):
    expected = 2.0
    edge = atol + rtol * expected
    check_close(expected + 0.99 * edge, expected, "f(x)", rtol=rtol, atol=atol)
    message(expected + 1.01 * edge, expected, rtol=rtol, atol=atol)


def test_the_tolerance_scales_with_the_expected_value_not_the_answer():
    # |4 - 2.5| = 1.5 is within half of 4 but not within half of 2.5
    check_close(2.5, 4.0, "f(x)", rtol=0.5, atol=0.0)
    assert message(4.0, 2.5, rtol=0.5, atol=0.0) == "f(x) is wrong: got 4, expected 2.5."


def test_each_element_gets_the_tolerance_of_its_own_expected_value():
    # 0.5 off is fine next to 1e6 (tolerance ~1) and wrong next to 1 (tolerance ~1e-6)
    text = message([1e6 + 0.5, 1.5], [1e6, 1.0])
    assert text == "f(x) is wrong: 1 of 2 values differ; the first at index 1: got 1.5, expected 1."


def test_float32_answers_are_compared_in_float64():
    # float32(0.1) is 0.1 + 1.5e-9: inside the default tolerance, outside a tight one
    check_close(np.float32(0.1), 0.1, "f(x)")
    message(np.float32(0.1), 0.1, rtol=1e-9, atol=0.0)


# --------------------------------------------------------------- messages


def test_a_wrong_scalar_names_both_values():
    assert message(2.0, 1.0) == "f(x) is wrong: got 2, expected 1."
    assert message(0.1 + 0.2, 0.4) == "f(x) is wrong: got 0.3, expected 0.4."


def test_values_are_shown_to_eight_significant_digits():
    assert message(1.23456789, 2.0) == "f(x) is wrong: got 1.2345679, expected 2."
    assert message(3e-12, 2e-8) == "f(x) is wrong: got 3e-12, expected 2e-08."


def test_a_wrong_array_counts_the_differences_and_names_the_first():
    assert message([1.0, 5.0, 7.0], [1.0, 2.0, 3.0]) == (
        "f(x) is wrong: 2 of 3 values differ; the first at index 1: got 5, expected 2.")


def test_the_first_difference_is_the_first_in_row_major_order():
    # (0, 1) comes before (1, 0), although both are wrong
    actual = np.array([[0.0, 9.0], [9.0, 0.0]])
    assert message(actual, np.zeros((2, 2))) == (
        "f(x) is wrong: 2 of 4 values differ; the first at index (0, 1): got 9, expected 0.")
    cube = np.zeros((2, 3, 4))
    cube[1, 2, 3] = 1.0
    assert message(cube, np.zeros((2, 3, 4))) == (
        "f(x) is wrong: 1 of 24 values differ; the first at index (1, 2, 3): got 1, expected 0.")


def test_a_one_element_array_reads_like_a_scalar():
    assert message([2.0], [1.0]) == "f(x) is wrong: got 2, expected 1."


def test_what_names_the_call_in_every_message():
    assert message(2.0, 1.0, what="sigmoid([-1, 1])").startswith("sigmoid([-1, 1]) is wrong")
    assert message(None, 1.0, what="relu(x)").startswith("relu(x) returned None")


# ------------------------------------------------ None, types and shapes


def test_none_asks_about_a_missing_return():
    assert message(None, 1.0) == "f(x) returned None. Did you forget a `return` statement?"


def test_a_ragged_list_is_not_an_array():
    text = message([[1.0, 2.0], [3.0]], [1.0, 2.0])
    assert text.startswith("f(x) returned list, which is not a number or array (")
    assert "inhomogeneous" in text  # numpy's reason, in brackets


def test_an_object_numpy_cannot_read_is_named_by_its_type():
    class Unreadable:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no numbers here")

    assert message(Unreadable(), 1.0) == (
        "f(x) returned Unreadable, which is not a number or array (no numbers here).")


@pytest.mark.parametrize("actual, dtype", [
    ("0.5", "<U3"),  # a string, e.g. a formatted result
    ({"a": 1}, "object"),
    (np.array([1.0, 2.0], dtype=object), "object"),
    (1 + 2j, "complex128"),
    (np.datetime64("2024-01-01"), "datetime64[D]"),
])
def test_values_that_are_not_real_numbers_are_named_by_their_dtype(actual, dtype):
    assert message(actual, 0.5) == f"f(x) returned values of type {dtype}, expected numbers."


@pytest.mark.parametrize("actual, expected, shapes", [
    ([1.0, 2.0, 3.0], [1.0, 2.0], "(3,), expected (2,)"),
    (1.0, [1.0], "(), expected (1,)"),  # no broadcasting: a scalar is not a 1-element array
    ([1.0], 1.0, "(1,), expected ()"),
    (np.zeros((3, 2)), np.zeros((2, 3)), "(3, 2), expected (2, 3)"),  # a transposed answer
    (np.zeros((4, 1)), np.zeros(4), "(4, 1), expected (4,)"),  # a stray axis
])
def test_a_shape_mismatch_names_both_shapes(actual, expected, shapes):
    assert message(actual, expected) == f"f(x) has shape {shapes}."


def test_the_shape_is_checked_before_the_values():
    # the values agree as far as they go; the message must be about the shape
    assert message(np.zeros(3), np.zeros(2)).startswith("f(x) has shape")


# ------------------------------------------------------- nan and infinity


def test_nan_where_a_number_was_expected_is_named():
    assert message([1.0, np.nan], [1.0, 2.0]) == "f(x) contains nan at index 1, where 2 was expected."
    assert message(np.nan, 0.25) == "f(x) contains nan, where 0.25 was expected."
    assert message([[1.0, 2.0], [np.inf, 4.0]], [[1.0, 2.0], [3.0, 4.0]]) == (
        "f(x) contains inf at index (1, 0), where 3 was expected.")
    assert message(-np.inf, 2.0) == "f(x) contains -inf, where 2 was expected."


def test_the_expected_value_beside_a_nan_has_six_significant_digits():
    assert message(np.nan, 0.123456789) == "f(x) contains nan, where 0.123457 was expected."


def test_non_finite_values_are_reported_before_wrong_finite_ones():
    # index 0 is wrong and index 2 is nan: the nan is the likelier bug, and it is what is named
    assert message([5.0, 2.0, np.nan], [1.0, 2.0, 3.0]) == "f(x) contains nan at index 2, where 3 was expected."


def test_nan_is_right_where_nan_is_expected():
    check_close([np.nan, 1.0], [np.nan, 1.0], "f(x)")
    check_close(np.nan, np.nan, "f(x)")
    assert message([np.nan, 5.0], [np.nan, 1.0]) == (
        "f(x) is wrong: 1 of 2 values differ; the first at index 1: got 5, expected 1.")


def test_a_number_where_nan_is_expected_is_wrong():
    assert message(1.0, np.nan) == "f(x) is wrong: got 1, expected nan."


def test_infinities_must_match_in_sign():
    check_close([np.inf, -np.inf], [np.inf, -np.inf], "f(x)")
    assert message(-np.inf, np.inf) == "f(x) is wrong: got -inf, expected inf."


# ----------------------------------------------------------------- hints


@pytest.mark.parametrize("actual, expected", [
    (None, 1.0),
    ("x", 1.0),
    ([1.0, 2.0], 1.0),
    (np.nan, 1.0),
    (2.0, 1.0),
    ([[1.0, 2.0], [3.0]], [1.0]),
])
def test_every_kind_of_failure_ends_with_the_hint(actual, expected):
    text = message(actual, expected, hint="The first function in the list is applied first.")
    first, hint = text.split("\n")
    assert hint == "Hint: The first function in the list is applied first."
    assert first == message(actual, expected)  # the hint only adds a line


@pytest.mark.parametrize("hint", [None, ""])
def test_no_hint_no_hint_line(hint):
    assert "Hint" not in message(2.0, 1.0, hint=hint)
    assert "\n" not in message(2.0, 1.0, hint=hint)


# ------------------------------------------------------------- check_true


@pytest.mark.parametrize("condition", [True, 1, "yes", [0], np.bool_(True), np.array([True])])
def test_check_true_passes_on_anything_truthy(condition):
    check_true(condition, "never shown")


@pytest.mark.parametrize("condition", [False, 0, "", [], None, np.bool_(False), np.array([False])])
def test_check_true_fails_with_the_message_and_the_hint(condition):
    with pytest.raises(AssertionError) as failure:
        check_true(condition, "chain(...) must return a function")
    assert str(failure.value) == "chain(...) must return a function"
    with pytest.raises(AssertionError) as failure:
        check_true(condition, "chain(...) must return a function", hint="Return the inner function.")
    assert str(failure.value) == "chain(...) must return a function\nHint: Return the inner function."


# ------------------------------------------------------ known shortcomings


def test_a_message_at_a_tight_tolerance_tells_the_values_apart():
    text = message(0.39322387 * (1 + 5e-9), 0.39322387, rtol=1e-9)
    got, expected = text.removeprefix("f(x) is wrong: got ").removesuffix(".").split(", expected ")
    assert got != expected
