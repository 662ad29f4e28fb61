"""The plain float64 convolution reference: hand-checked cases, independent versions that must
agree, numerical gradients, the max-pooling tie rule and the argument errors."""

import numpy as np
import pytest

from autograder.reference import convolution as cv

from .gradients import numerical_gradient

# (x shape, w shape, stride, padding): the odd cases the issue names, plus non-square kernels
CONV2D_CASES = [
    ((2, 3, 5, 6), (4, 3, 3, 3), 1, 1),          # several images, channels, non-square input
    ((1, 1, 4, 4), (1, 1, 1, 1), 1, 0),          # 1x1 kernel, single image, one channel
    ((2, 2, 5, 5), (3, 2, 1, 1), 2, 1),          # 1x1 kernel, stride 2 with padding
    ((1, 2, 7, 5), (2, 2, 3, 3), 2, 1),          # stride 2 with padding, non-square input
    ((2, 1, 6, 4), (2, 1, 2, 3), (2, 1), (0, 1)),  # non-square kernel, per-axis stride/padding
    ((1, 3, 4, 4), (2, 3, 4, 4), 1, 0),          # kernel as large as the input: 1x1 output
    ((1, 1, 3, 3), (1, 1, 3, 3), 1, 2),          # padding wider than a kernel's reach
]


def random_arrays(rng, *shapes):
    return [rng.standard_normal(shape) for shape in shapes]


# ---------------------------------------------------------------------------------------------
# Values checked by hand
# ---------------------------------------------------------------------------------------------

def test_conv2d_box_filter_by_hand():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 2, 2))
    y = cv.conv2d_forward(x, w, np.array([0.5]), stride=2)
    # windows [[0,1],[4,5]], [[2,3],[6,7]], [[8,9],[12,13]], [[10,11],[14,15]]
    np.testing.assert_array_equal(y, [[[[10.5, 18.5], [42.5, 50.5]]]])


def test_conv2d_is_cross_correlation_not_convolution():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0                       # an impulse in the middle
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    y = cv.conv2d_forward(x, w, np.zeros(1), padding=1)
    # correlating an impulse gives the kernel flipped in both axes
    np.testing.assert_array_equal(y[0, 0], w[0, 0, ::-1, ::-1])


def test_conv2d_zero_padding_by_hand():
    x = np.ones((1, 1, 2, 2))
    y = cv.conv2d_forward(x, np.ones((1, 1, 3, 3)), np.zeros(1), padding=1)
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), 4.0))   # each window sees 4 ones


def test_conv1d_by_hand():
    x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    w = np.array([[[1.0, 0.0, -1.0]]])
    y = cv.conv1d_forward(x, w, np.array([10.0]), stride=2, padding=1)
    # padded [0,1,2,3,4,5,0]; windows at 0, 2, 4: 0-2, 2-4, 4-0
    np.testing.assert_array_equal(y, [[[8.0, 8.0, 14.0]]])


def test_maxpool_by_hand():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0],
                    [3.0, 4.0, 7.0, 1.0],
                    [0.0, 0.0, -1.0, -2.0],
                    [9.0, 0.0, -3.0, -4.0]]]])
    np.testing.assert_array_equal(cv.maxpool2d_forward(x, 2), [[[[5.0, 7.0], [9.0, -1.0]]]])
    dx = cv.maxpool2d_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), x, 2)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 0, 1], expected[0, 0, 1, 2], expected[0, 0, 3, 0], expected[0, 0, 2, 2] = 1, 2, 3, 4
    np.testing.assert_array_equal(dx, expected)


def test_im2col_rows_are_patches_in_c_i_j_order():
    x = np.arange(2 * 3 * 3.0).reshape(1, 2, 3, 3)
    cols = cv.im2col(x, 2, 2)
    assert cols.shape == (4, 8)
    # row for output (0, 1): channel 0 window then channel 1 window, each row-major
    np.testing.assert_array_equal(cols[1], [1, 2, 4, 5, 10, 11, 13, 14])


