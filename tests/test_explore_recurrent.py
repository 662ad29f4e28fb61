"""The vanishing-gradient explorer (notebook 10), given right and wrong rnn_forward/rnn_backward written here.

The right answers are written in this file, so that the explorer is checked
against an outside oracle rather than against the reference package it must
never call: a step-by-step version with the exercise's cache, and one that
keeps its own cache (pre-activations) and works in float32. The numbers the
explorer plots are checked by finite differences, and against ρ^k where the
theory is exact.
"""
import ipywidgets as widgets
import numpy as np
import pytest

from dlscratch.explore import recurrent as rc
from dlscratch.explore.answers import Answer, AnswerNeeded
from test_explore import parts, picture_of

PNG = b"\x89PNG\r\n\x1a\n"


def rnn_forward(x, h0, Wx, Wh, b):
    """A right answer: one step at a time, each cache the tuple (x, h_prev, Wx, Wh, h)."""
    states, caches, h = [], [], h0
    for t in range(x.shape[1]):
        h_prev, h = h, np.tanh(x[:, t] @ Wx + h @ Wh + b)
        states.append(h)
        caches.append((x[:, t], h_prev, Wx, Wh, h))
    return np.stack(states, axis=1), caches


def rnn_backward(dh_all, caches, through_tanh=lambda h: 1 - h * h, carry_weight=None):
    """The matching backward pass; the two keywords let the tests make mutants of it."""
    steps = len(caches)
    dx = [None] * steps
    carry = np.zeros_like(caches[0][1])
    dWx, dWh = np.zeros_like(caches[0][2]), np.zeros_like(caches[0][3])
    db = np.zeros(caches[0][3].shape[0])
    for t in reversed(range(steps)):
        x, h_prev, Wx, Wh, h = caches[t]
        da = (dh_all[:, t] + carry) * through_tanh(h)
        dx[t] = da @ Wx.T
        carry = da @ (Wh if carry_weight is None else carry_weight(Wx, Wh)).T
        dWx += x.T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
    return np.stack(dx, axis=1), carry, dWx, dWh, db


def rnn_forward_float32(x, h0, Wx, Wh, b):
    """Another right answer: float32 throughout, and a cache of its own (pre-activations, not h)."""
    x, h, Wx, Wh, b = (np.asarray(a, np.float32) for a in (x, h0, Wx, Wh, b))
    states, caches = [], []
    for t in range(x.shape[1]):
        a = x[:, t] @ Wx + h @ Wh + b
        caches.append({"x": x[:, t], "a": a, "Wx": Wx, "Wh": Wh})
        h = np.tanh(a)
        states.append(h)
    return np.stack(states, axis=1), caches


def rnn_backward_float32(dh_all, caches):
    dh_all = dh_all.astype(np.float32)
    dx, carry = np.zeros(dh_all.shape[:2] + (caches[0]["Wx"].shape[0],), np.float32), 0
    for t in reversed(range(len(caches))):
        da = (dh_all[:, t] + carry) / np.cosh(caches[t]["a"]) ** 2
        dx[:, t] = da @ caches[t]["Wx"].T
        carry = da @ caches[t]["Wh"].T
    return dx, carry, None, None, None


FORWARD, BACKWARD = Answer(rnn_forward, "rnn_forward", 2), Answer(rnn_backward, "rnn_backward", 2)
RIGHT = {"loops": (FORWARD, BACKWARD),
         "float32": (Answer(rnn_forward_float32, "rnn_forward", 2), Answer(rnn_backward_float32, "rnn_backward", 2))}


def mutant(**mistake):
    return Answer(lambda dh_all, caches: rnn_backward(dh_all, caches, **mistake), "rnn_backward", 2)


def control(box, description):
    """The one control of the explorer with this description."""
    found = [w for w in parts(box, widgets.ValueWidget) if getattr(w, "description", None) == description]
    assert len(found) == 1, description
    return found[0]


# The set-up, apart from the student's functions

