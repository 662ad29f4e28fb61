"""The stand-ins of notebook 06's hidden tests: right where they compute, and installable in a kernel.

A stand-in with a wrong backward would still judge consistently (the
reference runs with the same one), but the formulas a student meets in a
failure message should be true, so each backward is checked numerically.
"""
import ast
import inspect

import numpy as np
import pytest

from autograder.judge import LocalBackend, install, use_backend
from autograder.reference import building_blocks as ref
from autograder.stand_ins import building_blocks as stand_ins

from reference.gradients import numerical_gradient


def test_the_module_can_be_installed_from_its_source_alone():
    tree = ast.parse(inspect.getsource(stand_ins))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"numpy"}, imported
    with use_backend(LocalBackend({})):
        installed = install(stand_ins)
        nudge = installed.Nudge()
        assert nudge.type_name == "Nudge" and nudge.steps == 0


@pytest.mark.parametrize("kind", ["Cube", "RowSum", "SineMix"])
def test_operation_stand_ins_have_true_gradients(kind):
    rng = np.random.default_rng(1)
    ops = stand_ins.operation_subclasses(ref.Operation, ref.ParamOperation)
    x = rng.normal(size=(4, 3))
    op = ops[kind](rng.normal(size=(3, 2))) if kind == "SineMix" else ops[kind]()
    G = rng.normal(size=op.forward(x).shape)
    op.backward(G)
    assert np.allclose(op.input_grad, numerical_gradient(lambda: np.sum(G * op.forward(x)), x), atol=1e-7)
    if kind == "SineMix":
        op.forward(x)
        op.backward(G)
        assert np.allclose(op.param_grad, numerical_gradient(lambda: np.sum(G * op.forward(x)), op.param), atol=1e-7)


def test_the_layer_stand_in_has_true_gradients_and_sets_up_afresh():
    rng = np.random.default_rng(2)
    layer = stand_ins.layer_class(ref.Layer, ref.Operation, ref.ParamOperation)(3)
    layer.seed = 7
    x, G = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    first = layer.forward(x).copy()
    input_grad = layer.backward(G)
    assert np.allclose(input_grad, numerical_gradient(lambda: np.sum(G * layer.forward(x)), x), atol=1e-7)
    for param, grad in zip(layer.params, layer.param_grads):
        assert np.allclose(grad, numerical_gradient(lambda: np.sum(G * layer.forward(x)), param), atol=1e-7)
    assert not np.allclose(layer.forward(x, inference=True), first)   # inference shows in the output
    layer.first = True
    assert not np.allclose(layer.forward(x), first)                   # a second set-up draws anew


def test_the_network_stand_ins_have_true_gradients():
    rng = np.random.default_rng(3)
    Layer, Loss = stand_ins.network_parts(ref.Layer)
    net = ref.NeuralNetwork([Layer(4), Layer(2, sine=False)], Loss(), seed=5)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    net.train_batch(x, y)
    for param, grad in zip(list(net.params()), list(net.param_grads())):
        expected = numerical_gradient(lambda: net.loss.forward(net.forward(x), y), param)
        assert np.allclose(grad, expected, atol=1e-6)


def test_no_stand_in_does_an_exercise_job():
    """The optimiser is no SGD, the loss no mean squared error, the validator no early stopping."""
    rng = np.random.default_rng(4)
    params, grads = [rng.normal(size=(2, 2))], [rng.normal(size=(2, 2))]
    holder = stand_ins.ParameterHolder([p.copy() for p in params], grads)
    nudge = stand_ins.Nudge()
    nudge.net = holder
    nudge.step()
    assert np.allclose(holder.arrays[0], params[0] + 0.01)    # moved by a fixed amount, not by a gradient
    _, Loss = stand_ins.network_parts(ref.Layer)
    p, y = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    assert not np.isclose(Loss().forward(p, y), ref.MeanSquaredError().forward(p, y))
    validator = stand_ins.ScriptedValidator([False, True])
    assert [validator(None, np.zeros(1), epoch) for epoch in (1, 2, 3)] == [False, True, True]
