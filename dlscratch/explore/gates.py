"""Explorer for notebook 11: the gates of a trained LSTM, character by character, over a piece of text.

gates_explorer comes after the exercise on lstm_step_forward and is given the
student's function and a trained character model's parameters. It runs that
function over the text one character at a time (a batch of one, from h = c = 0,
each input the character's row of W_embed) and keeps what the cache holds:
the forget, input and output gates, and the cell state c after each character.

The picture is the text as a strip of characters, each coloured by one gate
of one cell (0 dark, 1 bright), with one character outlined; below it, the
three gates and c of that cell along the whole text. Pick the gate, the cell
and the character with the controls. Most cells of a small model do nothing
a reader can name; interesting_cells ranks them by how much a gate moves over
the text, and the picture lists the first few.

The explorer runs the student's function once per explorer and only redraws
when a control moves. It checks what comes back against the exercise's own
relations with the student's own numbers (c = f * c_prev + i * g and
h = o * tanh(c) with the gates in the cache), as a student would check a step
by hand; it never computes a gate itself.
"""
import io
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from ..plotting import Picture, coalesced, slider
from .answers import Answer, AnswerNeeded, redraw_into

GATES = ("forget", "input", "output")
CACHE_FIELDS = ("x", "h_prev", "c_prev", "Wx", "Wh", "i", "f", "g", "o", "c")   # as notebook 11 documents it
CACHE_INDEX = {"input": 5, "forget": 6, "output": 8}
GATE_COLOURS = {"forget": "tab:blue", "input": "tab:green", "output": "tab:orange"}
MEANING = {"forget": "1 keeps what the cell holds, 0 wipes it",
           "input": "1 writes the candidate g into the cell, 0 leaves it out",
           "output": "1 lets the cell show in h, 0 hides it"}
NEEDED = ("W_embed", "Wx", "Wh", "b")     # W_out and b_out may be there too; the gates do not need them
COLUMNS = 60                              # characters in a row of the strip
MAX_CHARS = 8 * COLUMNS                   # eight rows: the picture stays one screen high
CELL = (14, 20)                           # pixels of one character's box: width, height
SHOWN_AS = {"\n": "↵", "\t": "→"}         # characters with no mark of their own; a space stays blank
COLOUR_MAP = colormaps["viridis"]
OUTLINE = np.array([230, 0, 0], dtype=np.uint8)
DPI = 96
WIDTH = 940                               # pixels across the picture
RANKED = 6                                # how many interesting cells the picture names


class Activations(NamedTuple):
    """What the student's lstm_step_forward made of a text: one row per character, one column per cell."""

    text: str
    forget: np.ndarray   # (T, H) the forget gate f at each character
    input: np.ndarray    # (T, H) the input gate i
    output: np.ndarray   # (T, H) the output gate o
    cell: np.ndarray     # (T, H) the cell state c after each character
    hidden: np.ndarray   # (T, H) the hidden state h after each character


def check_model(params, text, encode):
    """(ids, hidden size) for the text, or a ValueError that says what is wrong with the model or the text.

    These are the notebook's mistakes, not the student's, so they raise at
    once rather than showing in place of the picture.
    """
    missing = [name for name in NEEDED if name not in params]
    if missing:
        raise ValueError(f"params lacks {', '.join(missing)}: pass the trained model's parameter dict")
    embed, wx, wh, b = (np.asarray(params[name]) for name in NEEDED)
    hidden = wh.shape[0] if wh.ndim == 2 else -1
    if embed.ndim != 2 or wh.shape != (hidden, 4 * hidden) or wx.shape != (embed.shape[1], 4 * hidden) \
            or b.shape != (4 * hidden,):
        raise ValueError(f"an LSTM's parameters are W_embed (V, D), Wx (D, 4H), Wh (H, 4H) and b (4H,); got "
                         f"{embed.shape}, {wx.shape}, {wh.shape} and {b.shape}")
    if not isinstance(text, str) or not 0 < len(text) <= MAX_CHARS:
        length = len(text) if isinstance(text, str) else type(text).__name__
        raise ValueError(f"text must be a string of 1 to {MAX_CHARS} characters, got {length}: "
                         "pass a slice such as data.valid[:300]")
    ids = np.asarray(encode(text))
    if ids.shape != (len(text),) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"encode(text) must give one integer id per character, got {ids.dtype} of shape {ids.shape}")
    if ids.min() < 0 or ids.max() >= embed.shape[0]:
        raise ValueError(f"encode(text) gives ids from {ids.min()} to {ids.max()}, but W_embed has "
                         f"{embed.shape[0]} rows: is it the model's own encoder?")
    return ids, hidden


