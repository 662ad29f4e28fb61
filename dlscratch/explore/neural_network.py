"""Explorer for notebook 05: a hidden layer as a sum of shifted, stretched sigmoids.

With one input x, hidden unit j of a two-layer network contributes

    v_j * sigmoid(w_j * x + b_j)

to the output, where w_j is its input weight (row 0, column j of W1), b_j its
bias (B1) and v_j its output weight (W2). The network's output is the sum of
the contributions plus the output bias B2. The left panel draws every unit's
contribution, the right panel their sum against a small curved data set,
with the best straight line for comparison. Sliders move one unit's w, b
and v, so you can watch a single S-shape slide, steepen, flip and rescale,
and the fitted curve follow.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import coalesced, image_widget, new_figure, png, slider

# A three-unit network that fits the toy data well (found by gradient descent, then rounded).
DEFAULT_PARAMS = {
    "W1": np.array([[2.3, -1.7, 1.2]]),
    "B1": np.array([[-5.3, -4.0, 0.2]]),
    "W2": np.array([[-2.5], [3.3], [4.1]]),
    "B2": np.array([[-2.3]]),
}
COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def toy_data(n=60, seed=7):
    """x in [-3, 3] (sorted) and y = sin(1.2 x) plus a little noise: a curve no line can follow."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    return x, np.sin(1.2 * x) + rng.normal(scale=0.15, size=n)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def unit_contributions(x, params):
    """Each hidden unit's share of the output, shape (len(x), n_hidden): v_j * sigmoid(w_j x + b_j)."""
    x = np.asarray(x, dtype=float).reshape(-1, 1)
    w, b, v = (np.asarray(params[k], dtype=float).ravel() for k in ("W1", "B1", "W2"))
    return v * _sigmoid(x * w + b)


def network_curve(x, params):
    """The network's output for each x: the units' contributions summed, plus the output bias."""
    return unit_contributions(x, params).sum(axis=1) + float(np.ravel(params["B2"])[0])


def mean_squared_error(prediction, y):
    return float(np.mean((np.asarray(prediction) - np.asarray(y)) ** 2))


def best_line(x, y):
    """Slope and intercept of the least-squares straight line through (x, y)."""
    design = np.column_stack([x, np.ones_like(x)])
    (slope, intercept), *_ = np.linalg.lstsq(design, y, rcond=None)
    return slope, intercept


def draw(params, highlight=0, data=None):
    """The two-panel picture as PNG bytes; unit `highlight` is drawn thicker."""
    x, y = toy_data() if data is None else data
    xs = np.linspace(-3.5, 3.5, 300)
    parts = unit_contributions(xs, params)
    curve = network_curve(xs, params)
    slope, intercept = best_line(x, y)
    network_error = mean_squared_error(network_curve(x, params), y)
    line_error = mean_squared_error(slope * x + intercept, y)

    figure, (left, right) = new_figure(columns=2)
    for j in range(parts.shape[1]):
        w, b, v = (float(np.ravel(params[k])[j]) for k in ("W1", "B1", "W2"))
        left.plot(xs, parts[:, j], color=COLOURS[j % len(COLOURS)], linewidth=3 if j == highlight else 1.2,
                  label=f"unit {j + 1}: {v:.2f}·σ({w:.2f}x {'+' if b >= 0 else '−'} {abs(b):.2f})")
    left.axhline(0, color="gray", linewidth=0.5)
    left.set_title(f"what each hidden unit adds (and B2 = {float(np.ravel(params['B2'])[0]):.2f})")
    left.set_xlabel("x")
    left.legend(loc="best", fontsize=7)

    right.plot(x, y, "o", color="gray", markersize=3, label="data")
    right.plot(xs, curve, color="black", linewidth=2, label=f"network: sum + B2 (MSE {network_error:.3f})")
    right.plot(xs, slope * xs + intercept, "--", color="tab:red", label=f"best straight line (MSE {line_error:.3f})")
    right.set_ylim(min(y.min(), -1.5) - 0.5, max(y.max(), 1.5) + 0.5)
    right.set_title("the network's output")
    right.set_xlabel("x")
    right.legend(loc="lower right", fontsize=7)
    return png(figure)


def hidden_units_explorer(params=None, data=None):
    """Pick a hidden unit and move its input weight, bias and output weight; the picture follows.

    `params` is a network with one input (W1 of shape (1, h), B1 (1, h), W2 (h, 1), B2 (1, 1));
    by default a three-unit fit of the toy data. The caller's arrays are not changed.
    """
    params = {k: np.array(v, dtype=float) for k, v in (params or DEFAULT_PARAMS).items()}
    n_hidden = params["W1"].shape[1]
    unit = widgets.Dropdown(options=[(f"unit {j + 1}", j) for j in range(n_hidden)], value=0,
                            description="hidden unit")
    weight = slider(widgets.FloatSlider, min=-8, max=8, step=0.1, description="input w")
    bias = slider(widgets.FloatSlider, min=-12, max=12, step=0.1, description="bias b")
    out = slider(widgets.FloatSlider, min=-6, max=6, step=0.1, description="output v")
    picture = image_widget()
    syncing = [False]

    def sync_sliders():
        """Set the sliders to the chosen unit's values without a redraw for each."""
        j = unit.value
        syncing[0] = True
        for control, value in ((weight, params["W1"][0, j]), (bias, params["B1"][0, j]), (out, params["W2"][j, 0])):
            control.min, control.max = min(control.min, np.floor(value)), max(control.max, np.ceil(value))
            control.value = value
        syncing[0] = False

    def redraw():
        picture.value = draw(params, highlight=unit.value, data=data)

    update = coalesced(redraw)

    def show_unit(_=None):
        sync_sliders()
        update()

    def slider_moved(_=None):
        if syncing[0]:
            return
        j = unit.value
        params["W1"][0, j], params["B1"][0, j], params["W2"][j, 0] = weight.value, bias.value, out.value
        update()

    unit.observe(show_unit, names="value")
    for control in (weight, bias, out):
        control.observe(slider_moved, names="value")
    sync_sliders()
    redraw()
    box = widgets.VBox([widgets.HBox([unit, weight]), widgets.HBox([bias, out]), picture])
    box.params = params   # the network as the sliders have set it, for reading back in the notebook
    return box
