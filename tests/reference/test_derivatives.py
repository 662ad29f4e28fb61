"""Tests of autograder/reference/derivatives.py (notebook 01).

The oracles come from outside the module: difference quotients of
polynomials at points where every float operation is exact, closed forms
(sigmoid(log 3) = 3/4), scipy's ``expit`` for the sigmoid, identities
(relu(x) = (x + |x|) / 2), and central differences from
``autograder.published.gradcheck`` for every exact derivative. Each check runs in
float32 and float64 where the dtype matters, and each tolerance says where
it comes from.
"""
import numpy as np
import pytest
from scipy.special import expit

from autograder.reference.derivatives import (
    central_difference,
    difference_errors,
    forward_difference,
    leaky_relu,
    leaky_relu_deriv,
    relu,
    relu_deriv,
    sigmoid,
    sigmoid_deriv,
    square_deriv,
)
from autograder.published.gradcheck import numerical_derivative

DTYPES = [np.float32, np.float64]
ALPHAS = [0.01, 0.2, 0.5]

# Central differences with h = 1e-5 on functions whose values and third
# derivatives are O(1): truncation h**2 / 6 * |f'''| is about 2e-11 and
# rounding eps / h about 2e-11, so 1e-9 leaves a margin of some 25.
CENTRAL_ATOL = 1e-9


def eps(dtype):
    return float(np.finfo(dtype).eps)


def cube(x):
    return x ** 3


# ------------------------------------------------------ difference quotients


def test_difference_quotients_of_polynomials_are_exact_at_powers_of_two():
    # x and h are powers of two, so every sum and product below is exact:
    # ((3 + h)^2 - 9) / h = 6 + h, and ((2 + h)^3 - (2 - h)^3) / 2h = 12 + h^2
    for h in (0.5, 0.25, 0.125):
        assert forward_difference(np.square, 3.0, h) == 6.0 + h
        assert central_difference(np.square, 3.0, h) == 6.0  # central is exact for a quadratic
        assert forward_difference(cube, 2.0, h) == 12.0 + 6.0 * h + h ** 2
        assert central_difference(cube, 2.0, h) == 12.0 + h ** 2


def test_forward_difference_is_one_sided_and_central_is_symmetric():
    # relu at its kink tells the two apart: only points to the right count forwards,
    # and the central quotient averages the slopes 0 and 1
    assert forward_difference(relu, 0.0, 0.5) == 1.0
    assert forward_difference(relu, 0.0, -0.5) == 0.0  # a negative step looks to the left
    assert central_difference(relu, 0.0, 0.5) == 0.5


def test_default_steps_match_the_derivative_of_sine_elementwise():
    x = np.random.default_rng(1).uniform(-3, 3, size=(4, 5))
    # forward: truncation h / 2 * |sin| <= 5e-6 at the default h = 1e-5, plus rounding of 1e-11
    np.testing.assert_allclose(forward_difference(np.sin, x), np.cos(x), rtol=0, atol=5e-6 + 1e-10)
    np.testing.assert_allclose(central_difference(np.sin, x), np.cos(x), rtol=0, atol=CENTRAL_ATOL)
    # and the forward quotient really is first order: its error is h / 2 * sin(x) plus O(h^2)
    np.testing.assert_allclose(np.cos(x) - forward_difference(np.sin, x), 0.5e-5 * np.sin(x), rtol=0, atol=1e-9)


def test_the_step_can_be_an_array_of_steps():
    steps = np.array([0.5, 0.25, 0.125])
    np.testing.assert_array_equal(forward_difference(np.square, 3.0, steps), 6.0 + steps)
    np.testing.assert_array_equal(central_difference(cube, 2.0, steps), 12.0 + steps ** 2)


