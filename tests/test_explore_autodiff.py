"""The graph explorers of notebook 08, on the reference engine standing in for a student's.

The picture is tested through its structure (nodes, edges, layers, the
gradient norms it would print), not its pixels. The stepper is tested
against what the engine really did: the reference's own visiting order, and
an order chosen by hand that no rule would give.
"""
import numpy as np
import pytest

from autograder.reference import autodiff as ad
from dlscratch.explore import autodiff as ex
from dlscratch.explore.answers import Answer, AnswerNeeded
from test_explore import parts, picture_of

PNG = b"\x89PNG\r\n\x1a\n"


def diamond():
    """a = x * x; y = a + a * x, with x = (1, 2): dy/dx = 2x + 3x² = (5, 16)."""
    x = ad.Variable(np.array([1.0, 2.0]), name="x")
    a = x * x
    return a + a * x, x


def by_label(structure):
    return {node["id"]: node["label"] for node in structure["nodes"]}


def labelled_edges(structure):
    label = by_label(structure)
    return sorted((label[a], label[b]) for a, b in structure["edges"])


def every_grad(output):
    """{variable: (its grad object, a copy of its values)} over the whole graph."""
    found, kinds, _ = ex._walk(output)
    return {id(v): (v.grad, None if v.grad is None else v.grad.data.copy())
            for v, kind in zip(found, kinds) if kind == "variable"}


# The graph as data

def test_a_diamond_has_four_variables_three_functions_and_nine_edges():
    y, x = diamond()
    structure = ex.graph_structure(y)
    kinds = [node["kind"] for node in structure["nodes"]]
    assert kinds.count("variable") == 4 and kinds.count("function") == 3
    assert structure["nodes"][0]["id"] == 0 and structure["nodes"][0]["shape"] == (2,)   # the output first
    assert sorted(by_label(structure).values()) == ["(2,)", "(2,)", "(2,)", "Add", "Mul", "Mul", "x"]
    assert labelled_edges(structure) == sorted([("x", "Mul"), ("x", "Mul"), ("Mul", "(2,)"),     # a = x * x
                                                ("(2,)", "Mul"), ("x", "Mul"), ("Mul", "(2,)"),  # b = a * x
                                                ("(2,)", "Add"), ("(2,)", "Add"), ("Add", "(2,)")])
    assert all(node["grad_norm"] is None for node in structure["nodes"])


def test_an_input_used_twice_is_one_node_with_two_edges():
    x = ad.Variable(np.ones(3), name="x")
    structure = ex.graph_structure(x + x)
    assert [node["label"] for node in structure["nodes"]] == ["(3,)", "Add", "x"]
    assert structure["edges"] == [(2, 1), (2, 1), (1, 0)]


