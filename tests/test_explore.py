"""The maths behind the explorers, and that their widgets redraw when a control moves."""
import itertools

import numpy as np
import pytest

from dlscratch.explore import chain_rule, derivatives

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", list(derivatives.FUNCTIONS))
def test_exact_slope_matches_a_fine_central_difference(name):
    f, _ = derivatives.FUNCTIONS[name]
    for x0 in (-1.3, 0.2, 1.7):
        slopes = derivatives.secant_and_tangent(name, x0, 1e-1)
        fine = (f(x0 + 1e-6) - f(x0 - 1e-6)) / 2e-6
        assert slopes["exact"] == pytest.approx(fine, rel=1e-6, abs=1e-8)
        assert abs(slopes["central"] - slopes["exact"]) < abs(slopes["forward"] - slopes["exact"])


def _loglog_slope(steps, errors, low, high):
    chosen = (steps >= low) & (steps <= high)
    return np.polyfit(np.log10(steps[chosen]), np.log10(errors[chosen]), 1)[0]


@pytest.mark.parametrize("name", ["sin(x)", "exp(x)", "x³ − 2x"])
def test_error_curve_shows_truncation_then_round_off(name):
    steps = derivatives.STEPS
    forward, central = derivatives.step_errors(name, 0.7)
    assert _loglog_slope(steps, forward, 1e-4, 1e-1) == pytest.approx(1, abs=0.15)
    assert _loglog_slope(steps, central, 1e-3, 1e-1) == pytest.approx(2, abs=0.15)
    assert 1e-10 <= steps[forward.argmin()] <= 1e-6
    assert 1e-7 <= steps[central.argmin()] <= 1e-3
    assert forward[steps <= 1e-13].mean() > 100 * forward.min()   # round-off climbs back up


@pytest.mark.parametrize("outer, inner", list(itertools.product(chain_rule.PIECES, repeat=2)))
def test_chain_rule_agrees_with_the_numerical_derivative(outer, inner):
    x = np.linspace(-2, 2, 41)
    x = x[np.abs(x) > 0.05]   # leaky ReLU has a kink at 0
    values = chain_rule.composition(outer, inner, x)
    if "leaky" in outer:      # ... and at g(x) = 0
        x = x[np.abs(values["inner"]) > 0.05]
        values = chain_rule.composition(outer, inner, x)
    np.testing.assert_allclose(values["chain_rule"], values["numerical"], rtol=1e-5, atol=1e-7)


def test_pictures_are_png_and_change_with_the_controls():
    a, b = derivatives.draw("sin(x)", 1.0, 0.1), derivatives.draw("sin(x)", 1.0, 0.5)
    assert a.startswith(PNG) and b.startswith(PNG) and a != b
    c, d = chain_rule.draw("sin(x)", "x²", 0.5), chain_rule.draw("exp(x)", "x²", 0.5)
    assert c.startswith(PNG) and c != d


def test_widgets_redraw_when_a_control_moves():
    box = derivatives.derivative_explorer()
    (choose, point, step), picture = box.children[0].children, box.children[1]
    before = picture.value
    step.value = 1e-3
    assert bytes(picture.value) != bytes(before) and bytes(picture.value).startswith(PNG)
    box = chain_rule.chain_rule_explorer()
    (outer, inner, point), picture = box.children[0].children, box.children[1]
    before = picture.value
    outer.value = "tanh(x)"
    assert bytes(picture.value) != bytes(before)


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
