"""Tests of notebook 03's reference (autograder/reference/tensors.py).

The products and the broadcasting rule are checked against plain loops and
numpy's own rule; every gradient against the course's numerical gradient
(autograder.published.gradcheck) in float64; the gradient check against errors worked
out by hand.
"""
import numpy as np
import pytest

from autograder.reference import tensors as ref
from autograder.published.gradcheck import numerical_gradient

RTOL, ATOL = 1e-6, 1e-9


def random(shape, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # another way to write it


# ----------------------------------------------------------- loops and shapes


def test_naive_add_matches_a_loop_and_keeps_numpys_dtype():
    x, y = random((4, 3), seed=1), random(3, seed=2)
    expected = np.array([[x[i, j] + y[j] for j in range(3)] for i in range(4)])
    np.testing.assert_array_equal(ref.naive_add_matrix_and_vector(x, y), expected)
    assert ref.naive_add_matrix_and_vector(np.ones((2, 2), int), np.ones(2)).dtype == np.float64
    assert ref.naive_add_matrix_and_vector(np.ones((2, 2), np.float32), np.ones(2, np.float32)).dtype == np.float32
    with pytest.raises(ValueError):
        ref.naive_add_matrix_and_vector(x, random(4))


def test_naive_products_match_sums_written_out():
    x, y = random((3, 4), seed=1), random((4, 2), seed=2)
    v = random(4, seed=3)
    assert ref.naive_vector_dot(v, v) == pytest.approx(sum(a * a for a in v))
    np.testing.assert_allclose(ref.naive_matrix_vector_dot(x, v), [sum(x[i, k] * v[k] for k in range(4)) for i in range(3)])
    expected = [[sum(x[i, k] * y[k, j] for k in range(4)) for j in range(2)] for i in range(3)]
    np.testing.assert_allclose(ref.naive_matrix_dot(x, y), expected)
    for product, args in ((ref.naive_vector_dot, (v, random(3))), (ref.naive_matrix_vector_dot, (x, random(3))),
                          (ref.naive_matrix_dot, (x, x))):
        with pytest.raises(ValueError):
            product(*args)


def test_broadcast_shape_agrees_with_numpy():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = (tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 4))) for _ in range(2))
        try:
            expected = np.broadcast_shapes(a, b)
        except ValueError:
            with pytest.raises(ValueError):
                ref.broadcast_shape(a, b)
        else:
            assert ref.broadcast_shape(a, b) == expected, (a, b)


# ----------------------------------------------------------------- gradients


@pytest.mark.parametrize("grad_shape, shape", [((4, 3), (3,)), ((4, 3), (4, 1)), ((4, 3), ()), ((2, 3, 4), (3, 1)),
                                               ((2, 3, 4), (2, 1, 4)), ((4, 3), (4, 3))])
def test_unbroadcast_is_the_gradient_of_broadcasting(grad_shape, shape):
    G = random(grad_shape, seed=1)
    b = random(shape, seed=2)
    numerical = numerical_gradient(lambda b_: np.sum(G * np.broadcast_to(b_, grad_shape)), b)
    got = ref.unbroadcast(G, shape)
    assert got.shape == shape
    np.testing.assert_allclose(got, numerical, rtol=RTOL, atol=ATOL)


def test_matmul_backward_matches_numerical_gradients():
    X, W, G = random((5, 3), seed=1), random((3, 4), seed=2), random((5, 4), seed=3)
    dX, dW = ref.matmul_backward(X, W, G)
    np.testing.assert_allclose(dX, numerical_gradient(lambda X_: np.sum(G * (X_ @ W)), X), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dW, numerical_gradient(lambda W_: np.sum(G * (X @ W_)), W), rtol=RTOL, atol=ATOL)


def test_sigmoid_sum_forward_and_backward():
    X, W = random((4, 3), seed=1), random((3, 2), seed=2, scale=1.5)
    values = ref.sigmoid_sum_forward(X, W)
    np.testing.assert_allclose(values["N"], X @ W)
    np.testing.assert_allclose(values["S"], sigmoid(X @ W))
    assert values["L"] == pytest.approx(np.sum(sigmoid(X @ W)))
    dX, dW = ref.sigmoid_sum_backward(X, W)
    np.testing.assert_allclose(dX, numerical_gradient(lambda X_: np.sum(sigmoid(X_ @ W)), X), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dW, numerical_gradient(lambda W_: np.sum(sigmoid(X @ W_)), W), rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------ gradient check


def sum_of_squares(v):
    return np.sum(v ** 2)


def test_gradient_check_of_an_exact_gradient_is_tiny():
    x = random((3, 2), seed=1)
    assert ref.gradient_check(sum_of_squares, 2 * x, x) < 1e-9
    assert ref.gradient_check(sum_of_squares, 2 * x, x.astype(np.float32)) < 1e-6


def test_gradient_check_reports_the_largest_relative_error():
    x = np.array([1.0, 2.0, 3.0])
    # 5 where 4 is right: |5 - 4| / 5; 0.9 times too small everywhere: 0.1
    assert ref.gradient_check(sum_of_squares, np.array([2.0, 5.0, 6.0]), x) == pytest.approx(0.2, rel=1e-6)
    assert ref.gradient_check(sum_of_squares, np.array([2, 5, 6]), x) == pytest.approx(0.2, rel=1e-6)
    assert ref.gradient_check(sum_of_squares, 0.9 * 2 * x, x) == pytest.approx(0.1, rel=1e-6)


def test_gradient_check_measures_tiny_gradients_against_the_floor():
    x = np.array([1.0, 0.0])                  # the gradient 2x is exactly 0 at x[1]
    assert ref.gradient_check(sum_of_squares, np.array([2.0, 0.0]), x) < 1e-9   # 0 / 1e-8, not 0 / 0
    claimed = np.array([2.0, 3e-9])           # 3e-9 against a true 0: 3e-9 / 1e-8
    assert ref.gradient_check(sum_of_squares, claimed, x) == pytest.approx(0.3, rel=1e-4)
    assert ref.relative_errors([0.0, 1.0], [0.0, 1.0]).tolist() == [0.0, 0.0]


def test_gradient_check_passes_h_on():
    # the central difference of x³ at 1 with step h is 3 + h², against the exact 3
    cube = lambda v: np.sum(v ** 3)  # noqa: E731
    assert ref.gradient_check(cube, np.array([3.0]), np.array([1.0]), h=0.5) == pytest.approx(0.25 / 3.25, rel=1e-9)