def test_wh_stretches_every_direction_by_rho_and_the_rest_is_fixed():
    x, h0, wx, wh, b, dh_all = rc.setting(1.3, 12, "tanh", seed=5)
    np.testing.assert_allclose(np.linalg.svd(wh, compute_uv=False), 1.3, rtol=1e-12)
    np.testing.assert_array_equal(wx, np.eye(rc.HIDDEN))
    assert not h0.any() and not b.any()
    assert x.shape == (rc.SEQUENCES, 12, rc.HIDDEN) and x.std() == pytest.approx(rc.INPUT_SCALE, rel=0.1)
    assert not dh_all[:, :-1].any() and np.linalg.norm(dh_all[:, -1]) == pytest.approx(1.0)


def test_only_rho_and_t_change_between_settings_of_one_seed():
    short, long = rc.setting(0.9, 10, "tanh"), rc.setting(1.2, 60, "tanh")
    np.testing.assert_array_equal(short[0], long[0][:, :10])            # step t's input is the same for every T
    np.testing.assert_allclose(short[3] / 0.9, long[3] / 1.2, rtol=1e-12)  # the same Q
    np.testing.assert_array_equal(short[5][:, -1], long[5][:, -1])       # the same gradient into the last state
    assert not np.array_equal(rc.setting(0.9, 10, "tanh", seed=1)[3], short[3])
    identity = rc.setting(0.9, 10, "identity")
    assert not identity[0].any()
    np.testing.assert_array_equal(identity[3], short[3])
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        rc.setting(0.9, 10, "relu")


def test_theory_is_rho_to_the_k():
    np.testing.assert_allclose(rc.theory(0.5, 4), [1, 0.5, 0.25, 0.125])
    assert rc.theory(1.5, 100)[-1] == pytest.approx(1.5 ** 99)


def test_tick_labels_are_powers_of_ten_in_plain_text():
    assert [rc.power_of_ten(v) for v in (1e-12, 1.0, 1e3, 0.0)] == ["10⁻¹²", "10⁰", "10³", ""]


# The numbers the explorer plots

@pytest.mark.parametrize("answer", list(RIGHT))
@pytest.mark.parametrize("rho, steps", [(0.5, 100), (0.9, 40), (1.0, 25), (1.5, 100)])
def test_identity_gives_exactly_rho_to_the_k(answer, rho, steps):
    """States held at 0, tanh' = 1: a linear RNN, and an orthogonal ρQ scales each step's gradient by ρ exactly."""
    norms, h = rc.gradient_norms(*RIGHT[answer], rho, steps, "identity")
    assert not h.any()
    tolerance = 1e-12 if answer == "loops" else 1e-5
    np.testing.assert_allclose(norms, rho ** np.arange(steps), rtol=tolerance)
    assert rc.verdict(norms, rho, "identity") == ("on ρ^k, as a linear RNN must be", False)


@pytest.mark.parametrize("answer", list(RIGHT))
@pytest.mark.parametrize("rho", [0.5, 0.9, 1.0, 1.2, 1.5])
def test_tanh_lies_at_or_below_rho_to_the_k_and_falls_further_below_it(answer, rho):
    norms, h = rc.gradient_norms(*RIGHT[answer], rho, 60, "tanh")
    bound = rho ** np.arange(60)
    assert np.all(norms <= bound * (1 + 1e-6))
    assert norms[-1] < 1e-3 * bound[-1]                  # sixty tanh' < 1 factors: far below the line
    assert np.all(np.diff(norms / bound) <= 1e-9)        # each step back can only shrink it further against ρ^k
    _, _, _, _, _, dh_all = rc.setting(rho, 60, "tanh")
    last = dh_all[:, -1] * (1 - h[:, -1] ** 2)           # k = 0: the entering gradient through tanh' once
    assert norms[0] == pytest.approx(np.linalg.norm(last), rel=1e-5)
    assert not rc.verdict(norms, rho, "tanh")[1]


def test_for_rho_at_most_1_the_tanh_gradient_never_grows_going_back():
    for rho in (0.6, 1.0):
        norms, _ = rc.gradient_norms(FORWARD, BACKWARD, rho, 80, "tanh")
        assert np.all(np.diff(norms) <= 1e-15)


