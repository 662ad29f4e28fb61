"""Tests of notebook 05's reference (autograder/reference/neural_network.py).

Every backward step is checked against the course's numerical gradient in
float64 (a layer alone through the probe loss sum(G * output), whose
gradient with respect to the output is G); the forward pass against the
network written out in one line; batching, prediction and errors against
small cases worked out by hand.
"""
import numpy as np
import pytest

from autograder.reference import neural_network as ref
from autograder.published.gradcheck import numerical_gradient

RTOL, ATOL = 1e-6, 1e-9


def random(shape, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # another way to write it


def network(X, p):
    """The whole network in one line."""
    return sigmoid(X @ p["W1"] + p["B1"]) @ p["W2"] + p["B2"]


def problem(n=6, d=3, h=4, seed=0):
    return ref.random_problem(np.random.default_rng(seed), n, d, h)


# ---------------------------------------------------------- init, forward


def test_init_weights_shapes_scales_and_seed():
    params = ref.init_weights(400, 300, seed=1)
    assert {name: params[name].shape for name in ref.PARAMETERS} == \
        {"W1": (400, 300), "B1": (1, 300), "W2": (300, 1), "B2": (1, 1)}
    assert np.std(params["W1"]) == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert np.std(params["W2"]) == pytest.approx(1 / np.sqrt(300), rel=0.25)
    assert not params["B1"].any() and not params["B2"].any()
    np.testing.assert_array_equal(ref.init_weights(400, 300, seed=1)["W1"], params["W1"])
    assert not np.array_equal(ref.init_weights(400, 300, seed=2)["W1"], params["W1"])


def test_forward_keeps_every_step_of_the_network():
    X, _, params = problem()
    cache = ref.forward(X, params)
    np.testing.assert_allclose(cache["P"], network(X, params))
    np.testing.assert_allclose(cache["N1"], cache["M1"] + params["B1"])
    np.testing.assert_allclose(cache["O1"], sigmoid(cache["N1"]))
    np.testing.assert_allclose(cache["P"], cache["M2"] + params["B2"])


# ----------------------------------------------------------------- gradients


def test_mse_loss_gradient_matches_numerical_gradient():
    P, y = random((7, 1), seed=1, scale=3.0), random((7, 1), seed=2)
    assert ref.mse_loss(P, y) == pytest.approx(np.sum((P - y) ** 2) / 7)
    np.testing.assert_allclose(ref.mse_loss_gradient(P, y), numerical_gradient(lambda P_: ref.mse_loss(P_, y), P),
                               rtol=RTOL, atol=ATOL)


def test_output_layer_backward_matches_numerical_gradients():
    X, _, params = problem()
    cache, G = ref.forward(X, params), random((6, 1), seed=3)
    grads = ref.output_layer_backward(G, cache, params)
    O1, W2, B2 = cache["O1"], params["W2"], params["B2"]
    probes = {"W2": (lambda W: np.sum(G * (O1 @ W + B2)), W2), "B2": (lambda B: np.sum(G * (O1 @ W2 + B)), B2),
              "O1": (lambda O: np.sum(G * (O @ W2 + B2)), O1)}
    for name, (probe, value) in probes.items():
        np.testing.assert_allclose(grads[name], numerical_gradient(probe, value), rtol=RTOL, atol=ATOL, err_msg=name)


def test_hidden_layer_backward_matches_numerical_gradients():
    X, _, params = problem()
    cache, G = ref.forward(X, params), random((6, 4), seed=3)
    grads = ref.hidden_layer_backward(G, cache)
    W1, B1 = params["W1"], params["B1"]
    np.testing.assert_allclose(grads["W1"], numerical_gradient(lambda W: np.sum(G * sigmoid(X @ W + B1)), W1),
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads["B1"], numerical_gradient(lambda B: np.sum(G * sigmoid(X @ W1 + B)), B1),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n, d, h", [(1, 1, 1), (6, 3, 4), (9, 2, 7)])
def test_backward_matches_numerical_gradients_of_the_whole_loss(n, d, h):
    X, y, params = problem(n, d, h)
    grads = ref.backward(ref.forward(X, params), y, params)
    for name in ref.PARAMETERS:
        def loss_of(value):
            return np.mean((network(X, {**params, name: value}) - y) ** 2)
        np.testing.assert_allclose(grads[name], numerical_gradient(loss_of, params[name]), rtol=1e-5, atol=1e-8,
                                   err_msg=name)


# ------------------------------------------------------------------ training


def test_train_step_returns_the_new_parameters_then_the_loss_before_the_step():
    X, y, params = problem()
    new_params, loss = ref.train_step(params, X, y, 0.05)
    assert loss == pytest.approx(np.mean((network(X, params) - y) ** 2))
    grads = ref.backward(ref.forward(X, params), y, params)
    for name in ref.PARAMETERS:
        np.testing.assert_allclose(new_params[name], params[name] - 0.05 * grads[name])
    assert np.mean((network(X, new_params) - y) ** 2) < loss


def test_mini_batches_keep_pairs_together_and_every_example_once():
    X = np.column_stack([np.arange(10.0), random(10, seed=1)])
    y = 3 * X[:, :1] + 1
    batches = ref.mini_batches(X, y, 4, seed=0)
    assert [len(x_b) for x_b, _ in batches] == [4, 4, 2]
    X_seen = np.concatenate([x_b for x_b, _ in batches])
    np.testing.assert_array_equal(np.concatenate([y_b for _, y_b in batches]), 3 * X_seen[:, :1] + 1)
    np.testing.assert_array_equal(np.sort(X_seen[:, 0]), np.arange(10.0))
    assert not np.array_equal(X_seen, X)
    np.testing.assert_array_equal(np.concatenate([x_b for x_b, _ in ref.mini_batches(X, y, 4, seed=0)]), X_seen)


def test_training_fits_a_curve_a_line_cannot():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(80, 1))
    y = np.sin(1.5 * x)
    params = ref.init_weights(1, 6, seed=0)
    for _ in range(2000):
        for X_batch, y_batch in ref.mini_batches(x, y, 20, rng):
            params, _ = ref.train_step(params, X_batch, y_batch, 0.3)
    line = np.polyfit(x[:, 0], y[:, 0], 1)
    line_loss = np.mean((np.polyval(line, x[:, 0])[:, None] - y) ** 2)
    assert ref.loss_of(params, x, y) < 0.2 * line_loss


# ------------------------------------------------------------ using the net


def test_predict_and_errors_by_hand():
    flat = {"W1": np.zeros((3, 1)), "B1": np.zeros((1, 1)), "W2": np.array([[4.0]]), "B2": np.array([[-1.0]])}
    np.testing.assert_allclose(ref.predict(np.ones((2, 3)), flat, 100.0, 10.0), [[110.0], [110.0]])
    errors = ref.regression_errors(np.array([[90.0], [100.0], [130.0]]), np.full((3, 1), 100.0))  # misses -10, 0, 30
    assert errors["MAE"] == pytest.approx(40 / 3)
    assert errors["RMSE"] == pytest.approx(np.sqrt(1000 / 3))
