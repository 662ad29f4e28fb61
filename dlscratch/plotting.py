"""Drawing a matplotlib figure into an ipywidgets Image.

Rendering to PNG ourselves works the same in JupyterLab, classic Notebook,
Binder and Voila, whatever matplotlib backend the notebook uses.
"""
import asyncio
import html
import io

import ipywidgets as widgets
import numpy as np
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


def slider(kind, **options):
    """An ipywidgets slider that reports its value only when the hand lets go.

    A redraw takes a good fraction of a second, so a slider that sent every
    position while dragging would queue one redraw per position, and the
    picture would lag far behind the hand.
    """
    return kind(continuous_update=False, **options)


def coalesced(redraw, delay=0.05):
    """`redraw` as a widget observer that draws once for a burst of changes, with the latest values.

    Changes that reach the kernel while a redraw runs (an arrow key held on
    a slider, say) wait in its queue, and each would start a redraw of its
    own: the picture would trail the hand by seconds. So the observer only
    asks the kernel's event loop for one redraw a moment later; changes that
    arrive before it runs just move the controls, which the redraw reads.
    Where no event loop runs (a script, a test) it draws at once.
    """
    pending = [False]

    def run():
        pending[0] = False
        redraw()

    def observer(_=None):
        if pending[0]:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            redraw()
            return
        pending[0] = True
        loop.call_later(delay, run)

    return observer


class Picture:
    """The picture of an explorer, and a line of text above it for when there is nothing to draw.

    An explorer that draws with a student's function cannot draw before that
    exercise is answered; it then says so in `note` and hides the old image.
    """

    def __init__(self):
        self.image = image_widget()
        self.note = widgets.HTML()
        self.widget = widgets.VBox([self.note, self.image])

    def show(self, png_bytes):
        self.note.value = ""
        self.image.value = png_bytes
        self.image.layout.display = None

    def explain(self, message):
        self.note.value = f"<p style='color: #b00020; font-weight: bold'>{html.escape(message)}</p>"
        self.image.layout.display = "none"


def show_confusion(labels, predicted, class_names, title="confusion matrix"):
    """How often each true class (rows) was predicted as each class (columns), as a PNG image.

    The counts come from the labels and predictions it is given; it computes
    nothing a notebook asks students to write.
    """
    from IPython.display import Image

    classes = len(class_names)
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (np.asarray(labels), np.asarray(predicted)), 1)
    figure = Figure(figsize=(7.2, 6.2), dpi=96, layout="constrained")
    ax = figure.subplots()
    ax.imshow(counts, cmap="Blues")
    for row in range(classes):
        for column in range(classes):
            dark = counts[row, column] > counts.max() / 2
            ax.text(column, row, counts[row, column], ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    ax.set_xticks(range(classes), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(classes), class_names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{title}: accuracy {np.trace(counts) / counts.sum():.1%}", fontsize=10)
    return Image(png(figure))


def show_images(images, titles=None, columns=8, signed=False, title=""):
    """A grid of small grey pictures (one per image of shape (H, W)), each with its title, as a PNG image.

    `signed=True` draws values around 0 in blue (negative) and red (positive) on one symmetric scale
    per picture, as weights are best seen; otherwise each picture is black to white.
    """
    from IPython.display import Image

    images = np.asarray(images, dtype=float)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must be a non-empty stack of shape (count, height, width), got {images.shape}")
    titles = list(titles) if titles is not None else [""] * len(images)
    if len(titles) != len(images):
        raise ValueError(f"{len(titles)} titles for {len(images)} images")
    rows = -(-len(images) // columns)
    figure = Figure(figsize=(1.3 * columns, 1.45 * rows + (0.3 if title else 0)), dpi=96, layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    for ax, image, text in zip(axes, images, titles):
        if signed:
            scale = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap="RdBu_r", vmin=-scale, vmax=scale)
        else:
            ax.imshow(image, cmap="gray_r")
        ax.set_title(text, fontsize=7)
    for ax in axes:
        ax.axis("off")
    if title:
        figure.suptitle(title, fontsize=10)
    return Image(png(figure))
