"""Explorer for notebook 07: how the learning rate, momentum and a decay schedule shape a training curve.

The loss is a long, narrow valley, L(w) = (a w₁² + b w₂²) / 2 with a much
steeper curvature b across the valley than a along it: the shape a real loss
surface has near a minimum, where some directions are far steeper than
others. The picture shows the valley's contour lines with the path that
gradient descent takes from a fixed start, the loss after every step, and
the learning rate used at every step. A grey path and curve show plain
gradient descent (same learning rate, no momentum, no decay) for
comparison.

The notebook hands over the student's momentum_update (Exercise 5), which
takes each step, v ← m v + η ∇L(w) and w ← w − v, and their lr_schedule
(Exercise 7), which gives the learning rate η of every step: each step here
stands for one epoch of a schedule. Handed their adam_update (Exercise 11)
too, it draws Adam's path beside, with a learning rate of its own. The
explorer computes none of these itself.

The "gradient noise" control adds random noise to every gradient, as
mini-batches do (each batch sees only part of the data): with a constant
learning rate the loss then stops falling at a level set by the noise, and
a decaying rate lets it settle lower.
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

CURVATURES = np.array([1.0, 25.0])  # along the valley, across it
START = (-4.0, 1.0)
BLOW_UP = 1e6  # once |w| passes this the path has diverged; stop following it
DECAY_TYPES = (None, "linear", "exponential")


def loss(w):
    """(a w₁² + b w₂²) / 2 for points w of shape (..., 2); the minimum is 0, at the origin."""
    w = np.asarray(w, dtype=float)
    return 0.5 * np.sum(CURVATURES * w * w, axis=-1)


def gradient(w):
    """∇L(w) = (a w₁, b w₂)."""
    return CURVATURES * np.asarray(w, dtype=float)


def learning_rates(lr_schedule, lr, final_lr=None, decay_type=None, steps=100):
    """The student's lr_schedule for ``steps`` steps, checked to give one rate per step."""
    if decay_type not in DECAY_TYPES:
        raise ValueError(f"decay_type must be one of {DECAY_TYPES}, got {decay_type!r}")
    rates = lr_schedule(lr, final_lr, decay_type, steps)
    try:
        rates = np.asarray(rates, dtype=float)
    except (TypeError, ValueError):
        raise lr_schedule.wrong(f"returned {type(rates).__name__}, not an array of rates") from None
    if rates.shape != (steps,):
        raise lr_schedule.wrong(f"returned rates of shape {rates.shape} for {steps} epochs, expected ({steps},)")
    return rates


def stability_limit(momentum=0.0):
    """The largest constant learning rate that does not diverge: 2 (1 + m) / (largest curvature).

    Along a direction of curvature c the update is a linear recurrence whose
    two roots stay inside the unit circle exactly when 0 < η c < 2 (1 + m).
    Momentum raises the limit, which is one reason it allows faster training.
    """
    return 2.0 * (1.0 + momentum) / CURVATURES.max()


def descend(momentum_update, rates, momentum=0.0, noise=0.0, seed=0, start=START):
    """The path of gradient descent with momentum, one step per rate: an array (k + 1, 2), start first.

    Each step is the student's momentum_update, which changes the point and
    its velocity in place. Normally k = len(rates); a path that diverges stops
    at the first point past BLOW_UP. ``noise`` is the standard deviation of the
    random term added to every gradient (drawn from a generator seeded with
    ``seed``, so a path is reproducible).
    """
    rng = np.random.default_rng(seed)
    w, velocity = np.array(start, dtype=float), np.zeros(2)
    path = [w.copy()]
    for rate in rates:
        grad = gradient(w) + noise * rng.standard_normal(2)
        before = w.copy(), velocity.copy()
        momentum_update(w, grad, velocity, float(rate), momentum)
        if rate > 0 and np.any(grad != 0):
            for name, now, then in (("param", w, before[0]), ("velocity", velocity, before[1])):
                if np.array_equal(now, then):
                    raise momentum_update.wrong(f"left {name} unchanged: change param and velocity in place "
                                                "(with -=, += and *=) rather than making new arrays")
        path.append(w.copy())
        if not np.all(np.abs(w) < BLOW_UP):
            break
    return np.array(path)


def descend_adam(adam_update, lr, steps=100, noise=0.0, seed=0, start=START):
    """The path of Adam with learning rate ``lr``: an array (steps + 1, 2), start first, as ``descend`` makes.

    Each step is the student's adam_update (Exercise 11), which changes the
    point and its averages m and v in place; the gradients, noise included,
    are those ``descend`` draws with the same seed.
    """
    rng = np.random.default_rng(seed)
    w, m, v = np.array(start, dtype=float), np.zeros(2), np.zeros(2)
    path = [w.copy()]
    for step in range(1, steps + 1):
        grad = gradient(w) + noise * rng.standard_normal(2)
        before = w.copy()
        adam_update(w, grad, m, v, step, lr)
        if step == 1 and np.array_equal(w, before):
            raise adam_update.wrong("left param unchanged: change param, m and v in place (with -=, += and *=)")
        path.append(w.copy())
        if not np.all(np.abs(w) < BLOW_UP):
            break
    return np.array(path)


