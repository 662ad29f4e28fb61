"""The neuron's computational graph (notebook 02): every value on it is the student's, and wrong answers are named."""
import numpy as np
import pytest

from autograder.reference.chain_rule import neuron_backward, neuron_forward
from autograder.reference.derivatives import sigmoid, sigmoid_deriv
from dlscratch.explore import neuron_graph as ng
from dlscratch.explore.answers import Answer, AnswerNeeded
from autograder.published.gradcheck import numerical_derivative

PNG = b"\x89PNG\r\n\x1a\n"
FORWARD, BACKWARD = Answer(neuron_forward, "neuron_forward", 5), Answer(neuron_backward, "neuron_backward", 6)


@pytest.mark.parametrize("x, w, b, y", [(1.5, 0.8, -0.5, 1.0), (-2.0, 0.3, 1.2, 0.0), (0.4, -1.7, 0.0, 0.6)])
def test_every_gradient_on_the_graph_is_the_loss_measured_numerically(x, w, b, y):
    flow = ng.flows(FORWARD, BACKWARD, sigmoid_deriv, x, w, b, y)
    loss = {"x": lambda v: (sigmoid(w * v + b) - y) ** 2, "w": lambda v: (sigmoid(v * x + b) - y) ** 2,
            "b": lambda v: (sigmoid(w * x + v) - y) ** 2, "z": lambda v: (sigmoid(v) - y) ** 2,
            "w x": lambda v: (sigmoid(v + b) - y) ** 2, "a": lambda v: (v - y) ** 2}
    for name, of in loss.items():
        value, grad = flow[name]
        assert grad == pytest.approx(numerical_derivative(of, value), rel=1e-6, abs=1e-9), name
    assert flow["L"][0] == pytest.approx((sigmoid(w * x + b) - y) ** 2) and flow["y"] == (y, None)


@pytest.mark.parametrize("forward, backward, message", [
    (lambda x, w, b, y: (w * x + b,), neuron_backward, r"Your neuron_forward \(Exercise 5\) did not return a dictionary"),
    (neuron_forward, lambda x, w, b, y: {"dw": 0.0, "db": 0.0}, r"Your neuron_backward \(Exercise 6\) did not return"),
    (neuron_forward, lambda x, w, b, y: {"dw": np.ones(3), "db": 0.0, "dx": x},
     r"Your neuron_backward \(Exercise 6\) returned dw of shape \(3,\)"),
    (neuron_forward, None, r"neuron_backward is missing: answer Exercise 6"),
])
def test_a_wrong_or_missing_answer_is_named(forward, backward, message):
    with pytest.raises(AnswerNeeded, match=message):
        ng.flows(Answer(forward, "neuron_forward", 5), Answer(backward, "neuron_backward", 6), sigmoid_deriv,
                 1.0, 0.5, 0.0, 1.0)


def test_widget_redraws_when_a_slider_moves():
    box = ng.neuron_graph_explorer(neuron_forward, neuron_backward, sigmoid_deriv)
    controls, picture = box.children[0].children, box.children[1].children[1]
    seen = [bytes(picture.value)]
    for control, value in zip(controls, (-1.0, 2.0, 0.7, 0.2)):
        control.value = value
        seen.append(bytes(picture.value))
        assert seen[-1].startswith(PNG) and seen[-1] != seen[-2]
