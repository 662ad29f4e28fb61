"""Explorers for notebook 08: a picture of the computational graph, and backward one function at a time.

Both work on the student's own engine, on anything shaped like it: a
Variable has ``data``, ``grad`` and ``creator``; a Function has ``inputs``
and ``outputs`` (weak references, called to get the Variable) and a
``backward`` method. The notebook hands over a small callable that builds
an expression with those classes and returns its output.

graph_explorer draws that graph, then, at the press of a button, runs the
student's ``backward()`` and draws it again with every gradient's norm.

backward_stepper replays one run of the student's ``backward()`` a function
at a time. It does not know the order in which backward should visit the
functions (that is the exercise): it listens while the student's engine
runs, by wrapping each Function class's ``backward`` for the length of that
one call, and writes down which function ran and which gradients were known
at that moment. The slider then steps through what was written down.

Nothing here computes a gradient: the pictures only read ``grad``.
"""
import collections
import contextlib
import inspect
import shutil
import subprocess
import weakref

import ipywidgets as widgets
import numpy as np

from ..plotting import Picture, coalesced, new_figure, png, slider
from .answers import Answer, redraw_into

COLOURS = {"variable": "#cfe3f7", "function": "#eeeeee", "known": "#c9efc9", "highlight": "#ff9f43"}
BOX_WIDTH, BOX_HEIGHT = 0.82, 0.62   # in layout units: one layer apart horizontally, one row apart vertically


# ------------------------------------------------------------------ the graph as plain data


def _live(reference):
    """The Variable behind an entry of ``outputs``: a weak reference is called (None once freed)."""
    return reference() if isinstance(reference, weakref.ReferenceType) else reference


def gradient_norm(grad):
    """The 2-norm of a gradient the engine stored, a Variable (its ``data``) or an array; None for no gradient."""
    if grad is None:
        return None
    values = grad if isinstance(grad, np.ndarray) else getattr(grad, "data", grad)  # an ndarray's .data is a buffer
    return float(np.linalg.norm(np.asarray(values, dtype=float)))


def _walk(output):
    """Every Variable and Function reachable from ``output``, each once, with its kind and the edges.

    Breadth first, following a Variable to its creator and a Function to its
    inputs and (still living) outputs. The order is only the order of
    discovery; it says nothing about the order backward must use.
    """
    found, kinds, edges = [], [], []
    number = {}                                  # id(object) -> its place in `found`

    def meet(obj, kind):
        if id(obj) not in number:
            number[id(obj)] = len(found)
            found.append(obj)
            kinds.append(kind)
            queue.append(obj)
        return number[id(obj)]

    queue = collections.deque()
    meet(output, "variable")
    while queue:
        obj = queue.popleft()
        here = number[id(obj)]
        if kinds[here] == "variable":
            if getattr(obj, "creator", None) is not None:
                meet(obj.creator, "function")
            continue
        edges.extend((meet(source, "variable"), here) for source in obj.inputs)
        made = [_live(reference) for reference in getattr(obj, "outputs", ())]
        edges.extend((here, meet(variable, "variable")) for variable in made if variable is not None)
    return found, kinds, edges


def _structure(found, kinds, edges):
    return {"nodes": [_describe(i, obj, kind) for i, (obj, kind) in enumerate(zip(found, kinds))], "edges": edges}


def _describe(number, obj, kind):
    if kind == "function":
        return {"id": number, "kind": kind, "label": type(obj).__name__, "shape": None, "grad_norm": None}
    shape = tuple(np.shape(obj.data))
    name = getattr(obj, "name", None)
    return {"id": number, "kind": kind, "label": name or str(shape), "shape": shape,
            "grad_norm": gradient_norm(getattr(obj, "grad", None))}


def graph_structure(output):
    """The graph that made ``output`` as plain data: {"nodes": [...], "edges": [(id, id), ...]}.

    A node is a dict with ``id``, ``kind`` ("variable" or "function"),
    ``label`` (a variable's name, or its shape when it has none; a
    function's class name), ``shape`` (None for functions) and ``grad_norm``
    (None while there is no gradient). Edges run input variable -> function
    -> output variable; an input used twice (x + x) gives two edges, which is
    why its gradient is a sum of two. Only reads the graph: no gradient is
    computed or changed.
    """
    return _structure(*_walk(output))


