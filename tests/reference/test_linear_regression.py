"""Tests of notebook 04's reference (autograder/reference/linear_regression.py).

The gradients are checked against the course's numerical gradient in
float64, the training loop against the exact least-squares solution, and
the metrics and the argument orders (predictions first, a step returns the
new weights first) against small cases worked out by hand.
"""
import numpy as np
import pytest

from autograder.reference import linear_regression as ref
from dlscratch.data import diabetes_split
from autograder.published.gradcheck import numerical_gradient

RTOL, ATOL = 1e-6, 1e-9


def random(shape, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def problem(n=8, d=3, seed=0):
    X, y = random((n, d), seed=seed), random((n, 1), seed=seed + 1, scale=2.0)
    weights = {"W": random((d, 1), seed=seed + 2), "B": random((1, 1), seed=seed + 3)}
    return X, y, weights


def least_squares(X, y):
    solution, *_ = np.linalg.lstsq(np.hstack([X, np.ones((len(X), 1))]), y, rcond=None)
    return {"W": solution[:-1], "B": solution[-1:]}


# ------------------------------------------------------------ forward, loss


def test_forward_is_a_weighted_sum_plus_a_bias():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    values = ref.linear_forward(X, {"W": np.array([[0.5], [-1.0]]), "B": np.array([[2.0]])})
    np.testing.assert_allclose(values["N"], [[-1.5], [-2.5]])
    np.testing.assert_allclose(values["P"], [[0.5], [-0.5]])
    assert values["X"] is X


def test_mse_loss_and_its_shape_check():
    assert ref.mse_loss(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [0.0], [5.0]])) == pytest.approx(8 / 3)
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\)"):
        ref.mse_loss(np.zeros((3, 1)), np.zeros(3))


# ----------------------------------------------------------------- gradients


@pytest.mark.parametrize("n, d", [(1, 1), (8, 3), (20, 5)])
def test_loss_gradients_match_numerical_gradients(n, d):
    X, y, weights = problem(n, d)
    grads = ref.loss_gradients(ref.linear_forward(X, weights), y)
    numerical_W = numerical_gradient(lambda W: ref.mse_loss(X @ W + weights["B"], y), weights["W"])
    numerical_B = numerical_gradient(lambda B: ref.mse_loss(X @ weights["W"] + B, y), weights["B"])
    assert grads["W"].shape == (d, 1) and grads["B"].shape == (1, 1)
    np.testing.assert_allclose(grads["W"], numerical_W, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads["B"], numerical_B, rtol=RTOL, atol=ATOL)


def test_gradients_vanish_at_the_least_squares_solution():
    X, y, _ = problem(30, 4)
    grads = ref.loss_gradients(ref.linear_forward(X, least_squares(X, y)), y)
    np.testing.assert_allclose(grads["W"], 0.0, atol=1e-12)
    np.testing.assert_allclose(grads["B"], 0.0, atol=1e-12)


# ------------------------------------------------------------------ training


def test_batches_cover_every_row_once_in_a_seeded_order():
    X = np.arange(14.0).reshape(7, 2)
    y = 10 * X[:, :1]
    batches = list(ref.batch_generator(X, y, 3, np.random.default_rng(0)))
    assert [len(x_b) for x_b, _ in batches] == [3, 3, 1]
    rows = np.concatenate([x_b[:, 0] / 2 for x_b, _ in batches])
    assert sorted(rows) == list(range(7))
    assert all(np.array_equal(y_b, 10 * x_b[:, :1]) for x_b, y_b in batches)
    again = list(ref.batch_generator(X, y, 3, np.random.default_rng(0)))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))


def test_train_step_returns_the_new_weights_then_the_loss_before_the_step():
    X, y, weights = problem()
    new_weights, loss = ref.train_step(weights, X, y, 0.1)
    assert loss == pytest.approx(ref.mse_loss(ref.linear_forward(X, weights)["P"], y))
    for name in ("W", "B"):
        step = numerical_gradient(lambda v: ref.mse_loss(ref.linear_forward(X, {**weights, name: v})["P"], y),
                                  weights[name])
        np.testing.assert_allclose(new_weights[name], weights[name] - 0.1 * step, rtol=RTOL, atol=ATOL)


def test_train_step_by_hand():
    # y = 2x through (1, 2) and (2, 4) from W = B = 0: loss 10, dW = -10, dB = -6
    new_weights, loss = ref.train_step({"W": np.zeros((1, 1)), "B": np.zeros((1, 1))},
                                       np.array([[1.0], [2.0]]), np.array([[2.0], [4.0]]), 0.1)
    assert loss == pytest.approx(10.0)
    np.testing.assert_allclose(new_weights["W"], [[1.0]])
    np.testing.assert_allclose(new_weights["B"], [[0.6]])


def test_fit_finds_the_least_squares_solution():
    X, y, start = problem(60, 3, seed=5)
    # One batch per epoch: plain gradient descent, which converges to the exact answer.
    weights, losses = ref.fit(X, y, start, 500, 60, 0.2, np.random.default_rng(1))
    exact = least_squares(X, y)
    assert len(losses) == 500 and losses[-1] < losses[0]
    np.testing.assert_allclose(weights["W"], exact["W"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(weights["B"], exact["B"], rtol=1e-4, atol=1e-4)


def test_fit_with_learning_rate_zero_reports_the_full_loss():
    X, y, start = problem(24, 3)
    weights, losses = ref.fit(X, y, start, 3, 6, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(losses, ref.mse_loss(ref.linear_forward(X, start)["P"], y))
    np.testing.assert_array_equal(weights["W"], start["W"])


def test_fit_on_the_diabetes_split_comes_close_to_least_squares():
    split = diabetes_split()
    start = {"W": np.zeros((10, 1)), "B": np.zeros((1, 1))}
    weights, _ = ref.fit(split.X_train, split.y_train, start, 300, 32, 0.01, np.random.default_rng(0))
    exact_weights = least_squares(split.X_train, split.y_train)
    for X, y in ((split.X_val, split.y_val), (split.X_test, split.y_test)):
        trained = ref.root_mean_squared_error(ref.linear_forward(X, weights)["P"], y)
        exact = ref.root_mean_squared_error(ref.linear_forward(X, exact_weights)["P"], y)
        assert abs(trained - exact) < 0.02 * exact


# ------------------------------------------------------------------- metrics


def test_metrics_by_hand():
    P, y = np.array([[1.0], [3.0], [1.0], [4.0]]), np.array([[1.0], [2.0], [3.0], [4.0]])  # errors 0, 1, -2, 0
    assert ref.mean_absolute_error(P, y) == pytest.approx(0.75)
    assert ref.root_mean_squared_error(P, y) == pytest.approx(np.sqrt(5 / 4))
    assert ref.root_mean_squared_error(P, y) ** 2 == pytest.approx(ref.mse_loss(P, y))
