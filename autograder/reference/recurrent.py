"""Plain float64 numpy reference for notebook 10, recurrent networks.

Hidden tests compare student answers with these functions, so each is the
shortest correct version: a forward pass that returns what its backward pass
needs (the ``cache``), then that backward pass. Conventions:

    x       (N, T, D)  a batch of N sequences of T steps, D features each
    h       (N, T, H)  the hidden state after every step; h0 (N, H) before the first
    Wx      (D, H)     input to hidden, rows times matrices as in the course's dense layers
    Wh      (H, H)     hidden to hidden: the weight shared by every step
    b       (H,)
    ids     (N, T)     integer character ids; W_embed (V, D) one row per id

One step is h_t = tanh(x_t Wx + h_{t-1} Wh + b). Backpropagation through time
runs the steps in reverse; the gradient reaching h_t is what the loss sends to
step t plus what step t+1 sends back through Wh.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "embedding_forward", "embedding_backward",
    "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss",
    "clip_by_global_norm", "softmax_with_temperature",
    "CharRNN", "sample",
    "char_rnn_loss", "stream_batches", "train_epoch", "generate",
]


# ----------------------------------------------------------------------------------------------
# One step, then a whole sequence
# ----------------------------------------------------------------------------------------------

def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """h = tanh(x Wx + h_prev Wh + b) for x (N, D), h_prev (N, H); returns (h, cache)."""
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """Gradients (dx, dh_prev, dWx, dWh, db) of one step, from dh = dL/dh."""
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1.0 - h * h)                 # through tanh: its derivative is 1 - tanh^2
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """Every hidden state (N, T, H) of the sequences x (N, T, D), starting from h0 (N, H)."""
    n, steps, _ = x.shape
    h = np.empty((n, steps, h0.shape[1]))
    caches, h_prev = [], h0
    for t in range(steps):
        h_prev, cache = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
        caches.append(cache)
    return h, caches


def rnn_backward(dh_all, caches):
    """Gradients (dx, dh0, dWx, dWh, db) from dh_all = dL/dh for every step (N, T, H).

    Step t's hidden state feeds the loss at t and step t+1, so its gradient is
    the sum of the two; the weights, shared by all steps, sum theirs too.
    """
    x0, h0, Wx, Wh, _ = caches[0]
    n, steps = dh_all.shape[:2]
    dx = np.empty((n, steps, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    carry = np.zeros_like(h0)                # what step t+1 sends back to step t
    for t in reversed(range(steps)):
        dx[:, t], carry, dWx_t, dWh_t, db_t = rnn_step_backward(dh_all[:, t] + carry, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, carry, dWx, dWh, db


# ----------------------------------------------------------------------------------------------
# Characters in, scores out
# ----------------------------------------------------------------------------------------------

def embedding_forward(ids, W_embed):
    """Row ids[n, t] of W_embed for every position: (N, T, D)."""
    return W_embed[ids], (ids, W_embed.shape)


def embedding_backward(dout, cache):
    """dL/dW_embed: each position adds its gradient to its id's row (ids may repeat)."""
    ids, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, ids, dout)
    return dW


def temporal_affine_forward(h, W, b):
    """The same dense layer at every step: (N, T, H) @ (H, M) + (M,) gives (N, T, M)."""
    return h @ W + b, (h, W)


def temporal_affine_backward(dout, cache):
    """(dh, dW, db), the weight gradients summed over the batch and the steps."""
    h, W = cache
    n, steps, hidden = h.shape
    flat = dout.reshape(n * steps, -1)
    return dout @ W.T, h.reshape(n * steps, hidden).T @ flat, flat.sum(axis=0)