def test_float32_keeps_its_dtype_and_needs_a_larger_step():
    x = np.random.default_rng(2).uniform(-3, 3, size=50).astype(np.float32)
    assert central_difference(np.sin, x).dtype == np.float32
    assert forward_difference(np.sin, x).dtype == np.float32
    # At h = 2**-8, near eps32**(1/3), truncation is 3e-6 * |cos| and rounding
    # eps32 / h about 3e-5; at the float64 default h = 1e-5 rounding alone is
    # eps32 / h, about 1e-2, and the worst of 50 points shows it.
    good = np.abs(central_difference(np.sin, x, np.float32(2.0 ** -8)) - np.cos(x.astype(np.float64)))
    default = np.abs(central_difference(np.sin, x) - np.cos(x.astype(np.float64)))
    assert good.max() < 1e-4
    assert default.max() > 10 * good.max()


# ------------------------------------------------------------------- sigmoid


def test_sigmoid_closed_forms():
    # sigmoid(log 3) = 1 / (1 + 1/3) = 3/4; sigmoid(-log 3) = 1/4
    x = np.array([0.0, np.log(3.0), -np.log(3.0), np.log(9.0)])
    np.testing.assert_allclose(sigmoid(x), [0.5, 0.75, 0.25, 0.9], rtol=4 * eps(np.float64))


@pytest.mark.parametrize("dtype, limit", [(np.float32, 85.0), (np.float64, 700.0)])
def test_sigmoid_matches_scipy_to_a_few_ulp(dtype, limit):
    # Within +-limit the result is a normal number, and three roundings (exp,
    # the sum, the division) stay within a few units of the last place.
    x = np.random.default_rng(3).uniform(-limit, limit, size=2000).astype(dtype)
    with np.errstate(over="ignore"):
        got = sigmoid(x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expit(x.astype(np.float64)), rtol=4 * eps(dtype), atol=0)


@pytest.mark.parametrize("dtype, huge", [(np.float32, 200.0), (np.float64, 1000.0)])
def test_sigmoid_saturates_to_exactly_zero_and_one_for_huge_inputs(dtype, huge):
    # exp(huge) overflows to inf (the notebook tells students the warning is
    # harmless); the result must still be 0 and 1, never nan
    x = np.array([-huge, huge, -np.inf, np.inf], dtype=dtype)
    with np.errstate(over="ignore"):
        got = sigmoid(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, [0.0, 1.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_symmetric_bounded_and_increasing(dtype):
    x = np.sort(np.random.default_rng(4).normal(scale=6.0, size=500)).astype(dtype)
    s = sigmoid(x)
    # s(x) + s(-x) = 1: each term carries a rounding error of at most ~2 eps
    np.testing.assert_allclose(s + sigmoid(-x), 1.0, rtol=0, atol=4 * eps(dtype))
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) >= 0)


def test_sigmoid_takes_python_and_numpy_scalars():
    assert sigmoid(0.0) == 0.5
    assert sigmoid(np.float32(0.0)).dtype == np.float32


# ------------------------------------------------------- exact derivatives


@pytest.mark.parametrize("dtype", DTYPES)
def test_square_deriv_is_twice_x_exactly(dtype):
    x = np.random.default_rng(5).normal(size=(3, 4)).astype(dtype)
    got = square_deriv(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, x + x)  # doubling is exact in binary floating point
    np.testing.assert_array_equal(square_deriv(np.array([-1.0, 0.0, 2.5])), [-2.0, 0.0, 5.0])


def test_square_deriv_matches_central_differences():
    x = np.random.default_rng(6).normal(scale=3.0, size=20)
    # the central quotient of x**2 is exactly 2x in real arithmetic; only rounding remains
    np.testing.assert_allclose(square_deriv(x), numerical_derivative(np.square, x), rtol=0, atol=CENTRAL_ATOL * 10)


def test_sigmoid_deriv_closed_forms():
    # s (1 - s) at s = 1/2 and s = 3/4: 1/4 and 3/16, the same at -log 3 by symmetry
    x = np.array([0.0, np.log(3.0), -np.log(3.0)])
    np.testing.assert_allclose(sigmoid_deriv(x), [0.25, 0.1875, 0.1875], rtol=8 * eps(np.float64))


def test_sigmoid_deriv_matches_central_differences_of_sigmoid():
    x = np.random.default_rng(7).uniform(-8, 8, size=200)
    np.testing.assert_allclose(sigmoid_deriv(x), numerical_derivative(sigmoid, x), rtol=0, atol=CENTRAL_ATOL)


