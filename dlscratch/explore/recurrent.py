"""Explorer for notebook 10: how the gradient fades or grows as it travels back through a recurrent network.

vanishing_explorer comes after the exercise on rnn_forward and rnn_backward
and is given the student's two functions. A loss gradient of norm 1 enters
the last hidden state only; the picture shows the norm of the gradient that
reaches each earlier step, k steps back, on a log scale.

The recurrent weight is Wh = ρ Q with Q a random orthogonal matrix, so Wh
stretches every direction by exactly ρ, and Wx is the identity, so dx_t is
the gradient at step t's pre-activation. Each step back multiplies the
gradient by tanh'(a_t) = 1 - h_t², then by Wh's transpose, so the theory
says: at most ρ^k after k steps, and exactly ρ^k where tanh' is 1.

  tanh      the sequences are random numbers; states away from 0 have
            tanh' < 1, so the measured line lies below ρ^k.
  identity  the sequences are zeros and h0 = 0: the states stay at 0, where
            tanh' = 1, so the backward pass is a linear RNN's and the
            measured line lies on ρ^k.

Both are the student's own forward and backward pass; the explorer only
chooses the inputs and takes norms of what comes back.
"""
import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ..plotting import Picture, coalesced, png, slider
from .answers import Answer, redraw_into

NONLINEARITIES = ("tanh", "identity")
HIDDEN = 32          # hidden size, and the input size too (Wx is the identity)
SEQUENCES = 8        # the batch: the norm at a step is taken over all of it
INPUT_SCALE = 0.5    # standard deviation of the tanh inputs: enough to bend tanh, not to pin it at ±1
RHO_RANGE = (0.5, 1.5)
STEPS_RANGE = (5, 100)
FLOOR = 1e-300       # a norm of exactly 0 is drawn here, at the foot of the log axis
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def orthogonal(size, rng):
    """A random orthogonal matrix (rotations and reflections): every singular value is 1."""
    q, r = np.linalg.qr(rng.standard_normal((size, size)))
    return q * np.sign(np.diag(r))  # the signs make Q uniform over orthogonal matrices, not biased by QR


def setting(rho, steps, nonlinearity, seed=0, hidden=HIDDEN, sequences=SEQUENCES):
    """The inputs of one run: (x, h0, Wx, Wh, b, dh_all), the same for the same seed.

    Q, the gradient and the inputs come from the seed alone, so moving ρ or T
    changes nothing else: step t's input is the same for every T.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    rng = np.random.default_rng(seed)
    wh = rho * orthogonal(hidden, rng)
    last = rng.standard_normal((sequences, hidden))
    dh_all = np.zeros((sequences, steps, hidden))
    dh_all[:, -1] = last / np.linalg.norm(last)  # norm 1, so a norm k steps back is also a ratio to it
    x = INPUT_SCALE * rng.standard_normal((sequences, max(steps, STEPS_RANGE[1]), hidden))[:, :steps]
    if nonlinearity == "identity":
        x = np.zeros_like(x)
    return x, np.zeros((sequences, hidden)), np.eye(hidden), wh, np.zeros(hidden), dh_all


def theory(rho, steps):
    """ρ^k for k = 0 .. T-1: a linear RNN's gradient norm k steps back; tanh's stays at or below it."""
    return rho ** np.arange(steps, dtype=float)


def power_of_ten(value, _=None):
    """A tick label such as 10⁻⁴, in plain text: matplotlib's own 10^{-4} goes through its slow maths typesetter."""
    return "10" + str(round(np.log10(value))).translate(SUPERSCRIPTS) if value > 0 else ""


def gradient_norms(rnn_forward, rnn_backward, rho, steps, nonlinearity, seed=0):
    """(norms, h): ||dx_t|| for k = T-1-t = 0 .. T-1 from the student's functions, and their hidden states.

    rnn_forward and rnn_backward are Answers. The norm is over the whole
    batch, and the gradient entering the last state has norm 1.
    """
    x, h0, wx, wh, b, dh_all = setting(rho, steps, nonlinearity, seed)
    sequences, _, hidden = x.shape
    forward = rnn_forward(x, h0, wx, wh, b)
    if not isinstance(forward, (tuple, list)) or len(forward) != 2:
        raise rnn_forward.wrong(f"returned {type(forward).__name__}, not the pair (h, caches)")
    h = rnn_forward.array("h", forward[0], (sequences, steps, hidden),
                          f"{sequences} sequences of {steps} steps and hidden size {hidden}")
    grads = rnn_backward(dh_all, forward[1])
    if not isinstance(grads, (tuple, list)) or len(grads) != 5:
        kind = f"{len(grads)} values" if isinstance(grads, (tuple, list)) else type(grads).__name__
        raise rnn_backward.wrong(f"returned {kind}, not the five gradients (dx, dh0, dWx, dWh, db)")
    dx = rnn_backward.array("dx", grads[0], x.shape, f"x of shape {x.shape}")
    return np.sqrt(np.sum(dx * dx, axis=(0, 2)))[::-1], h


