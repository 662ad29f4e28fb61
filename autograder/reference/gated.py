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

The step functions are the shortest correct versions. lstm_forward and lstm_backward run the
same arithmetic arranged for speed (bench/rnn.py times them against torch.nn.LSTM): time-major
buffers written in place, every matrix product on contiguous operands, and the backward
step's elementwise part in one numba loop (gated_kernels.py).
"""
from __future__ import annotations

import numpy as np

from autograder.published.framework import Layer, check_same_shape
from autograder.published.sequences import (embedding_backward, embedding_forward, temporal_affine_backward,
                                            temporal_affine_forward, temporal_softmax_loss)

from .gated_kernels import lstm_cell_backward

__all__ = [
    "sigmoid", "lstm_init", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "lstm_notebook_cache", "lstm_with_state", "gru_init", "LSTMLayer", "GRULayer", "char_lstm_loss", "char_gru_loss",
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


def _lstm_gate_constants(hidden, dtype):
    """(scale, shift), rows of 4H: the gates are scale * tanh(scale * a) + shift, since
    sigmoid(a) = 0.5 + 0.5 tanh(a / 2) for i, f, o and g is tanh(a) itself. One tanh call then
    activates all four blocks."""
    scale = np.full((4, hidden), 0.5, dtype)
    shift = np.full((4, hidden), 0.5, dtype)
    scale[2], shift[2] = 1.0, 0.0
    return scale.reshape(-1), shift.reshape(-1)


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """Hidden states (N, T, H) for x (N, T, D) from h0 (and c0, zeros by default); (h, cache).

    The same cell as lstm_step_forward, arranged for speed (about 3x fewer numpy calls per
    step; bench/rnn.py times it against torch.nn.LSTM): only h_{t-1} Wh waits for the step
    before, so x Wx is one product for every step at once, and the loop works time-major,
    (T, N, ...), so that each step's slices are contiguous and written in place.
    """
    n, steps, d = x.shape
    hidden = h0.shape[1]
    x_by_step = np.ascontiguousarray(x.transpose(1, 0, 2))                   # (T, N, D)
    gates = (x_by_step.reshape(-1, d) @ Wx + b).reshape(steps, n, 4 * hidden)  # x Wx + b, then the gates
    dtype = gates.dtype
    scale, shift = _lstm_gate_constants(hidden, dtype)
    c = np.empty((steps + 1, n, hidden), dtype)      # c[t + 1] is step t's cell state
    c[0] = 0.0 if c0 is None else c0
    tanh_c = np.empty((steps, n, hidden), dtype)
    h = np.empty((steps + 1, n, hidden), dtype)      # h[0] = h0
    h[0] = h0
    ig = np.empty((n, hidden), dtype)
    for t in range(steps):
        a = gates[t]
        a += h[t] @ Wh
        a *= scale
        np.tanh(a, out=a)
        a *= scale
        a += shift                                    # a now holds i, f, g, o
        i, f, g, o = _blocks(a, 4)
        np.multiply(f, c[t], out=c[t + 1])
        np.multiply(i, g, out=ig)
        c[t + 1] += ig
        np.tanh(c[t + 1], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h[t + 1])
    return h[1:].transpose(1, 0, 2).copy(), (x_by_step, Wx, Wh, h, c, tanh_c, gates)


def lstm_backward(dh_all, cache):
    """(dx, dh0, dWx, dWh, db): step t's h gets its own loss gradient plus step t+1's, and its
    cell state the gradient step t+1 passes back through the forget gate. The elementwise
    part of each step is gated_kernels.lstm_cell_backward, the arithmetic of
    lstm_step_backward in one numba loop; the weights' gradients are then one product each
    over all steps."""
    x_by_step, Wx, Wh, h, c, tanh_c, gates = cache
    steps, n, width = gates.shape
    dtype = gates.dtype
    dh_by_step = np.ascontiguousarray(dh_all.transpose(1, 0, 2), dtype=dtype)
    Wh_T = np.ascontiguousarray(Wh.T)         # a transposed view would make each product ~1.5x slower
    da = np.empty_like(gates)
    dh, dc = np.zeros_like(h[0]), np.zeros_like(c[0])
    one = dtype.type(1)
    for t in reversed(range(steps)):
        lstm_cell_backward(dh_by_step[t], dh, dc, gates[t], tanh_c[t], c[t], da[t], one)
        np.matmul(da[t], Wh_T, out=dh)
    flat_da = da.reshape(-1, width)
    d = x_by_step.shape[-1]
    dx = (flat_da @ np.ascontiguousarray(Wx.T)).reshape(steps, n, d).transpose(1, 0, 2).copy()
    return (dx, dh, x_by_step.reshape(-1, d).T @ flat_da, h[:-1].reshape(-1, h.shape[-1]).T @ flat_da,
            flat_da.sum(axis=0))


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


# ----------------------------------------------------------------------------------------------
# Notebook 11's exercises around the two cells
# ----------------------------------------------------------------------------------------------

def lstm_notebook_cache(x, h_prev, c_prev, Wx, Wh, b):
    """The cache of notebook 11's lstm_step_forward, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c),
    which its hidden tests hand to the student's lstm_step_backward."""
    h, c, (_, _, (_, _, _, i, f, g, o, _)) = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    return x, h_prev, c_prev, Wx, Wh, i, f, g, o, c


