"""The stand-ins of notebook 08's hidden tests: true gradients, installable in a kernel, and no exercise's answer."""
import ast
import inspect

import numpy as np
import pytest

from autograder.judge import LocalBackend, install, use_backend
from autograder.reference import autodiff as ref
from autograder.stand_ins import autodiff as stand_ins
from autograder.published.gradcheck import numerical_gradient

KINDS = stand_ins.functions(ref.Function, ref.Variable)


def test_the_module_can_be_installed_from_its_source_alone():
    tree = ast.parse(inspect.getsource(stand_ins))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"numpy"}, imported
    namespace = {"Function": ref.Function, "Variable": ref.Variable}
    with use_backend(LocalBackend(namespace)):
        installed = install(stand_ins)
        assert installed.same(1, 1) is True


@pytest.mark.parametrize("kind", ["Sine", "Mix", "CosProduct", "SinCos", "Twice"])
def test_every_stand_in_has_true_gradients(kind):
    """The gradient of sum(G * outputs) for each input, against central differences."""
    rng = np.random.default_rng(1)
    arity = stand_ins.ARITY[kind]
    arrays = [rng.normal(size=(3, 2)) for _ in range(arity)]
    variables = [ref.Variable(a.copy()) for a in arrays]
    outputs = KINDS[kind]()(*variables)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    weights = [rng.normal(size=(3, 2)) for _ in outputs]
    total = sum(ref.sum(y * G) for y, G in zip(outputs, weights))
    total.backward()
    for i, array in enumerate(arrays):
        def loss(bumped, i=i):
            inputs = [bumped if j == i else a for j, a in enumerate(arrays)]
            ys = KINDS[kind]().forward(*inputs)
            ys = ys if isinstance(ys, tuple) else (ys,)
            return float(sum(np.sum(y * G) for y, G in zip(ys, weights)))

        np.testing.assert_allclose(variables[i].grad.data, numerical_gradient(loss, array), rtol=1e-6, atol=1e-8)


def test_an_unused_output_passes_none_and_mix_hands_on_the_gradient_object_itself():
    x = ref.Variable(np.array([0.3, -1.2]))
    sine, _ = KINDS["SinCos"]()(x)
    sine.backward()
    np.testing.assert_allclose(x.grad.data, np.cos(x.data))
    mix = KINDS["Mix"]()
    y = mix(ref.Variable(np.ones(2)), ref.Variable(np.ones(2)))
    gy = ref.Variable(np.ones(2))
    assert mix.backward(gy)[0] is gy


def test_twice_records_its_backward_only_with_create_graph():
    for create_graph in (False, True):
        x = ref.Variable(np.array(1.5))
        KINDS["Twice"]()(KINDS["Twice"]()(x)).backward(create_graph=create_graph)
        assert float(x.grad.data) == 4.0
        assert (x.grad.creator is not None) == create_graph


def test_recipes_replay_to_the_same_graph_and_are_seeded():
    steps = stand_ins.recipe(7, 2, 20)
    assert steps == stand_ins.recipe(7, 2, 20) != stand_ins.recipe(8, 2, 20)
    leaves = [np.full((2,), 0.5), np.full((2,), -0.25)]
    first = stand_ins.build_graph(ref.Function, ref.Variable, leaves, steps)
    second = stand_ins.build_graph(ref.Function, ref.Variable, leaves, steps)
    assert len(first) == 2 + sum(2 if kind == "SinCos" else 1 for kind, _ in steps)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(first, second))
    first[-1].backward()
    grads = stand_ins.gradients(first)
    assert any(g is not None for g in grads[:2]) and all(g is None for g in grads[2:])  # released


def test_the_context_helpers_report_what_happened():
    assert stand_ins.raise_within(ref.no_grad()) is True
    assert ref.Config.enable_backprop is True
    assert stand_ins.nested_states(ref.no_grad, ref.Config) == (False, False, True)
    y = stand_ins.within(ref.no_grad(), KINDS["Sine"](), ref.Variable(np.array(1.0)))
    assert y.creator is None


def test_no_stand_in_is_an_exercise_answer():
    """Their formulas are none of the notebook's functions: sin, x0 + 2 x1, x0 cos x1, (sin, cos), 2x."""
    x0, x1 = np.array([0.7, -0.4]), np.array([1.3, 0.2])
    for kind, arity in stand_ins.ARITY.items():
        out = KINDS[kind]().forward(*(x0, x1)[:arity])
        out = out if isinstance(out, tuple) else (out,)
        for name in ("add", "mul", "sub", "div", "neg", "exp", "log", "tanh", "sigmoid", "relu"):
            function = getattr(ref, name)
            args = [ref.Variable(a) for a in (x0, np.abs(x1))[:2 if name in ("add", "mul", "sub", "div") else 1]]
            if name == "log":
                args = [ref.Variable(np.abs(x0))]
            expected = function(*args).data
            assert not any(np.allclose(o, expected) for o in out), (kind, name)
