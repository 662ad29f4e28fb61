"""Notebook 09's CNN, trained from scratch and in PyTorch side by side.

    .venv/bin/python -m bench.cnn                 # both data sets, full length
    .venv/bin/python -m bench.cnn --quick         # smoke test: 6,000 images, 2 epochs
    .venv/bin/python -m bench.cnn --epochs 4 --datasets fashion-mnist

The network is ``autograder.reference.cnn.build_cnn``: two blocks of 3x3 convolution,
ReLU and 2x2 max pooling, a hidden ReLU Dense layer, then a Dense layer of 10 logits,
trained with softmax cross-entropy and plain SGD, batches of 64, the rate falling linearly
from 0.05 to 0.0025 over 15 epochs (``bench.mlp_ablation``'s linear decay).
Two implementations train it in this one process, their epochs alternating:
  - ours: the reference layers on notebook 06's framework (``Trainer.train_epoch``), the
    convolutions and poolings in ``fastconv``'s numba kernels (its pool of 2 threads), the
    rest in numpy (OpenBLAS, 1 thread: see "threads" below). Each convolution adds its bias
    and applies its ReLU as its kernel writes the output, and gates the gradient as it reads
    it (``cnn.Conv2DOperation``);
  - PyTorch: the same layers as ``torch.nn`` modules, 2 threads (``torch.set_num_threads``):
    its conv2d adds the bias, and the ReLU is a module of its own, as usual in eager mode.
Everything that decides the training is the same on both sides: the initial weights
(PyTorch's are copied from ours once drawn), the batches and their order (both draw each
epoch's permutation from a generator seeded alike, through ``generate_batches``), the
learning rate of each epoch, the loss, the pixels (standardised with the training set's
mean and standard deviation, as notebook 07 does) and float32 throughout. The machinery is
``bench.mlp_ablation``'s: its ``Row`` describes the optimiser, its ``OursTrainer`` and
``TorchTrainer`` run the epochs, ``nudged`` makes the noise floor.

What it reports, per epoch and data set: each side's epoch time (one pass over the
training set: shuffle, forward, backward, update; evaluation excluded) and their ratio, and
the test accuracy of each side after the epoch. Two more sides, PyTorch again from the
initial weights moved up and down by one float32 step (one ulp), measure the noise floor:
the two libraries round differently, training amplifies any difference
(``bench.mlp_ablation`` measured it), and the 1-ulp twins show how far equally right runs
drift apart. Ours is as right as PyTorch when its same-epoch accuracy gap to PyTorch is no
larger than the twins' largest. Why two: the largest drift of one twin over the epochs is
one draw, and a third run exactly as right as PyTorch would drift further than one draw
about half the time (than the larger of two, a third of the time). One twin was used
until ``Conv2D`` moved its bias into the kernel: the rounding changed, and Fashion-MNIST's
largest gap came out 0.30 pp against the +1-ulp twin's 0.27 pp, the gaps of all three
changing sign from epoch to epoch.

Timing on this shared 2-core machine: while another process was busy, a PyTorch epoch
sometimes took 10 to 60 times as long as usual (measured: 50, 206 and 271 s instead of 4 s),
because its two OpenMP threads wait for each other at every parallel region; ours, in the
same epochs, took at most 1.3 times as long. The median per-epoch ratio leaves such epochs
out; every epoch's times are printed. The load average is printed at the start and end.

The last line is the summary: the worst (largest over the data sets) median per-epoch time
ratio, ours / PyTorch; our test accuracy after the last epoch on each data set (the
summary calls it the best; no epoch is picked by looking at the test set); the largest
|ours - PyTorch| over every epoch and data set, and in brackets the largest
|PyTorch±1ulp - PyTorch| over the same epochs (both twins).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from autograder.reference import fastconv
from autograder.reference.cnn import (
    DEFAULT_FILTERS,
    DEFAULT_HIDDEN,
    Conv2D,
    Flatten,
    MaxPool2D,
    ReLU,
    build_cnn,
)
from autograder.reference.training import accuracy
from bench import mlp_ablation as ablation
from dlscratch.data import DataError
from autograder.published.framework import Dense, Linear, NeuralNetwork

SEED = ablation.SEED  # the initial weights and every epoch's shuffle
BATCH_SIZE = 64
LR = 0.05
FINAL_LR = 0.0025
EPOCHS = 15
QUICK_EPOCHS = 2
EVAL_CHUNK = 1000  # images per forward pass when measuring test accuracy (bounds the memory)
DATASETS = "mnist,fashion-mnist"


# ----------------------------------------------------------------- threads
# PyTorch gets 2 threads (torch.set_num_threads) and fastconv its pool of 2 (NUMBA_NUM_THREADS,
# by default the cores). numpy's OpenBLAS, which only does our Dense layers' small products
# (64 x 1568 x 128), gets 1. Two BLAS threads wait for each other, which on this shared
# machine goes badly when another process holds a core: measured, the hidden layer's
# forward product took a median 9.9 ms in a training step with 2 threads (0.27 ms with 1),
# and back-to-back products a median 44 ms (0.12 ms with the cores free). fastconv's
# threads take work from a shared counter, so a slowed thread just takes less. Measured in
# one process, alternating, load average 1.8: 5.4 ms a step with 1 BLAS thread, 6.1 with 2.
TORCH_THREADS = 2
BLAS_THREADS = 1
_blas_limits = None  # kept so that the limit stays in force


def set_threads() -> None:
    global _blas_limits
    _blas_limits = threadpool_limits(limits=BLAS_THREADS, user_api="blas")
    torch.set_num_threads(TORCH_THREADS)


def optimiser_row(epochs: int, lr: float = LR, final_lr: float = FINAL_LR) -> ablation.Row:
    """The optimiser in bench.mlp_ablation's terms: plain SGD, linear decay from lr to final_lr."""
    return ablation.Row("cnn", "build_cnn", lr=lr, final_lr=final_lr, decay_type="linear", epochs=epochs)


