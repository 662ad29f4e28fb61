"""Notebook 08's engine against notebook 07's hand-written network and PyTorch.

    .venv/bin/python -m bench.autodiff            # one epoch of Fashion-MNIST, 60,000 images
    .venv/bin/python -m bench.autodiff --quick    # 6,000 images
    .venv/bin/python -m bench.autodiff --dtype float64

One network, three implementations, trained side by side in this process:
  - ``engine``: the reference autodiff engine (autograder/reference/autodiff.py),
    its MLP with softmax_cross_entropy and SGD, gradients from ``backward``;
  - ``hand-written``: notebook 07's network on notebook 06's framework
    (autograder.published.framework with autograder.reference.training's loss), every
    backward rule written by hand;
  - ``PyTorch``: the same model in torch (CPU), torch.optim.SGD.
The network is 784-89-10 with tanh, softmax cross-entropy, plain SGD at 0.1,
batches of 60, Glorot initial weights drawn once by the hand-written network
and copied to the other two. All see the same batches in the same order, in
float32 by default (as notebook 07 trains). Each side runs on one thread:
OpenBLAS through threadpoolctl, torch through set_num_threads.

Timing: the epoch is cut into chunks of five batches and the three sides take
turns chunk by chunk, in a rotating order, so a burst of load from elsewhere
on this shared machine falls on all of them. A side's epoch time is the sum
of its chunks; a ratio is the median over chunks of the two sides' times for
that chunk (a burst spoils a few chunk pairs, not the median).

Correctness: before training, one float64 copy of each network computes the
gradients of the first batch; the largest difference between the engine's
and the hand-written ones is printed (PyTorch's too, for scale). The last
line is the summary.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from autograder.reference import autodiff as ad
from autograder.reference.training import SoftmaxCrossEntropy, glorot_std
from dlscratch.data import DataError, flatten_images, load_images, one_hot, standardise
from autograder.published.framework import SGD, Dense, Linear, NeuralNetwork, Tanh

try:
    import torch
except ImportError:  # PyTorch is an optional extra
    torch = None

SEED = 20190119
BATCH_SIZE = 60
LR = 0.1
CHUNK = 5  # batches per timed turn


# ------------------------------------------------------------- the three sides


def hand_written_network(dtype) -> NeuralNetwork:
    """Notebook 07's network, its weights drawn (from SEED) in ``dtype``."""
    net = NeuralNetwork([Dense(89, Tanh(), weight_scale=glorot_std), Dense(10, Linear(), weight_scale=glorot_std)],
                        SoftmaxCrossEntropy(), seed=SEED)
    net.forward(np.zeros((1, 784), dtype))
    return net


class HandWritten:
    def __init__(self, net: NeuralNetwork):
        self.net, self.optim = net, SGD(LR)
        self.optim.net = net

    def step(self, x, labels, targets) -> None:
        self.net.train_batch(x, targets)
        self.optim.step()

    def predict(self, x) -> np.ndarray:
        return self.net.forward(x, inference=True)


class Engine:
    def __init__(self, net: NeuralNetwork):
        dtype = net.layers[0].params[0].dtype
        self.model = ad.MLP((784, 89, 10), np.random.default_rng(0), dtype=dtype)
        for layer, dense in zip(self.model.layers, net.layers):
            layer.W.data, layer.b.data = dense.params[0].copy(), dense.params[1][0].copy()
        self.params = list(self.model.params())  # collected once, as torch's optimiser does
        self.optim = ad.SGD(LR)

    def step(self, x, labels, targets) -> None:
        for param in self.params:
            param.cleargrad()
        ad.softmax_cross_entropy(self.model(x), labels).backward()
        self.optim.update(self.params)

    def predict(self, x) -> np.ndarray:
        with ad.no_grad():
            return self.model(x).data


