"""The softmax explorer (notebook 07): it shows the student's softmax, loss and gradient, and says what is wrong."""
import numpy as np
import pytest

from autograder.reference.training import softmax
from autograder.reference.training import softmax_cross_entropy as loss
from autograder.reference.training import softmax_cross_entropy_grad as grad
from dlscratch.explore import softmax as sx
from dlscratch.explore.answers import Answer, AnswerNeeded

PNG = b"\x89PNG\r\n\x1a\n"


def answers(softmax_=softmax, loss_=loss, grad_=grad):
    return (Answer(softmax_, "softmax", 2), Answer(loss_, "softmax_cross_entropy", 3),
            Answer(grad_, "softmax_cross_entropy_grad", 4))


def test_one_example_is_what_the_students_functions_give():
    p, value, g = sx.one_example(*answers(), [2.0, 1.0, -1.0], 1)
    expected = np.exp([2.0, 1.0, -1.0]) / np.exp([2.0, 1.0, -1.0]).sum()
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    assert value == pytest.approx(-np.log(expected[1]))
    np.testing.assert_allclose(g, expected - [0, 1, 0], rtol=1e-12)


@pytest.mark.parametrize("which, wrong, message", [
    (0, lambda x, axis=1: np.exp(x), r"Your softmax \(Exercise 2\) returned probabilities that add up to"),
    (0, lambda x, axis=1: np.exp(x - x.max()) / np.exp(x - x.max()).sum(axis=0), r"softmax \(Exercise 2\)"),
    (1, lambda prediction, target: np.ones(3), r"Your softmax_cross_entropy \(Exercise 3\) returned array"),
    (2, lambda prediction, target: softmax(prediction)[0], r"Your softmax_cross_entropy_grad \(Exercise 4\) returned a gradient of shape \(3,\)"),
    (2, None, r"softmax_cross_entropy_grad is missing: answer Exercise 4"),
])
def test_a_wrong_or_missing_answer_is_named(which, wrong, message):
    chosen = list(answers())
    chosen[which] = Answer(wrong, chosen[which].name, chosen[which].exercise)
    with pytest.raises(AnswerNeeded, match=message):
        sx.one_example(*chosen, [0.5, 0.0, -0.5], 0)


def test_an_unanswered_exercise_is_named_in_the_widget():
    def unanswered(x, axis=1):
        raise NotImplementedError()

    box = sx.softmax_explorer(unanswered, loss, grad)
    note = box.children[2].children[0]
    assert "Answer Exercise 2 (softmax) first" in note.value


def test_widget_redraws_when_a_logit_or_the_class_changes():
    box = sx.softmax_explorer(softmax, loss, grad)
    scores, true_class, picture = box.children[0].children, box.children[1], box.children[2].children[1]
    seen = [bytes(picture.value)]
    for control, value in ((scores[0], -2.0), (scores[1], 4.0), (scores[2], 0.3), (true_class, 2)):
        control.value = value
        seen.append(bytes(picture.value))
        assert seen[-1].startswith(PNG) and seen[-1] != seen[-2]
