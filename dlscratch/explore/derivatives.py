"""Explorers for notebook 01: the derivative as a limit of secants, and how accurate a measured slope is.

derivative_explorer opens the notebook, before any exercise. Pick a
function, a point x and a step h. The left panel draws the curve, its
tangent at x and the secant through x and x + h; the right panel zooms in on
a window 4h wide around x. The smaller h, the straighter the curve looks in
that window, and the closer the secant comes to the tangent, until h is so
small that the curve breaks up into the steps of float64 rounding. The
explorer draws the secant through its two points and never computes its
slope: measuring that slope is the notebook's first exercise.

error_explorer comes after the last exercise and is given the student's
difference_errors. It draws the errors that function measures, for every
step size, beside the two effects the notebook predicts: truncation (the
secant leaning away from the tangent) and round-off (digits lost when
f(x + h) and f(x) nearly agree).
"""
from collections import namedtuple

import ipywidgets as widgets
import numpy as np

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

# A smooth function with its first three derivatives (the second and third give the predicted errors).
Smooth = namedtuple("Smooth", "f d1 d2 d3")


def _tanh_derivatives():
    slope = lambda x: 1 - np.tanh(x) ** 2
    return Smooth(np.tanh, slope,
                  lambda x: -2 * np.tanh(x) * slope(x),
                  lambda x: -2 * slope(x) * (1 - 3 * np.tanh(x) ** 2))