class PyTorch:
    def __init__(self, net: NeuralNetwork):
        layers = []
        for dense in net.layers:
            W, B = dense.params
            linear = torch.nn.Linear(*W.shape, dtype=torch.from_numpy(W).dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch keeps (out, in)
                linear.bias.copy_(torch.from_numpy(B[0].copy()))
            layers += [linear, torch.nn.Tanh()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.optim = torch.optim.SGD(self.model.parameters(), lr=LR)

    def step(self, x, labels, targets) -> None:
        self.optim.zero_grad()
        torch.nn.functional.cross_entropy(self.model(torch.from_numpy(x)), torch.from_numpy(labels)).backward()
        self.optim.step()

    def predict(self, x) -> np.ndarray:
        with torch.no_grad():
            return self.model(torch.from_numpy(x)).numpy()

    def grads(self) -> list[np.ndarray]:
        """dW, dB as the hand-written network lays them out: W (in, out), B (1, out)."""
        linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        return [g for m in linears for g in (m.weight.grad.numpy().T, m.bias.grad.numpy()[None])]


# -------------------------------------------------------------------- checking


def first_batch_differences(x: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Largest |gradient difference| to the hand-written network on one batch, in float64."""
    x = x.astype(np.float64)
    net = hand_written_network(np.float64)
    engine = Engine(net)
    engine.model.cleargrads()
    ad.softmax_cross_entropy(engine.model(x), labels).backward()
    engine_grads = [g for layer in engine.model.layers for g in (layer.W.grad.data, layer.b.grad.data[None])]
    differences = {}
    if torch is not None:
        twin = PyTorch(net)
        torch.nn.functional.cross_entropy(twin.model(torch.from_numpy(x)), torch.from_numpy(labels)).backward()
        differences["PyTorch"] = twin.grads()
    differences["engine"] = engine_grads
    net.train_batch(x, one_hot(labels, 10).astype(np.float64))  # last: it keeps its own gradients
    expected = list(net.param_grads())
    return {name: max(float(np.abs(g - e).max()) for g, e in zip(grads, expected))
            for name, grads in differences.items()}


# --------------------------------------------------------------------- timing


def train_side_by_side(sides: dict, X: np.ndarray, labels: np.ndarray, targets: np.ndarray) -> dict[str, list[float]]:
    """One epoch for every side, in turns of CHUNK batches; returns each side's chunk times."""
    order = np.random.default_rng(SEED).permutation(len(X))
    batches = [order[start:start + BATCH_SIZE] for start in range(0, len(X), BATCH_SIZE)]
    for side in sides.values():  # warm up: first calls allocate and load code
        side.step(X[batches[0]], labels[batches[0]], targets[batches[0]])
    times = {name: [] for name in sides}
    names = list(sides)
    for turn, start in enumerate(range(0, len(batches), CHUNK)):
        chunk = [(X[rows], labels[rows], targets[rows]) for rows in batches[start:start + CHUNK]]
        for name in names[turn % len(names):] + names[:turn % len(names)]:
            started = time.perf_counter()
            for batch in chunk:
                sides[name].step(*batch)
            times[name].append(time.perf_counter() - started)
    return times


def median_ratio(mine: list[float], theirs: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(mine, theirs))


def prepare(quick: bool, dtype):
    """Standardised images, integer labels and one-hot targets: (train, test), each a triple."""
    images = load_images("fashion-mnist", download=False)
    X_train, X_test = (x.astype(dtype) for x in standardise(flatten_images(images.x_train),
                                                             flatten_images(images.x_test)))
    y_train, y_test = images.y_train.astype(np.int64), images.y_test.astype(np.int64)
    if quick:
        X_train, y_train, X_test, y_test = X_train[:6000], y_train[:6000], X_test[:2000], y_test[:2000]
    return ((X_train, y_train, one_hot(y_train, 10).astype(dtype)),
            (X_test, y_test, one_hot(y_test, 10).astype(dtype)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="6,000 training and 2,000 test images")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = parser.parse_args(argv)
    dtype = np.dtype(args.dtype)

    limits = threadpool_limits(limits=1, user_api="blas")  # noqa: F841 (in force while it lives)
    if torch is not None:
        torch.set_num_threads(1)
    try:
        (X, labels, targets), (X_test, labels_test, _) = prepare(args.quick, dtype)
    except DataError as e:
        sys.exit(f"Fashion-MNIST is not available offline, so there is nothing to train on:\n{e}")

    load = os.getloadavg()
    print(f"one thread per side; numpy {np.__version__}, "
          + (f"torch {torch.__version__}" if torch is not None else "PyTorch not importable: skipped")
          + f"; {args.dtype}, batch {BATCH_SIZE}, SGD {LR}; {len(X)} training images in turns of {CHUNK} batches;"
          f" load average {load[0]:.2f}")
    differences = first_batch_differences(X[:BATCH_SIZE], labels[:BATCH_SIZE])

    net = hand_written_network(dtype)
    sides = {"engine": Engine(net), "hand-written": HandWritten(net)}
    if torch is not None:
        sides["PyTorch"] = PyTorch(net)
    times = train_side_by_side(sides, X, labels, targets)

    print(f"{'implementation':<14} {'epoch s':>8} {'test acc':>9} {'engine / it':>12}")
    for name, side in sides.items():
        accuracy = 100 * np.mean(side.predict(X_test).argmax(axis=1) == labels_test)
        print(f"{name:<14} {sum(times[name]):>8.3f} {accuracy:>8.2f}% "
              f"{median_ratio(times['engine'], times[name]):>11.2f}x")
    print("largest gradient difference to the hand-written network after the first batch, float64: "
          + ", ".join(f"{name} {value:.1e}" for name, value in differences.items()))
    print("goal: engine/hand-written <= 1.3, engine/PyTorch <= 1.5 (the issue's Performance section)")
    vs_torch = f"{median_ratio(times['engine'], times['PyTorch']):.2f}x" if torch is not None else "n/a"
    print(f"SUMMARY: engine/hand-written {median_ratio(times['engine'], times['hand-written']):.2f}x, "
          f"engine/PyTorch {vs_torch}, largest gradient difference {differences['engine']:.1e}")


if __name__ == "__main__":
    main()
