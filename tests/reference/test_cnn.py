"""Tests of autograder/reference/cnn.py (notebook 09's framework exercises).

Every operation's backward rule against central differences in float64 on small shapes of
odd sizes; the convolution and pooling operations and layers against the plain numpy
reference (autograder/reference/convolution.py); the pooling tie rule by hand; the loss by
hand and numerically; the layers' set-up (shapes, dtypes, seeds, He scale); build_cnn's
shapes and gradients; and, where torch is installed, one forward and backward pass of the
whole network against PyTorch on the same weights.
"""
import os

import numpy as np
import pytest

from autograder.reference import cnn
from autograder.reference import convolution as cv
from autograder.reference.cnn import (
    ChannelBiasAdd,
    Conv2D,
    Conv2DOperation,
    Flatten,
    FlattenOperation,
    MaxPool2D,
    MaxPoolOperation,
    ReLU,
    SoftmaxCrossEntropy,
    build_cnn,
    conv_fans,
    glorot_scale,
    he_scale,
)
from autograder.published.framework import Dense, Linear, Tanh

from .gradients import network_gradients, numerical_gradient, operation_gradients

RTOL, ATOL = 1e-6, 1e-8


def random(shape, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def assert_gradients_match(pairs):
    for name, analytic, numerical in pairs:
        np.testing.assert_allclose(analytic, numerical, rtol=RTOL, atol=ATOL, err_msg=name)


def needs_torch():
    """torch, or a skip; an error when DLSCRATCH_REQUIRE_TORCH=1 (scripts/test and CI)."""
    if os.environ.get("DLSCRATCH_REQUIRE_TORCH") == "1":
        import torch
        return torch
    return pytest.importorskip("torch")


# ------------------------------------------------------------------- scales


def test_scales_and_fans_worked_by_hand():
    assert he_scale(18, 999) == pytest.approx(np.sqrt(2 / 18))
    assert glorot_scale(18, 32) == pytest.approx(np.sqrt(2 / 50))
    assert conv_fans((16, 3, 5, 5)) == (75, 400)
    assert conv_fans((4, 1, 3, 3)) == (9, 36)


# --------------------------------------------------------- backward vs differences

CONV_CASES = [
    # x shape, W shape, pad
    ((2, 3, 7, 5), (4, 3, 3, 3), 1),
    ((1, 2, 5, 9), (3, 2, 3, 3), 0),
    ((3, 1, 6, 7), (5, 1, 5, 5), 2),
    ((2, 3, 5, 5), (2, 3, 1, 1), 0),
]


@pytest.mark.parametrize("x_shape, w_shape, pad", CONV_CASES)
def test_conv2d_operation_gradients_match_differences(x_shape, w_shape, pad):
    op = Conv2DOperation(random(w_shape, seed=1), pad)
    assert_gradients_match(operation_gradients(op, random(x_shape), seed=2))


def test_conv2d_operation_with_a_bias_gradients_match_differences():
    x, W, B = random((2, 2, 5, 6)), random((3, 2, 3, 3), seed=1), random((1, 3, 1, 1), seed=4)
    op = Conv2DOperation(W, 1, B)
    assert_gradients_match(operation_gradients(op, x, seed=2))  # the input's and W's
    G = random(op.output.shape, seed=5)
    op.forward(x)
    op.backward(G)
    bias_grad = numerical_gradient(lambda: float(np.sum(op.forward(x) * G)), B)
    np.testing.assert_allclose(op.bias_grad, bias_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("relu", [False, True])
def test_conv2d_operation_with_a_bias_is_the_separate_operations(relu):
    """The same to rounding: the kernel starts each sum at the bias rather than adding it last."""
    x, W, B = random((3, 2, 6, 5)), random((4, 2, 3, 3), seed=1), random((1, 4, 1, 1), seed=2)
    ops = [Conv2DOperation(W, 1), ChannelBiasAdd(B)] + ([ReLU()] if relu else [])
    fused = Conv2DOperation(W, 1, B, relu=relu)
    h = x
    for op in ops:
        h = op.forward(h)
    y = fused.forward(x)
    np.testing.assert_allclose(y, h, rtol=1e-13, atol=1e-13)
    if relu:
        assert (y == 0).mean() > 0.2
    dy = random(y.shape, seed=3)
    grad = dy
    for op in reversed(ops):
        grad = op.backward(grad)
    np.testing.assert_allclose(fused.backward(dy), grad, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fused.param_grad, ops[0].param_grad, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fused.bias_grad, ops[1].param_grad, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match=r"\(1, F, 1, 1\)"):
        Conv2DOperation(W, 1, B.reshape(-1), relu=relu)


def test_channel_bias_add_gradients_match_differences():
    op = ChannelBiasAdd(random((1, 3, 1, 1), seed=1))
    assert_gradients_match(operation_gradients(op, random((2, 3, 5, 7)), seed=2))


def test_relu_gradient_matches_differences():
    x = random((3, 2, 5, 7))
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of the kink, where differences are meaningless
    assert_gradients_match(operation_gradients(ReLU(), x, seed=2))


@pytest.mark.parametrize("x_shape, size", [((2, 3, 9, 6), 3), ((2, 2, 6, 10), 2), ((1, 1, 5, 5), 5)])
def test_max_pool_gradient_matches_differences(x_shape, size):
    # continuous random values: no window has a tie within the step of the differences
    assert_gradients_match(operation_gradients(MaxPoolOperation(size), random(x_shape), seed=2))


def test_flatten_gradient_matches_differences():
    op = FlattenOperation()
    assert op.forward(random((2, 3, 5, 7))).shape == (2, 105)
    assert_gradients_match(operation_gradients(op, random((2, 3, 5, 7)), seed=2))


# --------------------------------------------------------- against the plain reference


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("x_shape, w_shape, pad", CONV_CASES)
def test_conv2d_operation_matches_plain_convolution(x_shape, w_shape, pad, dtype, tol):
    x, W, dy_seed = random(x_shape).astype(dtype), random(w_shape, seed=1).astype(dtype), 3
    op = Conv2DOperation(W, pad)
    y = op.forward(x)
    expected = cv.conv2d_forward(x, W, np.zeros(w_shape[0]), 1, pad)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    dy = random(y.shape, seed=dy_seed).astype(dtype)
    dx = op.backward(dy)
    dx_expected, dW_expected, _ = cv.conv2d_backward(dy, x, W, 1, pad)
    assert dx.dtype == dtype and op.param_grad.dtype == dtype
    np.testing.assert_allclose(dx, dx_expected, rtol=tol, atol=tol * np.abs(dx_expected).max())
    np.testing.assert_allclose(op.param_grad, dW_expected, rtol=tol, atol=tol * np.abs(dW_expected).max())


def test_conv2d_param_grad_is_for_the_output_grad_it_is_given():
    """_input_grad keeps dW for _param_grad; called with another output gradient,
    _param_grad must compute that one's dW, not hand back the kept one."""
    x, W = random((2, 2, 5, 5)), random((3, 2, 3, 3), seed=1)
    op = Conv2DOperation(W, 1)
    y = op.forward(x)
    op.backward(random(y.shape, seed=2))
    other = random(y.shape, seed=3)
    np.testing.assert_allclose(op._param_grad(other), cv.conv2d_backward(other, x, W, 1, 1)[1], atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_layer_is_convolution_plus_bias_then_activation(dtype):
    layer = Conv2D(4, kernel_size=3, pad=1, activation=ReLU())
    layer.seed = 5
    x = random((3, 2, 7, 9)).astype(dtype)
    layer.forward(x)  # sets up the parameters
    W, b = layer.params
    b[...] = random(b.shape, seed=4)  # a non-zero bias, written in place as an optimiser would
    y = layer.forward(x)
    plain = cv.conv2d_forward(x, W, b.reshape(-1), 1, 1)
    np.testing.assert_allclose(y, np.maximum(plain, 0), rtol=1e-5, atol=1e-5)
    assert y.dtype == dtype
    dy = random(y.shape, seed=6).astype(dtype)
    dx = layer.backward(dy)
    dx_plain, dW_plain, db_plain = cv.conv2d_backward(dy * (plain > 0), x, W, 1, 1)
    np.testing.assert_allclose(dx, dx_plain, rtol=1e-5, atol=1e-4)
    dW, db = layer.param_grads
    np.testing.assert_allclose(dW, dW_plain, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(db, db_plain.reshape(1, -1, 1, 1), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("x_shape, size", [((2, 3, 9, 6), 3), ((3, 2, 14, 10), 2)])
def test_max_pool_layer_matches_plain_pooling(x_shape, size):
    x = random(x_shape)
    layer = MaxPool2D(size)
    y = layer.forward(x)
    np.testing.assert_array_equal(y, cv.maxpool2d_forward(x, size))
    dy = random(y.shape, seed=1)
    np.testing.assert_array_equal(layer.backward(dy), cv.maxpool2d_backward(dy, x, size))
    assert layer.params == [] and layer.param_grads == []


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    """Ties are common after a ReLU (whole windows of zeros): the window's gradient goes,
    whole, to its first maximum in row-major order, as in PyTorch; not shared out."""
    x = np.array([[[[0.0, 0.0, 1.0, 3.0],
                    [0.0, 0.0, 3.0, 2.0],
                    [5.0, 2.0, 4.0, 4.0],
                    [1.0, 5.0, 4.0, 4.0]]]])
    op = MaxPoolOperation(2)
    np.testing.assert_array_equal(op.forward(x), [[[[0.0, 3.0], [5.0, 4.0]]]])
    dx = op.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(dx, [[[[1.0, 0.0, 0.0, 2.0],
                                         [0.0, 0.0, 0.0, 0.0],
                                         [3.0, 0.0, 4.0, 0.0],
                                         [0.0, 0.0, 0.0, 0.0]]]])


def test_flatten_layer_keeps_the_batch_and_puts_the_shape_back():
    layer = Flatten()
    x = random((2, 3, 5, 7))
    y = layer.forward(x)
    np.testing.assert_array_equal(y, x.reshape(2, -1))
    grad = random(y.shape, seed=1)
    np.testing.assert_array_equal(layer.backward(grad), grad.reshape(x.shape))
    assert layer.params == [] and layer.param_grads == []


# --------------------------------------------------------------------- operations


def test_relu_worked_by_hand_and_zero_gradient_at_zero():
    op = ReLU()
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(op.forward(x), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(op.backward(np.array([[5.0, 5.0, 5.0]])), [[0.0, 0.0, 5.0]])


@pytest.mark.parametrize("op", [ReLU(), ChannelBiasAdd(np.ones((1, 3, 1, 1), np.float32)), MaxPoolOperation(2),
                                FlattenOperation(), Conv2DOperation(np.ones((2, 3, 3, 3), np.float32))],
                         ids=lambda op: type(op).__name__)
def test_operations_keep_float32(op):
    x = random((2, 3, 4, 6)).astype(np.float32)
    y = op.forward(x)
    assert y.dtype == np.float32
    assert op.backward(np.ones_like(y)).dtype == np.float32
    if hasattr(op, "param"):
        assert op.param_grad.dtype == np.float32


def test_channel_bias_adds_one_number_per_channel():
    b = np.array([1.0, -2.0]).reshape(1, 2, 1, 1)
    op = ChannelBiasAdd(b)
    y = op.forward(np.zeros((3, 2, 4, 5)))
    assert np.all(y[:, 0] == 1.0) and np.all(y[:, 1] == -2.0)
    op.backward(np.ones((3, 2, 4, 5)))
    np.testing.assert_array_equal(op.param_grad, np.full((1, 2, 1, 1), 3 * 4 * 5.0))


@pytest.mark.parametrize("shape", [(3,), (1, 3), (3, 1, 1), (2, 3, 1, 1), (1, 3, 2, 1), (1, 1, 1, 3)])
def test_channel_bias_refuses_other_shapes(shape):
    with pytest.raises(ValueError, match=r"\(1, F, 1, 1\)"):
        ChannelBiasAdd(np.zeros(shape))


def test_conv2d_operation_refuses_filters_that_are_not_f_c_k_k():
    for shape in [(3, 3, 3), (2, 3, 3, 5)]:
        with pytest.raises(ValueError, match=r"\(F, C, k, k\)"):
            Conv2DOperation(np.zeros(shape))


# --------------------------------------------------------------------------- loss


def test_cross_entropy_worked_by_hand():
    loss = SoftmaxCrossEntropy()
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    value = loss.forward(logits, one_hot([2, 0], 3))
    # -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2), and -log(1/3)
    assert isinstance(value, float)
    assert value == pytest.approx((np.log(1 + np.exp(-1) + np.exp(-2)) + np.log(3)) / 2)


def test_cross_entropy_gradient_is_softmax_minus_target_over_batch_and_matches_differences():
    loss = SoftmaxCrossEntropy()
    logits, target = random((5, 4), scale=2.0), one_hot([0, 3, 1, 1, 2], 4)
    loss.forward(logits, target)
    grad = loss.backward()
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, (softmax - target) / 5, rtol=1e-12)
    np.testing.assert_allclose(grad, numerical_gradient(lambda: loss.forward(logits, target), logits),
                               rtol=RTOL, atol=1e-9)


def test_cross_entropy_is_exact_for_huge_logits_without_clipping():
    loss = SoftmaxCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        # a confident mistake costs its full margin, 1000; a clip at 1e-9 would say 20.7
        assert loss.forward(np.array([[0.0, 1000.0]]), np.array([[1.0, 0.0]])) == pytest.approx(1000.0)
        assert loss.forward(np.array([[1e4, 0.0]]), np.array([[1.0, 0.0]])) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(loss.backward(), [[0.0, 0.0]], atol=1e-12)


def test_cross_entropy_keeps_float32():
    loss = SoftmaxCrossEntropy()
    loss.forward(random((4, 10)).astype(np.float32), one_hot([1, 2, 3, 4], 10).astype(np.float32))
    assert loss.backward().dtype == np.float32


# --------------------------------------------------------------------- layer set-up


def set_up(layer, x, seed=7):
    layer.seed = seed
    layer.forward(x)
    return layer


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_set_up_shapes_dtype_and_operations(dtype):
    layer = set_up(Conv2D(6, kernel_size=5, pad=2), random((2, 3, 8, 8)).astype(dtype))
    W, b = layer.params
    assert W.shape == (6, 3, 5, 5) and b.shape == (1, 6, 1, 1)
    assert W.dtype == dtype and b.dtype == dtype
    assert np.all(b == 0)
    assert [type(op) for op in layer.operations] == [Conv2DOperation, Linear]  # the bias inside the kernel
    assert layer.operations[0].param is W and layer.operations[0].bias is b  # updated in place together
    assert layer.operations[0].pad == 2
    assert layer.output.shape == (2, 6, 8, 8)


def test_conv2d_weights_come_from_the_layer_seed_like_dense():
    x = random((1, 2, 5, 5))
    a, b, c = (set_up(Conv2D(4), x, seed) for seed in (3, 3, 4))
    np.testing.assert_array_equal(a.params[0], b.params[0])
    assert not np.array_equal(a.params[0], c.params[0])
    stream = np.random.default_rng(np.random.SeedSequence(3).spawn(2)[0])
    np.testing.assert_array_equal(a.params[0], he_scale(18, 36) * stream.standard_normal((4, 2, 3, 3)))


def test_conv2d_float32_weights_are_the_float64_ones_rounded():
    x = random((1, 2, 5, 5))
    wide, narrow = set_up(Conv2D(4), x), set_up(Conv2D(4), x.astype(np.float32))
    np.testing.assert_array_equal(narrow.params[0], wide.params[0].astype(np.float32))


def test_conv2d_he_scale_by_default_and_weight_scale_when_given():
    x = random((1, 16, 5, 5))
    he = set_up(Conv2D(64), x).params[0]
    assert he.std() == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.05)  # 9,216 draws
    glorot = set_up(Conv2D(64, weight_scale=glorot_scale), x).params[0]
    np.testing.assert_allclose(glorot, he * glorot_scale(144, 576) / he_scale(144, 576))


def test_conv2d_refuses_inputs_that_are_not_images():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        set_up(Conv2D(2), random((3, 4)))


def test_conv2d_applies_a_relu_in_its_convolution_and_other_activations_after_it():
    fused = set_up(Conv2D(2, activation=ReLU()), random((1, 1, 4, 4)))
    assert len(fused.operations) == 1 and fused.operations[0].relu
    tanh = Tanh()
    layer = set_up(Conv2D(2, activation=tanh), random((1, 1, 4, 4)))
    assert layer.operations[-1] is tanh and not layer.operations[0].relu


# ----------------------------------------------------------------------- build_cnn


def test_build_cnn_layers_and_shapes():
    net = build_cnn(seed=1)
    assert [type(layer) for layer in net.layers] == [Conv2D, MaxPool2D, Conv2D, MaxPool2D, Flatten, Dense, Dense]
    assert isinstance(net.loss, SoftmaxCrossEntropy)
    assert [layer.seed for layer in net.layers] == [1, 2, 3, 4, 5, 6, 7]
    x = random((3, 1, 28, 28)).astype(np.float32)
    logits = net.forward(x)
    assert logits.shape == (3, 10) and logits.dtype == np.float32
    f1, f2 = cnn.DEFAULT_FILTERS
    assert net.layers[0].params[0].shape == (f1, 1, 3, 3)
    assert net.layers[2].params[0].shape == (f2, f1, 3, 3)
    assert net.layers[5].params[0].shape == (f2 * 7 * 7, cnn.DEFAULT_HIDDEN)
    assert net.layers[6].params[0].shape == (cnn.DEFAULT_HIDDEN, 10)
    assert isinstance(net.layers[0].activation, ReLU) and isinstance(net.layers[5].activation, ReLU)
    assert isinstance(net.layers[6].activation, Linear)


@pytest.mark.parametrize("hidden", [None, 0])
def test_build_cnn_without_a_hidden_layer_and_other_filters(hidden):
    net = build_cnn(seed=1, filters=(2, 3), hidden=hidden)
    assert [type(layer) for layer in net.layers] == [Conv2D, MaxPool2D, Conv2D, MaxPool2D, Flatten, Dense]
    assert net.forward(random((2, 1, 28, 28))).shape == (2, 10)
    assert net.layers[5].params[0].shape == (3 * 49, 10) and isinstance(net.layers[5].activation, Linear)


def test_build_cnn_is_reproducible_from_its_seed():
    x = random((2, 1, 28, 28))
    np.testing.assert_array_equal(build_cnn(4).forward(x), build_cnn(4).forward(x))
    assert not np.array_equal(build_cnn(4).forward(x), build_cnn(5).forward(x))


def test_small_cnn_gradients_match_differences():
    """Every parameter's and the input's gradient through the whole network, on 8x8 images
    (8 -> 4 -> 2 after the two poolings), in float64."""
    net = build_cnn(seed=3, filters=(2, 3), hidden=4)
    X, y = random((2, 1, 8, 8), seed=1), one_hot([3, 7], 10)
    for analytic, numerical in network_gradients(net, X, y):
        np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("hidden", [None, 6])
def test_network_forward_and_backward_equal_pytorch(hidden):
    """The same weights in torch.nn.functional, float64: logits, loss, every parameter's
    gradient and the input's gradient agree to rounding."""
    torch = needs_torch()
    F = torch.nn.functional
    net = build_cnn(seed=2, filters=(3, 4), hidden=hidden)
    X, labels = random((5, 1, 28, 28), seed=1), np.array([0, 3, 9, 3, 5])
    y = one_hot(labels, 10)
    loss = net.train_batch(X, y)
    ours_input_grad = net.backward(net.loss.backward())

    params = [torch.tensor(p, requires_grad=True) for p in net.params()]
    x = torch.tensor(X, requires_grad=True)
    W1, b1, W2, b2, *dense = params
    h = F.max_pool2d(F.relu(F.conv2d(x, W1, b1.reshape(-1), padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, W2, b2.reshape(-1), padding=1)), 2).flatten(1)
    if hidden:
        Wh, bh, *dense = dense
        h = F.relu(h @ Wh + bh)
    Wo, bo = dense
    logits = h @ Wo + bo
    theirs = F.cross_entropy(logits, torch.tensor(labels))
    theirs.backward()

    np.testing.assert_allclose(net.forward(X), logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert loss == pytest.approx(theirs.item(), rel=1e-12)
    for ours, tensor in zip(net.param_grads(), params):
        np.testing.assert_allclose(ours, tensor.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours_input_grad, x.grad.numpy(), rtol=1e-9, atol=1e-12)