@pytest.mark.parametrize("nonlinearity", rc.NONLINEARITIES)
def test_the_norms_are_the_gradient_of_the_loss_at_each_step_by_finite_differences(nonlinearity):
    """L = Σ dh_all · h: its gradient with respect to x_t, by central differences, has the plotted norm."""
    rho, steps = 1.2, 5
    x, h0, wx, wh, b, dh_all = rc.setting(rho, steps, nonlinearity, seed=3)
    norms, _ = rc.gradient_norms(FORWARD, BACKWARD, rho, steps, nonlinearity, seed=3)

    def loss(inputs):
        return np.sum(dh_all * rnn_forward(inputs, h0, wx, wh, b)[0])

    step = 1e-6
    for t in range(steps):
        grad = np.zeros_like(x[:, t])
        for index in np.ndindex(grad.shape):
            up, down = x.copy(), x.copy()
            up[(index[0], t, index[1])] += step
            down[(index[0], t, index[1])] -= step
            grad[index] = (loss(up) - loss(down)) / (2 * step)
        assert norms[steps - 1 - t] == pytest.approx(np.linalg.norm(grad), rel=1e-6)


# What the explorer says about wrong answers that still run

def test_a_tanh_factor_that_can_pass_1_is_caught_above_the_bound():
    """1 - h instead of 1 - h²: for h < 0 the factor is above 1, and the gradient climbs over ρ^k."""
    norms, _ = rc.gradient_norms(FORWARD, mutant(through_tanh=lambda h: 1 - h), 1.0, 40, "tanh")
    text, wrong = rc.verdict(norms, 1.0, "tanh")
    assert wrong and "above ρ^k" in text and "check the factor 1 - h²" in text


def test_carrying_back_through_the_wrong_weight_is_caught_where_the_theory_is_exact():
    norms, _ = rc.gradient_norms(FORWARD, mutant(carry_weight=lambda wx, wh: wx), 0.8, 20, "identity")
    text, wrong = rc.verdict(norms, 0.8, "identity")
    assert wrong and text.startswith("k = 1: your gradient norm is 1, ") and "must be ρ^k = 0.8" in text


def test_a_backward_pass_that_carries_nothing_back_is_named():
    norms, _ = rc.gradient_norms(FORWARD, mutant(carry_weight=lambda wx, wh: 0 * wh), 1.0, 10, "tanh")
    assert norms[0] > 0 and not norms[1:].any()
    text, wrong = rc.verdict(norms, 1.0, "tanh")
    assert wrong and text.startswith("no gradient reaches the earlier steps")
    assert rc.draw(FORWARD, mutant(carry_weight=lambda wx, wh: 0 * wh), 1.0, 10).startswith(PNG)  # drawn, not hidden


def test_a_backward_pass_that_drops_the_loss_gradient_is_named():
    def only_the_carry(dh_all, caches):
        return rnn_backward(np.zeros_like(dh_all), caches)

    norms, _ = rc.gradient_norms(FORWARD, Answer(only_the_carry, "rnn_backward", 2), 0.9, 10, "tanh")
    assert not norms.any()
    text, wrong = rc.verdict(norms, 0.9, "tanh")
    assert wrong and "dh_all[:, t]" in text
    assert rc.draw(FORWARD, Answer(only_the_carry, "rnn_backward", 2), 0.9, 10).startswith(PNG)


# Answers that cannot be drawn: one sentence naming the exercise

def returns(value):
    return lambda *args: value