@pytest.mark.parametrize("dtype, limit", [(np.float32, 85.0), (np.float64, 700.0)])
def test_sigmoid_deriv_is_within_two_eps_of_the_truth_everywhere(dtype, limit):
    # The oracle expit(x) * expit(-x) has no cancellation. The reference's
    # s * (1 - s) loses relative accuracy for large positive x (1 - s cancels)
    # but its absolute error is that of s, at most ~1.5 eps; that is the
    # guarantee worth testing across the whole range.
    x = np.random.default_rng(8).uniform(-limit, limit, size=2000).astype(dtype)
    with np.errstate(over="ignore"):
        got = sigmoid_deriv(x)
    assert got.dtype == dtype
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(got, expit(x64) * expit(-x64), rtol=0, atol=2 * eps(dtype))
    assert np.all(got >= 0) and np.all(got <= 0.25)


# ------------------------------------------------------- relu and leaky relu


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_equals_half_of_x_plus_its_absolute_value(dtype):
    x = np.random.default_rng(9).normal(size=(5, 6)).astype(dtype)
    got = relu(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, (x + np.abs(x)) / 2)  # exact: 2x / 2 or 0


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_leaky_relu_is_relu_minus_alpha_times_relu_of_minus_x(dtype, alpha):
    x = np.random.default_rng(10).normal(size=(5, 6)).astype(dtype)
    got = leaky_relu(x, alpha)
    # one of the two terms is zero, so the only rounding is alpha * x itself
    np.testing.assert_allclose(got, relu(x) - alpha * relu(-x), rtol=eps(dtype), atol=0)