def _shown(char):
    return SHOWN_AS.get(char, char)


def _close(got, expected):
    """Equal up to float32 rounding."""
    return np.allclose(got, expected, rtol=1e-4, atol=1e-5)


def _checked(lstm_step, result, c_prev, shape, where):
    """(h, c, {"i": i, "f": f, "g": g, "o": o}) from one step's result as float arrays, or why it is unusable."""
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        kind = f"{len(result)} values" if isinstance(result, (tuple, list)) else type(result).__name__
        raise lstm_step.wrong(f"returned {kind}, not the three values (h, c, cache)")
    h, c, cache = result
    batch = f"a batch of 1 and hidden size {shape[1]}"
    h, c = lstm_step.array("h", h, shape, batch, where), lstm_step.array("c", c, shape, batch, where)
    if not isinstance(cache, (tuple, list)) or len(cache) != len(CACHE_FIELDS):
        kind = f"{len(cache)} values" if isinstance(cache, (tuple, list)) else type(cache).__name__
        raise lstm_step.wrong(f"returned a cache of {kind}, not the tuple ({', '.join(CACHE_FIELDS)}) that "
                              "the exercise describes")
    gates = {}
    for name in ("i", "f", "g", "o"):
        index = CACHE_FIELDS.index(name)
        value = lstm_step.array(f"a cache whose {name} (cache[{index}])", cache[index], shape, batch, where)
        low, squash = (-1, "tanh") if name == "g" else (0, "sigmoid")
        if value.min() < low or value.max() > 1:
            outside = value.min() if value.min() < low else value.max()
            raise lstm_step.wrong(f"returned a cache whose {name} (cache[{index}]) holds {outside:.3g} {where}, "
                                  f"outside {low}..1: it should hold the {squash} of its block, not the block")
        gates[name] = value
    # The exercise's own relations, with the student's own numbers: a cache in another order breaks them.
    if not _close(gates["f"] * c_prev + gates["i"] * gates["g"], c):
        raise lstm_step.wrong(f"returned a c that is not f * c_prev + i * g with the i, f and g of its cache "
                              f"{where}: check that the blocks of a are in the order i, f, g, o, and the cache in "
                              f"the order ({', '.join(CACHE_FIELDS)})")
    if not _close(gates["o"] * np.tanh(c), h):
        raise lstm_step.wrong(f"returned an h that is not o * tanh(c) with the o of its cache (cache[8]) {where}")
    return h, c, gates


def record(lstm_step, params, text, encode):
    """Activations of the text from the student's lstm_step_forward (an Answer), one character at a time.

    Each step gets x = W_embed[[id]] of shape (1, D), the h and c the step
    before returned (zeros of the parameters' dtype at first) and the weights
    as they are, float32 or float64.
    """
    ids, hidden = check_model(params, text, encode)
    embed, wx, wh, b = (params[name] for name in NEEDED)
    shape = (1, hidden)
    h = c = np.zeros(shape, dtype=np.result_type(wh, np.float32))
    c_seen = np.zeros(shape)
    rows = []
    for t, char_id in enumerate(ids):
        result = lstm_step(embed[[char_id]], h, c, wx, wh, b)
        h_seen, c_seen, gates = _checked(lstm_step, result, c_seen, shape, f"at character {t} ({_shown(text[t])!r})")
        h, c = result[0], result[1]       # handed on as returned, in the student's dtype
        rows.append((gates["f"][0], gates["i"][0], gates["o"][0], c_seen[0], h_seen[0]))
    return Activations(text, *(np.array(column) for column in zip(*rows)))


def interesting_cells(activations, gate="forget", count=None):
    """Cell indices, the one whose `gate` varies most over the text first (by variance; ties by index).

    A cell whose forget gate swings between near 0 and near 1 is wiping and
    keeping its memory at particular characters: the first place to look
    for a cell that counts something, such as the position in a line.
    """
    spread = np.var(getattr(activations, gate), axis=0)
    order = np.argsort(-spread, kind="stable")
    return order if count is None else order[:count]


