"""Explorer for notebook 09: one 3x3 filter sliding over an image, and the feature map it makes.

convolution_explorer comes after the exercise on conv2d_forward and is given
the student's function. Pick an image, a filter (a preset such as a Sobel
edge detector or a blur, or nine weights of your own) and an output
position: the picture shows the image with that position's 3x3 receptive
field outlined, the filter with each weight times the pixel under it, and
the feature map the student's conv2d_forward makes (pad=1, so it keeps the
image's size) with the same position marked. The title reads the output
there as the sum of the nine products, and says so when the student's
value and that sum disagree.

show_filters and show_feature_maps picture arrays after training: the
first layer's learned filters, and one image's feature maps.

The explorer never convolves a whole image itself: the feature map is the
student's. It only multiplies the nine numbers at the chosen position, the
check a student would do by hand.
"""
import math

import ipywidgets as widgets
import numpy as np
from IPython.display import Image as StaticImage  # plain image/png output: kept in the saved notebook
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

CUSTOM = "custom"
PRESETS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "vertical edge (Sobel x)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "horizontal edge (Sobel y)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
    "box blur": np.full((3, 3), 1 / 9),
    "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
}
WEIGHT_RANGE = (-5.0, 5.0)   # wide enough for sharpen's centre 5
SIGNED = "RdBu_r"            # a diverging colour map: blue below 0, white at 0, red above


def as_images(images):
    """Grey images as floats (n, H, W); uint8 pixels become 0..1, a single image or a channel axis of 1 is fine."""
    pixels = np.asarray(images)
    scaled = pixels / 255.0 if np.issubdtype(pixels.dtype, np.integer) else pixels.astype(float)
    if scaled.ndim == 2:
        scaled = scaled[None]
    if scaled.ndim == 4 and scaled.shape[1] == 1:
        scaled = scaled[:, 0]
    if scaled.ndim != 3 or 0 in scaled.shape:
        raise ValueError(f"images must be grey images of shape (n, H, W), got shape {pixels.shape}")
    return scaled


def feature_map(conv2d, image, kernel):
    """The student's conv2d_forward on one image and one 3x3 filter, bias 0, stride 1, pad 1: an (H, W) map.

    Stride and padding are passed by position, so that both `pad` and
    `padding` work as the argument's name. The result is (out, cache); a bare
    out array is accepted too.
    """
    height, width = image.shape
    result = conv2d(image.reshape(1, 1, height, width).astype(float), np.asarray(kernel, float).reshape(1, 1, 3, 3),
                    np.zeros(1), 1, 1)
    out = result if isinstance(result, np.ndarray) else None
    if isinstance(result, (tuple, list)) and result:
        out = result[0]
    if out is None:
        raise conv2d.wrong(f"returned {type(result).__name__}, not the pair (out, cache)")
    try:
        out = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        raise conv2d.wrong(f"returned an out of type {type(out).__name__}, not an array") from None
    if out.shape != (1, 1, height, width):
        raise conv2d.wrong(f"returned out of shape {out.shape} for one 1x{height}x{width} image, one 3x3 filter "
                           f"and pad=1, not (1, 1, {height}, {width})")
    return out[0, 0]


def receptive_field(image, row, col):
    """The 3x3 pixels that out[row, col] sees with pad=1: the image's zero-padded window centred there."""
    return np.pad(image, 1)[row:row + 3, col:col + 3]


def agrees(value, products):
    """Whether the student's output equals the sum of the nine products, up to float32 rounding."""
    return abs(value - products.sum()) <= 1e-4 * np.abs(products).sum() + 1e-6


def _short(number):
    """Two decimals, without the "-0.00" that a tiny negative number would print."""
    text = f"{number:.2f}"
    return "0.00" if text == "-0.00" else text