def verdict(norms, rho, nonlinearity):
    """One line on how the measurement sits against ρ^k, or what it says is wrong: (text, is_wrong)."""
    expected = theory(rho, len(norms))
    if not norms[0]:
        return ("your dx is 0 at the last step, where the gradient enters: does your rnn_backward add "
                "dh_all[:, t] to what step t+1 sends back?"), True
    if len(norms) > 1 and not norms[1:].any():
        return ("no gradient reaches the earlier steps: does your rnn_backward add each step's dh_prev "
                "to the gradient of the step before?"), True
    slack = 1e-4 * expected + 1e-12  # float32 answers are fine
    if nonlinearity == "identity" and np.any(np.abs(norms - expected) > slack):
        k = int(np.argmax(np.abs(norms - expected) > slack))
        return (f"k = {k}: your gradient norm is {norms[k]:.3g}, but tanh' = 1 here (every state is 0), "
                f"so it must be ρ^k = {expected[k]:.3g}: check what each step sends back"), True
    if nonlinearity == "tanh" and np.any(norms > expected + slack):
        k = int(np.argmax(norms > expected + slack))
        return (f"k = {k}: your gradient norm {norms[k]:.3g} is above ρ^k = {expected[k]:.3g}, which tanh "
                f"never passes: check the factor 1 - h²"), True
    if nonlinearity == "identity":
        return "on ρ^k, as a linear RNN must be", False
    return "at or below ρ^k: each step's tanh' = 1 - h² ≤ 1 shrinks it more", False


def draw(rnn_forward, rnn_backward, rho, steps, nonlinearity="tanh", seed=0):
    """The gradient norm k steps back, measured and in theory, on a log scale, as PNG bytes."""
    norms, h = gradient_norms(rnn_forward, rnn_backward, rho, steps, nonlinearity, seed)
    expected = theory(rho, steps)
    k = np.arange(steps)
    note, wrong = verdict(norms, rho, nonlinearity)

    # Fixed margins, not new_figure's constrained layout: the parts never change size, and measuring
    # them for that layout took about a third of the redraw.
    figure = Figure(figsize=(7.0, 4.6), dpi=96)
    figure.subplots_adjust(left=0.1, right=0.98, top=0.8, bottom=0.19)
    axis = figure.subplots()
    bound = "ρ^k (tanh: an upper bound, as |tanh'| ≤ 1)" if nonlinearity == "tanh" else "ρ^k"
    axis.semilogy(k, np.maximum(norms, FLOOR), "-o", color="tab:red", markersize=2.5, linewidth=1,
                  label="measured with your rnn_forward and rnn_backward")
    axis.semilogy(k, expected, "--", color="black", linewidth=1.2, label=f"theory {bound}")  # on top: visible
    shown = np.concatenate([expected, norms[norms > 0]])
    axis.set_ylim(max(shown.min(), FLOOR) / 3, shown.max() * 3)
    axis.set_xlim(-0.5, steps - 0.5)
    axis.set_xlabel(f"k = steps back from the last step (step t = {steps - 1} - k)")
    axis.set_ylabel("gradient norm ||dx_t|| (log scale)")
    # A few labelled decades and no minor ticks: laying out ticks is most of the redraw's time otherwise.
    axis.yaxis.set_major_locator(LogLocator(numticks=9))
    axis.yaxis.set_minor_locator(NullLocator())
    axis.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
    figure.legend(loc="lower center", ncols=2, fontsize=8, frameon=False)

    first, last = norms[-1], norms[0]
    ratio = f"{first / last:.3g}" if last > 0 else "undefined"
    facts = f"||dx_0|| / ||dx_{steps - 1}||: measured {ratio}, ρ^(T-1) = {expected[-1]:.3g}"
    if nonlinearity == "tanh":
        facts += f"; mean tanh' = 1 - h² over the states: {np.mean(1 - h * h):.2f}"
    else:
        facts += "; every state is 0, so tanh' = 1"
    figure.suptitle(f"{nonlinearity}, Wh = {rho:.2f}·Q (Q orthogonal), T = {steps}", y=0.99, fontsize=10)
    figure.text(0.5, 0.935, textwrap.fill(note, 110), ha="center", va="top", fontsize=9,
                color="tab:red" if wrong else "black")
    axis.set_title(facts, fontsize=8)
    return png(figure)


def vanishing_explorer(rnn_forward, rnn_backward, *, exercise=2, rho=0.9, steps=50, nonlinearity="tanh", seed=0):
    """Sliders for ρ (Wh's spectral radius) and the sequence length T, a toggle for tanh or identity.

    The gradients are the student's rnn_forward and rnn_backward (`exercise`),
    in both settings: the identity needs no rnn_step_backward of its own, as
    zero inputs keep the tanh network where it is linear. The options are
    keyword-only, so that a third function passed by mistake fails at once.
    """
    forward = Answer(rnn_forward, "rnn_forward", exercise)
    backward = Answer(rnn_backward, "rnn_backward", exercise)
    style = {"description_width": "initial"}
    radius = slider(widgets.FloatSlider, value=rho, min=RHO_RANGE[0], max=RHO_RANGE[1], step=0.05,
                    description="ρ, the spectral radius of Wh", readout_format=".2f", style=style,
                    layout=widgets.Layout(width="360px"))
    length = slider(widgets.IntSlider, value=steps, min=STEPS_RANGE[0], max=STEPS_RANGE[1],
                    description="T, sequence length", style=style, layout=widgets.Layout(width="320px"))
    shape = widgets.ToggleButtons(options=NONLINEARITIES, value=nonlinearity, description="nonlinearity",
                                  tooltips=["random inputs: the states spread over tanh's curve",
                                            "inputs and h0 are 0: every state is 0, where tanh' = 1 (a linear RNN)"])
    picture = Picture()

    def redraw():
        redraw_into(picture, lambda: draw(forward, backward, radius.value, length.value, shape.value, seed))

    for control in (radius, length, shape):
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([widgets.HBox([radius, length]), shape, picture.widget])
