"""Explorer for notebook 02: the neuron as a computational graph, values going forward, gradients coming back.

One example goes through the neuron of Section 4: m = w x, z = m + b,
a = σ(z), L = (a − y)². The picture draws these operations as boxes and
writes on every edge the value that flows forward (black) and the gradient
of the loss with respect to it that flows back (red).

The forward values come from the student's neuron_forward (Exercise 5) and
the gradients of w, b and x from their neuron_backward (Exercise 6). With one
example, ∂L/∂z is their db, the sum node passes it on unchanged to w x, and
∂L/∂a is ∂L/∂z divided by σ'(z), the sigmoid's slope that the notebook hands
over from notebook 01: the chain rule read backwards. Nothing here computes
a gradient of its own.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

NODES = {"×": (2.6, 2.2), "+": (4.9, 2.2), "σ": (6.9, 2.2), "(a − y)²": (9.0, 2.2)}
INPUTS = {"x": (0.4, 3.4), "w": (0.4, 1.0), "b": (3.6, 0.3), "y": (7.7, 0.3)}
WIDE = {"(a − y)²": 38}  # points from a box's centre to where its arrows start or end
LABEL = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}
EDGES = [  # (from, to, forward value's name, gradient's name)
    ("x", "×", "x", "dx"), ("w", "×", "w", "dw"), ("×", "+", "w x", "d(w x)"), ("b", "+", "b", "db"),
    ("+", "σ", "z", "dz"), ("σ", "(a − y)²", "a", "da"), ("y", "(a − y)²", "y", None),
]


def flows(neuron_forward, neuron_backward, sigmoid_deriv, x, w, b, y):
    """{edge name: (forward value, gradient or None)} for one example, from the student's two functions."""
    xs, ys = np.array([float(x)]), np.array([float(y)])
    values = neuron_forward(xs, w, b, ys)
    if not isinstance(values, dict) or not {"z", "a", "loss"} <= set(values):
        raise neuron_forward.wrong('did not return a dictionary with the keys "z", "a" and "loss"')
    grads = neuron_backward(xs, w, b, ys)
    if not isinstance(grads, dict) or not {"dw", "db", "dx"} <= set(grads):
        raise neuron_backward.wrong('did not return a dictionary with the keys "dw", "db" and "dx"')
    context = "x of shape (1,)"
    z, a = (neuron_forward.array(key, values[key], (1,), context)[0] for key in ("z", "a"))
    loss = float(neuron_forward.array("loss", values["loss"], (), "one example"))
    dw, db = (float(neuron_backward.array(key, grads[key], (), "the weight")) for key in ("dw", "db"))
    dx = neuron_backward.array("dx", grads["dx"], (1,), context)[0]
    slope = float(sigmoid_deriv(z))
    return {"x": (x, dx), "w": (w, dw), "w x": (z - b, db), "b": (b, db), "z": (z, db),
            "a": (a, db / slope if slope else np.nan), "y": (y, None), "L": (loss, 1.0)}


def draw(neuron_forward, neuron_backward, sigmoid_deriv, x, w, b, y):
    """The graph with its forward values and gradients on the edges, as PNG bytes."""
    flow = flows(neuron_forward, neuron_backward, sigmoid_deriv, x, w, b, y)
    figure, ax = new_figure(width=10.0, height=4.0)
    where = {**NODES, **INPUTS, "L": (10.8, 2.2)}
    for name, (px, py) in NODES.items():
        ax.text(px, py, name, ha="center", va="center", fontsize=13,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "#eef3fb", "edgecolor": "tab:blue"})
    for name in (*INPUTS, "L"):
        ax.text(*where[name], name, ha="center", va="center", fontsize=14, style="italic")
    for start, end, value_name, grad_name in EDGES + [("(a − y)²", "L", "L", "dL")]:
        (x0, y0), (x1, y1) = where[start], where[end]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "->", "color": "gray", "shrinkA": WIDE.get(start, 16),
                                "shrinkB": WIDE.get(end, 22)})
        value, grad = flow[value_name]
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        ax.text(mx, my + 0.2, f"{value_name} = {value:.3f}", ha="center", va="center", fontsize=9, bbox=LABEL)
        if grad is not None:
            ax.text(mx, my - 0.2, f"∂L/∂{value_name.replace(' ', '')} = {grad:.3f}", ha="center", va="center",
                    fontsize=9, color="tab:red", bbox=LABEL)
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 3.7)
    ax.axis("off")
    ax.set_title("forward values (black) and the gradients flowing back (red), for one example", fontsize=10)
    return png(figure)


def neuron_graph_explorer(neuron_forward, neuron_backward, sigmoid_deriv, x=1.5, w=0.8, b=-0.5, y=1.0):
    """Sliders for x, w, b and the target y; the picture uses the student's neuron_forward and neuron_backward."""
    forward = Answer(neuron_forward, "neuron_forward", 5)
    backward = Answer(neuron_backward, "neuron_backward", 6)
    controls = [slider(widgets.FloatSlider, value=value, min=low, max=high, step=0.05, description=name)
                for name, value, low, high in (("x", x, -3, 3), ("w", w, -3, 3), ("b", b, -3, 3), ("y", y, 0, 1))]
    picture = Picture()

    def redraw():
        redraw_into(picture, lambda: draw(forward, backward, sigmoid_deriv, *(c.value for c in controls)))

    for control in controls:
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([widgets.HBox(controls), picture.widget])
