"""Tests of notebook 05's reference (autograder/reference/neural_network.py).

Every backward step is checked against the course's numerical gradient in
float64 (a layer alone through the probe loss sum(G * output), whose
gradient with respect to the output is G); the forward pass against the
network written out in one line; batching, prediction and errors against
small cases worked out by hand. The ReLU network of Section 7 gets the same
checks, and its He initialisation is checked for what it promises: hidden
values with a mean square of about 1.
"""
import numpy as np
import pytest

from autograder.reference import neural_network as ref
from autograder.published.gradcheck import numerical_gradient
from autograder.published.regression import batch_generator

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


def test_training_fits_a_curve_a_line_cannot():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(80, 1))
    y = np.sin(1.5 * x)
    params = ref.init_weights(1, 6, seed=0)
    for _ in range(2000):
        for X_batch, y_batch in batch_generator(x, y, 20, rng):
            params, _ = ref.train_step(params, X_batch, y_batch, 0.3)
    line = np.polyfit(x[:, 0], y[:, 0], 1)
    line_loss = np.mean((np.polyval(line, x[:, 0])[:, None] - y) ** 2)
    assert ref.loss_of(params, x, y) < 0.2 * line_loss


# ------------------------------------------------------------ the ReLU network


def relu_network(X, p):
    return np.where(X @ p["W1"] + p["B1"] > 0, X @ p["W1"] + p["B1"], 0.0) @ p["W2"] + p["B2"]


def test_he_init_doubles_the_first_layers_variance_and_keeps_the_sigmoid_networks_draws():
    params = ref.he_init_weights(400, 300, seed=1)
    assert np.var(params["W1"]) == pytest.approx(2 / 400, rel=0.03)
    assert np.std(params["W2"]) == pytest.approx(1 / np.sqrt(300), rel=0.25)
    assert not params["B1"].any() and not params["B2"].any()
    np.testing.assert_allclose(params["W1"], np.sqrt(2) * ref.init_weights(400, 300, seed=1)["W1"])
    np.testing.assert_allclose(params["W2"], ref.init_weights(400, 300, seed=1)["W2"])
    assert ref.he_init_scales(400, 300) == pytest.approx({"W1": np.std(params["W1"]), "W2": 1 / np.sqrt(300)}, rel=0.02)


def test_he_init_gives_relu_outputs_a_mean_square_of_one():
    X = random((4000, 200), seed=4)
    O1 = ref.relu_forward(X, ref.he_init_weights(200, 100, seed=0))["O1"]
    assert np.mean(O1 ** 2) == pytest.approx(1.0, rel=0.05)
    assert np.mean(O1 == 0) == pytest.approx(0.5, abs=0.02)


def test_relu_forward_keeps_every_step_of_the_relu_network():
    X, _, params = problem()
    cache = ref.relu_forward(X, params)
    np.testing.assert_allclose(cache["P"], relu_network(X, params))
    np.testing.assert_array_equal(cache["O1"], np.maximum(cache["N1"], 0))


def test_relu_hidden_layer_backward_matches_numerical_gradients_and_stops_at_zero():
    X, _, params = problem()
    cache, G = ref.relu_forward(X, params), random((6, 4), seed=3)
    grads = ref.relu_hidden_layer_backward(G, cache)
    W1, B1 = params["W1"], params["B1"]
    np.testing.assert_allclose(grads["W1"], numerical_gradient(lambda W: np.sum(G * ref.relu(X @ W + B1)), W1),
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads["B1"], numerical_gradient(lambda B: np.sum(G * ref.relu(X @ W1 + B)), B1),
                               rtol=RTOL, atol=ATOL)
    N1 = ref.with_zeros(np.random.default_rng(0), cache["N1"], fraction=0.5)
    assert (N1 == 0).any()
    at_zero = ref.relu_hidden_layer_backward(G, {**cache, "N1": N1, "O1": ref.relu(N1)})
    np.testing.assert_allclose(at_zero["B1"], np.sum(G * (N1 > 0), axis=0, keepdims=True))


@pytest.mark.parametrize("n, d, h", [(1, 1, 1), (6, 3, 4), (9, 2, 7)])
def test_relu_backward_matches_numerical_gradients_of_the_whole_loss(n, d, h):
    X, y, params = problem(n, d, h, seed=n)
    grads = ref.relu_backward(ref.relu_forward(X, params), y, params)
    for name in ref.PARAMETERS:
        def loss_of(value):
            return np.mean((relu_network(X, {**params, name: value}) - y) ** 2)
        np.testing.assert_allclose(grads[name], numerical_gradient(loss_of, params[name]), rtol=1e-5, atol=1e-8,
                                   err_msg=name)
    assert ref.loss_of(params, X, y, "relu") == pytest.approx(np.mean((relu_network(X, params) - y) ** 2))


def test_a_relu_training_step_lowers_the_loss():
    X, y, params = problem(seed=2)
    new_params, loss = ref.train_step(params, X, y, 0.05, "relu")
    assert loss == pytest.approx(ref.loss_of(params, X, y, "relu"))
    assert ref.loss_of(new_params, X, y, "relu") < loss


# ------------------------------------------------- notebook 04's answers, as 05 gets them


def test_the_published_regression_module_agrees_with_notebook_04s_reference():
    """regression.py is notebook 04's answers as students get them with 05: they must not drift from 04's reference."""
    from autograder.published import regression
    from autograder.reference import linear_regression as ref04
    X, y = random((9, 3), seed=1), random((9, 1), seed=2)
    forward_info = ref04.linear_forward(X, {"W": random((3, 1), seed=3), "B": random((1, 1), seed=4)})
    P = forward_info["P"]
    assert regression.mse_loss(P, y) == pytest.approx(ref04.mse_loss(P, y))
    with pytest.raises(ValueError):
        regression.mse_loss(P, y.ravel())
    np.testing.assert_allclose(X.T @ regression.mse_loss_gradient(P, y), ref04.loss_gradients(forward_info, y)["W"])
    assert regression.mean_absolute_error(P, y) == pytest.approx(ref04.mean_absolute_error(P, y))
    assert regression.root_mean_squared_error(P, y) == pytest.approx(ref04.root_mean_squared_error(P, y))
    ours = list(regression.batch_generator(X, y, 4, np.random.default_rng(5)))
    theirs = list(ref04.batch_generator(X, y, 4, np.random.default_rng(5)))
    assert len(ours) == len(theirs) == 3
    for (X_a, y_a), (X_b, y_b) in zip(ours, theirs):
        np.testing.assert_array_equal(X_a, X_b)
        np.testing.assert_array_equal(y_a, y_b)