def _outline(axis, row, col, size, colour):
    """A square of `size` pixels centred on pixel (row, col)."""
    half = size / 2
    axis.add_patch(Rectangle((col - half, row - half), size, size, fill=False, edgecolor=colour, linewidth=2))


def draw(conv2d, image, kernel, row, col, image_title="image", filter_name=CUSTOM):
    """The image with the receptive field, the filter times the pixels, and the feature map, as PNG bytes."""
    kernel = np.asarray(kernel, dtype=float)
    out = feature_map(conv2d, image, kernel)
    height, width = image.shape
    patch = receptive_field(image, row, col)
    products = kernel * patch
    value = float(out[row, col])

    figure, (source, weights, result) = new_figure(columns=3, width=3.6, height=3.9)
    # The padded image, so the ring of zeros that pad=1 adds is visible where the outline reaches the edge.
    source.imshow(np.pad(image, 1), cmap="gray", extent=(-1.5, width + 0.5, height + 0.5, -1.5))
    source.add_patch(Rectangle((-0.5, -0.5), width, height, fill=False, edgecolor="tab:gray", linestyle=":"))
    _outline(source, row, col, 3, "tab:orange")
    source.set_title(f"{image_title}, padded with zeros", fontsize=9)

    limit = max(np.abs(kernel).max(), 1e-12)
    weights.imshow(kernel, cmap=SIGNED, vmin=-limit, vmax=limit)
    for (i, j), w in np.ndenumerate(kernel):
        weights.text(j, i, f"{w:.3g}\n× {_short(patch[i, j])}\n= {_short(products[i, j])}", ha="center",
                     va="center", fontsize=8, color="white" if abs(w) > 0.6 * limit else "black")
    weights.set_xticks([])
    weights.set_yticks([])
    weights.set_title(f"filter: {filter_name}", fontsize=9)
    weights.set_xlabel("each cell: weight w × pixel x under it", fontsize=8)

    spread = max(np.abs(out).max(), 1e-12)
    shown = result.imshow(out, cmap=SIGNED, vmin=-spread, vmax=spread)
    figure.colorbar(shown, ax=result, shrink=0.75)
    _outline(result, row, col, 1, "tab:orange")
    result.set_title("feature map from your conv2d_forward", fontsize=9)

    total = float(products.sum())
    if agrees(value, products):
        figure.suptitle(f"out[{row}, {col}] = Σ w·x = {value:.3g}", fontsize=11)
    else:
        figure.suptitle(f"out[{row}, {col}] = {value:.3g} from your conv2d_forward, but Σ w·x over the outlined "
                        f"pixels = {total:.3g}: check the padding, and that the filter is not flipped",
                        fontsize=9, color="tab:red")
    return png(figure)


