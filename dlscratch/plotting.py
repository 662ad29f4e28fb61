"""Drawing a matplotlib figure into an ipywidgets Image.

Rendering to PNG ourselves works the same in JupyterLab, classic Notebook,
Binder and Voila, whatever matplotlib backend the notebook uses.
"""
import io

import ipywidgets as widgets
from matplotlib.figure import Figure  # a bare Figure renders without touching the notebook's backend


def new_figure(columns=1, width=5.0, height=3.6):
    figure = Figure(figsize=(width * columns, height), dpi=96, layout="constrained")
    axes = figure.subplots(1, columns)
    return figure, axes


def png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def image_widget():
    return widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
