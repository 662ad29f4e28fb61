"""The LSTM backward step's elementwise part as one numba kernel, for ``gated.lstm_backward``.

Why only this part. In numpy, one backward step of the cell is some fifteen small
elementwise calls (N x H values each), and at the course's shapes (N=32, H=128) their call
overheads cost more than the arithmetic; this loop does them in one pass. It has no
transcendental function, so LLVM vectorises it as written. The forward step keeps numpy:
it needs tanh, and numpy's SIMD tanh is 16 (float64) to 70 (float32) times faster than the
scalar libm tanh that a numba loop calls where numba has no SVML, as here (measured on 20,480
values), so a fused forward kernel would be slower.

Float32 stays float32: the kernel compiles once per dtype and ``one`` arrives in the
arrays' dtype, so no float64 constant promotes the arithmetic. Compiled lazily with
``cache=True``, into the same cache directory as ``fastconv``'s kernels (see its "Cache
policy"); serial and ``nogil``.
"""
from __future__ import annotations

import numba

from .fastconv import CACHE_DIR_OVERRIDE

__all__ = ["lstm_cell_backward"]


def _kernel(function):
    """numba.njit, cached where fastconv's kernels are; no fastmath, so the rounding is numpy's."""
    saved = numba.config.CACHE_DIR
    if CACHE_DIR_OVERRIDE:
        numba.config.CACHE_DIR = CACHE_DIR_OVERRIDE
    try:
        return numba.njit(nogil=True, cache=True, boundscheck=False)(function)
    finally:
        numba.config.CACHE_DIR = saved


@_kernel
def lstm_cell_backward(dh_loss, dh, dc, gates, tanh_c, c_prev, da, one):
    """One step back through the cell, in place (all arrays C-contiguous, one dtype).

    Reads the step's loss gradient dh_loss (N, H), the gradient dh (N, H) that the next step
    sent back, the cell state's gradient dc (N, H), and what the forward step kept: the
    activated gates (N, 4H) in column blocks i, f, g, o, tanh(c) and c_prev (N, H).
    Writes da (N, 4H), the gradient of the gates' pre-activations, and replaces dc with
    dc_prev = dc * f. The caller then computes dh_prev = da @ Wh.T.
    """
    n, hidden = dh.shape
    for row in range(n):
        for k in range(hidden):
            i = gates[row, k]
            f = gates[row, hidden + k]
            g = gates[row, 2 * hidden + k]
            o = gates[row, 3 * hidden + k]
            t = tanh_c[row, k]
            dh_k = dh_loss[row, k] + dh[row, k]
            dc_k = dc[row, k] + dh_k * o * (one - t * t)   # c reaches the loss directly and through h
            da[row, k] = dc_k * g * i * (one - i)
            da[row, hidden + k] = dc_k * c_prev[row, k] * f * (one - f)
            da[row, 2 * hidden + k] = dc_k * i * (one - g * g)
            da[row, 3 * hidden + k] = dh_k * t * o * (one - o)
            dc[row, k] = dc_k * f