class Lettering:
    """The text laid out in rows of COLUMNS characters, its letters rendered once as an ink mask.

    Colouring the strip is then a little numpy per redraw (a colour per box,
    the ink on top) rather than hundreds of matplotlib text artists, which
    took about 250 ms to draw each time.
    """

    def __init__(self, text, columns=COLUMNS):
        self.text, self.columns = text, columns
        self.rows = -(-len(text) // columns)
        width, height = CELL
        figure = Figure(figsize=(columns * width / DPI, self.rows * height / DPI), dpi=DPI, facecolor="white")
        for k, char in enumerate(text):
            row, column = divmod(k, columns)
            figure.text((column + 0.5) * width, (self.rows - row - 0.5) * height, _shown(char), transform=None,
                        ha="center", va="center", family="monospace", fontsize=10.5)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())[:, :, 0]
        self.ink = 1.0 - pixels[:, :, None] / 255.0       # 1 where a letter is, 0 on the white paper

    def box(self, position):
        """(top, left) pixel of a character's box."""
        row, column = divmod(position, self.columns)
        return row * CELL[1], column * CELL[0]

    def paint(self, values, position):
        """The strip as an RGB uint8 image: box k coloured by values[k] in 0..1, the box at `position` outlined."""
        width, height = CELL
        grid = np.full(self.rows * self.columns, np.nan)
        grid[:len(values)] = values
        colours = COLOUR_MAP(np.clip(grid, 0, 1))[:, :3]
        colours[np.isnan(grid)] = 1.0                              # past the end of the text: white paper
        light = colours @ np.array([0.299, 0.587, 0.114]) > 0.5     # dark letters on light boxes, white on dark
        letters = np.where(light[:, None], 0.0, 1.0) * np.ones(3)
        grid_shape = (self.rows, self.columns, 3)
        background = np.repeat(np.repeat(colours.reshape(grid_shape), height, axis=0), width, axis=1)
        ink_colour = np.repeat(np.repeat(letters.reshape(grid_shape), height, axis=0), width, axis=1)
        image = background * (1 - self.ink) + ink_colour * self.ink
        image = np.round(image * 255).astype(np.uint8)
        top, left = self.box(position)
        for thickness in range(2):
            image[top + thickness, left:left + width] = OUTLINE
            image[top + height - 1 - thickness, left:left + width] = OUTLINE
            image[top:top + height, left + thickness] = OUTLINE
            image[top:top + height, left + width - 1 - thickness] = OUTLINE
        return image