def draw(momentum_update, lr_schedule, lr, momentum=0.0, decay_type=None, final_fraction=0.1, noise=0.0,
         steps=100, adam_update=None, adam_lr=0.1):
    """The valley with both paths, the loss per step and the learning rate per step, as PNG bytes.

    ``final_fraction`` is final_lr as a fraction of lr.
    """
    final_lr = lr * final_fraction if decay_type else None
    rates = learning_rates(lr_schedule, lr, final_lr, decay_type, steps)
    path = descend(momentum_update, rates, momentum, noise)
    plain = descend(momentum_update, learning_rates(lr_schedule, lr, None, None, steps), 0.0, noise)
    losses, plain_losses = loss(path), loss(plain)
    diverged = len(path) <= steps
    adam = None if adam_update is None else descend_adam(adam_update, adam_lr, steps, noise)

    figure, (valley, curve, schedule) = new_figure(columns=3, width=4.3, height=3.8)
    ws = np.linspace(-5.0, 5.0, 201)
    grid = np.stack(np.meshgrid(ws, np.linspace(-2.0, 2.0, 121)), axis=-1)
    valley.contour(grid[..., 0], grid[..., 1], loss(grid), levels=np.geomspace(0.02, 60, 14),
                   cmap="viridis", linewidths=0.8)
    valley.plot(plain[:, 0], plain[:, 1], "-", color="tab:gray", linewidth=1, alpha=0.8, label="plain descent")
    valley.plot(path[:, 0], path[:, 1], "-o", color="tab:red", markersize=2, linewidth=1, label="your settings")
    if adam is not None:
        valley.plot(adam[:, 0], adam[:, 1], "-", color="tab:purple", linewidth=1.2, label=f"Adam, lr {adam_lr:.3g}")
    valley.plot(*START, "s", color="black", markersize=5)
    valley.plot(0, 0, "*", color="tab:orange", markersize=11)
    valley.set_xlim(ws[0], ws[-1])
    valley.set_ylim(-2.0, 2.0)
    valley.set_xlabel("w₁ (along the valley)")
    valley.set_ylabel("w₂ (across)")
    valley.set_title("DIVERGES" if diverged else f"{steps} steps", color="tab:red" if diverged else "black")
    valley.legend(loc="lower right", fontsize=7)

    floor = 1e-8
    curve.semilogy(np.arange(len(plain_losses)), np.maximum(plain_losses, floor), color="tab:gray",
                   label="plain descent")
    curve.semilogy(np.arange(len(losses)), np.maximum(losses, floor), color="tab:red", label="your settings")
    if adam is not None:
        curve.semilogy(np.arange(len(adam)), np.maximum(loss(adam), floor), color="tab:purple", label="Adam")
    curve.set_ylim(floor, max(1e3, float(np.nanmax(losses[np.isfinite(losses)])) if diverged else 1e2))
    curve.set_xlabel("step")
    curve.set_ylabel("loss (log scale)")
    curve.set_title(f"loss; stable below lr {stability_limit(momentum):.3g}")
    curve.legend(loc="upper right", fontsize=7)

    schedule.plot(np.arange(1, steps + 1), rates, color="tab:red")
    schedule.set_ylim(0, lr * 1.1)
    schedule.set_xlabel("step")
    schedule.set_title(f"learning rate from your lr_schedule ({decay_type or 'constant'})")
    schedule.axhline(stability_limit(momentum), color="tab:gray", linestyle=":", linewidth=1)
    return png(figure)


def momentum_explorer(momentum_update, lr_schedule, lr=0.02, momentum=0.0, decay_type=None, final_fraction=0.1,
                      noise=0.0, steps=100, adam_update=None, adam_lr=0.1):
    """Sliders for the learning rate, momentum, schedule, final rate, gradient noise and steps.

    Every step is the student's momentum_update (Exercise 5), every rate
    comes from their lr_schedule (Exercise 7). Given their adam_update
    (Exercise 11), Adam's path is drawn beside, with a learning rate of its own.
    """
    update = Answer(momentum_update, "momentum_update", 5, returns=False)
    schedule = Answer(lr_schedule, "lr_schedule", 7)
    adam = None if adam_update is None else Answer(adam_update, "adam_update", 11, returns=False)
    style = {"description_width": "initial"}
    rate = slider(widgets.FloatLogSlider, value=lr, base=10, min=-3, max=-0.5, step=0.02,
                  description="learning rate", readout_format=".3f", style=style)
    mom = slider(widgets.FloatSlider, value=momentum, min=0.0, max=0.99, step=0.01, description="momentum",
                 style=style)
    decay = widgets.ToggleButtons(options=[("constant", None), ("linear decay", "linear"),
                                           ("exponential decay", "exponential")], value=decay_type)
    final = slider(widgets.FloatLogSlider, value=final_fraction, base=10, min=-2, max=0, step=0.05,
                   description="final lr / lr", readout_format=".2f", style=style)
    noisy = slider(widgets.FloatSlider, value=noise, min=0.0, max=3.0, step=0.1, description="gradient noise",
                   style=style)
    count = slider(widgets.IntSlider, value=steps, min=10, max=300, step=10, description="steps", style=style)
    adam_rate = slider(widgets.FloatLogSlider, value=adam_lr, base=10, min=-3, max=0, step=0.05,
                       description="Adam's learning rate", readout_format=".3f", style=style)
    picture = Picture()

    def redraw():
        redraw_into(picture, lambda: draw(update, schedule, rate.value, mom.value, decay.value, final.value,
                                          noisy.value, count.value, adam, adam_rate.value))

    controls = (rate, mom, decay, final, noisy, count) + (() if adam is None else (adam_rate,))
    for control in controls:
        control.observe(coalesced(redraw), names="value")
    redraw()
    rows = [widgets.HBox([rate, mom, count]), widgets.HBox([decay, final, noisy])]
    return widgets.VBox(rows + ([] if adam is None else [adam_rate]) + [picture.widget])
