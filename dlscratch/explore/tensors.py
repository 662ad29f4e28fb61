"""Explorers for notebook 03: broadcasting, and what one bumped weight does to X @ W.

broadcast_explorer comes after the exercise on the broadcasting rule and is
given the student's broadcast_shape. Pick two shapes (rank 0 to 2): the
picture draws a, b and a + b on the grid of the shape that broadcast_shape
gives, with the cells that broadcasting repeats (without copying) pale. When
the student's rule and numpy's disagree, it says so instead.

bump_explorer is given the student's sigmoid_sum_forward and
sigmoid_sum_backward for L = sum(sigmoid(X @ W)). Bump one entry of W (or X)
by delta and see which entries of N = X @ W and S = sigmoid(N) move: a bumped
W[j, k] moves column k of N only, a bumped X[i, j] row i only. The title
compares the change of L with delta times the student's gradient entry.

Neither holds the exercises' formulas: the explorers call the student's.
"""
import textwrap

import ipywidgets as widgets
import numpy as np

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

SHAPES = ["()", "(4,)", "(3,)", "(1, 4)", "(3, 1)", "(3, 4)", "(2, 4)", "(1, 1)"]


def parse_shape(text):
    """'(3, 1)' -> (3, 1); '()' -> ()."""
    inside = text.strip().strip("()")
    return tuple(int(part) for part in inside.split(",") if part.strip())


def rule_result(broadcast_shape, shape_a, shape_b):
    """(shape, None) from the student's broadcast_shape, or (None, its message) where it raises ValueError."""
    try:
        result = broadcast_shape(shape_a, shape_b)
    except ValueError as clash:
        return None, str(clash)
    try:
        return tuple(int(size) for size in result), None
    except (TypeError, ValueError):
        raise broadcast_shape.wrong(f"returned {result!r}, not a tuple of sizes") from None


def numpy_result(shape_a, shape_b):
    """The shape numpy gives a + b, or None where numpy refuses: the yardstick for the student's rule."""
    try:
        return tuple(np.broadcast_shapes(shape_a, shape_b))
    except ValueError:
        return None


def right_aligned(shape_a, shape_b):
    """The two shapes as text, one above the other and aligned on the right, the way the rule reads them."""
    width = max(len(shape_a), len(shape_b), 1)
    return ["".join(f"{size:>4}" for size in shape).rjust(4 * width) for shape in (shape_a, shape_b)]


def example_values(shape, scale):
    """Readable entries for a drawing: scale * 1, 2, 3, ... laid out in `shape`."""
    return scale * (np.arange(int(np.prod(shape, dtype=int))) + 1).reshape(shape)


def _as_matrix(shape):
    """Pad a shape of rank 0 to 2 to rank 2, the way broadcasting would."""
    if len(shape) > 2:
        raise ValueError("the broadcasting picture draws shapes of rank 0, 1 or 2")
    return (1,) * (2 - len(shape)) + tuple(shape)


def _draw_grid(axis, values, rows, cols, colour, title):
    """Draw `values` (a rank-2 array) stretched over a rows x cols grid; repeated cells are pale."""
    for r in range(rows):
        for c in range(cols):
            source_r = r if values.shape[0] > 1 else 0
            source_c = c if values.shape[1] > 1 else 0
            original = r < values.shape[0] and c < values.shape[1]
            axis.add_patch(_rectangle(c, r, colour, 0.65 if original else 0.15))
            axis.text(c + 0.5, r + 0.5, f"{values[source_r, source_c]:g}", ha="center", va="center",
                      fontsize=9, color="black" if original else "gray")
    axis.set_xlim(0, max(cols, 1))
    axis.set_ylim(max(rows, 1), 0)
    axis.set_aspect("equal")
    axis.set_xticks([])
    axis.set_yticks([])
    axis.set_title(title, fontsize=9)


def _rectangle(x, y, colour, alpha):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), 1, 1, facecolor=colour, alpha=alpha, edgecolor="black", linewidth=0.8)