def draw(activations, lettering, gate, cell, position):
    """The strip coloured by one gate of one cell, and that cell's gates and c along the text, as PNG bytes."""
    if gate not in GATES:
        raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
    values = getattr(activations, gate)[:, cell]
    steps = len(values)
    strip = lettering.paint(values, position)
    head, key, plot, foot = 62, 34, 190, 58                    # pixels: titles, colour key, line plot, its labels
    height = head + strip.shape[0] + key + plot + foot
    figure = Figure(figsize=(WIDTH / DPI, height / DPI), dpi=DPI)
    left = (WIDTH - strip.shape[1]) // 2
    figure.figimage(strip, xo=left, yo=key + plot + foot, origin="upper")

    char = activations.text[position]
    figure.text(0.5, 1 - 8 / height, f"{gate} gate of cell {cell} at each character ({MEANING[gate]})",
                ha="center", va="top", fontsize=10)
    reading = "   ".join(f"{name} {getattr(activations, name)[position, cell]:.3f}" for name in GATES)
    figure.text(0.5, 1 - 32 / height, f"character {position} {_shown(char)!r}:   {reading}   "
                f"cell state c {activations.cell[position, cell]:+.3f}", ha="center", va="top", fontsize=10,
                family="monospace")

    # The colour key: the colour map from 0 to 1 as a thin bar under the strip, drawn as pixels too.
    bar = np.round(COLOUR_MAP(np.linspace(0, 1, 240))[None, :, :3] * 255).astype(np.uint8).repeat(10, axis=0)
    bar_bottom = plot + foot + 8
    figure.figimage(bar, xo=left + 30, yo=bar_bottom, origin="upper")
    figure.text((left + 24) / WIDTH, (bar_bottom + 5) / height, "0", ha="right", va="center", fontsize=8)
    figure.text((left + 276) / WIDTH, (bar_bottom + 5) / height, f"1   {gate} gate", ha="left", va="center",
                fontsize=8)
    ranked = ", ".join(str(k) for k in interesting_cells(activations, gate, RANKED))
    figure.text((left + strip.shape[1]) / WIDTH, (bar_bottom + 5) / height,
                f"cells whose {gate} gate varies most here: {ranked}", ha="right", va="center", fontsize=8)

    axis = figure.add_axes((left / WIDTH, foot / height, strip.shape[1] / WIDTH, (plot - 16) / height))
    positions = np.arange(steps)
    for name in GATES:
        axis.plot(positions, getattr(activations, name)[:, cell], color=GATE_COLOURS[name],
                  linewidth=2.0 if name == gate else 0.8, label=name)
    # tanh(c) rather than c on a second scale: it shares the gates' axis, it is what o lets into h, and a
    # twin axis cost a sixth of the redraw. The title gives c itself.
    axis.plot(positions, np.tanh(activations.cell[:, cell]), color="black", linestyle="--", linewidth=0.9,
              label="tanh(c), which o lets into h")
    axis.axhline(0, color="tab:gray", linewidth=0.5)
    axis.axvline(position, color="tab:red", linestyle=":", linewidth=1.2)
    axis.set_ylim(-1.05, 1.05)
    axis.set_xlim(-0.5, steps - 0.5)
    axis.set_xlabel(f"character (the outlined one, {position}, is the dotted line)", fontsize=8)
    # Ticks chosen here, not by matplotlib's locators: laying out ticks was about half of the redraw.
    axis.xaxis.set_major_locator(FixedLocator(np.arange(0, steps, 50 if steps > 100 else 10)))
    axis.yaxis.set_major_locator(FixedLocator([-1, 0, 0.5, 1]))
    axis.xaxis.set_minor_locator(NullLocator())
    axis.yaxis.set_minor_locator(NullLocator())
    axis.tick_params(labelsize=7)
    axis.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, fontsize=8, frameon=False,
                borderaxespad=0.1)
    return _png(figure)


def _png(figure):
    """The figure as PNG bytes, compressed lightly: the strip's many colours made the default level take 35 ms
    of the redraw, and level 1 takes 15 ms for a file about a tenth larger."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def gates_explorer(lstm_step_forward, params, text, encode, *, exercise=1, gate="forget", cell=None, position=0):
    """A toggle for the gate, sliders for the cell and the character, over the student's LSTM run on `text`.

    params is the trained model's dict (W_embed, Wx, Wh, b; others are
    ignored), encode turns text into its ids. cell=None opens on the cell
    whose forget gate varies most over the text. The student's
    lstm_step_forward (`exercise`) runs once, here; the controls only redraw.
    """
    step = Answer(lstm_step_forward, "lstm_step_forward", exercise)
    ids, hidden = check_model(params, text, encode)
    if gate not in GATES:
        raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
    try:
        run = record(step, params, text, encode)
    except AnswerNeeded as reason:
        run = reason
    if cell is None:
        cell = 0 if isinstance(run, AnswerNeeded) else int(interesting_cells(run, "forget", 1)[0])
    lettering = Lettering(text)
    style = {"description_width": "initial"}
    choice = widgets.ToggleButtons(options=GATES, value=gate, description="gate",
                                   tooltips=[MEANING[name] for name in GATES])
    unit = slider(widgets.IntSlider, value=cell, min=0, max=hidden - 1, description="cell", style=style)
    where = slider(widgets.IntSlider, value=position, min=0, max=len(ids) - 1, description="character",
                   style=style, layout=widgets.Layout(width="520px"))
    picture = Picture()

    def drawn():
        if isinstance(run, AnswerNeeded):
            raise AnswerNeeded(str(run))
        return draw(run, lettering, choice.value, unit.value, where.value)

    def redraw():
        redraw_into(picture, drawn)

    for control in (choice, unit, where):
        control.observe(coalesced(redraw), names="value")
    redraw()
    return widgets.VBox([choice, widgets.HBox([unit, where]), picture.widget])
