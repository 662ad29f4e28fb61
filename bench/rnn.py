"""Recurrent networks, the references against PyTorch: LSTM and GRU layers, then a character model.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python -m bench.rnn           # about 3 minutes
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python -m bench.rnn --quick   # seconds
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python -m bench.rnn --full --epochs 5

(Where the machine sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, unset them for the bench
command alone: they pin OpenBLAS to an older, slower kernel. The header prints the kernel.)

Threads: 1 for everything, numpy's OpenBLAS (threadpoolctl) and PyTorch
(``torch.set_num_threads(1)``). A recurrent step is a small product (32 x 128 x 512) that a
second thread barely speeds up, and the two cores of this machine are shared.

Part 1, the layers. ``autograder.reference.gated``'s lstm_forward + lstm_backward and
gru_forward + gru_backward against ``torch.nn.LSTM`` and ``torch.nn.GRU`` holding the same
weights, float32, forward and backward (dx, dh0 and every weight gradient on both sides),
for each (N, T, D, H) of SHAPES. Calls interleave, and each side's best call counts
(``bench.conv.race``), so that a background load hits both alike.

Part 2, the character model. ``autograder.reference.recurrent.CharRNN`` (embedding, tanh
RNN, dense layer, mean softmax cross-entropy) and a PyTorch twin (``nn.Embedding``,
``nn.RNN`` with tanh, ``nn.Linear``) train side by side, their epochs alternating. The same
on both sides: the initial weights (copied from ours; nn.RNN's second bias is held at zero
and frozen, since it would otherwise take a second step of the same gradient), the batches,
the loss, the update (plain SGD, the rate falling linearly to a tenth over the epochs as in
notebook 10, after clipping the gradients to a global norm, ``clip_by_global_norm``'s rule
written out for PyTorch: ``clip_grad_norm_`` adds 1e-6 to the norm) and float64, so that the
noise floor is one float64 ulp. Batches are truncated backpropagation through time over
consecutive chunks: the training text is cut into N parallel streams, each read T characters
at a time, and the hidden state carried from one chunk to the next (notebook 10's
``stream_batches``, as karpathy's min-char-rnn and d2l's sequential partitioning do); each
epoch starts the streams from zeros. Validation is the mean loss per character on the
held-out play (Julius Caesar), read the same way.

Training is chaotic: a rounding difference grows until the two runs are, in effect, two
samples of the same training process (``bench.mlp_ablation`` measured this). A third side,
PyTorch from the initial weights moved up by one float64 step (one ulp, ``torch.nextafter``),
gives the floor: the gap between PyTorch and itself. Ours is as right as PyTorch when its
same-epoch gap to PyTorch is no larger than that floor.

The last line is the summary: the LSTM's and the GRU's worst (largest over SHAPES) ratio
ours / PyTorch; the character model's median per-epoch time ratio; the largest same-epoch
validation loss gap |ours - PyTorch| over the epochs, in nats per character, and in
brackets the largest |PyTorch+1ulp - PyTorch|; our best validation loss in bits per
character.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_info, threadpool_limits

from autograder.reference import gated
from autograder.reference.recurrent import (
    CharRNN,
    clip_by_global_norm,
    stream_batches,
    embedding_forward,
    rnn_forward,
    temporal_affine_forward,
    temporal_softmax_loss,
)
from bench.conv import race
from bench.mlp_ablation import nudged
from dlscratch.data import load_shakespeare

SEED = 10
SHAPES = [(32, 25, 128, 128), (64, 50, 256, 256)]   # (N, T, D, H) of the layer timings
RACE_SECONDS = 6.0                                    # per shape and cell

# the character model
BATCH = 32          # parallel streams
STEPS = 25          # characters per chunk (truncated backpropagation through time)
EMBED = 32
HIDDEN = 128
LR = 2.0
CLIP = 1.0
EPOCHS = 8
CHARS = 250_000     # training characters without --full (the corpus has 1,042,002)
PARAMS = ("W_embed", "Wx", "Wh", "b", "W_out", "b_out")

_blas_limits = None  # kept so that the limit stays in force


def set_threads() -> None:
    global _blas_limits
    _blas_limits = threadpool_limits(limits=1, user_api="blas")
    torch.set_num_threads(1)


# ------------------------------------------------------------------------------ the layers

def torch_layer(cell: str, weights) -> torch.nn.Module:
    """torch.nn.LSTM or GRU (batch first) holding our weights: rows times matrices here,
    (out, in) there, so transposed; our LSTM has one bias, PyTorch two that add up."""
    Wx, Wh, *biases = weights
    if cell == "lstm":
        biases = [biases[0], np.zeros_like(biases[0])]
    module = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(Wx.shape[0], Wh.shape[0], batch_first=True)
    with torch.no_grad():
        for param, value in zip((module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0),
                                (Wx.T, Wh.T, *biases)):
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return module


def layer_case(cell: str, shape, seed: int = SEED) -> dict:
    """Ours and PyTorch's forward + backward for one shape, float32, as callables that
    return (h, dx, dh0): the same inputs, weights and upstream gradient on both sides."""
    n, steps, d, hidden = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, d)).astype(np.float32)
    h0 = (0.5 * rng.standard_normal((n, hidden))).astype(np.float32)
    dh = rng.standard_normal((n, steps, hidden)).astype(np.float32)
    scale = 1 / np.sqrt(hidden)
    if cell == "lstm":
        weights = [w.astype(np.float32) for w in gated.lstm_init(d, hidden, rng)]
    else:
        weights = [rng.uniform(-scale, scale, s).astype(np.float32)
                   for s in ((d, 3 * hidden), (hidden, 3 * hidden), (3 * hidden,), (3 * hidden,))]
    forward, backward = (gated.lstm_forward, gated.lstm_backward) if cell == "lstm" else \
        (gated.gru_forward, gated.gru_backward)

    def ours():
        h, cache = forward(x, h0, *weights)
        grads = backward(dh, cache)
        return h, grads[0], grads[1]

    module = torch_layer(cell, weights)
    tx = torch.from_numpy(x).requires_grad_()
    th0 = torch.from_numpy(h0)[None].requires_grad_()
    state = (th0, torch.zeros_like(th0)) if cell == "lstm" else th0
    tdh = torch.from_numpy(dh)

    def theirs():
        for p in (tx, th0, *module.parameters()):
            p.grad = None
        out, _ = module(tx, state)
        out.backward(tdh)
        return out.detach().numpy(), tx.grad.numpy(), th0.grad.numpy()[0]

    return {"ours": ours, "torch": theirs}


def time_layers(shapes, seconds: float) -> dict:
    """(cell, shape) -> (ours seconds, PyTorch seconds, ratio), one line printed for each."""
    print(f"\n{'cell':<5} {'N,T,D,H':<14} {'ours ms':>9} {'torch ms':>9} {'ratio':>7}")
    results = {}
    for shape in shapes:
        for cell in ("lstm", "gru"):
            best = race(layer_case(cell, shape), seconds)
            ratio = best["ours"] / best["torch"]
            results[cell, shape] = (best["ours"], best["torch"], ratio)
            print(f"{cell:<5} {','.join(map(str, shape)):<14} {best['ours'] * 1e3:>9.3f}"
                  f" {best['torch'] * 1e3:>9.3f} {ratio:>6.2f}x", flush=True)
    return results


# ------------------------------------------------------------------- the character model

def new_model(vocab: int, embed: int, hidden: int, seed: int = SEED) -> CharRNN:
    return CharRNN(vocab, embed, hidden, np.random.default_rng(seed))


class Ours:
    """CharRNN trained with plain SGD after global-norm clipping."""

    def __init__(self, model: CharRNN, lr: float, clip: float):
        self.model, self.lr, self.clip = model, lr, clip

    def train_epoch(self, batches) -> None:
        p = self.model.params
        h = np.zeros((batches[0][0].shape[0], p["Wh"].shape[0]))
        for inputs, targets in batches:
            _, grads, h = self.model.loss_and_grads(inputs, targets, h)
            clipped, _ = clip_by_global_norm([grads[name] for name in PARAMS], self.clip)
            for name, grad in zip(PARAMS, clipped):
                p[name] -= self.lr * grad

    def validation_loss(self, batches) -> float:
        """Mean loss per character (nats), the state carried from chunk to chunk."""
        p = self.model.params
        h = np.zeros((batches[0][0].shape[0], p["Wh"].shape[0]))
        total = 0.0
        for inputs, targets in batches:
            x, _ = embedding_forward(inputs, p["W_embed"])
            hs, _ = rnn_forward(x, h, p["Wx"], p["Wh"], p["b"])
            scores, _ = temporal_affine_forward(hs, p["W_out"], p["b_out"])
            total += temporal_softmax_loss(scores, targets)[0]
            h = hs[:, -1]
        return total / len(batches)

    def weights(self) -> dict:
        return {name: self.model.params[name] for name in PARAMS}


class TorchCharRNN(torch.nn.Module):
    """CharRNN in torch.nn modules, float64, holding a CharRNN's weights."""

    def __init__(self, params: dict):
        super().__init__()
        vocab, embed = params["W_embed"].shape
        hidden = params["Wh"].shape[0]
        self.embed = torch.nn.Embedding(vocab, embed, dtype=torch.float64)
        self.rnn = torch.nn.RNN(embed, hidden, nonlinearity="tanh", batch_first=True, dtype=torch.float64)
        self.out = torch.nn.Linear(hidden, vocab, dtype=torch.float64)
        pairs = [(self.embed.weight, params["W_embed"]), (self.rnn.weight_ih_l0, params["Wx"].T),
                 (self.rnn.weight_hh_l0, params["Wh"].T), (self.rnn.bias_ih_l0, params["b"]),
                 (self.rnn.bias_hh_l0, np.zeros_like(params["b"])), (self.out.weight, params["W_out"].T),
                 (self.out.bias, params["b_out"])]
        with torch.no_grad():
            for param, value in pairs:
                param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
        self.rnn.bias_hh_l0.requires_grad_(False)    # ours has one bias

    def forward(self, ids: torch.Tensor, h: torch.Tensor):
        out, h_last = self.rnn(self.embed(ids), h[None])
        return self.out(out), h_last[0]


