"""Tests of autograder/reference/chain_rule.py (notebook 02).

Every derivative is compared with central differences from
``autograder.published.gradcheck`` of the module's own forward functions (the
composition, ``product_sigmoid``, ``neuron_forward``), and with values worked
out by hand on polynomials where the arithmetic is exact. The neuron also
runs in float32 against the same computation in float64. A last group shows
that these oracles reject the classic chain-rule mistakes at the tolerances
used here.
"""
import numpy as np
import pytest
from scipy.special import expit

from autograder.reference.chain_rule import (
    chain,
    chain_deriv_2,
    chain_deriv_3,
    neuron_backward,
    neuron_forward,
    product_sigmoid,
    product_sigmoid_backward,
)
from autograder.reference.derivatives import sigmoid, sigmoid_deriv
from autograder.published.gradcheck import numerical_derivative, numerical_gradient

# Central differences with the default h = 1e-5 on functions of size O(1)-O(10)
# on [-1.5, 1.5]: rounding eps * |f| / h is at most ~2e-10 and truncation
# h**2 / 6 * |f'''| ~ 2e-11 * |f'''|, a tiny fraction of |f'| here. rtol 1e-7
# with atol 1e-9 leaves a margin of more than ten over both.
RTOL, ATOL = 1e-7, 1e-9


def identity(x):
    return x


def ones(x):
    return np.ones_like(x)


def cube(x):
    return x ** 3


def cube_deriv(x):
    return 3 * x ** 2


def affine(x):
    return 3 * x + 1


def affine_deriv(x):
    return 3 + 0 * x


# function, its derivative: smooth on the whole real line
LINKS = {
    "sin": (np.sin, np.cos),
    "exp": (np.exp, np.exp),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "cube": (cube, cube_deriv),
    "sigmoid": (sigmoid, sigmoid_deriv),
    "affine": (affine, affine_deriv),
}
PAIRS = [("sin", "cube"), ("cube", "sin"), ("exp", "tanh"), ("tanh", "exp"),
         ("sigmoid", "affine"), ("affine", "sigmoid")]
TRIPLES = [("sin", "cube", "exp"), ("cube", "sin", "affine"), ("affine", "exp", "sigmoid"), ("exp", "tanh", "cube")]


def points(seed, size=(3, 5), low=-1.5, high=1.5):
    return np.random.default_rng(seed).uniform(low, high, size=size)


# --------------------------------------------------------------------- chain


def test_chain_applies_the_list_first_to_last():
    add_one, double = (lambda x: x + 1), (lambda x: 2 * x)
    assert chain([add_one, double])(3) == 8  # (3 + 1) * 2
    assert chain([double, add_one])(3) == 7  # 3 * 2 + 1
    assert chain([add_one] * 10)(0.5) == 10.5


def test_chain_matches_explicit_nesting_elementwise():
    x = points(0)
    # the same ufuncs in the same order, so the results are identical
    np.testing.assert_array_equal(chain([np.sin, np.exp, np.tanh])(x), np.tanh(np.exp(np.sin(x))))
    np.testing.assert_array_equal(chain([np.tanh])(x), np.tanh(x))


def test_an_empty_chain_is_the_identity():
    x = points(1)
    np.testing.assert_array_equal(chain([])(x), x)
    assert chain([])(3.0) == 3.0


def test_chain_calls_nothing_until_it_is_called_and_can_be_called_again():
    calls = []

    def recorder(name):
        def f(x):
            calls.append(name)
            return x + 1
        return f

    composed = chain([recorder("f1"), recorder("f2"), recorder("f3")])
    assert calls == []
    assert composed(0) == 3 and composed(10) == 13
    assert calls == ["f1", "f2", "f3"] * 2


# ---------------------------------------------------------- chain_deriv_2, _3


def test_chain_deriv_2_by_hand():
    # (3x + 1)^2 at x = 2: outer slope 2 * 7 at the inner value 7, inner slope 3
    assert chain_deriv_2(affine, affine_deriv, np.square, lambda u: 2 * u, 2.0) == 42.0
    # the other order, 3x^2 + 1: outer slope 3, inner slope 2 * 2
    assert chain_deriv_2(np.square, lambda u: 2 * u, affine, affine_deriv, 2.0) == 12.0


