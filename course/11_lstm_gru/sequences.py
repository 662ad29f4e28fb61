"""Notebook 10's recurrent network and character model, for the notebooks after it.

Notebook 11 builds LSTM and GRU cells and trains them as notebook 10 trained
its tanh network, with the same embedding, dense layer at every step, loss,
clipping, streams of text and sampling: it imports them from here rather
than pasting them. Students get this module with notebook 11, once notebook
10 is done (it holds that notebook's answers; see autograder/registry.py).

Conventions (notebook 10): x (N, T, D) a batch of N sequences of T steps,
hidden states (N, T, H), rows times matrices, ids (N, T) integer character
ids. Every function keeps the dtype it is given, so a float32 model trains
in float32.
"""
import numpy as np

PARAM_NAMES = ("W_embed", "Wx", "Wh", "b", "W_out", "b_out")


# ------------------------------------------------------------------- the tanh recurrent network

def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step of a tanh RNN: h = tanh(x Wx + h_prev Wh + b), returned with the cache (x, h_prev, Wx, Wh, h)."""
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """(dx, dh_prev, dWx, dWh, db) of one step, given dh = dL/dh and the step's cache."""
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1 - h * h)                     # back through tanh
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """Every hidden state (N, T, H) of the sequences x (N, T, D) from h0 (N, H), and the T step caches."""
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]), dtype=np.result_type(x, h0, Wx, Wh, b))
    caches, h_t = [], h0
    for t in range(T):
        h_t, cache = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)
        h[:, t] = h_t
        caches.append(cache)
    return h, caches


def rnn_backward(dh_all, caches):
    """(dx, dh0, dWx, dWh, db), given the loss's gradient at every hidden state, dh_all (N, T, H).

    Step t's state feeds the loss at t and step t+1, so its gradient is the
    sum of the two; the shared weights sum their gradients over the steps.
    """
    N, T, _ = dh_all.shape
    _, h0, Wx, Wh, _ = caches[0]
    dx = np.empty((N, T, Wx.shape[0]), dtype=dh_all.dtype)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1], dtype=Wh.dtype)
    dh_next = np.zeros(h0.shape, dtype=dh_all.dtype)    # what step t+1 sends back to step t
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh_all[:, t] + dh_next, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db


# ------------------------------------------------------------------- characters in, scores out

def embedding_forward(ids, W_embed):
    """Row ids[n, t] of W_embed for every position: (out (N, T, D), cache)."""
    return W_embed[ids], (ids, W_embed.shape)


def embedding_backward(dout, cache):
    """dL/dW_embed: every position adds its gradient to its id's row, however often that id occurs."""
    ids, shape = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    np.add.at(dW, ids, dout)
    return dW


def temporal_affine_forward(h, W, b):
    """The same dense layer at every step: h (N, T, H) @ W (H, M) + b (M,) -> (out (N, T, M), cache)."""
    return h @ W + b, (h, W)


def temporal_affine_backward(dout, cache):
    """(dh, dW, db): the weights' gradients sum over the batch and over the steps."""
    h, W = cache
    rows = h.reshape(-1, h.shape[-1])                 # every (example, step) as one row
    grads = dout.reshape(-1, dout.shape[-1])
    return dout @ W.T, rows.T @ grads, grads.sum(axis=0)