def test_a_freed_output_of_a_function_is_left_out():
    class Halves(ad.Function):
        def forward(self, x):
            return x[: len(x) // 2], x[len(x) // 2:]

    first, second = Halves()(ad.Variable(np.arange(4.0)))
    assert len(ex.graph_structure(first)["nodes"]) == 4
    del second                                      # the function holds it weakly: it is gone
    assert labelled_edges(ex.graph_structure(first)) == [("(4,)", "Halves"), ("Halves", "(2,)")]


def test_a_leaf_alone_is_one_node():
    structure = ex.graph_structure(ad.Variable(2.0, name="c"))
    assert structure == {"nodes": [{"id": 0, "kind": "variable", "label": "c", "shape": (), "grad_norm": None}],
                         "edges": []}
    assert ex.draw_structure(structure).startswith(PNG)


def test_layers_are_the_longest_path_from_a_leaf_whatever_the_generations_say():
    y, x = diamond()
    structure = ex.graph_structure(y)
    function = y.creator
    for f in (function, function.inputs[0].creator, function.inputs[1].creator):
        f.generation = 0                            # a broken engine's generations do not move the picture
    layer = ex.layers(structure)
    label = by_label(structure)
    assert sorted((layer[node], label[node]) for node in layer) == [
        (0, "x"), (1, "Mul"), (2, "(2,)"), (3, "Mul"), (4, "(2,)"), (5, "Add"), (6, "(2,)")]


def test_the_layout_draws_a_leaf_beside_its_first_use_and_routes_long_edges_round_boxes():
    x, W, b = (ad.Variable(np.ones(shape), name=name) for shape, name in [((2, 3), "x"), ((3, 4), "W"), (4, "b")])
    structure = ex.graph_structure(ad.matmul(x, W) + b)
    place, routes = ex.layout(structure)
    named = {label: node for node, label in by_label(structure).items()}
    assert ex.layers(structure)[named["b"]] == 0 and place[named["b"]][0] == place[named["Add"]][0] - 1
    y, _ = diamond()
    place, routes = ex.layout(ex.graph_structure(y))
    boxes = set(place.values())
    assert sorted(len(route) for route in routes) == [2] * 7 + [4] * 2   # x -> a * x and a -> Add skip two layers
    assert all(point not in boxes for route in routes for point in route[1:-1])


# Gradients in the picture, and that drawing computes none

def test_gradient_norms_appear_after_backward():
    y, x = diamond()
    y.backward(retain_grad=True)
    structure = ex.graph_structure(y)
    norms = {node["label"]: node["grad_norm"] for node in structure["nodes"] if node["kind"] == "variable"}
    assert norms["x"] == pytest.approx(np.hypot(5, 16))
    assert all(node["grad_norm"] is not None for node in structure["nodes"] if node["kind"] == "variable")
    assert "|grad| 16.8" in ex.to_dot(structure)


def test_gradient_norm_reads_variables_and_arrays():
    assert ex.gradient_norm(None) is None
    assert ex.gradient_norm(np.array([3.0, 4.0])) == 5.0
    assert ex.gradient_norm(ad.Variable(np.array([[6.0, 8.0]]))) == 10.0


def test_drawing_and_reading_never_change_a_gradient():
    y, x = diamond()
    before = every_grad(y)
    ex.draw_graph(y, highlight=1)
    assert every_grad(y) == {key: (None, None) for key in before}
    y.backward(retain_grad=True)
    before = every_grad(y)
    for draw in (ex.graph_structure, ex.draw_graph, lambda out: ex.to_dot(ex.graph_structure(out))):
        draw(y)
        after = every_grad(y)
        assert all(after[key][0] is grad and np.array_equal(after[key][1], values)
                   for key, (grad, values) in before.items())


def test_pictures_are_png_and_show_gradients_and_the_highlight():
    y, x = diamond()
    plain, lit = ex.draw_graph(y), ex.draw_graph(y, highlight=1)
    y.backward(retain_grad=True)
    after = ex.draw_graph(y)
    assert all(picture.startswith(PNG) for picture in (plain, lit, after))
    assert len({plain, lit, after}) == 3


def test_graphviz_is_offered_only_where_dot_is_installed(monkeypatch):
    y, x = diamond()
    dot = ex.to_dot(ex.graph_structure(y), highlight=1)
    assert dot.startswith("digraph") and dot.count("->") == 9 and dot.count("[label=") == 7
    assert 'n1 [label="Add"' in dot and 'color="red"' in dot
    with pytest.raises(ValueError, match="matplotlib"):
        ex.draw_graph(y, engine="pydot")
    if ex.shutil.which("dot"):
        assert ex.draw_graph(y, engine="graphviz").startswith(PNG)
    monkeypatch.setattr(ex.shutil, "which", lambda program: None)
    with pytest.raises(RuntimeError, match='engine="matplotlib"'):
        ex.draw_graph(y, engine="graphviz")


# The stepper listens to the engine; it does not know the order itself

def test_the_stepper_records_the_functions_in_the_order_the_engine_ran_them():
    y, x = diamond()
    found, _, _ = ex._walk(y)
    engine_order = [found.index(f) for f in ad.newest_first(y)]
    recording = ex.record_backward(y, lambda out: out.backward(retain_grad=True))
    steps = recording["steps"]
    assert [step["function"] for step in steps] == [None] + engine_order
    assert steps[0]["grads"] == {0: pytest.approx(np.sqrt(2))}                  # the seed only
    assert steps[-1]["grads"][found.index(x)] == pytest.approx(np.hypot(5, 16))
    assert steps[-2]["grads"][found.index(x)] == pytest.approx(np.hypot(1, 4))  # a * x's part: x² = (1, 4)
    assert all(set(before["grads"]) <= set(after["grads"]) for before, after in zip(steps, steps[1:]))


def test_the_stepper_follows_any_order_an_engine_chooses():
    """An "engine" that calls the backward methods in an order of its own: the stepper shows that order."""
    y, x = diamond()
    found, _, _ = ex._walk(y)
    add = y.creator
    square, times = add.inputs[0].creator, add.inputs[1].creator
    chosen = [square, add, times, square]

    def odd_engine(output):
        for function in chosen:
            function.backward(ad.Variable(np.ones(2)))

    steps = ex.record_backward(y, odd_engine)["steps"]
    assert [step["function"] for step in steps[1:]] == [found.index(f) for f in chosen]


def test_backward_methods_are_restored_and_an_inherited_one_reported_once():
    class Times(ad.Mul):
        """Inherits Mul's backward."""

    x = ad.Variable(np.array([1.0, 2.0]))
    y = Times()(ad.mul(x, x), x)
    original = ad.Mul.__dict__["backward"]
    steps = ex.record_backward(y, lambda out: out.backward())["steps"]
    assert len(steps) == 3
    assert ad.Mul.__dict__["backward"] is original and "backward" not in Times.__dict__
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)