@pytest.mark.parametrize("inner, outer", PAIRS)
def test_chain_deriv_2_matches_central_differences_of_the_chain(inner, outer):
    (f1, df1), (f2, df2) = LINKS[inner], LINKS[outer]
    x = points(2)
    np.testing.assert_allclose(chain_deriv_2(f1, df1, f2, df2, x), numerical_derivative(chain([f1, f2]), x),
                               rtol=RTOL, atol=ATOL)


def test_chain_deriv_3_by_hand():
    # ((3x + 1)^2)^3 = (3x + 1)^6; at x = 0 every link's value is 1:
    # 3 * 1^2 (outer) * 2 * 1 (middle) * 3 (inner) = 18; at x = 1 it is 6 * 4^5 * 3
    links = (affine, affine_deriv, np.square, lambda u: 2 * u, cube, cube_deriv)
    assert chain_deriv_3(*links, 0.0) == 18.0
    assert chain_deriv_3(*links, 1.0) == 6 * 4 ** 5 * 3


@pytest.mark.parametrize("first, second, third", TRIPLES)
def test_chain_deriv_3_matches_central_differences_of_the_chain(first, second, third):
    (f1, df1), (f2, df2), (f3, df3) = LINKS[first], LINKS[second], LINKS[third]
    x = points(3, low=-1.0, high=1.0)
    np.testing.assert_allclose(chain_deriv_3(f1, df1, f2, df2, f3, df3, x),
                               numerical_derivative(chain([f1, f2, f3]), x), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("inner, outer", PAIRS)
def test_an_identity_link_reduces_three_links_to_two(inner, outer):
    (f1, df1), (f2, df2) = LINKS[inner], LINKS[outer]
    x = points(4)
    two = chain_deriv_2(f1, df1, f2, df2, x)
    # multiplying by a derivative of exactly 1 changes nothing, so these are identical
    np.testing.assert_array_equal(chain_deriv_3(f1, df1, f2, df2, identity, ones, x), two)
    np.testing.assert_array_equal(chain_deriv_3(identity, ones, f1, df1, f2, df2, x), two)
    np.testing.assert_array_equal(chain_deriv_2(identity, ones, f2, df2, x), df2(x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chain_derivatives_keep_the_dtype(dtype):
    x = points(5).astype(dtype)
    assert chain_deriv_2(np.sin, np.cos, np.exp, np.exp, x).dtype == dtype
    assert chain_deriv_3(np.sin, np.cos, np.exp, np.exp, np.tanh, LINKS["tanh"][1], x).dtype == dtype


# ------------------------------------------------------------ product_sigmoid


def test_product_sigmoid_by_hand():
    # sigmoid(log 3 * 1) = 3/4 with slope 3/16; at (2, 0) the product is 0
    assert product_sigmoid(np.log(3.0), 1.0) == pytest.approx(0.75, rel=1e-15)
    df_dx, df_dy = product_sigmoid_backward(np.log(3.0), 1.0)
    assert df_dx == pytest.approx(0.1875, rel=1e-14)
    assert df_dy == pytest.approx(0.1875 * np.log(3.0), rel=1e-14)
    df_dx, df_dy = product_sigmoid_backward(np.array([2.0]), np.array([0.0]))
    np.testing.assert_array_equal(df_dx, [0.0])  # each partial is scaled by the *other* input
    np.testing.assert_array_equal(df_dy, [0.5])


def test_product_sigmoid_matches_scipy_and_is_symmetric():
    rng = np.random.default_rng(6)
    x, y = rng.normal(scale=2.0, size=(4, 5)), rng.normal(scale=2.0, size=(4, 5))
    # |x y| < 40 here, where the sigmoid is accurate to a few ulp
    np.testing.assert_allclose(product_sigmoid(x, y), expit(x * y), rtol=4 * np.finfo(float).eps)
    np.testing.assert_array_equal(product_sigmoid(x, y), product_sigmoid(y, x))


@pytest.mark.parametrize("shape", [(7,), (3, 4)])
def test_product_sigmoid_partials_match_central_differences(shape):
    rng = np.random.default_rng(7)
    x, y = rng.normal(scale=1.5, size=shape), rng.normal(scale=1.5, size=shape)
    df_dx, df_dy = product_sigmoid_backward(x, y)
    # the function is elementwise, so each partial is a plain derivative with the other input held fixed
    np.testing.assert_allclose(df_dx, numerical_derivative(lambda t: product_sigmoid(t, y), x), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(df_dy, numerical_derivative(lambda t: product_sigmoid(x, t), y), rtol=RTOL, atol=ATOL)


def test_product_sigmoid_partials_in_float32():
    rng = np.random.default_rng(8)
    x, y = (rng.normal(scale=1.5, size=20).astype(np.float32) for _ in range(2))
    got = product_sigmoid_backward(x, y)
    want = product_sigmoid_backward(x.astype(np.float64), y.astype(np.float64))
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        # a handful of float32 roundings (eps 1.2e-7) on values below 0.25 * |x| ~ 1
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------- neuron


def test_neuron_forward_and_backward_by_hand():
    # z = x = [log 3, -log 3], a = [3/4, 1/4], misses a - y = [-1/4, 1/4]
    x, y = np.array([np.log(3.0), -np.log(3.0)]), np.array([1.0, 0.0])
    values = neuron_forward(x, 1.0, 0.0, y)
    np.testing.assert_allclose(values["z"], x, rtol=0)
    np.testing.assert_allclose(values["a"], [0.75, 0.25], rtol=1e-15)
    assert values["loss"] == pytest.approx(0.0625, rel=1e-14)  # mean of 1/16 and 1/16
    # dL/da = 2/2 * [-1/4, 1/4]; sigmoid' = 3/16 at both; dL/dz = [-3/64, 3/64]
    grads = neuron_backward(x, 1.0, 0.0, y)
    dz = np.array([-3 / 64, 3 / 64])
    assert grads["dw"] == pytest.approx(np.sum(dz * x), rel=1e-14)  # -3/32 log 3
    assert grads["db"] == pytest.approx(0.0, abs=1e-17)  # the two pulls on b cancel
    np.testing.assert_allclose(grads["dx"], dz * 1.0, rtol=1e-14)


def test_neuron_forward_is_mean_squared_error_of_a_sigmoid():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=12), rng.uniform(size=12)
    w, b = 0.8, -0.4
    values = neuron_forward(x, w, b, y)
    assert set(values) == {"z", "a", "loss"}
    np.testing.assert_array_equal(values["z"], w * x + b)
    np.testing.assert_allclose(values["a"], expit(w * x + b), rtol=4 * np.finfo(float).eps)
    assert np.ndim(values["loss"]) == 0
    assert values["loss"] == pytest.approx(np.sum((expit(w * x + b) - y) ** 2) / 12, rel=1e-13)


def test_a_neuron_that_hits_its_targets_has_zero_loss_and_zero_gradient():
    x = np.random.default_rng(10).normal(size=6)
    y = expit(0.5 * x + 0.2)
    assert neuron_forward(x, 0.5, 0.2, y)["loss"] < 1e-30
    grads = neuron_backward(x, 0.5, 0.2, y)
    for key in ("dw", "db", "dx"):
        np.testing.assert_allclose(grads[key], 0.0, atol=1e-16)


@pytest.mark.parametrize("n", [1, 5, 32])
def test_neuron_backward_matches_numerical_gradients_of_neuron_forward(n):
    rng = np.random.default_rng(11 + n)
    x, y = rng.normal(size=n), rng.uniform(size=n)
    w, b = rng.normal(size=2)
    grads = neuron_backward(x, w, b, y)
    assert set(grads) == {"dw", "db", "dx"}
    # the loss lies in [0, 1], so rounding in its differences is ~eps / h = 2e-11
    dw, db = numerical_gradient(lambda p: neuron_forward(x, p[0], p[1], y)["loss"], np.array([w, b]))
    assert grads["dw"] == pytest.approx(dw, rel=RTOL, abs=ATOL)
    assert grads["db"] == pytest.approx(db, rel=RTOL, abs=ATOL)
    np.testing.assert_allclose(grads["dx"], numerical_gradient(lambda t: neuron_forward(t, w, b, y)["loss"], x),
                               rtol=RTOL, atol=ATOL)


def test_neuron_gradients_sum_over_examples_but_the_loss_averages():
    # two copies of the same example: the loss and every gradient stay the same,
    # while dx has one entry per copy, each half the single example's
    x, y = np.array([0.3]), np.array([0.9])
    one = neuron_backward(x, 1.2, -0.1, y)
    two = neuron_backward(np.repeat(x, 2), 1.2, -0.1, np.repeat(y, 2))
    assert neuron_forward(np.repeat(x, 2), 1.2, -0.1, np.repeat(y, 2))["loss"] == pytest.approx(
        neuron_forward(x, 1.2, -0.1, y)["loss"], rel=1e-15)
    assert two["dw"] == pytest.approx(one["dw"], rel=1e-15)
    assert two["db"] == pytest.approx(one["db"], rel=1e-15)
    np.testing.assert_allclose(two["dx"], np.repeat(one["dx"] / 2, 2), rtol=1e-15)


def test_neuron_in_float32_agrees_with_float64():
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=8).astype(np.float32), rng.uniform(size=8).astype(np.float32)
    w, b = np.float32(0.7), np.float32(-0.3)
    x64, w64, b64, y64 = x.astype(np.float64), float(w), float(b), y.astype(np.float64)
    forward32, forward64 = neuron_forward(x, w, b, y), neuron_forward(x64, w64, b64, y64)
    backward32, backward64 = neuron_backward(x, w, b, y), neuron_backward(x64, w64, b64, y64)
    for key in ("z", "a", "loss"):
        assert forward32[key].dtype == np.float32
        # a few roundings of eps32 = 1.2e-7 on values of size ~1
        np.testing.assert_allclose(forward32[key], forward64[key], rtol=1e-6, atol=1e-7)
    for key in ("dw", "db", "dx"):
        assert backward32[key].dtype == np.float32
        # each term is (2/n) (a - y) sigmoid'(z) x, with |a|, |y| <= 1 and |x| < 3:
        # a few eps32 of absolute error in a - y, times 2/8 * 0.25 * 3, summed over
        # 8 terms, stays below ~5e-7
        np.testing.assert_allclose(backward32[key], backward64[key], rtol=1e-5, atol=1e-6)


# ----------------------------------------- the oracles reject the usual mistakes


def outer_derivative_at_x(f1, df1, f2, df2, x):
    return df2(x) * df1(x)  # forgot to evaluate the outer derivative at f1(x)


def backward_without_the_mean(x, w, b, y):
    values = neuron_forward(x, w, b, y)
    dz = 2 * (values["a"] - y) * sigmoid_deriv(values["z"])  # forgot to divide by n
    return {"dw": np.sum(dz * x), "db": np.sum(dz), "dx": dz * w}


def backward_with_the_slope_at_a(x, w, b, y):
    values = neuron_forward(x, w, b, y)
    dz = 2 * (values["a"] - y) / np.size(x) * sigmoid_deriv(values["a"])  # sigmoid' at the output
    return {"dw": np.sum(dz * x), "db": np.sum(dz), "dx": dz * w}


def test_central_differences_reject_an_outer_derivative_taken_at_x():
    x = points(13)
    numerical = numerical_derivative(chain([np.sin, cube]), x)
    assert not np.allclose(outer_derivative_at_x(np.sin, np.cos, cube, cube_deriv, x), numerical, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("wrong", [backward_without_the_mean, backward_with_the_slope_at_a])
def test_numerical_gradients_reject_a_wrong_neuron_backward(wrong):
    rng = np.random.default_rng(14)
    x, y = rng.normal(size=5), rng.uniform(size=5)
    w, b = 0.9, 0.1
    numerical_dx = numerical_gradient(lambda t: neuron_forward(t, w, b, y)["loss"], x)
    assert not np.allclose(wrong(x, w, b, y)["dx"], numerical_dx, rtol=RTOL, atol=ATOL)
