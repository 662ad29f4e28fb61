"""The explorers of notebook 03, given right and wrong answers, and that their widgets redraw."""
import itertools

import numpy as np
import pytest

from autograder.reference import tensors as ref
from dlscratch.explore import tensors
from dlscratch.explore.answers import Answer, AnswerNeeded

PNG = b"\x89PNG\r\n\x1a\n"
SHAPES = [tensors.parse_shape(text) for text in tensors.SHAPES] + [(2, 3, 1), (5, 1, 4)]
RULE = Answer(ref.broadcast_shape, "broadcast_shape", 2, raises=(ValueError,))
FORWARD = Answer(ref.sigmoid_sum_forward, "sigmoid_sum_forward", 5)
BACKWARD = Answer(ref.sigmoid_sum_backward, "sigmoid_sum_backward", 6)


def test_parse_shape():
    assert tensors.parse_shape("()") == ()
    assert tensors.parse_shape("(4,)") == (4,)
    assert tensors.parse_shape("(3, 1)") == (3, 1)


@pytest.mark.parametrize("a, b", list(itertools.product(SHAPES, repeat=2)))
def test_the_students_rule_is_read_as_it_answers(a, b):
    result, clash = tensors.rule_result(RULE, a, b)
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        assert result is None and "cannot be broadcast" in clash and tensors.numpy_result(a, b) is None
        return
    assert result == expected == tensors.numpy_result(a, b) and clash is None


def test_a_rule_that_returns_no_shape_is_named():
    with pytest.raises(AnswerNeeded, match=r"returned 'wide', not a tuple of sizes"):
        tensors.rule_result(Answer(lambda a, b: "wide", "broadcast_shape", 2), (3,), (3,))
    as_a_list = Answer(lambda a, b: [3, np.int64(4)], "broadcast_shape", 2)
    assert tensors.rule_result(as_a_list, (3, 1), (4,)) == ((3, 4), None)


def test_shapes_are_written_aligned_on_the_right():
    assert tensors.right_aligned((3, 4), (3,)) == ["   3   4", "       3"]
    assert tensors.right_aligned((), (2, 3, 1)) == ["            ", "   2   3   1"]


def test_the_picture_follows_the_students_rule():
    right = tensors.draw_broadcast(RULE, (3, 1), (1, 4))
    wrong = tensors.draw_broadcast(Answer(lambda a, b: a, "broadcast_shape", 2, raises=(ValueError,)), (3, 1), (1, 4))
    same_answer = tensors.draw_broadcast(Answer(lambda a, b: (3, 4), "broadcast_shape", 2), (3, 1), (1, 4))
    clash = tensors.draw_broadcast(RULE, (3, 4), (3,))
    assert all(p.startswith(PNG) for p in (right, wrong, clash))
    assert right == same_answer and len({right, wrong, clash}) == 3


def test_bump_of_w_moves_one_column_of_n_by_a_column_of_x():
    X, W = tensors.example_inputs()
    for row, col in [(0, 1), (2, 3), (1, 0)]:
        change = tensors.bump(FORWARD, BACKWARD, X, W, "W", row, col, 0.3)
        expected = np.zeros((X.shape[0], W.shape[1]))
        expected[:, col] = 0.3 * X[:, row]
        np.testing.assert_allclose(change["dN"], expected, atol=1e-12)
        assert np.all(change["dS"][:, np.arange(W.shape[1]) != col] == 0)


def test_bump_of_x_moves_one_row_of_n_by_a_row_of_w():
    X, W = tensors.example_inputs()
    change = tensors.bump(FORWARD, BACKWARD, X, W, "X", 3, 2, -0.2)
    expected = np.zeros((X.shape[0], W.shape[1]))
    expected[3] = -0.2 * W[2]
    np.testing.assert_allclose(change["dN"], expected, atol=1e-12)
    np.testing.assert_array_equal(X, tensors.example_inputs()[0])   # the bump was made on a copy


