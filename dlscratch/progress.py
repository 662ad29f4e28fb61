"""Watching training: a progress bar and a loss plot that redraws in place.

    monitor = TrainingMonitor(epochs=20, metrics=("train loss", "test loss"))
    for epoch in monitor:
        ...train one epoch...
        monitor.log(**{"train loss": 0.31, "test loss": 0.35})
    monitor.history   # {"train loss": [...], "test loss": [...]}

The bar is tqdm's (a widget in JupyterLab, text elsewhere); the plot is
redrawn at most twice a second, so it costs nothing next to training.
"""
import time

from tqdm.auto import tqdm

from .plotting import new_figure, png


class TrainingMonitor:
    def __init__(self, epochs, metrics=("loss",), title="training", redraw_every=0.5, plot=True):
        self.epochs, self.metrics, self.title = epochs, tuple(metrics), title
        self.history = {name: [] for name in self.metrics}
        self._redraw_every, self._last_draw = redraw_every, 0.0
        self._bar = tqdm(total=epochs, desc=title, unit="epoch")
        self._display = _new_display() if plot else None

    def __iter__(self):
        for epoch in range(self.epochs):
            yield epoch
        self.close()

    def log(self, **values):
        """Record this epoch's values (one per metric) and advance the bar."""
        for name, value in values.items():
            self.history.setdefault(name, []).append(float(value))
        self._bar.set_postfix({name: f"{value:.4g}" for name, value in values.items()})
        self._bar.update(1)
        if self._display is not None and time.monotonic() - self._last_draw >= self._redraw_every:
            self._draw()

    def close(self):
        self._bar.close()
        if self._display is not None:
            self._draw()

    def _draw(self):
        from IPython.display import Image
        figure, axes = new_figure(width=6, height=3.4)
        for name, values in self.history.items():
            if values:
                axes.plot(range(1, len(values) + 1), values, marker="o" if len(values) < 30 else None,
                          markersize=3, label=name)
        axes.set_xlabel("epoch")
        axes.set_title(self.title)
        axes.legend(loc="best")
        axes.grid(alpha=0.3)
        self._display.update(Image(png(figure)))
        self._last_draw = time.monotonic()


def _new_display():
    """A display slot that can be updated in place, or None outside a notebook."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    if get_ipython() is None:
        return None
    return display(display_id=True)