# ---------------------------------------------------------------------------------------------
# Independent versions agree
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV2D_CASES)
def test_im2col_conv2d_matches_four_loops(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(1)
    x, w, b = random_arrays(rng, x_shape, w_shape, w_shape[:1])
    y = cv.conv2d_forward(x, w, b, stride, padding)
    np.testing.assert_allclose(y, cv.conv2d_forward_loops(x, w, b, stride, padding),
                               rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    for fast, slow in zip(cv.conv2d_backward(dy, x, w, stride, padding),
                          cv.conv2d_backward_loops(dy, x, w, stride, padding)):
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 2), (2, 1), (3, 0)])
def test_conv1d_is_conv2d_of_height_one(stride, padding):
    rng = np.random.default_rng(2)
    x, w, b = random_arrays(rng, (2, 3, 10), (4, 3, 4), (4,))
    y = cv.conv1d_forward(x, w, b, stride, padding)
    as_2d = cv.conv2d_forward(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding))
    np.testing.assert_allclose(y, as_2d[:, :, 0], rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    grads_2d = cv.conv2d_backward(dy[:, :, None], x[:, :, None], w[:, :, None],
                                  (1, stride), (0, padding))
    for grad, grad_2d in zip(cv.conv1d_backward(dy, x, w, stride, padding), grads_2d):
        np.testing.assert_allclose(grad, grad_2d.reshape(grad.shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV2D_CASES)
def test_col2im_is_the_adjoint_of_im2col(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(3)
    kh, kw = w_shape[2:]
    x = rng.standard_normal(x_shape)
    cols = cv.im2col(x, kh, kw, stride, padding)
    other = rng.standard_normal(cols.shape)
    # <im2col(x), c> == <x, col2im(c)> for all x and c defines the adjoint
    np.testing.assert_allclose(np.sum(cols * other),
                               np.sum(x * cv.col2im(other, x_shape, kh, kw, stride, padding)),
                               rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Numerical gradients
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV2D_CASES)
def test_conv2d_gradients_match_central_differences(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(4)
    x, w, b = random_arrays(rng, x_shape, w_shape, w_shape[:1])
    weights_of_y = rng.standard_normal(cv.conv2d_forward(x, w, b, stride, padding).shape)

    def loss():
        return np.sum(weights_of_y * cv.conv2d_forward(x, w, b, stride, padding))

    dx, dw, db = cv.conv2d_backward(weights_of_y, x, w, stride, padding)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, numerical_gradient(loss, w), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, numerical_gradient(loss, b), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((2, 3, 7), (4, 3, 3), 1, 1),
    ((1, 1, 7), (1, 1, 1), 2, 1),
    ((1, 2, 9), (3, 2, 4), 1, 0),
    ((2, 1, 9), (2, 1, 3), 2, 0),
    ((1, 1, 5), (1, 1, 5), 1, 0),
])
def test_conv1d_gradients_match_central_differences(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(5)
    x, w, b = random_arrays(rng, x_shape, w_shape, w_shape[:1])
    weights_of_y = rng.standard_normal(cv.conv1d_forward(x, w, b, stride, padding).shape)

    def loss():
        return np.sum(weights_of_y * cv.conv1d_forward(x, w, b, stride, padding))

    dx, dw, db = cv.conv1d_backward(weights_of_y, x, w, stride, padding)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, numerical_gradient(loss, w), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, numerical_gradient(loss, b), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("x_shape, kernel, stride", [
    ((2, 3, 4, 6), 2, None),
    ((1, 1, 5, 5), 3, 1),           # overlapping windows share inputs
    ((1, 2, 5, 7), (3, 2), (2, 1)),  # non-square window and stride
    ((1, 1, 3, 3), 1, None),
])
def test_maxpool_gradient_matches_central_differences(x_shape, kernel, stride):
    rng = np.random.default_rng(6)
    # distinct values at least 0.01 apart, so a 1e-6 step never changes which input is largest
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape) * 0.01
    weights_of_y = rng.standard_normal(cv.maxpool2d_forward(x, kernel, stride).shape)

    def loss():
        return np.sum(weights_of_y * cv.maxpool2d_forward(x, kernel, stride))

    np.testing.assert_allclose(cv.maxpool2d_backward(weights_of_y, x, kernel, stride),
                               numerical_gradient(loss, x), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# The max-pooling tie rule: first maximum in row-major order within the window
# ---------------------------------------------------------------------------------------------

def test_maxpool_tie_gradient_goes_to_first_maximum_in_row_major_order():
    x = np.array([[[[1.0, 3.0, 2.0, 2.0],
                    [3.0, 2.0, 2.0, 2.0]]]])
    dx = cv.maxpool2d_backward(np.array([[[[10.0, 20.0]]]]), x, 2)
    # left window: 3 at (0,1) and (1,0) -> (0,1) comes first; right window: all 2 -> its corner
    np.testing.assert_array_equal(dx, [[[[0.0, 10.0, 20.0, 0.0],
                                         [0.0, 0.0, 0.0, 0.0]]]])


def test_maxpool_ties_in_overlapping_windows_add_up():
    x = np.ones((1, 1, 3, 3))
    dx = cv.maxpool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)
    # each of the four windows sends its gradient to its own top-left corner
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


# ---------------------------------------------------------------------------------------------
# Results are float64, inputs are not modified
# ---------------------------------------------------------------------------------------------

def test_plain_results_are_float64_and_inputs_untouched():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2, 4, 4)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b = np.zeros(3, np.float32)
    copies = [a.copy() for a in (x, w, b)]
    y = cv.conv2d_forward(x, w, b, padding=1)
    grads = cv.conv2d_backward(np.ones_like(y), x, w, padding=1)
    assert y.dtype == np.float64 and all(g.dtype == np.float64 for g in grads)
    assert cv.maxpool2d_forward(x, 2).dtype == np.float64
    for array, copy in zip((x, w, b), copies):
        np.testing.assert_array_equal(array, copy)


# ---------------------------------------------------------------------------------------------
# Bad arguments raise a ValueError that says what is wrong
# ---------------------------------------------------------------------------------------------

X, W, B = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)