def temporal_softmax_loss(scores, targets, mask=None):
    """Softmax cross-entropy averaged over the positions that count, and its gradient.

    scores (N, T, V), targets (N, T) ids, mask (N, T) true where a position
    counts (false for padding); without a mask every position counts. The
    loss is the mean of -log p(target) over those positions.
    """
    mask = np.ones(targets.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    counted = max(int(mask.sum()), 1)
    loss = -(picked * mask).sum() / counted
    dscores = np.exp(log_p)
    np.put_along_axis(dscores, targets[..., None], np.take_along_axis(dscores, targets[..., None], -1) - 1, -1)
    return loss, dscores * mask[..., None] / counted


# ----------------------------------------------------------------------------------------------
# Training and sampling helpers
# ----------------------------------------------------------------------------------------------

def clip_by_global_norm(grads, max_norm):
    """(clipped grads, norm): all arrays scaled together so their joint L2 norm is at most max_norm.

    One norm over every parameter keeps the update's direction; clipping each
    array on its own would bend it.
    """
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


def softmax_with_temperature(logits, temperature):
    """softmax(logits / temperature): below 1 sharper, above 1 flatter, 1 unchanged."""
    z = np.asarray(logits, dtype=float) / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


class CharRNN:
    """A character model: embedding, tanh RNN, and a dense layer to scores over the vocabulary."""

    def __init__(self, vocab_size, embed_dim, hidden_dim, rng):
        def uniform(fan_in, shape):
            return rng.uniform(-1, 1, shape) / np.sqrt(fan_in)
        self.params = {
            "W_embed": rng.standard_normal((vocab_size, embed_dim)) * 0.1,
            "Wx": uniform(embed_dim, (embed_dim, hidden_dim)),
            "Wh": uniform(hidden_dim, (hidden_dim, hidden_dim)),
            "b": np.zeros(hidden_dim),
            "W_out": uniform(hidden_dim, (hidden_dim, vocab_size)),
            "b_out": np.zeros(vocab_size),
        }

    def loss_and_grads(self, inputs, targets, h0):
        """(loss, grads, last hidden state) for ids inputs -> targets (N, T), starting from h0.

        Truncated backpropagation through time: pass the returned state as the
        next chunk's h0. It is a plain array, so the gradient stops there.
        """
        p = self.params
        x, embed_cache = embedding_forward(inputs, p["W_embed"])
        h, rnn_cache = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
        scores, affine_cache = temporal_affine_forward(h, p["W_out"], p["b_out"])
        loss, dscores = temporal_softmax_loss(scores, targets)
        dh, dW_out, db_out = temporal_affine_backward(dscores, affine_cache)
        dx, _, dWx, dWh, db = rnn_backward(dh, rnn_cache)
        grads = {"W_embed": embedding_backward(dx, embed_cache), "Wx": dWx, "Wh": dWh, "b": db,
                 "W_out": dW_out, "b_out": db_out}
        return loss, grads, h[:, -1]

    def step(self, ids, h):
        """Feed one id per sequence (N,); returns (scores (N, V), new hidden state)."""
        p = self.params
        h, _ = rnn_step_forward(p["W_embed"][ids], h, p["Wx"], p["Wh"], p["b"])
        return h @ p["W_out"] + p["b_out"], h


def sample(model, first_id, length, temperature, rng, h0=None):
    """`length` ids drawn one at a time, each fed back in; from first_id, with rng (seeded)."""
    h = np.zeros((1, model.params["Wh"].shape[0])) if h0 is None else h0
    ids, current = [], np.array([first_id])
    for _ in range(length):
        scores, h = model.step(current, h)
        current = np.array([rng.choice(scores.shape[1], p=softmax_with_temperature(scores[0], temperature))])
        ids.append(int(current[0]))
    return ids


# ----------------------------------------------------------------------------------------------
# Notebook 10's model as plain functions of a parameter dict (names as in CharRNN.params)
# ----------------------------------------------------------------------------------------------

def char_rnn_loss(params, inputs, targets, h0):
    """(loss, grads, last hidden state): CharRNN.loss_and_grads for a dict of parameters."""
    model = CharRNN.__new__(CharRNN)
    model.params = params
    return model.loss_and_grads(inputs, targets, h0)


def stream_batches(ids, batch_size, steps):
    """[(inputs, targets), ...]: ids cut into batch_size streams read side by side, chunk by chunk.

    Stream k is ids[k L:(k+1) L] with L = (len(ids) - 1) // batch_size, and its
    targets are the same characters one place later. Chunk j holds columns
    j steps to (j+1) steps of every stream (the last chunk may be shorter), so
    row k of chunk j+1 continues row k of chunk j: a hidden state carried from
    one chunk to the next has read the text just before.
    """
    ids = np.asarray(ids)
    length = (len(ids) - 1) // batch_size
    starts = np.arange(batch_size)[:, None] * length + np.arange(length)
    inputs, targets = ids[starts], ids[starts + 1]
    return [(inputs[:, j:j + steps], targets[:, j:j + steps]) for j in range(0, length, steps)]


def train_epoch(params, ids, batch_size, steps, learning_rate, max_norm):
    """One epoch of truncated BPTT and clipped SGD, updating params in place; the chunks' losses.

    The hidden state goes from chunk to chunk as a plain array: the next
    chunk starts where the text left off, and its gradient stops there.
    """
    h = np.zeros((batch_size, params["Wh"].shape[0]), dtype=params["Wh"].dtype)
    names, losses = list(params), []
    for inputs, targets in stream_batches(ids, batch_size, steps):
        loss, grads, h = char_rnn_loss(params, inputs, targets, h)
        clipped, _ = clip_by_global_norm([grads[name] for name in names], max_norm)
        for name, grad in zip(names, clipped):
            params[name] -= learning_rate * grad
        losses.append(float(loss))
    return losses


def generate(params, first_id, length, temperature, seed):
    """`sample` for a dict of parameters, drawing from np.random.default_rng(seed)."""
    model = CharRNN.__new__(CharRNN)
    model.params = params
    return sample(model, first_id, length, temperature, np.random.default_rng(seed))