def _say(axis, shape_a, shape_b, lines, colour):
    """The shapes aligned on the right, and below them `lines` of explanation (long ones wrapped)."""
    top, bottom = right_aligned(shape_a, shape_b)
    axis.text(0.5, 0.8, f"a {top}\nb {bottom}", ha="center", va="center", multialignment="left", family="monospace",
              fontsize=12)
    wrapped = [part for line in lines for part in textwrap.wrap(line, 44)]
    axis.text(0.5, 0.35, "\n".join(wrapped), ha="center", va="center", color=colour, fontsize=9)
    axis.axis("off")


def draw_broadcast(broadcast_shape, shape_a, shape_b):
    """a, b and a + b as grids on the student's result shape, as PNG bytes."""
    result, clash = rule_result(broadcast_shape, shape_a, shape_b)
    expected = numpy_result(shape_a, shape_b)
    a = example_values(_as_matrix(shape_a), 10)
    b = example_values(_as_matrix(shape_b), 1)
    figure, (left, middle, right) = new_figure(columns=3, width=3.2, height=3.0)
    if result is None or result != expected:
        _draw_grid(left, a, *a.shape, "tab:blue", f"a: shape {tuple(shape_a)}")
        _draw_grid(middle, b, *b.shape, "tab:orange", f"b: shape {tuple(shape_b)}")
        if result is None and expected is None:
            lines = ["A clash. Your broadcast_shape raised ValueError, as numpy does:", clash[:200]]
        else:
            yours = f"ValueError: {clash[:150]}" if result is None else str(result)
            lines = [f"Your broadcast_shape gives {yours},", "but numpy gives",
                     "a clash." if expected is None else f"{expected}."]
        _say(right, shape_a, shape_b, lines, "tab:red")
        return png(figure)
    rows, cols = _as_matrix(result)
    _draw_grid(left, a, rows, cols, "tab:blue", f"a: shape {tuple(shape_a)}")
    _draw_grid(middle, b, rows, cols, "tab:orange", f"b: shape {tuple(shape_b)}")
    _draw_grid(right, a + b, rows, cols, "tab:green", f"a + b: shape {result}")
    return png(figure)


def broadcast_explorer(broadcast_shape, shape_a="(3, 1)", shape_b="(1, 4)"):
    """Two shape menus driving the picture of a, b and a + b, drawn with the student's broadcast_shape (Exercise 2)."""
    rule = Answer(broadcast_shape, "broadcast_shape", 2, raises=(ValueError,))
    first = widgets.Dropdown(options=SHAPES, value=shape_a, description="a.shape")
    second = widgets.Dropdown(options=SHAPES, value=shape_b, description="b.shape")
    picture = Picture()

    def redraw():
        redraw_into(picture, lambda: draw_broadcast(rule, parse_shape(first.value), parse_shape(second.value)))

    for control in (first, second):
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([widgets.HBox([first, second]), picture.widget])


def example_inputs(seed=3):
    """The small X (5 x 3) and W (3 x 4) the bump explorer works on."""
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(size=(5, 3)), 1), np.round(rng.normal(size=(3, 4)), 1)


def forward_values(forward, X, W):
    """The student's sigmoid_sum_forward(X, W), checked to hold N and S shaped like X @ W, and the number L."""
    values = forward(X, W)
    if not isinstance(values, dict) or not {"N", "S", "L"} <= set(values):
        raise forward.wrong('did not return a dict with the keys "N", "S" and "L"')
    shape = (X.shape[0], W.shape[1])
    N, S = np.asarray(values["N"], dtype=float), np.asarray(values["S"], dtype=float)
    if N.shape != shape or S.shape != shape or np.ndim(values["L"]) != 0:
        raise forward.wrong(f"returned N of shape {N.shape} and S of shape {S.shape} (expected {shape}), "
                            f"and L of shape {np.shape(values['L'])} (expected one number)")
    return {"N": N, "S": S, "L": float(values["L"])}


def gradients(backward, X, W):
    """The student's sigmoid_sum_backward(X, W), checked to be a pair shaped like X and W."""
    result = backward(X, W)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise backward.wrong(f"returned {type(result).__name__}, not a pair (dL_dX, dL_dW)")
    dX, dW = (np.asarray(grad, dtype=float) for grad in result)
    if dX.shape != X.shape or dW.shape != W.shape:
        raise backward.wrong(f"returned gradients of shapes {dX.shape} and {dW.shape}, not {X.shape} and {W.shape}")
    return dX, dW


