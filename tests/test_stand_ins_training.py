"""The stand-ins of notebook 07's hidden tests: installable in a kernel, doing what they say, and no exercise's answer."""
import ast
import inspect

import numpy as np

from autograder.judge import LocalBackend, install, use_backend
from autograder.published.framework import Operation
from autograder.published.gradcheck import numerical_gradient
from autograder.reference import training as ref
from autograder.stand_ins import training as stand_ins


def test_the_module_can_be_installed_from_its_source_alone():
    tree = ast.parse(inspect.getsource(stand_ins))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"numpy"}, imported
    with use_backend(LocalBackend({})):
        table = install(stand_ins).ScoreTable([0.1], [8, 16], [[0.5, 0.7]])
        assert table(0.1, 16) == 0.7 and [list(call) for call in table.calls] == [[0.1, 16]]   # tuples cross as lists


def test_the_recording_rule_is_not_momentum_and_sees_what_step_hands_it():
    class Net:
        def __init__(self):
            self.W, self.grad = np.array([1.0, 2.0]), np.array([0.5, -0.5])

        def params(self):
            yield self.W

        def param_grads(self):
            yield self.grad

    optim = stand_ins.with_recording_rule(ref.SGDMomentum)(0.1, momentum=0.9, weight_decay=0.5)
    optim.net = Net()
    optim.step()
    grad, velocity, rate = optim.given[0]
    np.testing.assert_allclose(grad, [0.5 + 0.5, -0.5 + 1.0])     # the weight decay is added before the rule
    np.testing.assert_array_equal(velocity, [0.0, 0.0])            # zeros, made on the first step
    assert rate == 0.1
    momentum = np.array([1.0, 2.0])
    ref.momentum_update(momentum, grad, np.zeros(2), 0.1, 0.9)
    assert not np.allclose(optim.net.W, momentum)                  # a stand-in, not the answer


def test_the_slanted_tanh_is_five_percent_too_steep():
    rng = np.random.default_rng(0)
    x, G = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    op = stand_ins.slanted_tanh(Operation)()
    op.forward(x)
    numeric = numerical_gradient(lambda x_: float(np.sum(G * np.tanh(x_))), x)
    np.testing.assert_allclose(op.backward(G), 1.05 * numeric, rtol=1e-6)


def test_the_score_table_looks_scores_up_and_notes_every_call():
    table = stand_ins.ScoreTable([0.01, 0.1], [32, 64, 128], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert table(0.1, 32) == 4.0 and table(0.01, 128) == 3.0
    assert table.calls == [(0.1, 32), (0.01, 128)]


def test_the_marked_dropout_runs_the_operations_own_methods_with_the_marked_functions():
    def refuse(*args, **kwargs):
        raise AssertionError("the notebook's own dropout functions must not be called")

    scope = {"np": np, "Operation": Operation, "dropout_forward": refuse, "dropout_backward": refuse}
    exec("""
class Dropout(Operation):
    def __init__(self, keep_prob, rng=None):
        self.keep_prob, self.rng, self.mask = keep_prob, np.random.default_rng(rng), None

    def _output(self, inference):
        assert isinstance(self, __class__)      # a method with a closure (the class cell) is rebuilt too
        self.inference = inference
        output, mask = dropout_forward(self.input_, self.keep_prob, self.rng, inference)
        self.mask = self.mask if inference else mask
        return output

    def _input_grad(self, output_grad):
        return dropout_backward(output_grad, self.mask, self.keep_prob, self.inference)
""", scope)
    x, G = np.full((6, 50), 2.0), np.ones((6, 50))
    drop = stand_ins.with_marked_dropout(scope["Dropout"])(0.5, rng=7)
    mask = (np.random.default_rng(7).random(x.shape) < 0.5).astype(float)
    np.testing.assert_array_equal(drop.forward(x), 2.0 * x * mask)      # marked: not dropout's answer
    np.testing.assert_array_equal(drop.backward(G), 5.0 * G * mask)
    np.testing.assert_array_equal(drop.forward(x, inference=True), 3.0 * 0.5 * x)
    np.testing.assert_array_equal(drop.backward(G), 7.0 * 0.5 * G)
    assert isinstance(drop, scope["Dropout"]) and type(drop).__name__ == "Dropout"
