"""The explorers of notebooks 01 and 02, what all explorers share, and that the widgets redraw.

Where an explorer draws with a student's function, the tests hand it the
hidden reference answer (a right student) or a deliberately wrong one.
"""
import asyncio
import itertools
import time

import ipywidgets as widgets
import numpy as np
import pytest

from autograder.reference import chain_rule as ref_chain
from autograder.reference import convolution as ref_convolution
from autograder.reference import derivatives as ref_derivatives
from autograder.reference import tensors as ref_tensors
from autograder.reference import training as ref_training
from dlscratch.explore import (chain_rule, convolution, derivatives, gradient_descent, neural_network, neuron_graph,
                               softmax, tensors, training)
from dlscratch.explore.answers import Answer, AnswerNeeded
from autograder.published.gradcheck import numerical_derivative
from dlscratch.plotting import coalesced

PNG = b"\x89PNG\r\n\x1a\n"
NOTEBOOK_PIECES = {  # what notebook 02 hands its explorer: earlier answers, leaky ReLU with alpha 0.1
    "x²": (np.square, ref_derivatives.square_deriv),
    "sigmoid(x)": (ref_derivatives.sigmoid, ref_derivatives.sigmoid_deriv),
    "leaky ReLU": (lambda x: ref_derivatives.leaky_relu(x, 0.1), lambda x: ref_derivatives.leaky_relu_deriv(x, 0.1)),
}
PIECES = {**chain_rule.BUILT_IN, **NOTEBOOK_PIECES}


def not_yet(*args):
    raise NotImplementedError()


def momentum_update(param, grad, velocity, lr, momentum):
    velocity *= momentum
    velocity += lr * grad
    param -= velocity


def every_explorer():
    """Each explorer as its notebook builds it, given right answers."""
    return {
        "derivative": derivatives.derivative_explorer(),
        "error": derivatives.error_explorer(ref_derivatives.difference_errors),
        "chain rule": chain_rule.chain_rule_explorer(ref_chain.chain_deriv_2, numerical_derivative, NOTEBOOK_PIECES),
        "neuron graph": neuron_graph.neuron_graph_explorer(ref_chain.neuron_forward, ref_chain.neuron_backward,
                                                           ref_derivatives.sigmoid_deriv),
        "broadcast": tensors.broadcast_explorer(ref_tensors.broadcast_shape),
        "bump": tensors.bump_explorer(ref_tensors.sigmoid_sum_forward, ref_tensors.sigmoid_sum_backward),
        "descent": gradient_descent.descent_explorer(),
        "hidden units": neural_network.hidden_units_explorer(),
        "momentum": training.momentum_explorer(momentum_update, ref_training.lr_schedule),
        "momentum and Adam": training.momentum_explorer(momentum_update, ref_training.lr_schedule,
                                                        adam_update=ref_training.adam_update),
        "softmax": softmax.softmax_explorer(ref_training.softmax, ref_training.softmax_cross_entropy,
                                             ref_training.softmax_cross_entropy_grad),
        "convolution": convolution.convolution_explorer(np.random.default_rng(0).random((5, 28, 28)),
                                                        ref_convolution.conv2d_forward),
    }


def parts(widget, kind):
    """Every widget of type `kind` inside `widget`, depth first."""
    found = [widget] if isinstance(widget, kind) else []
    for child in getattr(widget, "children", ()):
        found += parts(child, kind)
    return found


def picture_of(box):
    """The PNG bytes an explorer shows now, and the text shown above it (empty when there is a picture)."""
    image, = parts(box, widgets.Image)
    notes = parts(box, widgets.HTML)
    return bytes(image.value), (notes[0].value if notes else "")


# What every explorer shares

def test_every_slider_reports_only_when_let_go():
    """A slider sending every position while dragged would queue a slow redraw for each."""
    for name, box in every_explorer().items():
        sliders = parts(box, (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider))
        assert sliders or name == "broadcast", name   # the broadcasting explorer has menus only
        assert all(s.continuous_update is False for s in sliders), name


def test_a_burst_of_changes_is_drawn_once_with_the_latest_values():
    """In a kernel (an event loop runs) changes that come while a redraw is due fold into it."""
    state, drawn = {"value": 0}, []
    update = coalesced(lambda: drawn.append(state["value"]))

    async def burst():
        for value in range(1, 11):
            state["value"] = value
            update()
        await asyncio.sleep(0.2)
        state["value"] = 11
        update()
        await asyncio.sleep(0.2)

    asyncio.run(burst())
    assert drawn == [10, 11]
    update()                      # no event loop: draw at once
    assert drawn == [10, 11, 11]