def temporal_softmax_loss(scores, targets, mask=None):
    """Softmax cross-entropy averaged over the positions where mask is true (all, without a mask): (loss, dscores)."""
    mask = np.ones(targets.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    count = max(int(mask.sum()), 1)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    n, t = np.indices(targets.shape)
    loss = -np.sum(log_p[n, t, targets] * mask) / count
    dscores = np.exp(log_p)
    dscores[n, t, targets] -= 1
    dscores *= mask[..., None] / count
    return loss, dscores


# ------------------------------------------------------------------- training and sampling

def clip_by_global_norm(grads, max_norm):
    """(clipped, norm): every array scaled by one factor so their joint L2 norm is at most max_norm."""
    norm = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


def init_char_rnn(vocab_size, embed_dim, hidden_dim, seed, dtype=np.float32):
    """The character model's parameters: an embedding table, the RNN's weights and the output layer."""
    rng = np.random.default_rng(seed)

    def uniform(fan_in, shape):
        return rng.uniform(-1, 1, shape) / np.sqrt(fan_in)

    params = {"W_embed": rng.standard_normal((vocab_size, embed_dim)) * 0.1,
              "Wx": uniform(embed_dim, (embed_dim, hidden_dim)),
              "Wh": uniform(hidden_dim, (hidden_dim, hidden_dim)),
              "b": np.zeros(hidden_dim),
              "W_out": uniform(hidden_dim, (hidden_dim, vocab_size)),
              "b_out": np.zeros(vocab_size)}
    return {name: value.astype(dtype) for name, value in params.items()}


def char_rnn_loss(params, inputs, targets, h0):
    """(loss, grads, h_last) of the character model on ids inputs -> targets (N, T), starting from h0."""
    x, embed_cache = embedding_forward(inputs, params["W_embed"])
    h, rnn_cache = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    scores, affine_cache = temporal_affine_forward(h, params["W_out"], params["b_out"])
    loss, dscores = temporal_softmax_loss(scores, targets)
    dh, dW_out, db_out = temporal_affine_backward(dscores, affine_cache)
    dx, _, dWx, dWh, db = rnn_backward(dh, rnn_cache)
    grads = {"W_embed": embedding_backward(dx, embed_cache), "Wx": dWx, "Wh": dWh, "b": db,
             "W_out": dW_out, "b_out": db_out}
    return loss, grads, h[:, -1]


def stream_batches(ids, batch_size, steps):
    """[(inputs, targets), ...]: ids cut into batch_size streams read side by side, steps at a time.

    Stream k is ids[k L:(k+1) L] with L = (len(ids) - 1) // batch_size, its
    targets one place later; row k of chunk j+1 continues row k of chunk j.
    """
    ids = np.asarray(ids)
    length = (len(ids) - 1) // batch_size
    inputs = ids[:batch_size * length].reshape(batch_size, length)
    targets = ids[1:batch_size * length + 1].reshape(batch_size, length)
    return [(inputs[:, j:j + steps], targets[:, j:j + steps]) for j in range(0, length, steps)]


def train_epoch(params, ids, batch_size, steps, learning_rate, max_norm, loss=None, state=None):
    """One epoch of truncated BPTT with clipped SGD, updating params in place; returns the chunks' losses.

    Notebook 10's loop. Two keywords let notebook 11 train other cells with
    it: `loss`, a function like char_rnn_loss (the default) that takes and
    returns the carried state, and `state`, the state to start from (zeros
    of shape (batch_size, H) by default; an LSTM carries a pair).
    """
    loss = char_rnn_loss if loss is None else loss
    if state is None:
        state = np.zeros((batch_size, params["Wh"].shape[0]), dtype=params["Wh"].dtype)
    losses = []
    for inputs, targets in stream_batches(ids, batch_size, steps):
        value, grads, state = loss(params, inputs, targets, state)
        names = list(grads)
        clipped, _ = clip_by_global_norm([grads[name] for name in names], max_norm)
        for name, grad in zip(names, clipped):
            params[name] -= learning_rate * grad
        losses.append(float(value))
    return losses


def softmax_with_temperature(logits, temperature):
    """softmax(logits / temperature) along the last axis: sharper below 1, flatter above."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def generate(params, first_id, length, temperature, seed):
    """`length` character ids drawn one by one, each fed back in, starting from first_id."""
    rng = np.random.default_rng(seed)
    h = np.zeros((1, params["Wh"].shape[0]), dtype=params["Wh"].dtype)
    current, drawn = first_id, []
    for _ in range(length):
        h, _ = rnn_step_forward(params["W_embed"][[current]], h, params["Wx"], params["Wh"], params["b"])
        scores = h @ params["W_out"] + params["b_out"]
        current = int(rng.choice(scores.shape[1], p=softmax_with_temperature(scores[0], temperature)))
        drawn.append(current)
    return drawn
