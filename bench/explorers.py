"""How long each explorer takes to redraw, against the bare cost of a PNG.

    .venv/bin/python -m bench.explorers            # about half a minute
    .venv/bin/python -m bench.explorers --quick    # fewer repetitions

A slider sends its value when the hand lets go (continuous_update=False), and
a burst of changes folds into one redraw, so what a student feels after each
move is one redraw. This times that redraw for every explorer of notebooks
01-11, at the settings a notebook opens with and at a few others, with the
reference answers handed in where the notebook hands in the student's own.
The yardstick, timed in the same process and interleaved with the
explorers, is an empty figure of the same size saved as PNG: the floor any
matplotlib picture pays. The last line is the summary.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from autograder.reference import autodiff, chain_rule, convolution, derivatives, gated, tensors, training
from autograder.reference.recurrent import rnn_backward, rnn_forward
from dlscratch.explore import autodiff as autodiff_explorer
from dlscratch.explore import chain_rule as chain_rule_explorer
from dlscratch.explore import convolution as convolution_explorer
from dlscratch.explore import derivatives as derivative_explorer
from dlscratch.explore import gates, gradient_descent, neural_network, neuron_graph, recurrent, softmax
from dlscratch.explore import tensors as tensor_explorer
from dlscratch.explore import training as training_explorer
from dlscratch.explore.answers import Answer
from dlscratch.plotting import new_figure, png


def momentum_step(param, grad, velocity, lr, momentum):
    """Notebook 07's momentum update, written here because the reference keeps it inside SGDMomentum."""
    velocity *= momentum
    velocity += lr * grad
    param -= velocity


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """Notebook 11's step with the cache its exercise documents; the reference keeps a private cache of its own."""
    a_i, a_f, a_g, a_o = np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)
    i, f, g, o = gated.sigmoid(a_i), gated.sigmoid(a_f), np.tanh(a_g), gated.sigmoid(a_o)
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lstm_on_text(hidden=64, length=400):
    """(activations, lettering): a random character LSTM run over `length` characters of prose, as the explorer
    runs it once when it opens; a redraw reuses both."""
    text = " ".join(gates.__doc__.split())[:length]
    vocab = sorted(set(text))
    rng = np.random.default_rng(0)
    wx, wh, b = gated.lstm_init(16, hidden, rng)
    params = {"W_embed": rng.standard_normal((len(vocab), 16)), "Wx": 3 * wx, "Wh": 3 * wh, "b": b}
    step = Answer(lstm_step_forward, "lstm_step_forward", 1)

    def encode(chars):
        return np.array([vocab.index(char) for char in chars])

    return gates.record(step, params, text, encode), gates.Lettering(text)


def _numerical_derivative(f, x, h=1e-5):
    return derivatives.central_difference(f, x, h)


def small_network_loss():
    """A 6-5-3 tanh network's loss on four samples, on the reference engine: six functions, eleven variables."""
    rng = np.random.default_rng(0)
    model = autodiff.MLP((6, 5, 3), rng)
    return autodiff.softmax_cross_entropy(model(autodiff.Variable(rng.normal(size=(4, 6)), name="x")), [0, 1, 2, 0])


def diamond():
    """Notebook 08's diamond, a = x * x; y = a + a * x."""
    x = autodiff.Variable(np.array([1.0, 2.0]), name="x")
    a = x * x
    return a + a * x


PIECES = {**chain_rule_explorer.BUILT_IN,
          "x²": (np.square, derivatives.square_deriv),
          "leaky ReLU": (lambda x: derivatives.leaky_relu(x, 0.1), lambda x: derivatives.leaky_relu_deriv(x, 0.1))}