def bump(forward, backward, X, W, which, row, col, delta):
    """Change of N, S and L when X[row, col] or W[row, col] grows by delta, and delta times that gradient entry."""
    X2, W2 = X.astype(float), W.astype(float)   # astype copies: the caller's arrays stay as they are
    (X2 if which == "X" else W2)[row, col] += delta
    before, after = forward_values(forward, X, W), forward_values(forward, X2, W2)
    dX, dW = gradients(backward, X, W)
    gradient = (dX if which == "X" else dW)[row, col]
    return {"dN": after["N"] - before["N"], "dS": after["S"] - before["S"], "dL": after["L"] - before["L"],
            "predicted": float(delta * gradient)}


def draw_bump(forward, backward, which, row, col, delta, X=None, W=None):
    """Heat maps of the change in N and in S, as PNG bytes."""
    if X is None or W is None:
        X, W = example_inputs()
    change = bump(forward, backward, X, W, which, row, col, delta)
    figure, axes = new_figure(columns=2, width=4.2, height=3.4)
    for axis, key, name in zip(axes, ("dN", "dS"), ("N = X @ W", "S = sigmoid(N)")):
        values = change[key]
        limit = max(np.abs(values).max(), 1e-12)
        axis.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
        for (i, k), value in np.ndenumerate(values):
            axis.text(k, i, f"{value:.2g}" if value else "0", ha="center", va="center", fontsize=8)
        axis.set_xticks(range(values.shape[1]))
        axis.set_yticks(range(values.shape[0]))
        axis.set_xlabel("column k")
        axis.set_ylabel("row i")
        axis.set_title(f"change of {name}", fontsize=9)
    figure.suptitle(f"bump {which}[{row}, {col}] by {delta:.3g}:  L changes by {change['dL']:.6g},  "
                    f"δ · dL/d{which}[{row}, {col}] = {change['predicted']:.6g}", fontsize=9)
    return png(figure)


def bump_explorer(sigmoid_sum_forward, sigmoid_sum_backward, which="W", row=0, col=1, delta=0.1):
    """Menus and sliders for which matrix, which entry and how far to bump it.

    The changes come from the student's sigmoid_sum_forward (Exercise 5),
    the prediction from their sigmoid_sum_backward (Exercise 6).
    """
    forward = Answer(sigmoid_sum_forward, "sigmoid_sum_forward", 5)
    backward = Answer(sigmoid_sum_backward, "sigmoid_sum_backward", 6)
    X, W = example_inputs()
    shapes = {"X": X.shape, "W": W.shape}
    choose = widgets.Dropdown(options=["W", "X"], value=which, description="bump")
    row_slider = slider(widgets.IntSlider, value=row, min=0, max=shapes[which][0] - 1, description="row")
    col_slider = slider(widgets.IntSlider, value=col, min=0, max=shapes[which][1] - 1, description="column")
    step = slider(widgets.FloatLogSlider, value=delta, base=10, min=-3, max=0.5, step=0.1, description="δ",
                  readout_format=".3g")
    picture = Picture()
    state = {"quiet": False}

    def redraw():
        if not state["quiet"]:
            redraw_into(picture, lambda: draw_bump(forward, backward, choose.value, row_slider.value,
                                                   col_slider.value, step.value, X, W))

    update = coalesced(redraw)

    def resize(_=None):
        state["quiet"] = True   # one redraw after both sliders fit the chosen matrix
        rows, cols = shapes[choose.value]
        row_slider.value, col_slider.value = min(row_slider.value, rows - 1), min(col_slider.value, cols - 1)
        row_slider.max, col_slider.max = rows - 1, cols - 1
        state["quiet"] = False
        update()

    choose.observe(resize, names="value")
    for control in (row_slider, col_slider, step):
        control.observe(update, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([choose, step]), widgets.HBox([row_slider, col_slider]), picture.widget])