def test_relu_family_by_hand():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(relu(x), [0, 0, 0, 0.5, 2])
    np.testing.assert_array_equal(relu_deriv(x), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(leaky_relu(x, alpha=0.1), [-0.2, -0.05, 0, 0.5, 2], rtol=1e-15)
    np.testing.assert_array_equal(leaky_relu_deriv(x, alpha=0.1), [0.1, 0.1, 0.1, 1, 1])
    # the default alpha is 0.01
    np.testing.assert_array_equal(leaky_relu(np.array([-1.0, 3.0])), [-0.01, 3.0])
    np.testing.assert_array_equal(leaky_relu_deriv(np.array([-1.0, 3.0])), [0.01, 1.0])


def away_from_the_kink(rng, size, h):
    """Normal samples with |x| > 10 h, so a central difference never straddles 0."""
    x = rng.normal(size=size)
    return np.where(np.abs(x) > 10 * h, x, 1.0)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_relu_derivatives_match_central_differences_away_from_zero(alpha):
    h = 1e-5
    x = away_from_the_kink(np.random.default_rng(11), 100, h)
    # both functions are linear on each side, so only rounding, eps * |x| / h ~ 1e-11, remains
    np.testing.assert_allclose(relu_deriv(x), numerical_derivative(relu, x, h), rtol=0, atol=1e-9)
    np.testing.assert_allclose(leaky_relu_deriv(x, alpha), numerical_derivative(lambda t: leaky_relu(t, alpha), x, h),
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_the_derivative_at_the_kink_is_the_slope_on_the_left(zero, alpha):
    # The notebook's convention: at x = 0 use the negative side's value. That
    # is the left one-sided quotient, and a valid subgradient (between the two
    # slopes). -0.0 is the same point.
    x, h = np.array([zero]), 0.25
    left = (relu(x) - relu(x - h)) / h
    right = (relu(x + h) - relu(x)) / h
    np.testing.assert_array_equal(relu_deriv(x), left)
    assert left <= relu_deriv(x) <= right
    left = (leaky_relu(x, alpha) - leaky_relu(x - h, alpha)) / h
    np.testing.assert_allclose(leaky_relu_deriv(x, alpha), left, rtol=eps(np.float64))
    assert leaky_relu_deriv(x, alpha) == alpha
    assert relu(x) == 0 and leaky_relu(x, alpha) == 0


def test_leaky_relu_with_alpha_zero_is_relu():
    x = np.concatenate([np.random.default_rng(12).normal(size=20), [0.0, -0.0]])
    np.testing.assert_array_equal(leaky_relu(x, 0.0), relu(x))
    np.testing.assert_array_equal(leaky_relu_deriv(x, 0.0), relu_deriv(x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_family_on_float32_and_float64_inputs(dtype):
    x = np.array([-3.0, -1e-30, 0.0, 1e-30, 3.0], dtype=dtype)
    assert relu(x).dtype == dtype and leaky_relu(x, np.float32(0.5)).dtype == dtype
    np.testing.assert_array_equal(relu_deriv(x), [0, 0, 0, 1, 1])  # the tiniest positive input is positive
    np.testing.assert_array_equal(leaky_relu_deriv(x, 0.5), [0.5, 0.5, 0.5, 1, 1])


def test_relu_deriv_leaves_nan_out_of_the_positive_side():
    # nan > 0 is False, so a nan input gets the slope of the negative side;
    # relu itself propagates it
    x = np.array([np.nan, 1.0])
    np.testing.assert_array_equal(relu_deriv(x), [0.0, 1.0])
    assert np.isnan(relu(x)[0]) and np.isnan(leaky_relu(x)[0])


def test_relu_deriv_takes_a_python_float():
    assert relu_deriv(2.0) == 1.0


# ------------------------------------------------------- difference_errors


def test_difference_errors_for_a_cubic_are_its_closed_form_errors():
    # For x^3 at x = 1: the forward quotient is 3 + 3h + h^2, the central one
    # 3 + h^2. At powers of two every operation is exact.
    steps = np.array([0.5, 0.25, 0.125, 0.0625])
    forward, central = difference_errors(cube, lambda x: 3 * x ** 2, 1.0, steps)
    np.testing.assert_array_equal(forward, 3 * steps + steps ** 2)
    np.testing.assert_array_equal(central, steps ** 2)


def test_difference_errors_follow_the_leading_truncation_terms():
    # For sin at x = 1, forward error = h/2 sin(1) (1 + O(h)) and central error
    # = h^2/6 cos(1) (1 + O(h^2)). Between 1e-3 and 1e-1 the relative
    # corrections are at most h cot(1) / 3 ~ 2% and h^2 / 20 ~ 5e-4.
    steps = np.logspace(-3, -1, 9)
    forward, central = difference_errors(np.sin, np.cos, 1.0, steps)
    np.testing.assert_allclose(forward, steps / 2 * np.sin(1.0), rtol=0.025)
    np.testing.assert_allclose(central, steps ** 2 / 6 * np.cos(1.0), rtol=1e-3)


def test_difference_errors_show_where_rounding_takes_over():
    # The notebook's claim: the best forward step is near sqrt(eps) ~ 1e-8 and
    # the best central step near eps**(1/3) ~ 1e-5; below them rounding error,
    # eps / h, grows again.
    steps = np.logspace(-15, 0, 61)
    forward, central = difference_errors(np.sin, np.cos, 1.0, steps)
    assert 1e-10 <= steps[forward.argmin()] <= 1e-6
    assert 1e-7 <= steps[central.argmin()] <= 1e-3
    assert central.min() < 1e-10 < forward.min() < 1e-7
    assert forward[0] > 1e-3 and central[0] > 1e-3  # h = 1e-15: rounding swamps both


def test_difference_errors_keep_the_shape_of_steps():
    for steps in ([0.5, 0.25], np.full((2, 3), 0.125), 0.5):
        forward, central = difference_errors(np.square, lambda x: 2 * x, 3.0, steps)
        assert forward.shape == central.shape == np.shape(steps)
        np.testing.assert_array_equal(forward, np.asarray(steps))  # the forward error for x^2 is h
        np.testing.assert_array_equal(central, np.zeros(np.shape(steps)))


def test_difference_errors_take_integer_steps_and_points():
    # the steps are converted to float, so integer arguments divide properly
    forward, central = difference_errors(cube, lambda x: 3 * x ** 2, 1, [1, 2])
    np.testing.assert_array_equal(forward, [3 + 1, 6 + 4])
    np.testing.assert_array_equal(central, [1, 4])
