"""Notebook 03's gradient check, as one module: students get it from notebook 07 on.

A gradient written by hand is right when it agrees with the slope measured
by nudging each input: `gradient_check` returns the largest relative error
between the two, which is below about 1e-7 for a right float64 gradient and
far above it for a wrong one. These are notebook 03's answers, so they are
published with notebook 07 and later ones only (autograder/registry.py).
"""
import numpy as np

try:
    from gradcheck import numerical_gradient        # beside the notebooks, where students import this module
except ImportError:
    from .gradcheck import numerical_gradient       # inside the autograder package


def gradient_check(loss, grad, x, h=1e-5):
    """Largest relative error between grad and numerical_gradient(loss, x, h)."""
    numeric = numerical_gradient(loss, x, h)
    grad = np.asarray(grad, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), 1e-8)
    return float(np.max(np.abs(grad - numeric) / scale))