def layers(structure):
    """{node id: layer}, a node's layer being the longest path to it from a leaf (leaves are 0).

    Read from the edges alone, not from the engine's generation field, so
    the picture stays right even where the student's generations are not.
    """
    ids = [node["id"] for node in structure["nodes"]]
    feeds = {node: [] for node in ids}
    unplaced_inputs = dict.fromkeys(ids, 0)
    for source, target in structure["edges"]:
        feeds[source].append(target)
        unplaced_inputs[target] += 1
    layer = {node: 0 for node in ids}
    ready = [node for node in ids if unplaced_inputs[node] == 0]
    while ready:
        node = ready.pop()
        for target in feeds[node]:
            layer[target] = max(layer[target], layer[node] + 1)
            unplaced_inputs[target] -= 1
            if unplaced_inputs[target] == 0:
                ready.append(target)
    return layer


def layout(structure):
    """Where to draw: ({node id: (x, y)}, [the points each edge passes through, in edge order]).

    x is the layer, except that a leaf (a weight, say) moves right to just
    before the first function that uses it. An edge that skips layers gets a
    waypoint in each layer it crosses, which takes a place there like a
    node, so that the edge runs between the boxes instead of through them.
    Within a layer, places are sorted by the mean height of what feeds them,
    so that edges cross less, and stacked around y = 0.
    """
    layer = layers(structure)
    consumers = collections.defaultdict(list)
    for source, target in structure["edges"]:
        consumers[source].append(layer[target])
    for node in set(consumers) - {target for _, target in structure["edges"]}:
        layer[node] = min(consumers[node]) - 1     # a leaf is drawn just before its first use
    slots = collections.defaultdict(list)          # layer -> node ids and waypoints, waypoints as tuples
    for node in sorted(layer):
        slots[layer[node]].append(node)
    feeders, chains = collections.defaultdict(list), []
    for index, (source, target) in enumerate(structure["edges"]):
        waypoints = [(index, depth) for depth in range(layer[source] + 1, layer[target])]
        chain = [source, *waypoints, target]
        for before, after in zip(chain, chain[1:]):
            feeders[after].append(before)
        for waypoint in waypoints:
            slots[waypoint[1]].append(waypoint)
        chains.append(chain)
    place = {}
    for depth in sorted(slots):
        height = {key: np.mean([place[f][1] for f in feeders[key]]) if feeders[key] else 0.0 for key in slots[depth]}
        order = sorted(range(len(slots[depth])), key=lambda i: (-height[slots[depth][i]], i))
        for row, i in enumerate(order):
            place[slots[depth][i]] = (float(depth), (len(order) - 1) / 2 - row)
    return {node: place[node] for node in layer}, [[place[key] for key in chain] for chain in chains]


# ------------------------------------------------------------------ drawing


def _text(node):
    lines = [node["label"]]
    if node["kind"] == "variable" and node["label"] != str(node["shape"]):
        lines.append(str(node["shape"]))
    if node["grad_norm"] is not None:
        lines.append(f"|grad| {node['grad_norm']:.3g}")
    return "\n".join(lines)


def _fill(node, highlight):
    if node["id"] == highlight:
        return COLOURS["highlight"]
    if node["kind"] == "function":
        return COLOURS["function"]
    return COLOURS["known"] if node["grad_norm"] is not None else COLOURS["variable"]