@pytest.mark.parametrize("forward, backward, name, problem", [
    (returns(None), rnn_backward, "rnn_forward", "returned None: did you forget a `return`?"),
    (lambda *a: rnn_forward(*a)[0], rnn_backward, "rnn_forward", "returned ndarray, not the pair (h, caches)"),
    (lambda *a: (rnn_forward(*a)[0][:, -1], rnn_forward(*a)[1]), rnn_backward, "rnn_forward",
     "returned h of shape (8, 32) for 8 sequences of 10 steps and hidden size 32, not (8, 10, 32)"),
    (lambda *a: ("h", []), rnn_backward, "rnn_forward", "returned h of type str, not an array"),
    (rnn_forward, lambda d, c: rnn_backward(d, c)[:4], "rnn_backward",
     "returned 4 values, not the five gradients (dx, dh0, dWx, dWh, db)"),
    (rnn_forward, lambda d, c: rnn_backward(d, c)[0], "rnn_backward",
     "returned ndarray, not the five gradients (dx, dh0, dWx, dWh, db)"),
    (rnn_forward, lambda d, c: (rnn_backward(d, c)[0].transpose(1, 0, 2), *rnn_backward(d, c)[1:]), "rnn_backward",
     "returned dx of shape (10, 8, 32) for x of shape (8, 10, 32), not (8, 10, 32)"),
    (rnn_forward, lambda d, c: (rnn_backward(d, c)[0] * np.nan, *rnn_backward(d, c)[1:]), "rnn_backward",
     "returned dx with inf or nan in it"),
    (rnn_forward, lambda d, c: (None, 0, 0, 0, 0), "rnn_backward", "returned dx of shape () for x of shape"),
    (rnn_forward, lambda d: rnn_backward(d, None), "rnn_backward", "raised TypeError"),
])
def test_a_result_of_the_wrong_kind_is_one_sentence_naming_the_exercise(forward, backward, name, problem):
    with pytest.raises(AnswerNeeded) as caught:
        rc.gradient_norms(Answer(forward, "rnn_forward", 2), Answer(backward, "rnn_backward", 2), 0.9, 10, "tanh")
    message = str(caught.value)
    assert message.startswith(f"Your {name} (Exercise 2) ") and problem in message
    assert message.endswith("Fix it, run its cell, then run this cell again.")


# The widget

def test_the_explorer_draws_and_redraws_when_each_control_moves():
    box = rc.vanishing_explorer(rnn_forward, rnn_backward)
    seen = [picture_of(box)]
    assert seen[0][0].startswith(PNG) and not seen[0][1]
    for description, value in (("ρ, the spectral radius of Wh", 1.25), ("T, sequence length", 100),
                               ("nonlinearity", "identity")):
        control(box, description).value = value
        image, note = picture_of(box)
        assert image.startswith(PNG) and not note and image not in [s[0] for s in seen], description
        seen.append((image, note))
    assert picture_of(box)[0] == rc.draw(FORWARD, BACKWARD, 1.25, 100, "identity")


def test_the_controls_span_the_issues_ranges_and_report_only_when_let_go():
    box = rc.vanishing_explorer(rnn_forward, rnn_backward)
    rho, steps = control(box, "ρ, the spectral radius of Wh"), control(box, "T, sequence length")
    assert (rho.min, rho.max, rho.step, rho.value) == (0.5, 1.5, 0.05, 0.9)
    assert (steps.min, steps.max, steps.value) == (5, 100, 50)
    assert control(box, "nonlinearity").options == ("tanh", "identity")
    sliders = parts(box, (widgets.IntSlider, widgets.FloatSlider))
    assert len(sliders) == 2 and all(s.continuous_update is False for s in sliders)


def not_yet(*args):
    raise NotImplementedError


@pytest.mark.parametrize("forward, backward, message", [
    (None, rnn_backward, "rnn_forward is missing: answer Exercise 2, run its cell, then run this cell again."),
    (rnn_forward, None, "rnn_backward is missing: answer Exercise 2, run its cell, then run this cell again."),
    (not_yet, not_yet, "Answer Exercise 2 (rnn_forward) first, run its cell, then run this cell again."),
    (rnn_forward, not_yet, "Answer Exercise 2 (rnn_backward) first, run its cell, then run this cell again."),
    (rnn_forward, returns(None), "Your rnn_backward (Exercise 2) returned None: did you forget a `return`?"),
])
def test_a_missing_or_broken_answer_is_shown_instead_of_the_picture_and_the_controls_still_work(
        forward, backward, message):
    box = rc.vanishing_explorer(forward, backward)
    image, note = picture_of(box)
    assert message in note and not image
    assert parts(box, widgets.Image)[0].layout.display == "none"
    control(box, "T, sequence length").value = 7
    control(box, "nonlinearity").value = "identity"
    assert message in picture_of(box)[1]


def test_the_exercise_number_is_the_notebooks_and_is_given_by_name():
    assert "answer Exercise 4" in picture_of(rc.vanishing_explorer(None, None, exercise=4))[1]
    with pytest.raises(TypeError, match="positional"):
        rc.vanishing_explorer(rnn_forward, rnn_backward, not_yet)  # a third function is a mistake, said at once