@pytest.mark.parametrize("which", ["X", "W"])
def test_small_bumps_change_the_loss_as_a_right_gradient_predicts(which):
    X, W = tensors.example_inputs()
    rows, cols = (X if which == "X" else W).shape
    for row, col in itertools.product(range(rows), range(cols)):
        change = tensors.bump(FORWARD, BACKWARD, X, W, which, row, col, 1e-6)
        assert change["dL"] == pytest.approx(change["predicted"], rel=1e-3, abs=1e-12)


def test_a_wrong_gradient_shows_as_a_wrong_prediction():
    """Forgetting the sigmoid's derivative: the change of L and the prediction part."""
    def forgot_sigmoid(X, W):
        ones = np.ones((X.shape[0], W.shape[1]))
        return ones @ W.T, X.T @ ones

    X, W = tensors.example_inputs()
    change = tensors.bump(FORWARD, Answer(forgot_sigmoid, "sigmoid_sum_backward", 6), X, W, "W", 0, 1, 1e-6)
    assert abs(change["predicted"]) > 2 * abs(change["dL"])


@pytest.mark.parametrize("forward, message", [
    (lambda X, W: X @ W, 'did not return a dict with the keys "N", "S" and "L"'),
    (lambda X, W: {"N": X @ W, "S": X @ W, "L": X @ W}, "L of shape (5, 4) (expected one number)"),
])
def test_a_forward_pass_of_the_wrong_kind_is_named(forward, message):
    X, W = tensors.example_inputs()
    with pytest.raises(AnswerNeeded) as caught:
        tensors.bump(Answer(forward, "sigmoid_sum_forward", 5), BACKWARD, X, W, "W", 0, 0, 0.1)
    assert str(caught.value).startswith("Your sigmoid_sum_forward (Exercise 5) ") and message in str(caught.value)


def test_gradients_of_the_wrong_shape_are_named():
    X, W = tensors.example_inputs()
    transposed = Answer(lambda X, W: tuple(g.T for g in ref.sigmoid_sum_backward(X, W)), "sigmoid_sum_backward", 6)
    with pytest.raises(AnswerNeeded, match=r"gradients of shapes \(3, 5\) and \(4, 3\), not \(5, 3\) and \(3, 4\)"):
        tensors.gradients(transposed, X, W)


def test_pictures_are_png_and_change_with_the_controls():
    c, d = tensors.draw_bump(FORWARD, BACKWARD, "W", 0, 1, 0.1), tensors.draw_bump(FORWARD, BACKWARD, "X", 0, 1, 0.1)
    assert c.startswith(PNG) and c != d


def test_widgets_redraw_when_a_control_moves():
    box = tensors.broadcast_explorer(ref.broadcast_shape)
    (first, second), picture = box.children[0].children, box.children[1].children[1]
    before = bytes(picture.value)
    second.value = "(3,)"
    assert bytes(picture.value) != before and bytes(picture.value).startswith(PNG)

    box = tensors.bump_explorer(ref.sigmoid_sum_forward, ref.sigmoid_sum_backward)
    (choose, step), (row, col) = box.children[0].children, box.children[1].children
    picture = box.children[2].children[1]
    before = bytes(picture.value)
    col.value = 3
    assert bytes(picture.value) != before
    choose.value = "X"                      # X is 5 x 3: the column slider must shrink to fit
    assert col.max == 2 and col.value == 2 and row.max == 4
    before = bytes(picture.value)
    step.value = 0.01
    assert bytes(picture.value) != before


def test_explorers_wait_for_the_exercises():
    def not_yet(*args):
        raise NotImplementedError()

    note = tensors.broadcast_explorer(not_yet).children[1].children[0]
    assert "Answer Exercise 2 (broadcast_shape) first" in note.value
    note = tensors.bump_explorer(ref.sigmoid_sum_forward, not_yet).children[2].children[0]
    assert "Answer Exercise 6 (sigmoid_sum_backward) first" in note.value