def test_backward_methods_are_restored_after_an_error():
    class Broken(ad.Function):
        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            raise RuntimeError("no rule yet")

    own = {cls: cls.__dict__.get("backward") for cls in (ad.Add, ad.Mul, Broken)}
    x = ad.Variable(np.array([1.0, 2.0]))
    y = Broken()(x * x) + x
    with pytest.raises(RuntimeError, match="no rule yet"):
        ex.record_backward(y, lambda out: out.backward())
    backward = Answer(lambda out: out.backward(), "backward", 3, returns=False)
    with pytest.raises(AnswerNeeded, match=r"Your backward \(Exercise 3\) raised RuntimeError: no rule yet"):
        ex.record_backward(y, backward)
    assert {cls: cls.__dict__.get("backward") for cls in own} == own


def test_each_step_is_drawn_with_its_function_highlighted():
    y, x = diamond()
    recording = ex.record_backward(y, lambda out: out.backward(retain_grad=True))
    assert all(node["grad_norm"] is None for node in recording["graph"]["nodes"])   # read before backward
    shown = ex.with_gradients(recording["graph"], recording["steps"][1]["grads"])
    assert [node["grad_norm"] is not None for node in shown["nodes"]] == [
        node["id"] in recording["steps"][1]["grads"] for node in shown["nodes"]]
    assert all(node["grad_norm"] is None for node in recording["graph"]["nodes"])   # a copy was changed
    pictures = [ex.draw_step(recording, k) for k in range(len(recording["steps"]))]
    assert all(picture.startswith(PNG) for picture in pictures) and len(set(pictures)) == 4


# The widgets

def test_the_graph_explorer_draws_then_runs_the_students_backward_on_a_fresh_graph():
    box = ex.graph_explorer(lambda: diamond()[0])
    before, note = picture_of(box)
    assert before.startswith(PNG) and not note
    run, clear = parts(box, ex.widgets.Button)
    run.click()
    once = picture_of(box)[0]
    run.click()
    assert once != before and picture_of(box)[0] == once   # not twice the gradients
    clear.click()
    assert picture_of(box)[0] == before


def test_the_stepper_widget_steps_through_every_function():
    box = ex.backward_stepper(lambda: diamond()[0])
    step, = parts(box, ex.widgets.IntSlider)
    assert step.continuous_update is False and (step.min, step.max) == (0, 3)
    first = picture_of(box)[0]
    step.value = 2
    assert picture_of(box)[0] != first and picture_of(box)[0].startswith(PNG)


class Unfinished(ad.Variable):
    """A student's Variable whose backward is still the stub."""

    __slots__ = ()

    def backward(self, retain_grad=False):
        raise NotImplementedError


@pytest.mark.parametrize("make_output, message", [
    (None, "backward is missing: answer Exercise 3"),
    (lambda: Unfinished(1.0) * 2, None),           # an ordinary output: its backward works
    (lambda: ad.add(Unfinished(1.0), 2).creator.inputs[0], "Answer Exercise 3 (backward) first"),
    (lambda: 1 / 0, "Your backward (Exercise 3) raised ZeroDivisionError"),
    (lambda: 3.0, "the expression returned float, not a Variable"),
])
def test_a_missing_or_broken_engine_is_one_sentence(make_output, message):
    for make in (ex.graph_explorer, ex.backward_stepper):
        box = make(make_output)
        if make is ex.graph_explorer:
            parts(box, ex.widgets.Button)[0].click()
        image, note = picture_of(box)
        if message is None:
            assert image.startswith(PNG) and not note
        else:
            assert message in note and parts(box, ex.widgets.Image)[0].layout.display == "none", make.__name__


def test_the_exercise_number_is_the_notebooks():
    box = ex.backward_stepper(None, exercise=5)
    assert "answer Exercise 5" in picture_of(box)[1]
    box = ex.graph_explorer(lambda: np.ones(2), exercise=4)
    assert "Your backward (Exercise 4) could not be shown: the expression returned ndarray" in picture_of(box)[1]


def test_retain_grad_is_asked_for_only_where_backward_takes_it():
    y, x = diamond()
    assert ex._backward_options(y) == {"retain_grad": True}
    assert ex._backward_options(Unfinished(1.0)) == {"retain_grad": True}

    class Plain:
        def backward(self):
            pass

    assert ex._backward_options(Plain()) == {}