def lstm_with_state(x, h0, c0, Wx, Wh, b):
    """(h, c_last, cache): notebook 11's lstm_forward, which also returns the last cell state."""
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    return h, cache[4][-1].copy(), cache


def gru_init(input_dim, hidden_dim, rng):
    """(Wx, Wh, bx, bh): uniform weights of scale 1/sqrt(H), as PyTorch, and zero biases."""
    scale = 1.0 / np.sqrt(hidden_dim)
    Wx = rng.uniform(-scale, scale, (input_dim, 3 * hidden_dim))
    Wh = rng.uniform(-scale, scale, (hidden_dim, 3 * hidden_dim))
    return Wx, Wh, np.zeros(3 * hidden_dim), np.zeros(3 * hidden_dim)


class _RecurrentLayer(Layer):
    """A framework layer over sequences (N, T, D) -> every hidden state (N, T, H), from zeros.

    Its parameters come from `init(D, H, default_rng(seed))` in the input's
    dtype; forward and backward are the cell's whole-sequence functions.
    """
    init = forward_fn = backward_fn = None

    def _setup_layer(self, input_):
        dtype = input_.dtype if np.issubdtype(input_.dtype, np.floating) else np.float64
        made = type(self).init(input_.shape[2], self.neurons, np.random.default_rng(self.seed))
        self.params = [p.astype(dtype) for p in made]

    def forward(self, input_, inference=False):
        if self.first:
            self._setup_layer(input_)
            self.first = False
        self.input_ = input_
        h0 = np.zeros((input_.shape[0], self.neurons), dtype=self.params[0].dtype)
        self.output, self._cache = type(self).forward_fn(input_, h0, *self.params)
        return self.output

    def backward(self, output_grad):
        check_same_shape(output_grad, self.output, f"{type(self).__name__} output_grad")
        dx, _, *self.param_grads = type(self).backward_fn(output_grad, self._cache)
        return dx


class LSTMLayer(_RecurrentLayer):
    """params [Wx (D, 4H), Wh (H, 4H), b (4H,)], the forget gate's bias at 1."""
    init, forward_fn, backward_fn = staticmethod(lstm_init), staticmethod(lstm_forward), staticmethod(lstm_backward)


class GRULayer(_RecurrentLayer):
    """params [Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,)]."""
    init, forward_fn, backward_fn = staticmethod(gru_init), staticmethod(gru_forward), staticmethod(gru_backward)


def _char_model(params, inputs, targets, run, backward):
    """The character model around any cell: `run(x)` gives (h, state, cache), `backward(dh, cache)`
    the cell's weight gradients (a dict) and dx."""
    x, embed_cache = embedding_forward(inputs, params["W_embed"])
    h, state, cell_cache = run(x)
    scores, affine_cache = temporal_affine_forward(h, params["W_out"], params["b_out"])
    loss, dscores = temporal_softmax_loss(scores, targets)
    dh, dW_out, db_out = temporal_affine_backward(dscores, affine_cache)
    dx, cell_grads = backward(dh, cell_cache)
    grads = {"W_embed": embedding_backward(dx, embed_cache), **cell_grads, "W_out": dW_out, "b_out": db_out}
    return loss, grads, state


def char_lstm_loss(params, inputs, targets, state):
    """(loss, grads, (h_last, c_last)) of the character model with an LSTM, from state = (h0, c0)."""
    def run(x):
        h, c_last, cache = lstm_with_state(x, state[0], state[1], params["Wx"], params["Wh"], params["b"])
        return h, (h[:, -1].copy(), c_last), cache

    def backward(dh, cache):
        dx, _, dWx, dWh, db = lstm_backward(dh, cache)
        return dx, {"Wx": dWx, "Wh": dWh, "b": db}
    return _char_model(params, inputs, targets, run, backward)


def char_gru_loss(params, inputs, targets, h0):
    """(loss, grads, h_last) of the character model with a GRU, from h0."""
    def run(x):
        h, cache = gru_forward(x, h0, params["Wx"], params["Wh"], params["bx"], params["bh"])
        return h, h[:, -1].copy(), cache

    def backward(dh, cache):
        dx, _, dWx, dWh, dbx, dbh = gru_backward(dh, cache)
        return dx, {"Wx": dWx, "Wh": dWh, "bx": dbx, "bh": dbh}
    return _char_model(params, inputs, targets, run, backward)
