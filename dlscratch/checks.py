"""Answer checks that say what is wrong, not just that something is.

The notebooks' test cells call these; so do the hidden tests, which run
them in the grader with their own untouched copy of numpy.
"""
import numpy as np


def check_close(actual, expected, what, rtol=1e-6, atol=1e-9, hint=None):
    """Fail with a specific message unless `actual` matches `expected` elementwise."""
    expected = np.asarray(expected)
    if actual is None:
        _fail(f"{what} returned None. Did you forget a `return` statement?", hint)
    try:
        got = np.asarray(actual)
    except Exception as error:  # an object numpy cannot read as numbers
        _fail(f"{what} returned {type(actual).__name__}, which is not a number or array ({error}).", hint)
    if got.dtype.kind not in "biuf":
        _fail(f"{what} returned values of type {got.dtype}, expected numbers.", hint)
    if got.shape != expected.shape:
        _fail(f"{what} has shape {got.shape}, expected {expected.shape}.", hint)
    got = got.astype(np.float64)
    not_finite = ~np.isfinite(got) & np.isfinite(expected)
    if not_finite.any():
        index, place = _first(not_finite)
        _fail(f"{what} contains {got[index]}{place}, where {float(expected[index]):.6g} "
              "was expected.", hint)
    wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if wrong.any():
        index, place = _first(wrong)
        shown_got, shown_expected = _apart(float(got[index]), float(expected[index]))
        values = f"got {shown_got}, expected {shown_expected}"
        if wrong.size > 1:
            values = f"{int(wrong.sum())} of {wrong.size} values differ; the first{place}: {values}"
        _fail(f"{what} is wrong: {values}.", hint)


def check_true(condition, message, hint=None):
    """Fail with `message` unless `condition` holds."""
    try:
        holds = bool(condition)
    except ValueError:  # an array of several truth values
        _fail(f"{message} (the check got an array of truth values, not one)", hint)
    if not holds:
        _fail(message, hint)


def _apart(got, expected):
    """The two numbers as text, with as many digits as it takes to tell them apart (8 at least)."""
    for digits in (8, 12, 17):
        shown = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return shown


def _first(mask):
    """The first True position of `mask` and a phrase naming it (empty for a scalar)."""
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    if not index:
        return index, ""
    return index, f" at index {index if len(index) > 1 else index[0]}"


def _fail(message, hint):
    raise AssertionError(message + (f"\nHint: {hint}" if hint else ""))
