"""Reference for notebook 10, recurrent networks.

The answers of notebook 10 are ``autograder.published.sequences``: one copy,
which students get as sequences.py beside notebook 11. Notebook 10's folder
has no copy, its kernel may not import one (autograder/registry.py), and the
hidden tests compare with it from here; tests/reference/test_recurrent.py
checks it against numerical gradients and by hand. Conventions:

    x       (N, T, D)  a batch of N sequences of T steps, D features each
    h       (N, T, H)  the hidden state after every step; h0 (N, H) before the first
    Wx      (D, H)     input to hidden, rows times matrices as in the course's dense layers
    Wh      (H, H)     hidden to hidden: the weight shared by every step
    ids     (N, T)     integer character ids; W_embed (V, D) one row per id

Here too: ``CharRNN``, the same model as an object (bench.rnn trains it
beside PyTorch), and ``sample``, which draws from any such object.
"""
from __future__ import annotations

import numpy as np

from autograder.published.sequences import (char_rnn_loss, clip_by_global_norm, embedding_backward,  # noqa: F401
                                            embedding_forward, generate, rnn_backward, rnn_forward, rnn_step_backward,
                                            rnn_step_forward, softmax_with_temperature, stream_batches,
                                            temporal_affine_backward, temporal_affine_forward, temporal_softmax_loss,
                                            train_epoch)

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "embedding_forward", "embedding_backward",
    "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss",
    "clip_by_global_norm", "softmax_with_temperature",
    "char_rnn_loss", "stream_batches", "train_epoch", "generate",
    "CharRNN", "sample",
]


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
        return char_rnn_loss(self.params, inputs, targets, h0)

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