def convolution_explorer(images, conv2d, exercise=3, labels=None, class_names=None):
    """Sliders for the image, the nine weights and the output position, a menu of preset filters.

    The feature map is the student's conv2d_forward (`exercise`); moving a
    weight makes the filter "custom", choosing a preset sets the nine weights.
    """
    images = as_images(images)
    count, height, width = images.shape
    conv = Answer(conv2d, "conv2d_forward", exercise)
    style = {"description_width": "initial"}
    which = slider(widgets.IntSlider, value=0, min=0, max=count - 1, description="image", style=style)
    preset = widgets.Dropdown(options=[*PRESETS, CUSTOM], value="vertical edge (Sobel x)", description="filter")
    row = slider(widgets.IntSlider, value=height // 2, min=0, max=height - 1, description="output row", style=style)
    col = slider(widgets.IntSlider, value=width // 2, min=0, max=width - 1, description="output column",
                 style=style)
    cells = [slider(widgets.FloatSlider, value=w, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=0.01,
                    description=f"w[{i}, {j}]", readout_format=".2f", layout=widgets.Layout(width="230px"))
             for (i, j), w in np.ndenumerate(PRESETS[preset.value])]
    picture = Picture()
    state = {"quiet": False}   # while the explorer moves its own controls: no redraw per move, no switch to custom

    def title(index):
        if labels is None:
            return f"image {index}"
        label = int(labels[index])
        named = class_names[label] if class_names is not None and 0 <= label < len(class_names) else f"label {label}"
        return f"image {index} ({named})"

    def redraw():
        kernel = np.array([cell.value for cell in cells]).reshape(3, 3)
        redraw_into(picture, lambda: draw(conv, images[which.value], kernel, row.value, col.value,
                                          title(which.value), preset.value))

    update = coalesced(redraw)

    def preset_chosen(_=None):
        if state["quiet"]:
            return
        if preset.value != CUSTOM:
            state["quiet"] = True
            for cell, w in zip(cells, PRESETS[preset.value].ravel()):
                cell.value = float(w)
            state["quiet"] = False
        update()

    def weight_moved(_=None):
        if state["quiet"]:
            return
        state["quiet"] = True
        preset.value = CUSTOM
        state["quiet"] = False
        update()

    preset.observe(preset_chosen, names="value")
    for cell in cells:
        cell.observe(weight_moved, names="value")
    for control in (which, row, col):
        control.observe(update, names="value")
    redraw()
    grid = widgets.GridBox(cells, layout=widgets.Layout(grid_template_columns="repeat(3, 240px)"))
    return widgets.VBox([widgets.HBox([which, preset]), widgets.HBox([row, col]), grid, picture.widget])


def _grid(count, columns=8, size=1.4):
    """A figure with `count` small square axes in rows of at most `columns`, the unused ones hidden."""
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(size * columns, size * rows + 0.3), dpi=96, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    for axis in axes[count:]:
        axis.set_visible(False)
    return figure, axes[:count]


def show_filters(w):
    """The first layer's filters w (F, 1, kh, kw) as a grid of heat maps: a PNG image the notebook keeps.

    One colour scale for all, centred on 0, so that filters can be compared:
    red weights add the pixel, blue ones subtract it.
    """
    w = np.asarray(w, dtype=float)
    if w.ndim == 4 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 3:
        raise ValueError(f"show_filters draws grey filters of shape (F, 1, kh, kw), got shape {np.shape(w)}")
    limit = max(np.abs(w).max(), 1e-12)
    figure, axes = _grid(len(w))
    for k, (axis, weights) in enumerate(zip(axes, w)):
        shown = axis.imshow(weights, cmap=SIGNED, vmin=-limit, vmax=limit)
        axis.set_title(f"filter {k}", fontsize=8)
    figure.colorbar(shown, ax=list(axes), shrink=0.8)
    figure.suptitle(f"{len(w)} filters of {w.shape[1]}x{w.shape[2]} weights (red adds the pixel, blue subtracts it)",
                    fontsize=10)
    return StaticImage(png(figure))


def show_feature_maps(maps, image=None):
    """One image's feature maps (F, H, W) as a grid, after the image itself when given: a PNG image.

    Each map has its own scale: signed maps are diverging and centred on 0,
    maps with no negative value (after a ReLU) run from 0 up.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps draws one image's maps of shape (F, H, W), got shape {np.shape(maps)}")
    panels = len(maps) + (image is not None)
    figure, axes = _grid(panels)
    if image is not None:
        axes[0].imshow(as_images(image)[0], cmap="gray")
        axes[0].set_title("input", fontsize=8)
        axes = axes[1:]
    for k, (axis, values) in enumerate(zip(axes, maps)):
        top = max(np.abs(values).max(), 1e-12)
        if values.min() >= 0:
            axis.imshow(values, cmap="viridis", vmin=0, vmax=top)
        else:
            axis.imshow(values, cmap=SIGNED, vmin=-top, vmax=top)
        axis.set_title(f"map {k}", fontsize=8)
    figure.suptitle(f"{len(maps)} feature maps", fontsize=10)
    return StaticImage(png(figure))