def test_in_a_real_kernel_slider_messages_behind_a_slow_redraw_are_folded_together():
    """Ten slider positions sent while redraws take 0.3 s each: two redraws, the last at the last position."""
    from jupyter_client.manager import start_new_kernel

    setup = """
import time
from dlscratch.explore import derivatives
drawn, draw = [], derivatives.draw
def slow_draw(name, x0, h):
    time.sleep(0.3)
    drawn.append(h)
    return draw(name, x0, h)
derivatives.draw = slow_draw
box = derivatives.derivative_explorer()
drawn.clear()
print(box.children[0].children[2].comm.comm_id)
"""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        printed = []
        client.execute_interactive(setup, timeout=120, output_hook=lambda msg: printed.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
        comm_id = printed[-1].strip()
        for exponent in range(1, 11):
            client.shell_channel.send(client.session.msg("comm_msg", {"comm_id": comm_id, "data": {
                "method": "update", "state": {"value": 10.0 ** -exponent}, "buffer_paths": []}}))
            time.sleep(0.03)
        time.sleep(2.0)
        printed.clear()
        client.execute_interactive("print(drawn)", timeout=60, output_hook=lambda msg: printed.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    drawn = eval(printed[-1])
    assert len(drawn) <= 3 and drawn[-1] == pytest.approx(1e-10), drawn


def test_every_explorer_opens_with_a_picture():
    for name, box in every_explorer().items():
        image, note = picture_of(box)
        assert image.startswith(PNG) and not note, name


@pytest.mark.parametrize("answer, message", [
    (None, "difference_errors is missing: answer Exercise 6"),
    (not_yet, "Answer Exercise 6 (difference_errors) first"),
    (lambda f, dfdx, x, steps: 1 / 0, "Your difference_errors (Exercise 6) raised ZeroDivisionError: division by zero"),
    (lambda f, dfdx, x, steps: None, "returned None: did you forget a `return`?"),
    (lambda f, dfdx, x, steps: np.abs(steps), "returned ndarray, not a pair"),
    (lambda f, dfdx, x, steps: (steps[:3], steps[:3]), "not one per step"),
])
def test_a_missing_or_broken_answer_is_named_in_place_of_the_picture(answer, message):
    box = derivatives.error_explorer(answer)
    image, note = picture_of(box)
    assert message in note and not image
    image_widget, = parts(box, widgets.Image)
    assert image_widget.layout.display == "none"


def test_an_answer_that_starts_working_brings_the_picture_back():
    attempts = iter([not_yet])
    def difference_errors(*args):
        return next(attempts, ref_derivatives.difference_errors)(*args)

    box = derivatives.error_explorer(difference_errors)
    assert "Answer Exercise 6" in picture_of(box)[1]
    parts(box, widgets.FloatLogSlider)[0].value = 1e-4
    image, note = picture_of(box)
    assert image.startswith(PNG) and note == "" and parts(box, widgets.Image)[0].layout.display is None


def test_errors_that_are_a_right_answer_pass_through():
    rule = Answer(ref_tensors.broadcast_shape, "broadcast_shape", 2, raises=(ValueError,))
    with pytest.raises(ValueError):
        rule((3, 4), (3,))
    with pytest.raises(AnswerNeeded, match="raised ValueError"):
        Answer(ref_tensors.broadcast_shape, "broadcast_shape", 2)((3, 4), (3,))


# Notebook 01: tangent, secant, close-up

@pytest.mark.parametrize("name", list(derivatives.FUNCTIONS))
def test_the_derivatives_in_the_table_are_right(name):
    """Each listed derivative matches a fine central difference of the one before it."""
    curve = derivatives.FUNCTIONS[name]
    x = np.array([-1.3, 0.2, 1.7])
    for function, derivative in zip(curve[:-1], curve[1:]):
        np.testing.assert_allclose(derivative(x), (function(x + 1e-6) - function(x - 1e-6)) / 2e-6,
                                   rtol=1e-6, atol=1e-8)
    assert derivatives.tangent(name, 0.7) == (curve.f(0.7), curve.d1(0.7))


def test_the_close_up_spans_two_steps_either_side_and_passes_through_the_point():
    near = derivatives.close_up("sin(x)", 1.0, 1e-2)
    assert near["offset"][0] == pytest.approx(-2e-2) and near["offset"][-1] == pytest.approx(2e-2)
    assert near["rise"][100] == 0 and near["offset"][100] == 0
    assert near["step"] == pytest.approx(1e-2, rel=1e-12)
    assert near["step_rise"] == pytest.approx(np.sin(1.01) - np.sin(1.0), rel=1e-12)


def test_a_tiny_step_shows_the_staircase_of_float64():
    """float64 numbers are 1.1e-16 apart just below 1 and 2.2e-16 just above: 1 ± 2e-15 holds only 28."""
    tiny = derivatives.close_up("sin(x)", 1.0, 1e-15)
    assert len(np.unique(tiny["offset"])) == 28 and len(np.unique(tiny["rise"])) <= 28
    smooth = derivatives.close_up("sin(x)", 1.0, 1e-3)
    assert len(np.unique(smooth["offset"])) == len(np.unique(smooth["rise"])) == 201


def _loglog_slope(steps, errors, low, high):
    chosen = (steps >= low) & (steps <= high)
    return np.polyfit(np.log10(steps[chosen]), np.log10(errors[chosen]), 1)[0]


@pytest.mark.parametrize("name", list(derivatives.FUNCTIONS))
def test_predicted_errors_match_measured_ones_where_truncation_rules(name):
    steps = derivatives.STEPS
    forward, central = ref_derivatives.difference_errors(*derivatives.FUNCTIONS[name][:2], 0.7, steps)
    predicted_forward, predicted_central = derivatives.predicted_errors(name, 0.7)
    truncation = (steps >= 1e-3) & (steps <= 1e-2)
    np.testing.assert_allclose(forward[truncation], predicted_forward[truncation], rtol=0.02)
    np.testing.assert_allclose(central[truncation], predicted_central[truncation], rtol=0.02)
    assert _loglog_slope(steps, predicted_forward, 1e-5, 1e-2) == pytest.approx(1, abs=0.05)
    assert _loglog_slope(steps, predicted_central, 1e-3, 1e-1) == pytest.approx(2, abs=0.05)
    # Round-off: far below the best step both estimates climb as 1 / h, and the measured errors with them.
    assert _loglog_slope(steps, predicted_forward, 1e-15, 1e-12) == pytest.approx(-1, abs=0.01)
    assert 0.1 < np.median(forward[steps <= 1e-13] / predicted_forward[steps <= 1e-13]) < 10


def test_predicted_best_steps_are_the_notebooks():
    for name in derivatives.FUNCTIONS:
        forward, central = derivatives.predicted_errors(name, 1.0)
        assert 1e-9 < derivatives.STEPS[forward.argmin()] < 1e-7, name
        assert 1e-6 < derivatives.STEPS[central.argmin()] < 1e-4, name


def test_measured_errors_are_the_students_own():
    answer = Answer(ref_derivatives.difference_errors, "difference_errors", 6)
    forward, central = derivatives.measured_errors(answer, "exp(x)", 0.5)
    np.testing.assert_array_equal(forward, ref_derivatives.difference_errors(np.exp, np.exp, 0.5, derivatives.STEPS)[0])
    def halved_errors(*args):
        return tuple(errors / 2 for errors in ref_derivatives.difference_errors(*args))

    halved = Answer(halved_errors, "difference_errors", 6)
    np.testing.assert_array_equal(derivatives.measured_errors(halved, "exp(x)", 0.5)[1], central / 2)


# Notebook 02: the chain rule, and where it parts from the measurement

@pytest.mark.parametrize("outer, inner", list(itertools.product(PIECES, repeat=2)))
def test_chain_rule_and_measurement_agree_away_from_kinks(outer, inner):
    (f, df), (g, dg) = PIECES[outer], PIECES[inner]
    values = chain_rule.derivatives(f, df, g, dg, chain_rule.GRID, ref_chain.chain_deriv_2, numerical_derivative)
    kinks = np.zeros_like(chain_rule.GRID, dtype=bool)
    if inner == "leaky ReLU":
        kinks |= np.abs(chain_rule.GRID) < 1e-5
    if outer == "leaky ReLU":
        kinks |= np.abs(values["inner"]) < 1e-5 * (1 + np.abs(dg(chain_rule.GRID)))
    assert not chain_rule.disagree(values["chain_rule"], values["numerical"])[~kinks].any()


def test_leaky_relu_parts_them_at_its_kink_by_half_the_jump_in_slope():
    """sin(leaky(x)) at 0: the formula takes alpha = 0.1, the central difference (0.1 + 1) / 2."""
    f, df = PIECES["sin(x)"]
    g, dg = PIECES["leaky ReLU"]
    here = chain_rule.derivatives(f, df, g, dg, np.array([0.0]), ref_chain.chain_deriv_2, numerical_derivative)
    assert here["chain_rule"][0] == pytest.approx(0.1) and here["numerical"][0] == pytest.approx(0.55)
    assert chain_rule.disagree(here["chain_rule"], here["numerical"])[0]
    left, right = chain_rule.one_sided_slopes(f, df, g, dg, 0.0, ref_chain.chain_deriv_2)
    assert (left, right) == (pytest.approx(0.1), pytest.approx(1.0))
    note = chain_rule.kink_note(0.0, here["chain_rule"][0], here["numerical"][0], (left, right))
    assert "0.45 apart" in note and "0.1 just left and 1 just right" in note and "average is 0.55" in note


def test_where_they_agree_the_note_says_so():
    f, df = PIECES["sin(x)"]
    g, dg = PIECES["x²"]
    here = chain_rule.derivatives(f, df, g, dg, np.array([0.5]), ref_chain.chain_deriv_2, numerical_derivative)
    note = chain_rule.kink_note(0.5, here["chain_rule"][0], here["numerical"][0], (0.0, 0.0))
    assert note == f"at x = 0.50 both give {np.cos(0.25) * 1.0:.5f}"


def test_a_wrong_chain_rule_is_drawn_as_it_is():
    """Taking the outer derivative at x instead of g(x) must show up as a disagreement."""
    def at_the_wrong_point(f1, df1, f2, df2, x):
        return df2(x) * df1(x)

    f, df = PIECES["sin(x)"]
    g, dg = PIECES["x²"]
    values = chain_rule.derivatives(f, df, g, dg, chain_rule.GRID, at_the_wrong_point, numerical_derivative)
    assert chain_rule.disagree(values["chain_rule"], values["numerical"]).mean() > 0.9


# Pictures and widgets

def test_pictures_are_png_and_change_with_the_controls():
    a, b = derivatives.draw("sin(x)", 1.0, 0.1), derivatives.draw("sin(x)", 1.0, 1e-13)
    assert a.startswith(PNG) and b.startswith(PNG) and a != b
    answer = Answer(ref_derivatives.difference_errors, "difference_errors", 6)
    c, d = derivatives.draw_errors(answer, "sin(x)", 1.0, 1e-5), derivatives.draw_errors(answer, "tanh(x)", 1.0, 1e-5)
    assert c.startswith(PNG) and c != d
    e = chain_rule.draw(PIECES, "sin(x)", "x²", 0.5, ref_chain.chain_deriv_2, numerical_derivative)
    f = chain_rule.draw(PIECES, "sin(x)", "leaky ReLU", 0.0, ref_chain.chain_deriv_2, numerical_derivative)
    assert e.startswith(PNG) and e != f


def test_widgets_redraw_when_a_control_moves():
    box = derivatives.derivative_explorer()
    (choose, point, step) = box.children[0].children
    before = picture_of(box)[0]
    step.value = 1e-3
    assert picture_of(box)[0] != before and picture_of(box)[0].startswith(PNG)

    box = chain_rule.chain_rule_explorer(ref_chain.chain_deriv_2, numerical_derivative, NOTEBOOK_PIECES)
    (outer, inner, point) = box.children[0].children
    assert set(outer.options) == set(PIECES)
    before = picture_of(box)[0]
    inner.value = "leaky ReLU"
    assert picture_of(box)[0] != before


def test_explorers_leave_the_notebooks_own_plots_alone():
    """Importing an explorer must not switch the kernel's matplotlib backend (plots would vanish)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "import matplotlib.pyplot as plt",
        "from dlscratch.explore import derivative_explorer, chain_rule_explorer\nderivative_explorer();",
        "plt.plot([1, 2, 3]); plt.show()",
    )])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert any("image/png" in out.get("data", {}) for out in nb.cells[2].outputs)
