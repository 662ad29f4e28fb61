"""Explorer for notebook 04: gradient descent on the loss surface of a straight-line fit.

A model with two parameters, a weight w and a bias b, predicts y ≈ w·x + b
for fifty made-up points and is judged by the mean squared error. Every pair
(w, b) has a loss, so the loss is a surface over the (w, b) plane: a bowl.
The picture shows the bowl's contour lines with the path gradient descent
takes from a fixed start, the loss after every step, and the data with the
line the last step reached.

The sliders set the learning rate and the number of steps. Past a certain
learning rate (for this quadratic bowl: 2 divided by the largest eigenvalue
of its Hessian) every step overshoots by more than it gains and the path
flies off. The toggle standardises x (mean 0, standard deviation 1), which
turns the long, narrow valley into a round bowl that a much larger learning
rate descends in a few steps.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import coalesced, image_widget, new_figure, png, slider

DATA_SEED = 4
START = (-1.0, 6.0)
BLOW_UP = 1e6  # once |w| or |b| passes this, the path has diverged; stop following it


def make_data(n=50, seed=DATA_SEED):
    """Points scattered about the line y = 2x + 1, with x centred on 2 (so not standardised)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 1.0, size=n)
    y = 2.0 * x + 1.0 + rng.normal(0.0, 0.6, size=n)
    return x, y


def standardise(x):
    """x shifted and scaled to mean 0 and standard deviation 1."""
    return (x - x.mean()) / x.std()


def loss_surface(w, b, x, y):
    """Mean squared error of the line w·x + b on the data, for arrays of w and b (broadcast)."""
    w, b = np.asarray(w, dtype=float)[..., None], np.asarray(b, dtype=float)[..., None]
    return np.mean((w * x + b - y) ** 2, axis=-1)


def gradient(w, b, x, y):
    """(dL/dw, dL/db) of the mean squared error at one point (w, b)."""
    residual = w * x + b - y
    return 2 * np.mean(residual * x), 2 * np.mean(residual)


def hessian(x):
    """Second derivatives of the loss in (w, b): constant, because the loss is quadratic."""
    return 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])


def stability_limit(x):
    """The learning rate above which gradient descent diverges on this loss: 2 / largest curvature."""
    return 2 / np.linalg.eigvalsh(hessian(x)).max()


def best_fit(x, y):
    """The (w, b) of least squared error, solved exactly: the bottom of the bowl."""
    design = np.stack([x, np.ones_like(x)], axis=1)
    solution, *_ = np.linalg.lstsq(design, y, rcond=None)
    return tuple(float(v) for v in solution)


def descend(x, y, learning_rate, steps, start=START):
    """The path of gradient descent: an array (k + 1, 2) of (w, b), start first.

    Normally k = steps; a path that diverges stops at the first point past BLOW_UP.
    """
    w, b = start
    path = [(w, b)]
    for _ in range(steps):
        dw, db = gradient(w, b, x, y)
        w, b = w - learning_rate * dw, b - learning_rate * db
        path.append((w, b))
        if not (abs(w) < BLOW_UP and abs(b) < BLOW_UP):
            break
    return np.array(path)


def draw(learning_rate, steps, standardised=False):
    """Contours with the path, the loss per step, and the fitted line, as PNG bytes."""
    x, y = make_data()
    if standardised:
        x = standardise(x)
    path = descend(x, y, learning_rate, steps)
    losses = loss_surface(path[:, 0], path[:, 1], x, y)
    best = best_fit(x, y)
    limit = stability_limit(x)
    diverged = len(path) <= steps or losses[-1] > losses[0]

    figure, (bowl, curve, fit) = new_figure(columns=3, width=4.3, height=3.9)
    # A window around the start and the bottom of the bowl, wide enough to show the valley.
    span = max(abs(best[0] - START[0]), abs(best[1] - START[1])) + 1.0
    centre = ((best[0] + START[0]) / 2, (best[1] + START[1]) / 2)
    ws = np.linspace(centre[0] - span, centre[0] + span, 201)
    bs = np.linspace(centre[1] - span, centre[1] + span, 201)
    grid_w, grid_b = np.meshgrid(ws, bs)
    surface = loss_surface(grid_w, grid_b, x, y)
    levels = np.geomspace(max(surface.min(), 1e-3) * 1.05, surface.max(), 18)
    bowl.contour(grid_w, grid_b, surface, levels=levels, cmap="viridis", linewidths=0.8)
    bowl.plot(path[:, 0], path[:, 1], "-o", color="tab:red", markersize=2.5, linewidth=1)
    bowl.plot(*START, "s", color="black", markersize=5, label="start")
    bowl.plot(*best, "*", color="tab:orange", markersize=11, label="least squares")
    bowl.set_xlim(ws[0], ws[-1])
    bowl.set_ylim(bs[0], bs[-1])
    bowl.set_xlabel("weight w")
    bowl.set_ylabel("bias b")
    bowl.set_title(f"learning rate {learning_rate:.3g}: " + ("DIVERGES" if diverged else f"{len(path) - 1} steps"))
    bowl.legend(loc="lower left", fontsize=7)

    curve.semilogy(np.arange(len(losses)), np.maximum(losses, 1e-12), "-", color="tab:red")
    curve.axhline(float(loss_surface(*best, x, y)), color="tab:orange", linestyle=":", label="lowest possible")
    curve.set_xlabel("step")
    curve.set_ylabel("loss (log scale)")
    curve.set_title(f"diverges above learning rate {limit:.3g}")
    curve.legend(loc="upper right", fontsize=7)

    fit.plot(x, y, ".", color="tab:gray", label="data")
    xs = np.linspace(x.min(), x.max(), 2)
    w, b = path[-1]
    if diverged:
        fit.text(0.5, 0.5, "diverged: the line has\nleft the picture", transform=fit.transAxes,
                 ha="center", va="center", color="tab:red")
    else:
        fit.plot(xs, w * xs + b, color="tab:red", label=f"y = {w:.2f}x + {b:.2f}")
    fit.set_ylim(y.min() - 1, y.max() + 1)
    fit.set_xlabel("x (standardised)" if standardised else "x")
    fit.set_ylabel("y")
    fit.set_title("the line after the last step")
    fit.legend(loc="upper left", fontsize=7)
    return png(figure)


def descent_explorer(learning_rate=0.05, steps=20, standardised=False):
    """Sliders for the learning rate (log scale) and the number of steps, a toggle for standardising x."""
    rate = slider(widgets.FloatLogSlider, value=learning_rate, base=10, min=-3, max=0.3, step=0.02,
                  description="learning rate", readout_format=".3f", style={"description_width": "initial"})
    count = slider(widgets.IntSlider, value=steps, min=1, max=200, description="steps")
    scale = widgets.ToggleButtons(options=[("raw x", False), ("standardised x", True)], value=standardised)
    picture = image_widget()

    def redraw():
        picture.value = draw(rate.value, count.value, scale.value)

    for control in (rate, count, scale):
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([widgets.HBox([rate, count, scale]), picture])