def redraws():
    """name -> list of argument-free callables, each one redraw at one setting."""
    errors = Answer(derivatives.difference_errors, "difference_errors", 6)
    chain = Answer(chain_rule.chain_deriv_2, "chain_deriv_2", 2)
    rule = Answer(tensors.broadcast_shape, "broadcast_shape", 2, raises=(ValueError,))
    forward = Answer(tensors.sigmoid_sum_forward, "sigmoid_sum_forward", 5)
    backward = Answer(tensors.sigmoid_sum_backward, "sigmoid_sum_backward", 6)
    update = Answer(momentum_step, "momentum_update", 5, returns=False)
    schedule = Answer(training.lr_schedule, "lr_schedule", 6)
    adam = Answer(training.adam_update, "adam_update", 9, returns=False)
    shape = tensor_explorer.parse_shape
    trained = small_network_loss()
    trained.backward(retain_grad=True)
    conv2d = Answer(convolution.conv2d_forward, "conv2d_forward", 3)
    picture = np.random.default_rng(0).random((28, 28))
    rnn = Answer(rnn_forward, "rnn_forward", 2), Answer(rnn_backward, "rnn_backward", 2)
    lstm_run = lstm_on_text()
    neuron = (Answer(chain_rule.neuron_forward, "neuron_forward", 5),
              Answer(chain_rule.neuron_backward, "neuron_backward", 6), derivatives.sigmoid_deriv)
    classifier = (Answer(training.softmax, "softmax", 2), Answer(training.softmax_cross_entropy, "softmax_cross_entropy", 3),
                  Answer(training.softmax_cross_entropy_grad, "softmax_cross_entropy_grad", 4))
    steps = autodiff_explorer.record_backward(small_network_loss(), lambda loss: loss.backward(retain_grad=True))
    return {
        "01 derivative": [lambda h=h: derivative_explorer.draw("sin(x)", 1.0, h) for h in (1e-1, 1e-8, 1e-14)],
        "01 error": [lambda x=x: derivative_explorer.draw_errors(errors, "tanh(x)", x, 1e-5) for x in (1.0, -2.0)],
        "02 chain rule": [lambda x=x: chain_rule_explorer.draw(PIECES, "leaky ReLU", "x²", x, chain,
                                                               _numerical_derivative) for x in (0.5, 0.0)],
        "02 neuron graph": [lambda x=x: neuron_graph.draw(*neuron, x, 0.8, -0.5, 1.0) for x in (1.5, 0.0)],
        "03 broadcast": [lambda a=a, b=b: tensor_explorer.draw_broadcast(rule, shape(a), shape(b))
                         for a, b in (("(3, 1)", "(1, 4)"), ("(3, 4)", "(2, 4)"))],
        "03 bump": [lambda d=d: tensor_explorer.draw_bump(forward, backward, "W", 0, 1, d) for d in (0.1, 1.0)],
        "04 descent": [lambda lr=lr: gradient_descent.draw(lr, 20) for lr in (0.05, 0.5)],
        "05 hidden units": [lambda j=j: neural_network.draw(neural_network.DEFAULT_PARAMS, j) for j in (0, 2)],
        "07 momentum": [lambda m=m, d=d: training_explorer.draw(update, schedule, 0.02, m, d)
                        for m, d in ((0.0, None), (0.9, "exponential"))]
        + [lambda: training_explorer.draw(update, schedule, 0.02, 0.8, None, 0.1, 0.0, 100, adam, 0.1)],
        "07 softmax": [lambda z=z, k=k: softmax.draw(*classifier, z, k) for z, k in (((2.0, 1.0, -1.0), 0), ((4.0, -3.0, 0.5), 2))],
        "08 graph": [lambda output=output: autodiff_explorer.draw_graph(output) for output in (diamond(), trained)],
        "08 stepper": [lambda k=k: autodiff_explorer.draw_step(steps, k) for k in (0, 3, 6)],
        "09 convolution": [lambda name=name, row=row: convolution_explorer.draw(
            conv2d, picture, convolution_explorer.PRESETS[name], row, 14, filter_name=name)
            for name, row in (("vertical edge (Sobel x)", 14), ("box blur", 3))],
        "10 vanishing": [lambda rho=rho, length=length, kind=kind: recurrent.draw(*rnn, rho, length, kind)
                         for rho, length, kind in ((0.9, 50, "tanh"), (1.0, 100, "tanh"), (1.5, 100, "identity"))],
        "11 gates": [lambda gate=gate, cell=cell, at=at: gates.draw(*lstm_run, gate, cell, at)
                     for gate, cell, at in (("forget", 0, 0), ("input", 17, 200), ("output", 63, 399))],
    }


def empty_picture():
    """Two empty panels at the explorers' usual size, saved as PNG."""
    figure, _ = new_figure(columns=2)
    return png(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three rounds instead of ten")
    args = parser.parse_args()
    rounds = 3 if args.quick else 10
    cases = redraws()
    for calls in cases.values():  # warm up: fonts, caches and imports happen once
        for call in calls:
            call()
    times = {name: [] for name in [*cases, "empty PNG"]}
    for _ in range(rounds):
        for name, calls in cases.items():
            for call in calls:
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            empty_picture()
            times["empty PNG"].append(time.perf_counter() - start)
    floor = statistics.median(times["empty PNG"])
    print(f"{'explorer':<16} {'median ms':>9} {'worst ms':>9} {'x empty PNG':>11}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<16} {1000 * median:9.0f} {1000 * max(samples):9.0f} {median / floor:11.1f}")
    medians = {name: statistics.median(samples) for name, samples in times.items() if name != "empty PNG"}
    slowest = max(medians, key=medians.get)
    print(f"SUMMARY: explorer redraw median {1000 * statistics.median(medians.values()):.0f} ms, "
          f"slowest {slowest} {1000 * medians[slowest]:.0f} ms ({medians[slowest] / floor:.1f}x an empty PNG)")


if __name__ == "__main__":
    main()
