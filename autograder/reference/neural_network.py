"""Reference answers for notebook 05, a two-layer neural network from scratch.

The network is  X @ W1 + B1 -> sigmoid -> @ W2 + B2  with the mean squared
error; shapes are X (n, d), W1 (d, h), B1 (1, h), W2 (h, 1), B2 (1, 1),
y and P (n, 1). Hidden tests compare students' answers with these.
As in notebooks 04 and 06, predictions come before targets, and a training
step returns (new parameters, loss).
"""
import numpy as np

PARAMETERS = ("W1", "B1", "W2", "B2")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def init_weights(n_inputs, n_hidden, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(n_inputs), size=(n_inputs, n_hidden)),
        "B1": np.zeros((1, n_hidden)),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_hidden, 1)),
        "B2": np.zeros((1, 1)),
    }


def init_scales(n_inputs, n_hidden):
    """The standard deviations init_weights promises for W1 and W2."""
    return {"W1": 1.0 / np.sqrt(n_inputs), "W2": 1.0 / np.sqrt(n_hidden)}


def forward(X, params):
    M1 = X @ params["W1"]
    N1 = M1 + params["B1"]
    O1 = sigmoid(N1)
    M2 = O1 @ params["W2"]
    P = M2 + params["B2"]
    return {"X": X, "M1": M1, "N1": N1, "O1": O1, "M2": M2, "P": P}


def mse_loss(P, y):
    return float(np.mean((P - y) ** 2))


def mse_loss_gradient(P, y):
    return 2.0 * (P - y) / np.size(P)


def output_layer_backward(dP, cache, params):
    return {"W2": cache["O1"].T @ dP,
            "B2": np.sum(dP, axis=0, keepdims=True),
            "O1": dP @ params["W2"].T}


def hidden_layer_backward(dO1, cache):
    O1 = sigmoid(cache["N1"])
    dN1 = dO1 * O1 * (1.0 - O1)
    return {"W1": cache["X"].T @ dN1, "B1": np.sum(dN1, axis=0, keepdims=True)}


def backward(cache, y, params):
    dP = mse_loss_gradient(cache["P"], y)
    output = output_layer_backward(dP, cache, params)
    hidden = hidden_layer_backward(output["O1"], cache)
    return {"W1": hidden["W1"], "B1": hidden["B1"], "W2": output["W2"], "B2": output["B2"]}


def loss_of(params, X, y):
    """The loss as a function of the parameters: what numerical gradients differentiate."""
    return mse_loss(forward(X, params)["P"], y)


def train_step(params, X, y, learning_rate):
    cache = forward(X, params)
    loss = mse_loss(cache["P"], y)
    grads = backward(cache, y, params)
    return {name: params[name] - learning_rate * grads[name] for name in PARAMETERS}, loss


def mini_batches(X, y, batch_size, seed=None):
    order = np.random.default_rng(seed).permutation(len(X))
    return [(X[order[start:start + batch_size]], y[order[start:start + batch_size]])
            for start in range(0, len(X), batch_size)]


def predict(X, params, y_mean, y_std):
    return forward(X, params)["P"] * y_std + y_mean


def regression_errors(predictions, y):
    errors = np.asarray(predictions, dtype=float) - np.asarray(y, dtype=float)
    return {"MAE": float(np.mean(np.abs(errors))), "RMSE": float(np.sqrt(np.mean(errors ** 2)))}


def random_problem(rng, n, d, h, dtype=np.float64, spread=1.5):
    """A batch, targets and parameters at which the sigmoids are neither flat nor saturated."""
    X = rng.normal(size=(n, d)).astype(dtype)
    y = rng.normal(size=(n, 1)).astype(dtype)
    params = {"W1": rng.normal(scale=spread / np.sqrt(d), size=(d, h)).astype(dtype),
              "B1": rng.normal(scale=0.5, size=(1, h)).astype(dtype),
              "W2": rng.normal(size=(h, 1)).astype(dtype),
              "B2": rng.normal(size=(1, 1)).astype(dtype)}
    return X, y, params