# ------------------------------------------------------------- the PyTorch twin


def torch_twin(net: NeuralNetwork) -> torch.nn.Sequential:
    """A PyTorch copy of a set-up (weights drawn) network of Conv2D, MaxPool2D, Flatten and
    Dense layers, with the same weights. The bias of a convolution, (1, F, 1, 1) here, is
    (F,) there, and a Dense layer's weights are stored transposed there."""
    activations = {ReLU: torch.nn.ReLU, Linear: torch.nn.Identity}
    modules: list[torch.nn.Module] = []
    for layer in net.layers:
        if isinstance(layer, Conv2D):
            weights, bias = layer.params
            conv = torch.nn.Conv2d(weights.shape[1], weights.shape[0], layer.kernel_size, padding=layer.pad)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(weights.copy()))
                conv.bias.copy_(torch.from_numpy(bias.reshape(-1).copy()))
            modules += [conv, activations[type(layer.activation)]()]
        elif isinstance(layer, MaxPool2D):
            modules.append(torch.nn.MaxPool2d(layer.size))
        elif isinstance(layer, Flatten):
            modules.append(torch.nn.Flatten())
        elif isinstance(layer, Dense):
            weights, bias = layer.params
            linear = torch.nn.Linear(*weights.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(weights.T.copy()))
                linear.bias.copy_(torch.from_numpy(bias[0].copy()))
            modules += [linear, activations[type(layer.activation)]()]
        else:
            raise TypeError(f"no PyTorch twin for {type(layer).__name__}")
    return torch.nn.Sequential(*modules)


def make_net(filters, hidden, X_sample: np.ndarray) -> NeuralNetwork:
    """build_cnn with its weights drawn (a forward pass sets every layer up)."""
    net = build_cnn(SEED, filters, hidden)
    net.forward(X_sample[:1], inference=True)
    return net


def make_sides(filters, hidden, row: ablation.Row, X_sample: np.ndarray) -> dict:
    """Ours, its PyTorch twin and the twins one ulp above and below, ready to train."""
    net = make_net(filters, hidden, X_sample)
    return {
        "ours": ablation.OursTrainer(net, row),
        "torch": ablation.TorchTrainer(torch_twin(net), row),
        "torch+1ulp": ablation.TorchTrainer(ablation.nudged(torch_twin(net)), row),
        "torch-1ulp": ablation.TorchTrainer(ablation.nudged(torch_twin(net), -np.inf), row),
    }


