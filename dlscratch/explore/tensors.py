"""Explorers for notebook 03: broadcasting, and what one bumped weight does to X @ W.

broadcast_explorer: pick two shapes (rank 0 to 2). The picture draws a, b and
a + b on the grid of the result; the cells broadcasting repeats (without
copying) are pale, and a clash is named with its axis.

bump_explorer: a small X and W feed L = sum(sigmoid(X @ W)). Bump one entry of
W (or X) by delta and see which entries of N = X @ W and S = sigmoid(N) move:
a bumped W[j, k] moves column k of N only, a bumped X[i, j] row i only. The
title compares the change of L with delta times the gradient entry.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import image_widget, new_figure, png

SHAPES = ["()", "(4,)", "(3,)", "(1, 4)", "(3, 1)", "(3, 4)", "(2, 4)", "(1, 1)"]


def parse_shape(text):
    """'(3, 1)' -> (3, 1); '()' -> ()."""
    inside = text.strip().strip("()")
    return tuple(int(part) for part in inside.split(",") if part.strip())


def broadcast_plan(shape_a, shape_b):
    """How numpy lines up two shapes: padded shapes, result, stretched axes, or the clashing axis."""
    rank = max(len(shape_a), len(shape_b))
    a = (1,) * (rank - len(shape_a)) + tuple(shape_a)
    b = (1,) * (rank - len(shape_b)) + tuple(shape_b)
    plan = {"padded_a": a, "padded_b": b, "result": None, "stretched_a": (), "stretched_b": (), "clash": None}
    for axis, (size_a, size_b) in enumerate(zip(a, b)):
        if size_a != size_b and 1 not in (size_a, size_b):
            plan["clash"] = axis
            return plan
    plan["result"] = tuple(max(size_a, size_b) for size_a, size_b in zip(a, b))
    plan["stretched_a"] = tuple(axis for axis, (sa, sb) in enumerate(zip(a, b)) if sa == 1 and sb > 1)
    plan["stretched_b"] = tuple(axis for axis, (sa, sb) in enumerate(zip(a, b)) if sb == 1 and sa > 1)
    return plan


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


def draw_broadcast(shape_a, shape_b):
    """a, b and a + b as grids, as PNG bytes."""
    plan = broadcast_plan(shape_a, shape_b)
    a = example_values(_as_matrix(shape_a), 10)
    b = example_values(_as_matrix(shape_b), 1)
    figure, (left, middle, right) = new_figure(columns=3, width=3.2, height=3.0)
    if plan["clash"] is not None:
        _draw_grid(left, a, *a.shape, "tab:blue", f"a: shape {tuple(shape_a)}")
        _draw_grid(middle, b, *b.shape, "tab:orange", f"b: shape {tuple(shape_b)}")
        rank = len(plan["padded_a"])
        sizes = plan["padded_a"][plan["clash"]], plan["padded_b"][plan["clash"]]
        right.text(0.5, 0.5, f"clash on axis {plan['clash'] - rank}\n(counting from the right):\n"
                             f"{sizes[0]} against {sizes[1]},\nand neither is 1",
                   ha="center", va="center", color="tab:red", fontsize=11)
        right.axis("off")
        return png(figure)
    rows, cols = _as_matrix(plan["result"])
    _draw_grid(left, a, rows, cols, "tab:blue", f"a: shape {tuple(shape_a)}")
    _draw_grid(middle, b, rows, cols, "tab:orange", f"b: shape {tuple(shape_b)}")
    _draw_grid(right, a + b, rows, cols, "tab:green", f"a + b: shape {plan['result']}")
    return png(figure)


def broadcast_explorer(shape_a="(3, 1)", shape_b="(1, 4)"):
    """Two shape menus driving the picture of a, b and a + b."""
    first = widgets.Dropdown(options=SHAPES, value=shape_a, description="a.shape")
    second = widgets.Dropdown(options=SHAPES, value=shape_b, description="b.shape")
    picture = image_widget()

    def redraw(_=None):
        picture.value = draw_broadcast(parse_shape(first.value), parse_shape(second.value))

    for control in (first, second):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([first, second]), picture])


def example_inputs(seed=3):
    """The small X (5 x 3) and W (3 x 4) the bump explorer works on."""
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(size=(5, 3)), 1), np.round(rng.normal(size=(3, 4)), 1)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_sum_gradients(X, W):
    """dL/dX and dL/dW for L = sum(sigmoid(X @ W))."""
    S = _sigmoid(X @ W)
    dN = S * (1 - S)
    return dN @ W.T, X.T @ dN


def bump(X, W, which, row, col, delta):
    """Change of N = X @ W, of S = sigmoid(N) and of L = sum(S) when X[row, col] or W[row, col] grows by delta."""
    X2, W2 = X.astype(float), W.astype(float)
    (X2 if which == "X" else W2)[row, col] += delta
    N, N2 = X @ W, X2 @ W2
    S, S2 = _sigmoid(N), _sigmoid(N2)
    dX, dW = sigmoid_sum_gradients(X, W)
    gradient = (dX if which == "X" else dW)[row, col]
    return {"dN": N2 - N, "dS": S2 - S, "dL": float(S2.sum() - S.sum()), "predicted": float(delta * gradient)}


def draw_bump(which, row, col, delta, X=None, W=None):
    """Heat maps of the change in N and in S, as PNG bytes."""
    if X is None or W is None:
        X, W = example_inputs()
    change = bump(X, W, which, row, col, delta)
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


def bump_explorer(which="W", row=0, col=1, delta=0.1):
    """Menus and sliders for which matrix, which entry and how far to bump it."""
    X, W = example_inputs()
    shapes = {"X": X.shape, "W": W.shape}
    choose = widgets.Dropdown(options=["W", "X"], value=which, description="bump")
    row_slider = widgets.IntSlider(value=row, min=0, max=shapes[which][0] - 1, description="row")
    col_slider = widgets.IntSlider(value=col, min=0, max=shapes[which][1] - 1, description="column")
    step = widgets.FloatLogSlider(value=delta, base=10, min=-3, max=0.5, step=0.1, description="δ",
                                  readout_format=".3g")
    picture = image_widget()
    state = {"quiet": False}

    def redraw(_=None):
        if not state["quiet"]:
            picture.value = draw_bump(choose.value, row_slider.value, col_slider.value, step.value, X, W)

    def resize(_=None):
        state["quiet"] = True   # one redraw after both sliders fit the chosen matrix
        rows, cols = shapes[choose.value]
        row_slider.value, col_slider.value = min(row_slider.value, rows - 1), min(col_slider.value, cols - 1)
        row_slider.max, col_slider.max = rows - 1, cols - 1
        state["quiet"] = False
        redraw()

    choose.observe(resize, names="value")
    for control in (row_slider, col_slider, step):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([choose, step]), widgets.HBox([row_slider, col_slider]), picture])
