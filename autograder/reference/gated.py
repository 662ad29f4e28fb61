"""Plain float64 numpy reference for notebook 11, LSTM and GRU.

Shapes follow notebook 10 (x (N, T, D), hidden states (N, T, H), rows times
matrices). Each cell computes all its gates with one fused product, and the
gate order is PyTorch's, so that the same weights load into torch.nn.LSTM and
torch.nn.GRU (transposed):

LSTM, a = x Wx + h_prev Wh + b with Wx (D, 4H), Wh (H, 4H), b (4H,), gates in
column blocks i, f, g, o:
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c = f * c_prev + i * g;  h = o * tanh(c)
The cell state c is added to, not squashed, from step to step: its gradient
flows back through f alone, which is why f's bias starts at 1 (at first the
cell remembers, and the gradient reaches far back).

GRU, PyTorch's convention: the reset gate scales the hidden state's share of
the candidate *after* its product with the weights. With Wx (D, 3H), Wh (H, 3H),
bx and bh (3H,), column blocks r, z, n:
    r = sigmoid(x Wx_r + bx_r + h_prev Wh_r + bh_r)   (z the same with its blocks)
    n = tanh(x Wx_n + bx_n + r * (h_prev Wh_n + bh_n))
    h = (1 - z) * n + z * h_prev          z near 1 keeps the old state
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "sigmoid", "lstm_init", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
]


def sigmoid(a):
    """1 / (1 + e^-a), written as (1 + tanh(a/2)) / 2: the same function, and no e^-a to
    overflow for large negative a."""
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def _blocks(a, count):
    """The `count` equal column blocks of a, as views."""
    width = a.shape[-1] // count
    return [a[..., k * width:(k + 1) * width] for k in range(count)]


# ----------------------------------------------------------------------------------------------
# LSTM
# ----------------------------------------------------------------------------------------------

def lstm_init(input_dim, hidden_dim, rng, forget_bias=1.0):
    """(Wx, Wh, b): uniform weights of scale 1/sqrt(H), as PyTorch, and the forget gate's bias at
    `forget_bias`, so that at the start the cell keeps most of its state."""
    scale = 1.0 / np.sqrt(hidden_dim)
    Wx = rng.uniform(-scale, scale, (input_dim, 4 * hidden_dim))
    Wh = rng.uniform(-scale, scale, (hidden_dim, 4 * hidden_dim))
    b = np.zeros(4 * hidden_dim)
    b[hidden_dim:2 * hidden_dim] = forget_bias
    return Wx, Wh, b


def _lstm_cell(a_x, h_prev, c_prev, Wh):
    """The step given a_x = x Wx + b: returns (h, c, what the backward pass needs)."""
    a_i, a_f, a_g, a_o = _blocks(a_x + h_prev @ Wh, 4)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    return o * tanh_c, c, (h_prev, c_prev, Wh, i, f, g, o, tanh_c)


def _lstm_cell_backward(dh, dc, cell):
    """(da, dh_prev, dc_prev): the gradient of the gates' pre-activations a and of the state."""
    h_prev, c_prev, Wh, i, f, g, o, tanh_c = cell
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)      # c reaches the loss directly and through h
    da = np.concatenate([dc * g * i * (1.0 - i),      # a_i
                         dc * c_prev * f * (1.0 - f),  # a_f
                         dc * i * (1.0 - g * g),       # a_g
                         dh * tanh_c * o * (1.0 - o)], axis=-1)  # a_o
    return da, da @ Wh.T, dc * f


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One step: returns (h, c, cache)."""
    h, c, cell = _lstm_cell(x @ Wx + b, h_prev, c_prev, Wh)
    return h, c, (x, Wx, cell)


def lstm_step_backward(dh, dc, cache):
    """(dx, dh_prev, dc_prev, dWx, dWh, db) from dh = dL/dh and dc = dL/dc from later steps."""
    x, Wx, cell = cache
    da, dh_prev, dc_prev = _lstm_cell_backward(dh, dc, cell)
    return da @ Wx.T, dh_prev, dc_prev, x.T @ da, cell[0].T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """Hidden states (N, T, H) for x (N, T, D) from h0 (and c0, zeros by default); (h, cache).

    Only h_{t-1} Wh waits for the step before; x Wx is one product for every step at once.
    """
    n, steps, _ = x.shape
    a_x = x @ Wx + b
    h_all = np.empty((n, steps, h0.shape[1]), dtype=a_x.dtype)
    h, c = h0, np.zeros_like(h0) if c0 is None else c0
    cells = []
    for t in range(steps):
        h, c, cell = _lstm_cell(a_x[:, t], h, c, Wh)
        h_all[:, t] = h
        cells.append(cell)
    return h_all, (x, h0, Wx, h_all, cells)


def lstm_backward(dh_all, cache):
    """(dx, dh0, dWx, dWh, db): step t's h gets its own loss gradient plus step t+1's, and its
    cell state the gradient step t+1 passes back through the forget gate. The weights' gradients
    are then one product each over all steps."""
    x, h0, Wx, h_all, cells = cache
    da = np.empty(h_all.shape[:2] + (Wx.shape[1],), dtype=h_all.dtype)
    dh, dc = np.zeros_like(h0), np.zeros_like(h0)
    for t in reversed(range(len(cells))):
        da[:, t], dh, dc = _lstm_cell_backward(dh_all[:, t] + dh, dc, cells[t])
    h_prev = np.concatenate([h0[:, None], h_all[:, :-1]], axis=1)     # the state each step started from
    flat_da = da.reshape(-1, da.shape[-1])
    return (da @ Wx.T, dh, x.reshape(-1, x.shape[-1]).T @ flat_da,
            h_prev.reshape(-1, h0.shape[1]).T @ flat_da, flat_da.sum(axis=0))


# ----------------------------------------------------------------------------------------------
# GRU
# ----------------------------------------------------------------------------------------------

def _gru_cell(a_x, h_prev, Wh, bh):
    """The step given a_x = x Wx + bx: returns (h, what the backward pass needs)."""
    ax_r, ax_z, ax_n = _blocks(a_x, 3)
    ah_r, ah_z, ah_n = _blocks(h_prev @ Wh + bh, 3)
    r, z = sigmoid(ax_r + ah_r), sigmoid(ax_z + ah_z)
    n = np.tanh(ax_n + r * ah_n)
    return (1.0 - z) * n + z * h_prev, (h_prev, Wh, r, z, n, ah_n)


def _gru_cell_backward(dh, cell):
    """(dax, dah, dh_prev): the gradients of x Wx + bx, of h_prev Wh + bh, and of h_prev."""
    h_prev, Wh, r, z, n, ah_n = cell
    da_n = dh * (1.0 - z) * (1.0 - n * n)
    da_r = da_n * ah_n * r * (1.0 - r)
    da_z = dh * (h_prev - n) * z * (1.0 - z)
    dah = np.concatenate([da_r, da_z, da_n * r], axis=-1)
    return np.concatenate([da_r, da_z, da_n], axis=-1), dah, dh * z + dah @ Wh.T


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    """One step: returns (h, cache)."""
    h, cell = _gru_cell(x @ Wx + bx, h_prev, Wh, bh)
    return h, (x, Wx, cell)


def gru_step_backward(dh, cache):
    """(dx, dh_prev, dWx, dWh, dbx, dbh) from dh = dL/dh."""
    x, Wx, cell = cache
    dax, dah, dh_prev = _gru_cell_backward(dh, cell)
    return dax @ Wx.T, dh_prev, x.T @ dax, cell[0].T @ dah, dax.sum(axis=0), dah.sum(axis=0)


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """Hidden states (N, T, H) for x (N, T, D) from h0; returns (h, cache)."""
    n, steps, _ = x.shape
    a_x = x @ Wx + bx
    h_all = np.empty((n, steps, h0.shape[1]), dtype=a_x.dtype)
    h, cells = h0, []
    for t in range(steps):
        h, cell = _gru_cell(a_x[:, t], h, Wh, bh)
        h_all[:, t] = h
        cells.append(cell)
    return h_all, (x, h0, Wx, h_all, cells)


def gru_backward(dh_all, cache):
    """(dx, dh0, dWx, dWh, dbx, dbh), as lstm_backward: each step's h gets its loss gradient
    plus what the next step sends back; the weights' gradients are one product each."""
    x, h0, Wx, h_all, cells = cache
    dax = np.empty(h_all.shape[:2] + (Wx.shape[1],), dtype=h_all.dtype)
    dah = np.empty_like(dax)
    dh = np.zeros_like(h0)
    for t in reversed(range(len(cells))):
        dax[:, t], dah[:, t], dh = _gru_cell_backward(dh_all[:, t] + dh, cells[t])
    h_prev = np.concatenate([h0[:, None], h_all[:, :-1]], axis=1)
    flat_x, flat_h = dax.reshape(-1, dax.shape[-1]), dah.reshape(-1, dah.shape[-1])
    return (dax @ Wx.T, dh, x.reshape(-1, x.shape[-1]).T @ flat_x,
            h_prev.reshape(-1, h0.shape[1]).T @ flat_h, flat_x.sum(axis=0), flat_h.sum(axis=0))
