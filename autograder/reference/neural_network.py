"""Reference answers for notebook 05, a two-layer neural network from scratch.

The network is  X @ W1 + B1 -> sigmoid (or ReLU) -> @ W2 + B2  with the mean
squared error; shapes are X (n, d), W1 (d, h), B1 (1, h), W2 (h, 1), B2 (1, 1),
y and P (n, 1). Hidden tests compare students' answers with these.
As in notebooks 04 and 06, predictions come before targets, and a training
step returns (new parameters, loss). The loss and its gradient are notebook
04's, from autograder.published.regression (students get it as regression.py).
"""
import numpy as np

from autograder.published.regression import mse_loss, mse_loss_gradient  # noqa: F401  (notebook 04's answers)

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


def loss_of(params, X, y, activation="sigmoid"):
    """The loss as a function of the parameters: what numerical gradients differentiate."""
    return float(mse_loss(NETWORKS[activation][0](X, params)["P"], y))


def train_step(params, X, y, learning_rate, activation="sigmoid"):
    """One step of gradient descent with the sigmoid network or the ReLU one (the notebook gives this)."""
    forward_pass, backward_pass = NETWORKS[activation]
    cache = forward_pass(X, params)
    loss = mse_loss(cache["P"], y)
    grads = backward_pass(cache, y, params)
    return {name: params[name] - learning_rate * grads[name] for name in PARAMETERS}, loss


# ------------------------------------------------------------------ the ReLU network (Section 7)


def relu(x):
    return np.maximum(x, 0.0)


def he_init_weights(n_inputs, n_hidden, seed=0):
    """He initialisation of the layer ReLU follows (variance 2 / n_inputs); the linear output layer keeps 1 / n_hidden."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, np.sqrt(2.0 / n_inputs), size=(n_inputs, n_hidden)),
        "B1": np.zeros((1, n_hidden)),
        "W2": rng.normal(0.0, np.sqrt(1.0 / n_hidden), size=(n_hidden, 1)),
        "B2": np.zeros((1, 1)),
    }


def he_init_scales(n_inputs, n_hidden):
    """The standard deviations he_init_weights promises for W1 and W2."""
    return {"W1": np.sqrt(2.0 / n_inputs), "W2": 1.0 / np.sqrt(n_hidden)}


def relu_forward(X, params):
    M1 = X @ params["W1"]
    N1 = M1 + params["B1"]
    O1 = relu(N1)
    M2 = O1 @ params["W2"]
    P = M2 + params["B2"]
    return {"X": X, "M1": M1, "N1": N1, "O1": O1, "M2": M2, "P": P}


def relu_hidden_layer_backward(dO1, cache):
    """The gradient passes where the pre-activation N1 is positive; at 0 and below it stops (slope 0)."""
    dN1 = dO1 * (cache["N1"] > 0)
    return {"W1": cache["X"].T @ dN1, "B1": np.sum(dN1, axis=0, keepdims=True)}


def relu_backward(cache, y, params):
    dP = mse_loss_gradient(cache["P"], y)
    output = output_layer_backward(dP, cache, params)
    hidden = relu_hidden_layer_backward(output["O1"], cache)
    return {"W1": hidden["W1"], "B1": hidden["B1"], "W2": output["W2"], "B2": output["B2"]}


NETWORKS = {"sigmoid": (forward, backward), "relu": (relu_forward, relu_backward)}


def with_zeros(rng, N1, fraction=0.2):
    """N1 with about `fraction` of its entries set to exactly 0, where ReLU's slope is taken as 0."""
    N1 = np.array(N1)
    N1[rng.uniform(size=N1.shape) < fraction] = 0.0
    return N1


def random_problem(rng, n, d, h, dtype=np.float64, spread=1.5):
    """A batch, targets and parameters at which the sigmoids are neither flat nor saturated."""
    X = rng.normal(size=(n, d)).astype(dtype)
    y = rng.normal(size=(n, 1)).astype(dtype)
    params = {"W1": rng.normal(scale=spread / np.sqrt(d), size=(d, h)).astype(dtype),
              "B1": rng.normal(scale=0.5, size=(1, h)).astype(dtype),
              "W2": rng.normal(size=(h, 1)).astype(dtype),
              "B2": rng.normal(size=(1, 1)).astype(dtype)}
    return X, y, params
