"""Notebook 04's answers that notebook 05 builds on: the loss, its gradient, mini-batches and two error measures.

Notebook 04 asks you to write these yourself, so while notebook 04 is graded
this module is not available to your answers; from notebook 05 on it sits
beside every notebook as regression.py (see autograder/registry.py).

Shapes as in notebook 04: predictions P and targets y are columns (n, 1), and
predictions always come before targets.
"""
import numpy as np


def mse_loss(P, y):
    """Mean squared error between predictions P and targets y, which must have the same shape."""
    if np.shape(P) != np.shape(y):
        raise ValueError(f"predictions have shape {np.shape(P)} but targets have shape {np.shape(y)}")
    return np.mean((P - y) ** 2)


def mse_loss_gradient(P, y):
    """dL/dP = 2 (P - y) / n: the first step of notebook 04's loss_gradients, shaped like P."""
    return 2 * (P - y) / len(P)


def batch_generator(X, y, batch_size, rng):
    """Yield (X_batch, y_batch) pairs that cover the data once, in a fresh random order drawn from rng."""
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]


def mean_absolute_error(P, y):
    """The mean size of the errors P - y."""
    return np.mean(np.abs(P - y))


def root_mean_squared_error(P, y):
    """The square root of the mean squared error."""
    return np.sqrt(np.mean((P - y) ** 2))