class Torch:
    """The twin's training loop, step for step as Ours."""

    def __init__(self, model: TorchCharRNN, lr: float, clip: float):
        self.model, self.lr, self.clip = model, lr, clip
        self.params = [p for p in model.parameters() if p.requires_grad]

    def _zeros(self, batches) -> torch.Tensor:
        return torch.zeros(batches[0][0].shape[0], self.model.rnn.hidden_size, dtype=torch.float64)

    def train_epoch(self, batches) -> None:
        h = self._zeros(batches)
        for inputs, targets in batches:
            scores, h = self.model(torch.from_numpy(inputs), h)
            loss = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), torch.from_numpy(targets).reshape(-1))
            grads = torch.autograd.grad(loss, self.params)
            norm = float(torch.sqrt(sum((g * g).sum() for g in grads)))
            scale = self.lr * (self.clip / norm if norm > self.clip else 1.0)
            with torch.no_grad():
                for p, g in zip(self.params, grads):
                    p.sub_(g, alpha=scale)
            h = h.detach()

    def validation_loss(self, batches) -> float:
        h, total = self._zeros(batches), 0.0
        with torch.no_grad():
            for inputs, targets in batches:
                scores, h = self.model(torch.from_numpy(inputs), h)
                total += float(F.cross_entropy(scores.reshape(-1, scores.shape[-1]),
                                               torch.from_numpy(targets).reshape(-1)))
        return total / len(batches)

    def weights(self) -> dict:
        """The trained weights in CharRNN's names and layout."""
        m = self.model
        tensors = (m.embed.weight, m.rnn.weight_ih_l0.T, m.rnn.weight_hh_l0.T, m.rnn.bias_ih_l0,
                   m.out.weight.T, m.out.bias)
        return {name: t.detach().numpy() for name, t in zip(PARAMS, tensors)}


