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
    """1 / (1 + e^-a), without overflow for large negative a."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _blocks(a, count):
    return np.split(a, count, axis=-1)


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


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One step: returns (h, c, cache)."""
    a_i, a_f, a_g, a_o = _blocks(x @ Wx + h_prev @ Wh + b, 4)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)


def lstm_step_backward(dh, dc, cache):
    """(dx, dh_prev, dc_prev, dWx, dWh, db) from dh = dL/dh and dc = dL/dc from later steps."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)      # c reaches the loss directly and through h
    da = np.concatenate([dc * g * i * (1.0 - i),      # a_i
                         dc * c_prev * f * (1.0 - f),  # a_f
                         dc * i * (1.0 - g * g),       # a_g
                         dh * tanh_c * o * (1.0 - o)], axis=-1)  # a_o
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """Hidden states (N, T, H) for x (N, T, D) from h0 (and c0, zeros by default); (h, caches)."""
    n, steps, _ = x.shape
    h_all = np.empty((n, steps, h0.shape[1]))
    h, c = h0, np.zeros_like(h0) if c0 is None else c0
    caches = []
    for t in range(steps):
        h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        h_all[:, t] = h
        caches.append(cache)
    return h_all, caches


def lstm_backward(dh_all, caches):
    """(dx, dh0, dWx, dWh, db): step t's h gets its own loss gradient plus step t+1's, and its
    cell state the gradient step t+1 passes back through the forget gate."""
    x0, h0, _, Wx, Wh = caches[0][:5]
    n, steps = dh_all.shape[:2]
    dx = np.empty((n, steps, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wx.shape[1])
    dh_carry, dc_carry = np.zeros_like(h0), np.zeros_like(h0)
    for t in reversed(range(steps)):
        dx[:, t], dh_carry, dc_carry, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh_all[:, t] + dh_carry, dc_carry, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_carry, dWx, dWh, db


# ----------------------------------------------------------------------------------------------
# GRU
# ----------------------------------------------------------------------------------------------

def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    """One step: returns (h, cache)."""
    ax_r, ax_z, ax_n = _blocks(x @ Wx + bx, 3)
    ah_r, ah_z, ah_n = _blocks(h_prev @ Wh + bh, 3)
    r, z = sigmoid(ax_r + ah_r), sigmoid(ax_z + ah_z)
    n = np.tanh(ax_n + r * ah_n)
    h = (1.0 - z) * n + z * h_prev
    return h, (x, h_prev, Wx, Wh, r, z, n, ah_n)


def gru_step_backward(dh, cache):
    """(dx, dh_prev, dWx, dWh, dbx, dbh) from dh = dL/dh."""
    x, h_prev, Wx, Wh, r, z, n, ah_n = cache
    da_n = dh * (1.0 - z) * (1.0 - n * n)
    da_r = da_n * ah_n * r * (1.0 - r)
    da_z = dh * (h_prev - n) * z * (1.0 - z)
    dax = np.concatenate([da_r, da_z, da_n], axis=-1)
    dah = np.concatenate([da_r, da_z, da_n * r], axis=-1)
    return (dax @ Wx.T, dh * z + dah @ Wh.T, x.T @ dax, h_prev.T @ dah,
            dax.sum(axis=0), dah.sum(axis=0))


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """Hidden states (N, T, H) for x (N, T, D) from h0; returns (h, caches)."""
    n, steps, _ = x.shape
    h_all = np.empty((n, steps, h0.shape[1]))
    h, caches = h0, []
    for t in range(steps):
        h, cache = gru_step_forward(x[:, t], h, Wx, Wh, bx, bh)
        h_all[:, t] = h
        caches.append(cache)
    return h_all, caches


def gru_backward(dh_all, caches):
    """(dx, dh0, dWx, dWh, dbx, dbh), as rnn_backward: each step's h gets its loss gradient
    plus what the next step sends back."""
    x0, h0, Wx, Wh = caches[0][:4]
    n, steps = dh_all.shape[:2]
    dx = np.empty((n, steps, x0.shape[1]))
    sums = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wx.shape[1]), np.zeros(Wh.shape[1])]
    carry = np.zeros_like(h0)
    for t in reversed(range(steps)):
        dx[:, t], carry, *step_grads = gru_step_backward(dh_all[:, t] + carry, caches[t])
        for total, grad in zip(sums, step_grads):
            total += grad
    return (dx, carry, *sums)
