"""Numerical gradients for the reference tests (building blocks, training, convolution).

Every analytic gradient is compared with central differences: bump one
element up and down by ``delta``, re-run the forward pass, and divide the
change in the scalar by 2 * delta. In float64 the error of that estimate is
about delta**2 (truncation) + 1e-16 / delta (rounding), around 1e-10 here.

The differences themselves come from ``autograder.published.gradcheck.numerical_gradient``,
the one the students use, so the course has a single implementation of them;
this module only adapts it to forward passes that read their arrays in place.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.published.gradcheck import numerical_gradient as gradient_of_loss

DELTA = 1e-6


def numerical_gradient(scalar: Callable[[], float], array: np.ndarray, delta: float = DELTA) -> np.ndarray:
    """d scalar() / d array, where ``scalar()`` reads ``array`` itself.

    Layers and operations hold on to their parameters and inputs, so their
    loss cannot take the array as an argument. ``gradcheck`` bumps a float64
    copy and passes it to the loss; the loss here writes that copy into
    ``array`` before calling ``scalar()``. Copying the whole array costs no
    more than the forward pass that reads it. On return, ``array`` holds its
    original values again, even if ``scalar()`` raised.
    """
    original = array.copy()

    def loss(bumped: np.ndarray) -> float:
        array[...] = bumped
        return scalar()

    try:
        return gradient_of_loss(loss, original, delta)
    finally:
        array[...] = original


def operation_gradients(op, input_: np.ndarray, seed: int = 0, inference: bool = False, replay=None):
    """Analytic and numerical gradients of L = sum(op(input_) * G) for a random G.

    With that L, dL/doutput = G, so ``op.backward(G)`` must equal dL/dinput,
    and for an operation with a parameter ``op.param_grad`` must equal
    dL/dparam. ``replay`` runs before every forward pass (dropout uses it to
    draw the same mask again). Returns a list of (name, analytic, numerical).
    """
    replay = replay or (lambda: None)
    replay()
    output = op.forward(input_, inference)
    G = np.random.default_rng(seed).standard_normal(output.shape)
    analytic = {"input": op.backward(G).copy()}
    if hasattr(op, "param"):
        analytic["param"] = op.param_grad.copy()

    def loss() -> float:
        replay()
        return float(np.sum(op.forward(input_, inference) * G))

    numerical = {"input": numerical_gradient(loss, input_)}
    if hasattr(op, "param"):
        numerical["param"] = numerical_gradient(loss, op.param)
    return [(name, analytic[name], numerical[name]) for name in analytic]


def network_gradients(net, X: np.ndarray, y: np.ndarray):
    """Analytic (from ``train_batch``) and numerical gradients of the network's
    loss with respect to every parameter and to the input X."""
    net.train_batch(X, y)
    analytic = [grad.copy() for grad in net.param_grads()]
    input_grad = net.backward(net.loss.backward())

    def loss() -> float:
        return net.loss.forward(net.forward(X), y)

    numerical = [numerical_gradient(loss, param) for param in net.params()]
    return list(zip(analytic, numerical)) + [(input_grad, numerical_gradient(loss, X))]


def check_gradients(forward: Callable[[], np.ndarray], analytic, arrays, G: np.ndarray,
                    rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Each analytic gradient against central differences of L = sum(forward() * G) in its array
    (so dL/doutput = G, the gradient a backward pass was given)."""
    def loss() -> float:
        return float(np.sum(forward() * G))
    for grad, array in zip(analytic, arrays, strict=True):
        np.testing.assert_allclose(grad, numerical_gradient(loss, array), rtol=rtol, atol=atol)