def draw_structure(structure, highlight=None, title=None, engine="matplotlib"):
    """PNG bytes of a graph_structure: variables in rounded boxes, functions in square ones.

    Leaves are on the left, the output on the right. ``highlight`` is a node
    id drawn in orange. ``engine="graphviz"`` lets graphviz's ``dot`` lay it
    out instead, where that program is installed.
    """
    if engine == "graphviz":
        return _dot_png(to_dot(structure, highlight, title))
    if engine != "matplotlib":
        raise ValueError(f'engine must be "matplotlib" or "graphviz", not {engine!r}')
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    place, routes = layout(structure)
    columns = max(x for x, _ in place.values()) + 1
    heights = [y for route in routes for _, y in route] + [y for _, y in place.values()]
    bottom, top = min(heights) - 0.5, max(heights) + 0.5
    figure, axis = new_figure(width=min(18.0, max(4.0, 1.3 * columns)), height=min(12.0, 0.9 * (top - bottom) + 0.8))
    for node in structure["nodes"]:
        x, y = place[node["id"]]
        style = "round,pad=0,rounding_size=0.15" if node["kind"] == "variable" else "square,pad=0"
        strong = node["id"] == highlight
        axis.add_patch(FancyBboxPatch((x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
                                      boxstyle=style, facecolor=_fill(node, highlight), zorder=2,
                                      edgecolor="tab:red" if strong else "black", linewidth=2.5 if strong else 0.8))
        text = _text(node)
        widest = max(map(len, text.splitlines()))
        axis.text(x, y, text, ha="center", va="center", fontsize=min(7.0, 7.0 * 14 / widest), zorder=3,
                  fontweight="bold" if node["kind"] == "function" else "normal")
    copies = collections.Counter()
    for (source, target), route in zip(structure["edges"], routes):
        shift = 0.12 * copies[source, target]      # a second copy of an edge (x + x) runs beside the first
        copies[source, target] += 1
        points = [(x + side * BOX_WIDTH / 2, y + shift) for x, y in route for side in (-1, 1)][1:-1]
        axis.add_patch(FancyArrowPatch(path=Path(points), arrowstyle="-|>", mutation_scale=9, linewidth=0.8,
                                       color="dimgray", zorder=1))
    axis.set_xlim(-0.5, columns - 0.5)
    axis.set_ylim(bottom, top)
    axis.axis("off")
    if title:
        axis.set_title(title, fontsize=9)
    return png(figure)


def draw_graph(output, highlight=None, title=None, engine="matplotlib"):
    """PNG bytes of the graph that made ``output``, with gradient norms where ``grad`` is set."""
    return draw_structure(graph_structure(output), highlight, title, engine)


def to_dot(structure, highlight=None, title=None):
    """The graph in graphviz's DOT language, left to right, shaped and coloured as draw_structure does."""
    lines = ["digraph graph_of_output {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    if title:
        quoted = title.replace('"', "'")
        lines.append(f'  label="{quoted}"; labelloc=t;')
    for node in structure["nodes"]:
        shape = "box, style=\"rounded,filled\"" if node["kind"] == "variable" else "box, style=filled"
        label = _text(node).replace('"', "'").replace("\n", "\\n")
        outline = ', color="red", penwidth=2.5' if node["id"] == highlight else ""
        lines.append(f'  n{node["id"]} [label="{label}", shape={shape}, fillcolor="{_fill(node, highlight)}"{outline}];')
    lines += [f"  n{source} -> n{target};" for source, target in structure["edges"]]
    return "\n".join(lines + ["}"]) + "\n"


def _dot_png(source):
    if shutil.which("dot") is None:
        raise RuntimeError('graphviz\'s "dot" program is not installed (Debian: apt install graphviz); '
                           'draw with engine="matplotlib" instead')
    return subprocess.run(["dot", "-Tpng"], input=source.encode(), capture_output=True, check=True,
                          timeout=60).stdout


# ------------------------------------------------------------------ listening to backward


def _backward_options(output):
    """{"retain_grad": True} when the student's backward takes that option, else {}.

    An engine that frees the gradients of intermediate variables (as it
    should) would otherwise leave only the leaves labelled in the picture.
    """
    try:
        parameters = inspect.signature(output.backward).parameters
    except (AttributeError, TypeError, ValueError):
        return {}
    return {"retain_grad": True} if "retain_grad" in parameters else {}


@contextlib.contextmanager
def _listening(classes, on_call):
    """Within the block, every ``cls.backward`` of ``classes`` first calls on_call(function).

    The methods the classes had (their own, or none, inheriting) are put
    back on leaving, also when the block raised. Each wrapper calls the
    method found before any wrapping, so a class that inherits ``backward``
    from another in the list is not reported twice.
    """
    own = {cls: cls.__dict__.get("backward") for cls in classes}
    found = {cls: cls.backward for cls in classes}
    wrapped = []

    def wrapper(original):
        def backward(self, *args, **kwargs):
            on_call(self)
            return original(self, *args, **kwargs)
        return backward

    try:
        for cls in classes:
            cls.backward = wrapper(found[cls])
            wrapped.append(cls)
        yield
    finally:
        for cls in wrapped:
            method = own[cls]
            if method is None:
                del cls.backward
            else:
                cls.backward = method


def record_backward(output, run_backward):
    """Run ``run_backward(output)`` once and write down what the engine did, one function at a time.

    Returns {"graph": graph_structure before backward, "steps": [...]}. Step
    0 is the seed: the gradients known when the engine called its first
    function. Step k (k >= 1) is the k-th function the engine called, as
    {"function": its node id, "grads": {variable node id: gradient norm}}.
    The engine stores a function's input gradients only after its backward
    returns, so the gradients after step k are read when the engine calls
    the next function, or when run_backward returns.
    """
    found, kinds, edges = _walk(output)
    structure = _structure(found, kinds, edges)
    number = {id(obj): i for i, obj in enumerate(found)}
    variables = [(i, obj) for i, (obj, kind) in enumerate(zip(found, kinds)) if kind == "variable"]
    calls = []

    def known():
        norms = {i: gradient_norm(getattr(obj, "grad", None)) for i, obj in variables}
        return {i: norm for i, norm in norms.items() if norm is not None}

    def heard(function):
        if id(function) in number:                  # not a function made while backward runs
            calls.append((number[id(function)], known()))

    classes = list(dict.fromkeys(type(obj) for obj, kind in zip(found, kinds) if kind == "function"))
    with _listening(classes, heard):
        run_backward(output)
    after = [grads for _, grads in calls[1:]] + [known()]
    steps = [{"function": None, "grads": calls[0][1] if calls else after[-1]}]
    steps += [{"function": node, "grads": grads} for (node, _), grads in zip(calls, after)]
    return {"graph": structure, "steps": steps}


def with_gradients(structure, grads):
    """A copy of ``structure`` whose gradient norms are ``grads`` ({node id: norm}) and nothing else."""
    return {"nodes": [{**node, "grad_norm": grads.get(node["id"])} for node in structure["nodes"]],
            "edges": list(structure["edges"])}


def draw_step(recording, k, engine="matplotlib"):
    """PNG bytes of step ``k`` of a record_backward recording: the function that ran highlighted."""
    structure, steps = recording["graph"], recording["steps"]
    step = steps[k]
    if step["function"] is None:
        output = structure["nodes"][0]["id"]         # the walk starts at the output
        return draw_structure(with_gradients(structure, step["grads"]), output,
                              f"step 0 of {len(steps) - 1}: the seed, d(output)/d(output) = ones", engine)
    name = structure["nodes"][step["function"]]["label"]
    return draw_structure(with_gradients(structure, step["grads"]), step["function"],
                          f"step {k} of {len(steps) - 1}: {name}.backward ran", engine)


# ------------------------------------------------------------------ widgets


def _answers(make_output, exercise, name):
    """The student's expression and their backward, called so that every failure is one sentence.

    Building returns the output and its graph_structure: an engine that
    records its graph in some other way (no ``inputs``, say) is told so
    instead of failing inside the drawing.
    """
    build = Answer(make_output, name, exercise)

    def built():
        output = build()
        if not all(hasattr(output, attribute) for attribute in ("data", "creator")):
            raise build.wrong(f"could not be shown: the expression returned {type(output).__name__}, "
                              "not a Variable")
        try:
            return output, graph_structure(output)
        except (AttributeError, TypeError) as error:
            raise build.wrong(f"could not be shown: its graph cannot be followed ({error})") from None

    backward = Answer(lambda output: output.backward(**_backward_options(output)), name, exercise, returns=False)
    return built, backward


def graph_explorer(make_output, exercise=3, name="backward"):
    """The graph of the student's expression; "run backward" builds it afresh and runs their backward().

    A fresh graph for each run, because a second backward() over the same
    leaves would add to their gradients.
    """
    built, backward = _answers(make_output, exercise, name)
    picture = Picture()
    run = widgets.Button(description="run backward", button_style="primary")
    clear = widgets.Button(description="forget gradients")

    def draw(with_backward):
        output, structure = built()
        if not with_backward:
            return draw_structure(structure, title="before backward()")
        backward(output)
        return draw_graph(output, title="after backward(): the norm of every gradient")

    run.on_click(lambda _: redraw_into(picture, lambda: draw(True)))
    clear.on_click(lambda _: redraw_into(picture, lambda: draw(False)))
    redraw_into(picture, lambda: draw(False))
    return widgets.VBox([widgets.HBox([run, clear]), picture.widget])


def backward_stepper(make_output, exercise=3, name="backward"):
    """A slider through one run of the student's backward(), highlighting the function at each step."""
    built, backward = _answers(make_output, exercise, name)
    recording = {}
    picture = Picture()
    step = slider(widgets.IntSlider, value=0, min=0, max=0, description="step")

    def draw():
        if not recording:
            recording.update(record_backward(built()[0], backward))
            step.max = len(recording["steps"]) - 1
        return draw_step(recording, min(step.value, step.max))

    step.observe(coalesced(lambda: redraw_into(picture, draw)), names="value")
    redraw_into(picture, draw)
    return widgets.VBox([step, picture.widget])