FUNCTIONS = {
    "sin(x)": Smooth(np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "exp(x)": Smooth(np.exp, np.exp, np.exp, np.exp),
    "x³ − 2x": Smooth(lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2, lambda x: 6 * x, lambda x: 6 + 0 * x),
    "tanh(x)": _tanh_derivatives(),
}
STEPS = np.logspace(-15, 0, 121)
EPSILON = np.finfo(np.float64).eps
CLOSE_UP = 2.0   # the close-up shows x - 2h to x + 2h


def tangent(name, x0):
    """(f(x0), f'(x0)): the point and the exact slope the tangent line is drawn with."""
    curve = FUNCTIONS[name]
    return curve.f(x0), curve.d1(x0)


def close_up(name, x0, h, points=201):
    """The curve near x0 as the computer sees it, relative to the point (x0, f(x0)).

    "offset" is x - x0 and "rise" f(x) - f(x0) for inputs x spread over
    x0 ± 2h, each x rounded to float64 as any computation would round it (so
    for tiny h only a few distinct values remain). "step" and "step_rise" are
    the same for the secant's second point, x0 + h.
    """
    f = FUNCTIONS[name].f
    xs = x0 + np.linspace(-CLOSE_UP * h, CLOSE_UP * h, points)
    return {"offset": xs - x0, "rise": f(xs) - f(x0), "step": (x0 + h) - x0, "step_rise": f(x0 + h) - f(x0)}


def predicted_errors(name, x0, steps=STEPS):
    """The notebook's estimates of the forward and central errors: truncation plus round-off.

    Forward: h |f''| / 2 + eps |f| / h. Central: h² |f'''| / 6 + eps |f| / h.
    They are sizes, not exact values: where f'' or f''' is 0 at x0 the next
    term of the Taylor series, left out here, takes over.
    """
    curve = FUNCTIONS[name]
    round_off = EPSILON * np.abs(curve.f(x0)) / steps
    forward = steps * np.abs(curve.d2(x0)) / 2 + round_off
    central = steps**2 * np.abs(curve.d3(x0)) / 6 + round_off
    return forward, central


def measured_errors(difference_errors, name, x0, steps=STEPS):
    """The student's difference_errors at x0 for every step, checked to be a pair of arrays shaped like steps."""
    curve = FUNCTIONS[name]
    result = difference_errors(curve.f, curve.d1, x0, steps)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise difference_errors.wrong(f"returned {type(result).__name__}, not a pair (forward_errors, central_errors)")
    pair = tuple(np.asarray(errors, dtype=float) for errors in result)
    if any(errors.shape != np.shape(steps) for errors in pair):
        raise difference_errors.wrong(f"returned errors of shapes {[e.shape for e in pair]}, "
                                      f"not one per step ({np.shape(steps)})")
    return pair


def draw(name, x0, h):
    """The curve with its tangent and secant, and the close-up around x0, as PNG bytes."""
    f = FUNCTIONS[name].f
    value, slope = tangent(name, x0)
    figure, (whole, near) = new_figure(columns=2)

    xs = np.linspace(x0 - 2.5, x0 + 2.5, 400)
    whole.plot(xs, f(xs), color="black", label=name)
    whole.plot(xs, value + slope * (xs - x0), color="tab:green", label="tangent")
    whole.axline((x0, value), (x0 + h, f(x0 + h)), linestyle="--", color="tab:red", label=f"secant, h = {h:.1e}")
    whole.plot([x0, x0 + h], [value, f(x0 + h)], "o", color="tab:red", markersize=4)
    whole.axvspan(x0 - CLOSE_UP * h, x0 + CLOSE_UP * h, color="tab:orange", alpha=0.15, label="close-up →")
    span = np.ptp(f(xs))
    whole.set_xlim(xs[0], xs[-1])
    whole.set_ylim(f(xs).min() - 0.2 * span, f(xs).max() + 0.2 * span)
    whole.set_title(f"tangent slope at x = {x0:.2f}: {slope:.6f}")
    whole.legend(loc="upper left", fontsize=8)

    near_by = close_up(name, x0, h)
    offsets = near_by["offset"]
    near.plot(offsets, near_by["rise"], ".-", color="black", markersize=2, linewidth=0.8, label=name)
    near.plot(offsets, slope * offsets, color="tab:green", label="tangent")
    near.axline((0.0, 0.0), (near_by["step"], near_by["step_rise"]), linestyle="--", color="tab:red",
                label="secant")
    near.plot([0.0, near_by["step"]], [0.0, near_by["step_rise"]], "o", color="tab:red", markersize=4)
    low = min(near_by["rise"].min(), (slope * offsets).min())
    high = max(near_by["rise"].max(), (slope * offsets).max())
    margin = max(0.1 * (high - low), EPSILON * max(abs(value), 1e-300))
    near.set_xlim(offsets[0], offsets[-1])
    near.set_ylim(low - margin, high + margin)
    near.set_xlabel("x − x₀")
    near.set_ylabel("f(x) − f(x₀)")
    near.set_title(f"close-up: x₀ ± {CLOSE_UP:g}h")
    near.legend(loc="upper left", fontsize=8)
    return png(figure)


def draw_errors(difference_errors, name, x0, h):
    """The student's error curves with the predicted ones, and the errors at the step h, as PNG bytes."""
    forward, central = measured_errors(difference_errors, name, x0)
    at_h = measured_errors(difference_errors, name, x0, np.array([h]))
    predicted_forward, predicted_central = predicted_errors(name, x0)
    figure, axes = new_figure(width=7.0, height=4.2)
    floor = 1e-18   # an error of exactly 0 has no place on a log scale
    axes.loglog(STEPS, np.maximum(forward, floor), color="tab:red", label="forward: your difference_errors")
    axes.loglog(STEPS, np.maximum(central, floor), color="tab:blue", label="central: your difference_errors")
    axes.loglog(STEPS, predicted_forward, ":", color="tab:red", label="forward: truncation + round-off")
    axes.loglog(STEPS, predicted_central, ":", color="tab:blue", label="central: truncation + round-off")
    axes.axvline(h, color="gray", linestyle="--", linewidth=1)
    axes.set_xlabel("step h")
    axes.set_ylabel("|quotient − exact derivative|")
    axes.set_ylim(1e-14, 1e2)
    axes.set_title(f"{name} at x = {x0:.2f}; at h = {h:.1e} the errors are "
                   f"{at_h[0][0]:.1e} (forward) and {at_h[1][0]:.1e} (central)", fontsize=9)
    axes.legend(loc="upper center", fontsize=8)
    return png(figure)


def _controls(name, x0, h):
    """The function menu, the x slider and the step slider (log scale) that both explorers use."""
    choose = widgets.Dropdown(options=list(FUNCTIONS), value=name, description="function")
    point = slider(widgets.FloatSlider, value=x0, min=-3, max=3, step=0.05, description="x")
    step = slider(widgets.FloatLogSlider, value=h, base=10, min=-15, max=0, step=0.1, description="step h",
                  readout_format=".1e")
    return choose, point, step


def _explorer(draw_picture, name, x0, h):
    choose, point, step = _controls(name, x0, h)
    picture = Picture()

    def redraw():
        redraw_into(picture, lambda: draw_picture(choose.value, point.value, step.value))

    for control in (choose, point, step):
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([widgets.HBox([choose, point, step]), picture.widget])


def derivative_explorer(name="sin(x)", x0=1.0, h=1e-1):
    """Tangent, secant and close-up, driven by the function, x and the step h."""
    return _explorer(draw, name, x0, h)


def error_explorer(difference_errors, name="sin(x)", x0=1.0, h=1e-5):
    """Error against step size, measured by the student's difference_errors (Exercise 6) and predicted."""
    answer = Answer(difference_errors, "difference_errors", 6)
    return _explorer(lambda *args: draw_errors(answer, *args), name, x0, h)