def make_sides(vocab: int, embed: int, hidden: int, lr: float, clip: float) -> dict:
    """Ours, its PyTorch twin and the twin one ulp away, from the same initial weights."""
    model = new_model(vocab, embed, hidden)
    return {"ours": Ours(model, lr, clip),
            "torch": Torch(TorchCharRNN(model.params), lr, clip),
            "torch+1ulp": Torch(nudged(TorchCharRNN(model.params)), lr, clip)}


@dataclass
class CharRun:
    seconds: dict = field(default_factory=dict)   # side -> seconds of each training epoch
    valid: dict = field(default_factory=dict)     # side -> validation loss (nats/char) after each epoch

    def ratios(self) -> list[float]:
        return [ours / theirs for ours, theirs in zip(self.seconds["ours"], self.seconds["torch"])]

    def ratio(self) -> float:
        """Median over epochs of ours / PyTorch (each pair ran back to back)."""
        return statistics.median(self.ratios())

    def gaps(self, side: str = "ours") -> list[float]:
        return [a - b for a, b in zip(self.valid[side], self.valid["torch"])]

    def largest_gap(self, side: str = "ours") -> float:
        return max(abs(gap) for gap in self.gaps(side))

    def best_bits(self) -> float:
        return min(self.valid["ours"]) / math.log(2)


def learning_rates(lr: float, epochs: int) -> np.ndarray:
    """Notebook 10's schedule: from lr down to lr / 10, linearly, one rate per epoch."""
    return np.linspace(lr, lr / 10, epochs)


