"""Explorer for notebook 02: the derivative of f(g(x)), by the chain rule and measured, and where they part.

Pick an inner function g and an outer function f. The picture shows g, the
composition f(g(x)), and its derivative twice: from the student's
chain_deriv_2 (a solid line) and measured numerically on f∘g itself (dots).
Wherever f∘g is smooth the two agree. Where it has a kink (leaky ReLU
where its input is 0) they part: the central difference straddles the kink
and gives the average of the slopes on its two sides, while the formula
gives the derivative the convention picks there. At a kink there is no
derivative to agree on; a gradient check that lands on one reports a
mismatch that is no mistake.

The notebook hands over the pieces that are earlier exercises' answers
(x², the sigmoid, leaky ReLU with their derivatives), its chain_deriv_2 and
a numerical derivative, so nothing here computes an answer of its own.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

# name -> (function, its derivative); the notebook adds its own pieces to these.
BUILT_IN = {
    "sin(x)": (np.sin, np.cos),
    "exp(x)": (np.exp, np.exp),
    "tanh(x)": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}
GRID = np.linspace(-2.5, 2.5, 301)   # holds x = 0 exactly, where leaky ReLU's kinks sit
BESIDE = 1e-7    # how far either side of x the one-sided slopes are taken
AGREE = 1e-4     # relative gap below which the two derivatives count as the same


def derivatives(f, df, g, dg, x, chain_deriv_2, numerical_derivative):
    """g(x), f(g(x)) and d/dx f(g(x)) twice: by the chain rule and measured numerically."""
    return {
        "inner": g(x),
        "value": f(g(x)),
        "chain_rule": np.asarray(chain_deriv_2(g, dg, f, df, x), dtype=float),
        "numerical": np.asarray(numerical_derivative(lambda t: f(g(t)), x), dtype=float),
    }


def disagree(chain_rule, numerical):
    """True where the two derivatives differ by more than AGREE relative to their size."""
    return np.abs(chain_rule - numerical) > AGREE * np.maximum(1.0, np.abs(chain_rule))


def one_sided_slopes(f, df, g, dg, x0, chain_deriv_2):
    """The chain rule's slope just left and just right of x0: different where f∘g has a kink at x0."""
    sides = np.array([x0 - BESIDE, x0 + BESIDE])
    left, right = np.asarray(chain_deriv_2(g, dg, f, df, sides), dtype=float)
    return float(left), float(right)


def kink_note(x0, chain_rule, numerical, slopes):
    """A sentence on the derivatives at x0: that they agree, or how a kink parts them."""
    if not disagree(chain_rule, numerical):
        return f"at x = {x0:.2f} both give {chain_rule:.5f}"
    left, right = slopes
    return (f"at x = {x0:.2f}: chain rule {chain_rule:.4f}, numerical {numerical:.4f}, "
            f"{abs(chain_rule - numerical):.2f} apart.\nA kink: the slope is {left:.4g} just left "
            f"and {right:.4g} just right; their average is {(left + right) / 2:.4g}")


def draw(pieces, outer, inner, x0, chain_deriv_2, numerical_derivative):
    """The inner function and the composition, and the two derivatives, as PNG bytes."""
    (f, df), (g, dg) = pieces[outer], pieces[inner]
    curves = derivatives(f, df, g, dg, GRID, chain_deriv_2, numerical_derivative)
    here = derivatives(f, df, g, dg, np.array([x0]), chain_deriv_2, numerical_derivative)
    chain_here, numerical_here = here["chain_rule"][0], here["numerical"][0]
    slopes = one_sided_slopes(f, df, g, dg, x0, chain_deriv_2)
    parted = disagree(curves["chain_rule"], curves["numerical"])

    figure, (left, right) = new_figure(columns=2, height=3.9)
    left.plot(GRID, curves["inner"], color="tab:gray", label=f"g(x) = {inner}")
    left.plot(GRID, curves["value"], color="black", label=f"f(g(x)), f = {outer}")
    left.plot([x0], here["value"], "o", color="black")
    left.set_title("the inner function and the composition")
    left.legend(loc="best", fontsize=8)

    right.plot(GRID, curves["chain_rule"], color="tab:blue", label="chain rule: your chain_deriv_2")
    right.plot(GRID[::10], curves["numerical"][::10], "o", color="tab:orange", markersize=4,
               label="measured on f∘g (central difference)")
    if parted.any():
        right.plot(GRID[parted], curves["numerical"][parted], "o", color="tab:red", markersize=9,
                   fillstyle="none", label="the two disagree")
    right.plot([x0], [chain_here], "s", color="tab:blue", markersize=7, fillstyle="none")
    right.plot([x0], [numerical_here], "D", color="tab:orange", markersize=7, fillstyle="none")
    right.set_title(kink_note(x0, chain_here, numerical_here, slopes), fontsize=8,
                    color="tab:red" if disagree(chain_here, numerical_here) else "black")
    right.legend(loc="best", fontsize=8)
    return png(figure)


def chain_rule_explorer(chain_deriv_2, numerical_derivative, pieces, outer="sin(x)", inner="x²", x0=0.5):
    """Menus for f and g and a slider for x, drawing with the student's chain_deriv_2 (Exercise 2).

    `pieces` maps a name to (function, its derivative), added to sin, exp
    and tanh; `numerical_derivative(f, x)` measures slopes of f∘g.
    """
    pieces = {**BUILT_IN, **pieces}
    chain = Answer(chain_deriv_2, "chain_deriv_2", 2)
    pick_outer = widgets.Dropdown(options=list(pieces), value=outer, description="outer f")
    pick_inner = widgets.Dropdown(options=list(pieces), value=inner, description="inner g")
    point = slider(widgets.FloatSlider, value=x0, min=-2.5, max=2.5, step=0.05, description="x")
    picture = Picture()

    def redraw():
        redraw_into(picture, lambda: draw(pieces, pick_outer.value, pick_inner.value, point.value, chain,
                                          numerical_derivative))

    for control in (pick_outer, pick_inner, point):
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([widgets.HBox([pick_outer, pick_inner, point]), picture.widget])
