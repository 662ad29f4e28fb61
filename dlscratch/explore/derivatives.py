"""Explorer for notebook 01: a derivative as the limit of secant slopes.

Pick a function, a point x and a step h. The left panel shows the curve,
the true tangent and the secant through x and x + h. The right panel shows
how far the forward and central difference quotients are from the true
derivative for every step size: the error first falls with h (truncation:
the secant leans away from the tangent) and then rises again (round-off:
f(x + h) - f(x) loses digits when the two values are nearly equal).
"""
import ipywidgets as widgets
import numpy as np

from ..plotting import image_widget, new_figure, png

# name -> (f, its exact derivative)
FUNCTIONS = {
    "sin(x)": (np.sin, np.cos),
    "exp(x)": (np.exp, np.exp),
    "x³ − 2x": (lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2),
    "sigmoid(x)": (lambda x: 1 / (1 + np.exp(-x)),
                   lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "tanh(x)": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}
STEPS = np.logspace(-15, 0, 121)


def secant_and_tangent(name, x0, h):
    """Slopes at x0: the exact one, and the forward and central difference quotients with step h."""
    f, dfdx = FUNCTIONS[name]
    return {
        "value": f(x0),
        "exact": dfdx(x0),
        "forward": (f(x0 + h) - f(x0)) / h,
        "central": (f(x0 + h) - f(x0 - h)) / (2 * h),
    }


def step_errors(name, x0, steps=STEPS):
    """Absolute errors of the forward and central quotients at x0 for each step size."""
    f, dfdx = FUNCTIONS[name]
    exact = dfdx(x0)
    forward = np.abs((f(x0 + steps) - f(x0)) / steps - exact)
    central = np.abs((f(x0 + steps) - f(x0 - steps)) / (2 * steps) - exact)
    return forward, central


def draw(name, x0, h):
    """The two-panel picture as PNG bytes."""
    f, _ = FUNCTIONS[name]
    slopes = secant_and_tangent(name, x0, h)
    figure, (left, right) = new_figure(columns=2)

    xs = np.linspace(x0 - 2.5, x0 + 2.5, 400)
    left.plot(xs, f(xs), color="black", label=name)
    left.plot(xs, slopes["value"] + slopes["exact"] * (xs - x0), color="tab:green", label="tangent (exact)")
    left.plot(xs, slopes["value"] + slopes["forward"] * (xs - x0), "--", color="tab:red",
              label=f"secant, step h = {h:.1e}")
    left.plot([x0, x0 + h], [slopes["value"], f(x0 + h)], "o", color="tab:red", markersize=4)
    span = np.ptp(f(xs))
    left.set_ylim(f(xs).min() - 0.2 * span, f(xs).max() + 0.2 * span)
    left.set_title(f"slope at x = {x0:.2f}: exact {slopes['exact']:.6f}, secant {slopes['forward']:.6f}")
    left.legend(loc="upper left", fontsize=8)

    forward, central = step_errors(name, x0)
    floor = 1e-18
    right.loglog(STEPS, np.maximum(forward, floor), color="tab:red", label="forward difference")
    right.loglog(STEPS, np.maximum(central, floor), color="tab:blue", label="central difference")
    right.axvline(h, color="gray", linestyle=":")
    right.set_xlabel("step h")
    right.set_ylabel("|quotient − exact derivative|")
    right.set_ylim(1e-13, 1e2)
    right.set_title("error against step size")
    right.legend(loc="upper center", fontsize=8)
    return png(figure)


def derivative_explorer(name="sin(x)", x0=1.0, h=1e-1):
    """Sliders for the function, x and the step h (log scale) driving the two-panel picture."""
    choose = widgets.Dropdown(options=list(FUNCTIONS), value=name, description="function")
    point = widgets.FloatSlider(value=x0, min=-3, max=3, step=0.05, description="x")
    step = widgets.FloatLogSlider(value=h, base=10, min=-15, max=0, step=0.1, description="step h",
                                  readout_format=".1e")
    picture = image_widget()

    def redraw(_=None):
        picture.value = draw(choose.value, point.value, step.value)

    for control in (choose, point, step):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([choose, point, step]), picture])