def train_side_by_side(sides: dict, train, valid, epochs: int) -> CharRun:
    """Every side trains `epochs` epochs at the rates of learning_rates (from the sides' own lr),
    alternating who goes first; after each epoch every side is validated and one line printed."""
    run = CharRun({name: [] for name in sides}, {name: [] for name in sides})
    rates = learning_rates(next(iter(sides.values())).lr, epochs)
    for side in sides.values():                      # warm up: PyTorch's first calls
        side.validation_loss(valid[:1])
    for epoch in range(1, epochs + 1):
        for side in sides.values():
            side.lr = float(rates[epoch - 1])
        for name in list(sides) if epoch % 2 else list(sides)[::-1]:
            started = time.perf_counter()
            sides[name].train_epoch(train)
            run.seconds[name].append(time.perf_counter() - started)
        for name, side in sides.items():
            run.valid[name].append(side.validation_loss(valid))
        s, v = run.seconds, run.valid
        print(f"{epoch:>5} {s['ours'][-1]:>8.2f} {s['torch'][-1]:>8.2f} {run.ratios()[-1]:>6.2f}x"
              f" {v['ours'][-1]:>9.4f} {v['torch'][-1]:>9.4f} {v['torch+1ulp'][-1]:>10.4f}"
              f" {run.gaps()[-1]:>+8.4f} {run.gaps('torch+1ulp')[-1]:>+8.4f}"
              f" {v['ours'][-1] / math.log(2):>6.3f}", flush=True)
    return run


def summary(layers: dict, run: CharRun) -> str:
    def worst(cell):
        return max(ratio for (c, _), (_, _, ratio) in layers.items() if c == cell)
    return (f"SUMMARY: lstm fwd+bwd ours/PyTorch {worst('lstm'):.2f}x, gru {worst('gru'):.2f}x; "
            f"char-model epoch {run.ratio():.2f}x; validation loss gap {run.largest_gap():.3f} nats "
            f"(floor {run.largest_gap('torch+1ulp'):.3f}); best validation {run.best_bits():.2f} bits/char")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: the small shape only, short races, 20,000 training and 10,000 "
                             "validation characters, 2 epochs")
    parser.add_argument("--full", action="store_true", help="train on the whole corpus (1,042,002 characters)")
    parser.add_argument("--chars", type=int, help=f"training characters (default {CHARS:,})")
    parser.add_argument("--valid-chars", type=int, help="validation characters (default: all 116,216)")
    parser.add_argument("--epochs", type=int, help=f"default {EPOCHS}")
    parser.add_argument("--seconds", type=float, help=f"race time per layer shape and cell (default {RACE_SECONDS})")
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--embed", type=int, default=EMBED)
    parser.add_argument("--batch", type=int, default=BATCH, help="parallel streams")
    parser.add_argument("--steps", type=int, default=STEPS, help="characters per chunk")
    parser.add_argument("--lr", type=float, default=LR, help="the first epoch's rate; it falls linearly to a tenth")
    parser.add_argument("--clip", type=float, default=CLIP, help="global gradient norm limit")
    args = parser.parse_args(argv)

    set_threads()
    quick = args.quick
    shapes = SHAPES[:1] if quick else SHAPES
    seconds = args.seconds or (0.5 if quick else RACE_SECONDS)
    epochs = args.epochs or (2 if quick else EPOCHS)
    chars = None if args.full else args.chars or (20_000 if quick else CHARS)
    valid_chars = args.valid_chars or (10_000 if quick else None)

    blas = [f"{i['internal_api']} {i.get('architecture', '')} x{i['num_threads']}" for i in threadpool_info()
            if i["user_api"] == "blas"]
    load = os.getloadavg()
    print(f"bench.rnn: threads PyTorch {torch.get_num_threads()}, numpy {', '.join(blas)}; torch {torch.__version__},"
          f" numpy {np.__version__}; OPENBLAS_CORETYPE {os.environ.get('OPENBLAS_CORETYPE', 'unset')};"
          f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("Layers: forward + backward, float32, best call of an interleaved race, ratio = ours / PyTorch")
    layers = time_layers(shapes, seconds)

    text = load_shakespeare()
    train_ids, valid_ids = text.encode(text.train[:chars]), text.encode(text.valid[:valid_chars])
    train, valid = (stream_batches(ids, args.batch, args.steps) for ids in (train_ids, valid_ids))
    print(f"\nCharacter model: CharRNN(vocab {len(text.vocab)}, embed {args.embed}, hidden {args.hidden}), float64;"
          f" SGD lr {args.lr} falling to {args.lr / 10:g} (notebook 10's schedule), global-norm clip {args.clip}; {args.batch} streams x {args.steps} steps;"
          f" {len(train_ids):,} training characters ({len(train)} batches an epoch), {len(valid_ids):,} validation")
    print("s = seconds per training epoch; validation loss in nats/char; gap = ours - PyTorch;"
          " floor = PyTorch+1ulp - PyTorch")
    print(f"{'epoch':>5} {'s ours':>8} {'s torch':>8} {'ratio':>7} {'ours':>9} {'torch':>9} {'torch+1ulp':>10}"
          f" {'gap':>8} {'floor':>8} {'bits':>6}")
    sides = make_sides(len(text.vocab), args.embed, args.hidden, args.lr, args.clip)
    run = train_side_by_side(sides, train, valid, epochs)
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(summary(layers, run))


if __name__ == "__main__":
    main()