BAD_CONV2D_CALLS = [
    (lambda: cv.conv2d_forward(X[0], W, B), r"x must have 4 dimensions.*x\[None\]"),
    (lambda: cv.conv2d_forward(X, W[0], B), r"w must have 4 dimensions \(F, C, kh, kw\)"),
    (lambda: cv.conv2d_forward(X, np.zeros((4, 2, 3, 3)), B), r"x has 3 channels but w expects 2"),
    (lambda: cv.conv2d_forward(X, W, np.zeros(3)), r"b must have shape \(4,\)"),
    (lambda: cv.conv2d_forward(X, np.zeros((4, 3, 6, 3)), B),
     r"kernel height 6 is larger than the padded input height 5 \+ 2\*0 = 5"),
    (lambda: cv.conv2d_forward(X, np.zeros((4, 3, 3, 8)), B, padding=1),
     r"kernel width 8 is larger than the padded input width 5 \+ 2\*1 = 7"),
    (lambda: cv.conv2d_forward(X, np.zeros((4, 3, 2, 2)), B, stride=2),
     r"output height \(5 \+ 2\*0 - 2\) / 2 \+ 1 = 2.5 is not an integer"),
    (lambda: cv.conv2d_forward(X, W, B, stride=0), r"stride must be at least 1"),
    (lambda: cv.conv2d_forward(X, W, B, stride=1.5), r"stride must be an integer"),
    (lambda: cv.conv2d_forward(X, W, B, padding=-1), r"padding must be at least 0"),
    (lambda: cv.conv2d_forward(X, W, B, padding=(1, 1, 1)), r"padding must be an int or a pair"),
    (lambda: cv.conv2d_forward(np.zeros((0, 3, 5, 5)), W, B), r"empty dimension"),
    (lambda: cv.conv2d_backward(np.zeros((2, 4, 4, 4)), X, W), r"dy must have the output's shape"),
    (lambda: cv.conv1d_forward(X, W, B), r"conv1d: x must have 3 dimensions \(N, C, W\)"),
    (lambda: cv.conv1d_forward(X[:, :, 0], W[:, :2, 0], B), r"x has 3 channels but w expects 2"),
    (lambda: cv.conv1d_forward(X[:, :, 0], W[:, :, 0, :1], B, stride=3),
     r"output width \(5 \+ 2\*0 - 1\) / 3 \+ 1 = 2.33333 is not an integer"),
    (lambda: cv.conv1d_backward(np.zeros((2, 4, 2)), X[:, :, 0], W[:, :, 0]),
     r"dy must have the output's shape \(2, 4, 3\)"),
    (lambda: cv.maxpool2d_forward(X, 2), r"maxpool2d: the output height .* is not an integer"),
    (lambda: cv.maxpool2d_forward(X, 6), r"kernel height 6 is larger than the padded input"),
    (lambda: cv.maxpool2d_forward(X[0], 1), r"maxpool2d: x must have 4 dimensions"),
    (lambda: cv.maxpool2d_backward(np.zeros((2, 3, 2, 2)), X, 5),
     r"dy must have the output's shape \(2, 3, 1, 1\)"),
    (lambda: cv.im2col(X, 0, 3), r"kh must be at least 1"),
    (lambda: cv.col2im(np.zeros((5, 27)), X.shape, 3, 3), r"cols must have shape \(18, 27\)"),
]


@pytest.mark.parametrize("call, message", BAD_CONV2D_CALLS,
                         ids=[f"bad-{i:02d}" for i in range(len(BAD_CONV2D_CALLS))])
def test_bad_arguments_raise_clear_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_geometry_reports_sizes():
    g = cv.conv2d_geometry((8, 3, 32, 30), (16, 3, 5, 3), stride=(1, 3), padding=(2, 0))
    assert (g.n, g.c, g.h, g.w, g.f, g.kh, g.kw) == (8, 3, 32, 30, 16, 5, 3)
    assert (g.sh, g.sw, g.ph, g.pw, g.ho, g.wo) == (1, 3, 2, 0, 32, 10)


def test_random_cases_with_stride_two_have_outputs_where_the_stride_shows():
    from autograder.reference.conv_cases import random_case
    rng = np.random.default_rng(0)
    for _ in range(200):
        x, w, b, stride, pad = random_case(rng, np.float64, stride=2)
        out = cv.conv2d_forward(x, w, b, stride, pad)
        assert stride == 2 and min(out.shape[2:]) >= 2, (x.shape, w.shape, pad, out.shape)
    strides = {random_case(rng, np.float32)[3] for _ in range(50)}
    assert strides == {1, 2}
