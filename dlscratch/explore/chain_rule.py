"""Explorer for notebook 02: the derivative of f(g(x)) is f'(g(x)) · g'(x).

Pick an inner function g and an outer function f. The picture shows g, the
composition f(g(x)), and its derivative twice: from the chain rule (a
solid line) and measured numerically on f∘g itself (dots). They agree
everywhere, which is the whole point.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import image_widget, new_figure, png

# name -> (function, its derivative)
PIECES = {
    "x²": (np.square, lambda x: 2 * x),
    "sin(x)": (np.sin, np.cos),
    "exp(x)": (np.exp, np.exp),
    "sigmoid(x)": (lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "tanh(x)": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "leaky ReLU": (lambda x: np.where(x > 0, x, 0.1 * x), lambda x: np.where(x > 0, 1.0, 0.1)),
}
NUMERIC_STEP = 1e-5


def composition(outer, inner, x):
    """f(g(x)), its chain-rule derivative, and a central-difference estimate of the same."""
    f, df = PIECES[outer]
    g, dg = PIECES[inner]
    def fg(t):
        return f(g(t))
    return {
        "inner": g(x),
        "value": fg(x),
        "chain_rule": df(g(x)) * dg(x),
        "numerical": (fg(x + NUMERIC_STEP) - fg(x - NUMERIC_STEP)) / (2 * NUMERIC_STEP),
    }


def draw(outer, inner, x0):
    xs = np.linspace(-2.5, 2.5, 301)
    curves = composition(outer, inner, xs)
    at = composition(outer, inner, np.array([x0]))
    figure, (left, right) = new_figure(columns=2)
    left.plot(xs, curves["inner"], color="tab:gray", label=f"g(x) = {inner}")
    left.plot(xs, curves["value"], color="black", label=f"f(g(x)), f = {outer}")
    left.plot([x0], at["value"], "o", color="black")
    left.set_title("the inner function and the composition")
    left.legend(loc="best", fontsize=8)

    right.plot(xs, curves["chain_rule"], color="tab:blue", label="chain rule: f'(g(x)) · g'(x)")
    right.plot(xs[::10], curves["numerical"][::10], "o", color="tab:orange", markersize=4,
               label="numerical derivative of f∘g")
    right.plot([x0], at["chain_rule"], "o", color="tab:blue", markersize=8, fillstyle="none")
    right.set_title(f"d/dx f(g(x)) at x = {x0:.2f}: {at['chain_rule'][0]:.5f}")
    right.legend(loc="best", fontsize=8)
    return png(figure)


def chain_rule_explorer(outer="sin(x)", inner="x²", x0=0.5):
    """Dropdowns for f and g and a slider for x, driving the picture."""
    pick_outer = widgets.Dropdown(options=list(PIECES), value=outer, description="outer f")
    pick_inner = widgets.Dropdown(options=list(PIECES), value=inner, description="inner g")
    point = widgets.FloatSlider(value=x0, min=-2.5, max=2.5, step=0.05, description="x")
    picture = image_widget()

    def redraw(_=None):
        picture.value = draw(pick_outer.value, pick_inner.value, point.value)

    for control in (pick_outer, pick_inner, point):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([pick_outer, pick_inner, point]), picture])