def warm_up(filters, hidden, X: np.ndarray, y: np.ndarray, batch_size: int) -> None:
    """One training step of throwaway copies, so that neither side's first timed epoch pays
    for compiling or loading numba's kernels or for PyTorch's first calls."""
    net = make_net(filters, hidden, X)
    twin = torch_twin(net)
    net.train_batch(X[:batch_size], y[:batch_size])
    torch.nn.functional.cross_entropy(twin(torch.from_numpy(X[:batch_size])),
                                      torch.from_numpy(y[:batch_size])).backward()


def predict(side, X: np.ndarray) -> np.ndarray:
    """The side's logits for X, EVAL_CHUNK images at a time: 10,000 images at once would
    hold 500 MB of first-layer activations."""
    return np.concatenate([side.predict(X[start:start + EVAL_CHUNK]) for start in range(0, len(X), EVAL_CHUNK)])


# ---------------------------------------------------------------------- running


@dataclass
class Run:
    """One data set's training, epoch by epoch."""

    dataset: str
    seconds: dict = field(default_factory=dict)   # side -> seconds of each epoch
    accuracy: dict = field(default_factory=dict)  # side -> test accuracy in % after each epoch

    def ratios(self) -> list[float]:
        return [ours / theirs for ours, theirs in zip(self.seconds["ours"], self.seconds["torch"])]

    def ratio(self) -> float:
        """Median over epochs of ours / PyTorch: the two epochs of a pair ran back to back,
        so a busy minute on this shared machine slows both, and the median ignores the
        epoch it slowed most."""
        return statistics.median(self.ratios())

    def gaps(self, side: str = "ours") -> list[float]:
        """side - PyTorch, in percentage points, after each epoch."""
        return [a - b for a, b in zip(self.accuracy[side], self.accuracy["torch"])]

    def largest_gap(self, side: str = "ours") -> float:
        return max(abs(gap) for gap in self.gaps(side))

    def floors(self) -> list[float]:
        """After each epoch, the larger |twin - PyTorch| of the two 1-ulp twins."""
        return [max(abs(up), abs(down)) for up, down in zip(self.gaps("torch+1ulp"), self.gaps("torch-1ulp"))]

    def floor(self) -> float:
        return max(self.floors())


def train_side_by_side(sides: dict, row: ablation.Row, data, batch_size: int, dataset: str) -> Run:
    """Every side trains ``row.epochs`` epochs, the sides alternating who goes first; after
    each epoch every side is tested and one line is printed."""
    X_train, y_train, X_test, y_test = data
    run = Run(dataset, {name: [] for name in sides}, {name: [] for name in sides})
    for side in sides.values():
        side.start(row.epochs, SEED)
    for epoch in range(1, row.epochs + 1):
        lr = sides["ours"].trainer.optim.lr
        for name in list(sides) if epoch % 2 else list(sides)[::-1]:
            started = time.perf_counter()
            sides[name].train_epoch(X_train, y_train, batch_size)
            run.seconds[name].append(time.perf_counter() - started)
        for name, side in sides.items():
            run.accuracy[name].append(100 * accuracy(predict(side, X_test), y_test))
            side.decay_lr()
        s, a = run.seconds, run.accuracy
        print(f"{epoch:>5} {lr:>7.4f} {s['ours'][-1]:>8.2f} {s['torch'][-1]:>8.2f} {run.ratios()[-1]:>6.2f}x"
              f" {a['ours'][-1]:>8.2f}% {a['torch'][-1]:>8.2f}% {a['torch+1ulp'][-1]:>9.2f}%"
              f" {a['torch-1ulp'][-1]:>9.2f}% {run.gaps()[-1]:>+7.2f} {run.floors()[-1]:>6.2f}", flush=True)
    return run


def print_header(dataset: str, n_train: int, n_test: int) -> None:
    print(f"\n{dataset}: {n_train} training and {n_test} test images")
    print(f"{'epoch':>5} {'lr':>7} {'s ours':>8} {'s torch':>8} {'ratio':>7} {'acc ours':>9} {'acc torch':>9}"
          f" {'torch+1ulp':>10} {'torch-1ulp':>10} {'gap pp':>7} {'floor':>6}")


