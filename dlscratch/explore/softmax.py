"""Explorer for notebook 07: three logits, their softmax, the cross-entropy and its gradient p − y.

Drag the three scores (logits) of one example and pick its true class. The
picture shows the probabilities from the student's softmax (Exercise 2), the
loss from their softmax_cross_entropy (Exercise 3) and the gradient with
respect to each logit from their softmax_cross_entropy_grad (Exercise 4),
which for one example is p − y: the true class's logit is pushed up by
1 − p, every other logit down by its own p. The explorer computes none of
the three itself.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

CLASSES = 3
COLOURS = ("tab:blue", "tab:orange", "tab:green")


def one_example(softmax, softmax_cross_entropy, softmax_cross_entropy_grad, logits, label):
    """(p, loss, gradient) of one example, each from the student's function, checked to be usable."""
    z = np.asarray(logits, dtype=float).reshape(1, CLASSES)
    target = np.eye(CLASSES)[[label]]
    context = f"logits of shape {z.shape}"
    p = softmax.array("probabilities", softmax(z), z.shape, context)
    if not np.isclose(p.sum(), 1.0):
        raise softmax.wrong(f"returned probabilities that add up to {p.sum():.4g}, not 1")
    loss = softmax_cross_entropy(z, target)
    if np.ndim(loss) != 0 or not np.isfinite(loss):
        raise softmax_cross_entropy.wrong(f"returned {loss!r}, not one finite number")
    grad = softmax_cross_entropy_grad.array("a gradient", softmax_cross_entropy_grad(z, target), z.shape, context)
    return p[0], float(loss), grad[0]


def draw(softmax, softmax_cross_entropy, softmax_cross_entropy_grad, logits, label):
    """Bars of the logits, the probabilities and the gradient, as PNG bytes."""
    p, loss, grad = one_example(softmax, softmax_cross_entropy, softmax_cross_entropy_grad, logits, label)
    figure, (scores, probabilities, gradient) = new_figure(columns=3, width=3.6, height=3.2)
    names = [f"class {k}" + (" (true)" if k == label else "") for k in range(CLASSES)]
    scores.bar(names, logits, color=COLOURS)
    scores.axhline(0, color="black", linewidth=0.5)
    scores.set_ylim(-6, 6)
    scores.set_title("logits z")
    probabilities.bar(names, p, color=COLOURS)
    probabilities.bar(names[label], 1.0, fill=False, edgecolor="black", linestyle="--", label="target y")
    probabilities.set_ylim(0, 1.05)
    probabilities.set_title(f"softmax p; loss −log p = {loss:.3f}")
    probabilities.legend(loc="upper right", fontsize=7)
    gradient.bar(names, grad, color=COLOURS)
    gradient.axhline(0, color="black", linewidth=0.5)
    gradient.set_ylim(-1.05, 1.05)
    gradient.set_title("gradient ∂L/∂z = p − y")
    for axes in (scores, probabilities, gradient):
        axes.tick_params(axis="x", labelsize=7)
    return png(figure)


def softmax_explorer(softmax, softmax_cross_entropy, softmax_cross_entropy_grad, logits=(2.0, 1.0, -1.0), label=0):
    """Sliders for three logits and buttons for the true class; the picture uses the student's three functions."""
    answers = (Answer(softmax, "softmax", 2), Answer(softmax_cross_entropy, "softmax_cross_entropy", 3),
               Answer(softmax_cross_entropy_grad, "softmax_cross_entropy_grad", 4))
    scores = [slider(widgets.FloatSlider, value=value, min=-5.0, max=5.0, step=0.1, description=f"z{k}")
              for k, value in enumerate(logits)]
    true_class = widgets.ToggleButtons(options=[(f"true class {k}", k) for k in range(CLASSES)], value=label)
    picture = Picture()

    def redraw():
        redraw_into(picture, lambda: draw(*answers, [score.value for score in scores], true_class.value))

    for control in (*scores, true_class):
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([widgets.HBox(scores), true_class, picture.widget])
