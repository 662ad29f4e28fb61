"""Reference answers for notebook 03, tensors and matrix calculus.

The "naive" exercises ask students for loops; the references here are the
vectorised numpy equivalents, which give the same numbers faster.
"""
import numpy as np

from autograder.published.gradcheck import numerical_gradient

from .derivatives import sigmoid

# Relative errors below this floor are measured against the floor, so two
# (near) zero gradients count as agreeing instead of dividing 0 by 0.
RELATIVE_ERROR_FLOOR = 1e-8


def naive_add_matrix_and_vector(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.ndim != 1 or x.shape[1] != y.shape[0]:
        raise ValueError(f"cannot add a vector of shape {y.shape} to each row of a matrix of shape {x.shape}")
    return x + y


def _check_inner(x, y, x_axis):
    if x.shape[x_axis] != y.shape[0]:
        raise ValueError(f"inner dimensions differ: {x.shape} and {y.shape}")


def naive_vector_dot(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError("naive_vector_dot takes two vectors")
    _check_inner(x, y, 0)
    return np.dot(x, y)


def naive_matrix_vector_dot(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.ndim != 1:
        raise ValueError("naive_matrix_vector_dot takes a matrix and a vector")
    _check_inner(x, y, 1)
    return x @ y


def naive_matrix_dot(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError("naive_matrix_dot takes two matrices")
    _check_inner(x, y, 1)
    return x @ y


def broadcast_shape(shape_a, shape_b):
    """numpy's broadcasting rule on two shapes; ValueError where they clash."""
    rank = max(len(shape_a), len(shape_b))
    a = (1,) * (rank - len(shape_a)) + tuple(shape_a)
    b = (1,) * (rank - len(shape_b)) + tuple(shape_b)
    result = []
    for size_a, size_b in zip(a, b):
        if size_a == size_b or size_b == 1:
            result.append(size_a)
        elif size_a == 1:
            result.append(size_b)
        else:
            raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} cannot be broadcast together")
    return tuple(result)


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting stretched, giving an array of `shape`."""
    grad = np.asarray(grad)
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    summed = grad.sum(axis=tuple(range(extra))) if extra else grad
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and summed.shape[axis] != 1)
    if stretched:
        summed = summed.sum(axis=stretched, keepdims=True)
    return summed.reshape(shape)


def matmul_backward(X, W, G):
    """Gradients of a loss with respect to X and W, given G = dL/d(X @ W)."""
    return G @ W.T, X.T @ G


def sigmoid_sum_forward(X, W):
    N = X @ W
    S = sigmoid(N)
    return {"N": N, "S": S, "L": np.sum(S)}


def sigmoid_sum_backward(X, W):
    S = sigmoid(X @ W)
    dN = S * (1 - S)
    return dN @ W.T, X.T @ dN


def relative_errors(grad, numeric):
    """|grad - numeric| / max(|grad|, |numeric|, floor), element by element, in float64."""
    grad, numeric = np.asarray(grad, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), RELATIVE_ERROR_FLOOR)
    return np.abs(grad - numeric) / scale


def gradient_check(loss, grad, x, h=1e-5):
    """Largest relative error between `grad` and the course's numerical gradient of `loss` at `x`."""
    return float(np.max(relative_errors(grad, numerical_gradient(loss, x, h))))