def print_run(run: Run) -> None:
    ours_seconds = sum(run.seconds["ours"])
    print(f"{run.dataset}: epoch time ours/PyTorch median {run.ratio():.2f}x (from {min(run.ratios()):.2f}x"
          f" to {max(run.ratios()):.2f}x); after the last epoch ours {run.accuracy['ours'][-1]:.2f}%, PyTorch"
          f" {run.accuracy['torch'][-1]:.2f}%, PyTorch+1ulp {run.accuracy['torch+1ulp'][-1]:.2f}%, PyTorch-1ulp"
          f" {run.accuracy['torch-1ulp'][-1]:.2f}%; largest same-epoch gap {run.largest_gap():.2f} pp (floor"
          f" {run.floor():.2f} pp: +1ulp {run.largest_gap('torch+1ulp'):.2f}, -1ulp"
          f" {run.largest_gap('torch-1ulp'):.2f});"
          f" ours trained {len(run.seconds['ours'])} epochs in {ours_seconds / 60:.1f} min ({ours_seconds:.0f} s)")


def summary(runs: list[Run], datasets: list[str]) -> str:
    by_name = {run.dataset: run for run in runs}
    accuracies = ", ".join(f"{name} {by_name[name].accuracy['ours'][-1]:.2f}%" if name in by_name
                           else f"{name} n/a (not present)" for name in datasets)
    ratio = max(run.ratio() for run in runs)
    gap = max(run.largest_gap() for run in runs)
    floor = max(run.floor() for run in runs)
    return (f"SUMMARY: worst epoch-time ratio ours/PyTorch {ratio:.2f}x; best test accuracy {accuracies}; "
            f"largest same-epoch gap {gap:.2f} pp (floor {floor:.2f} pp)")


def prepare(dataset: str, quick: bool):
    """bench.mlp_ablation's images and one-hot labels, as (N, 1, 28, 28) one-channel images."""
    X_train, y_train, X_test, y_test = ablation.prepare(dataset, quick)
    return X_train.reshape(-1, 1, 28, 28), y_train, X_test.reshape(-1, 1, 28, 28), y_test


def parse_filters(text: str) -> tuple[int, int]:
    first, second = (int(n) for n in text.split(","))
    return first, second


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"6,000 training and 2,000 test images, {QUICK_EPOCHS} epochs")
    parser.add_argument("--epochs", type=int, help=f"epochs per data set (default {EPOCHS})")
    parser.add_argument("--datasets", default=DATASETS, help="comma-separated; skipped when not present offline")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--lr", type=float, default=LR, help="the first epoch's learning rate")
    parser.add_argument("--final-lr", type=float, default=FINAL_LR, help="the last epoch's learning rate")
    parser.add_argument("--filters", type=parse_filters, default=DEFAULT_FILTERS,
                        help="the two convolutions' filters, e.g. 16,32 (default: build_cnn's)")
    parser.add_argument("--hidden", type=int, default=DEFAULT_HIDDEN,
                        help="units of the hidden ReLU Dense layer, 0 for none (default: build_cnn's)")
    args = parser.parse_args(argv)

    set_threads()
    epochs = args.epochs or (QUICK_EPOCHS if args.quick else EPOCHS)
    row = optimiser_row(epochs, args.lr, args.final_lr)
    load = os.getloadavg()
    print(f"bench.cnn: build_cnn(filters={tuple(args.filters)}, hidden={args.hidden}), float32; SGD, lr {args.lr}"
          f" falling linearly to {args.final_lr} over {epochs} epochs, batch {args.batch_size}, seed {SEED};"
          f" threads: PyTorch {torch.get_num_threads()}, numpy/OpenBLAS {BLAS_THREADS}, fastconv"
          f" {fastconv._thread_count()}; torch {torch.__version__}, numpy"
          f" {np.__version__}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("s = seconds per training epoch; gap = ours - PyTorch; floor = the larger |PyTorch±1ulp - PyTorch| "
          "(test accuracy, percentage points)")

    datasets = args.datasets.split(",")
    runs = []
    for dataset in datasets:
        try:
            data = prepare(dataset, args.quick)
        except DataError as e:
            print(f"\n{dataset}: not present, skipped ({str(e).splitlines()[0]})")
            continue
        print_header(dataset, len(data[0]), len(data[2]))
        warm_up(args.filters, args.hidden, data[0], data[1], args.batch_size)
        sides = make_sides(args.filters, args.hidden, row, data[0])
        run = train_side_by_side(sides, row, data, args.batch_size, dataset)
        print_run(run)
        runs.append(run)
    if not runs:
        sys.exit("no data set found")
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(summary(runs, datasets))


if __name__ == "__main__":
    main()
