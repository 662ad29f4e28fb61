"""Reference answers for notebook 01, functions and derivatives."""
import numpy as np


def forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def square_deriv(x):
    return 2 * x


def sigmoid_deriv(x):
    s = sigmoid(x)
    return s * (1 - s)


def relu(x):
    return np.maximum(x, 0)


def relu_deriv(x):
    return (np.asarray(x) > 0).astype(float)


def leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_deriv(x, alpha=0.01):
    return np.where(x > 0, 1.0, alpha)


def difference_errors(f, dfdx, x, steps):
    steps = np.asarray(steps, dtype=float)
    exact = dfdx(x)
    return (np.abs(forward_difference(f, x, steps) - exact),
            np.abs(central_difference(f, x, steps) - exact))
