"""Every convolution and pooling kernel, plain and fast, against torch.nn.functional and
torch.autograd. scripts/test (and so CI) installs the torch extra and sets
DLSCRATCH_REQUIRE_TORCH=1, which turns a missing torch into an error instead of a skip."""

import os

import numpy as np
import pytest

from autograder.reference import convolution as cv
from autograder.reference import fastconv as fc

if os.environ.get("DLSCRATCH_REQUIRE_TORCH") == "1":
    import torch
else:
    torch = pytest.importorskip("torch")
F = torch.nn.functional

IMPLEMENTATIONS = {"plain": cv, "fast": fc}
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


@pytest.fixture(params=["plain", "fast"])
def impl(request):
    return IMPLEMENTATIONS[request.param]


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


def assert_close(ours, theirs, dtype):
    theirs = theirs.detach().numpy().astype(np.float64)
    ours = np.asarray(ours, dtype=np.float64)
    assert ours.shape == theirs.shape
    scale = max(1.0, float(np.max(np.abs(theirs))))
    error = float(np.max(np.abs(ours - theirs))) / scale
    # the plain version computes in float64 from float32 inputs, torch in float32
    assert error <= TOLERANCE[dtype], f"relative error {error:.2e}"


def leaves(seed, dtype, *shapes):
    """Random numpy arrays and matching torch tensors that record gradients."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    return arrays, tensors


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((2, 3, 7, 9), (5, 3, 3, 3), 1, 1),
    ((1, 1, 5, 5), (1, 1, 1, 1), 1, 0),
    ((2, 3, 7, 7), (8, 3, 1, 1), 2, 1),
    ((2, 3, 9, 7), (4, 3, 3, 3), 2, 1),
    ((2, 2, 8, 11), (3, 2, 2, 3), (2, 1), (0, 1)),
    ((1, 4, 6, 6), (16, 4, 3, 3), 1, 2),
    ((4, 1, 28, 28), (16, 1, 3, 3), 1, 1),
    ((3, 16, 14, 14), (32, 16, 3, 3), 1, 1),
    ((2, 3, 32, 32), (32, 3, 5, 5), 1, 2),
    ((8, 1, 28, 28), (8, 1, 3, 3), 1, 0),
])
def test_conv2d_and_its_gradients_match_torch(impl, dtype, x_shape, w_shape, stride, padding):
    (x, w, b), (xt, wt, bt) = leaves(30, dtype, x_shape, w_shape, w_shape[:1])
    yt = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    dy = np.random.default_rng(31).standard_normal(tuple(yt.shape)).astype(dtype)
    yt.backward(torch.tensor(dy))
    assert_close(impl.conv2d_forward(x, w, b, stride, padding), yt, dtype)
    dx, dw, db = impl.conv2d_backward(dy, x, w, stride, padding)
    assert_close(dx, xt.grad, dtype)
    assert_close(dw, wt.grad, dtype)
    assert_close(db, bt.grad, dtype)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((2, 3, 11), (4, 3, 3), 1, 1),
    ((1, 1, 8), (1, 1, 1), 1, 0),
    ((3, 2, 13), (5, 2, 3), 2, 1),
    ((2, 4, 30), (8, 4, 5), 1, 2),
])
def test_conv1d_and_its_gradients_match_torch(impl, dtype, x_shape, w_shape, stride, padding):
    (x, w, b), (xt, wt, bt) = leaves(32, dtype, x_shape, w_shape, w_shape[:1])
    yt = F.conv1d(xt, wt, bt, stride=stride, padding=padding)
    dy = np.random.default_rng(33).standard_normal(tuple(yt.shape)).astype(dtype)
    yt.backward(torch.tensor(dy))
    assert_close(impl.conv1d_forward(x, w, b, stride, padding), yt, dtype)
    dx, dw, db = impl.conv1d_backward(dy, x, w, stride, padding)
    assert_close(dx, xt.grad, dtype)
    assert_close(dw, wt.grad, dtype)
    assert_close(db, bt.grad, dtype)


@pytest.mark.parametrize("x_shape, kernel, stride", [
    ((2, 3, 8, 8), 2, None),
    ((1, 1, 7, 7), 3, 2),
    ((2, 2, 6, 9), (2, 3), (2, 3)),
    ((1, 2, 5, 5), 3, 1),
    ((4, 16, 28, 28), 2, 2),
])
def test_maxpool_and_its_gradient_match_torch(impl, dtype, x_shape, kernel, stride):
    (x,), (xt,) = leaves(34, dtype, x_shape)
    yt = F.max_pool2d(xt, kernel, stride)
    dy = np.random.default_rng(35).standard_normal(tuple(yt.shape)).astype(dtype)
    yt.backward(torch.tensor(dy))
    assert_close(impl.maxpool2d_forward(x, kernel, stride), yt, dtype)
    assert_close(impl.maxpool2d_backward(dy, x, kernel, stride), xt.grad, dtype)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1), ((2, 3), (2, 1))])
def test_maxpool_ties_go_where_torch_sends_them(impl, dtype, kernel, stride):
    # integer values 0..2 make most windows hold their maximum more than once
    x = np.random.default_rng(36).integers(0, 3, size=(2, 3, 6, 8)).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = F.max_pool2d(xt, kernel, stride)
    dy = np.arange(1, yt.numel() + 1, dtype=dtype).reshape(tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    np.testing.assert_array_equal(impl.maxpool2d_backward(dy, x, kernel, stride),
                                  xt.grad.numpy())


@pytest.mark.parametrize("x_shape, kernel, stride, padding", [
    ((2, 3, 7, 9), (3, 3), 1, 1),
    ((1, 2, 9, 7), (3, 2), (2, 1), (1, 0)),
    ((2, 1, 7, 7), (1, 1), 2, 1),
])
def test_im2col_and_col2im_match_unfold_and_fold(impl, dtype, x_shape, kernel, stride, padding):
    (x,), (xt,) = leaves(37, dtype, x_shape)
    kh, kw = kernel
    unfolded = F.unfold(xt, kernel, padding=padding, stride=stride)     # (N, C*kh*kw, L)
    # im2col's rows are (image, output pixel): unfold's columns, image by image
    assert_close(impl.im2col(x, kh, kw, stride, padding),
                 unfolded.transpose(1, 2).reshape(-1, unfolded.shape[1]), dtype)
    cols = np.random.default_rng(38).standard_normal(
        (unfolded.shape[0] * unfolded.shape[2], unfolded.shape[1])).astype(dtype)
    as_unfolded = torch.tensor(cols).reshape(x_shape[0], -1, unfolded.shape[1]).transpose(1, 2)
    folded = F.fold(as_unfolded, x_shape[2:], kernel, padding=padding, stride=stride)
    assert_close(impl.col2im(cols, x_shape, kh, kw, stride, padding), folded, dtype)
