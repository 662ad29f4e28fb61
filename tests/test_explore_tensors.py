"""The maths behind notebook 03's explorers, and that their widgets redraw when a control moves."""
import itertools

import numpy as np
import pytest

from dlscratch.explore import tensors

PNG = b"\x89PNG\r\n\x1a\n"
SHAPES = [tensors.parse_shape(text) for text in tensors.SHAPES] + [(2, 3, 1), (5, 1, 4)]


def test_parse_shape():
    assert tensors.parse_shape("()") == ()
    assert tensors.parse_shape("(4,)") == (4,)
    assert tensors.parse_shape("(3, 1)") == (3, 1)


@pytest.mark.parametrize("a, b", list(itertools.product(SHAPES, repeat=2)))
def test_broadcast_plan_agrees_with_numpy(a, b):
    plan = tensors.broadcast_plan(a, b)
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        assert plan["result"] is None and plan["clash"] is not None
        assert 1 not in (plan["padded_a"][plan["clash"]], plan["padded_b"][plan["clash"]])
        return
    assert plan["result"] == expected and plan["clash"] is None
    for axis in range(len(expected)):   # stretched axes are exactly those where the operand's size is 1
        assert (axis in plan["stretched_a"]) == (plan["padded_a"][axis] == 1 and expected[axis] > 1)
        assert (axis in plan["stretched_b"]) == (plan["padded_b"][axis] == 1 and expected[axis] > 1)


def test_bump_of_w_moves_one_column_of_n_by_a_column_of_x():
    X, W = tensors.example_inputs()
    for row, col in [(0, 1), (2, 3), (1, 0)]:
        change = tensors.bump(X, W, "W", row, col, 0.3)
        expected = np.zeros((X.shape[0], W.shape[1]))
        expected[:, col] = 0.3 * X[:, row]
        np.testing.assert_allclose(change["dN"], expected, atol=1e-12)
        assert np.all(change["dS"][:, np.arange(W.shape[1]) != col] == 0)


def test_bump_of_x_moves_one_row_of_n_by_a_row_of_w():
    X, W = tensors.example_inputs()
    change = tensors.bump(X, W, "X", 3, 2, -0.2)
    expected = np.zeros((X.shape[0], W.shape[1]))
    expected[3] = -0.2 * W[2]
    np.testing.assert_allclose(change["dN"], expected, atol=1e-12)


@pytest.mark.parametrize("which", ["X", "W"])
def test_small_bumps_change_the_loss_as_the_gradient_predicts(which):
    X, W = tensors.example_inputs()
    rows, cols = (X if which == "X" else W).shape
    for row, col in itertools.product(range(rows), range(cols)):
        change = tensors.bump(X, W, which, row, col, 1e-6)
        assert change["dL"] == pytest.approx(change["predicted"], rel=1e-3, abs=1e-12)


def test_gradients_match_a_numerical_gradient():
    X, W = tensors.example_inputs()
    dX, dW = tensors.sigmoid_sum_gradients(X, W)
    loss = lambda X_, W_: np.sum(1 / (1 + np.exp(-(X_ @ W_))))
    for row, col in np.ndindex(W.shape):
        up, down = W.copy(), W.copy()
        up[row, col] += 1e-5
        down[row, col] -= 1e-5
        assert dW[row, col] == pytest.approx((loss(X, up) - loss(X, down)) / 2e-5, rel=1e-6, abs=1e-10)
    up, down = X.copy(), X.copy()
    up[1, 2] += 1e-5
    down[1, 2] -= 1e-5
    assert dX[1, 2] == pytest.approx((loss(up, W) - loss(down, W)) / 2e-5, rel=1e-6)


def test_pictures_are_png_and_change_with_the_controls():
    a, b = tensors.draw_broadcast((3, 1), (1, 4)), tensors.draw_broadcast((3, 4), (4,))
    clash = tensors.draw_broadcast((3, 4), (3,))
    assert a.startswith(PNG) and b.startswith(PNG) and clash.startswith(PNG) and len({a, b, clash}) == 3
    c, d = tensors.draw_bump("W", 0, 1, 0.1), tensors.draw_bump("X", 0, 1, 0.1)
    assert c.startswith(PNG) and c != d


def test_widgets_redraw_when_a_control_moves():
    box = tensors.broadcast_explorer()
    (first, second), picture = box.children[0].children, box.children[1]
    before = bytes(picture.value)
    second.value = "(3,)"
    assert bytes(picture.value) != before and bytes(picture.value).startswith(PNG)

    box = tensors.bump_explorer()
    (choose, step), (row, col), picture = box.children[0].children, box.children[1].children, box.children[2]
    before = bytes(picture.value)
    col.value = 3
    assert bytes(picture.value) != before
    choose.value = "X"                      # X is 5 x 3: the column slider must shrink to fit
    assert col.max == 2 and col.value == 2 and row.max == 4
    before = bytes(picture.value)
    step.value = 0.01
    assert bytes(picture.value) != before
