"""Reference answers for notebook 04, linear regression from scratch.

Shapes, batch first: X (n, d), W (d, 1), B (1, 1), y and P (n, 1).
Conventions shared with notebooks 05 and 06: predictions come before targets,
and a training step returns (new weights, loss).
"""
import numpy as np


def linear_forward(X, weights):
    N = X @ weights["W"]
    P = N + weights["B"]
    return {"X": X, "N": N, "P": P}


def mse_loss(P, y):
    if np.shape(P) != np.shape(y):
        raise ValueError(f"predictions of shape {np.shape(P)} and targets of shape {np.shape(y)}")
    return float(np.mean((P - y) ** 2))


def loss_gradients(forward_info, y):
    X, P = forward_info["X"], forward_info["P"]
    dL_dP = 2 * (P - y) / P.size
    return {"W": X.T @ dL_dP, "B": dL_dP.sum(axis=0, keepdims=True)}


def batch_generator(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]


def train_step(weights, X_batch, y_batch, learning_rate):
    forward_info = linear_forward(X_batch, weights)
    loss = mse_loss(forward_info["P"], y_batch)
    grads = loss_gradients(forward_info, y_batch)
    return {name: weights[name] - learning_rate * grads[name] for name in ("W", "B")}, loss


def fit(X, y, weights, epochs, batch_size, learning_rate, rng):
    losses = []
    for _ in range(epochs):
        batch_losses = []
        for X_batch, y_batch in batch_generator(X, y, batch_size, rng):
            weights, loss = train_step(weights, X_batch, y_batch, learning_rate)
            batch_losses.append(loss)
        losses.append(float(np.mean(batch_losses)))
    return weights, losses


def mean_absolute_error(P, y):
    return float(np.mean(np.abs(P - y)))


def root_mean_squared_error(P, y):
    return float(np.sqrt(np.mean((P - y) ** 2)))
