"""Plain, obviously-correct convolution and pooling in float64 numpy (notebook 09's reference).

Hidden tests compare student answers against these functions, and the fast numba kernels in
``fastconv`` are tested against them, so clarity wins over speed here: every function is a
few lines of slicing and matrix products that can be checked by eye. The argument checks at
the top are shared with ``fastconv`` so both raise the same clear errors.

Conventions (PyTorch's):
    x     (N, C, H, W) images, or (N, C, W) signals for conv1d
    w     (F, C, kh, kw) filters, or (F, C, k) for conv1d
    b     (F,) one bias per filter
    y     (N, F, Ho, Wo) with Ho = (H + 2*pad - kh) / stride + 1, which must be an integer
Convolution means cross-correlation (no kernel flip), padding is zeros, and ``stride`` and
``padding`` are an int or an (along-height, along-width) pair.

Max pooling tie rule: when several inputs share a window's maximum, the whole gradient goes
to the first of them in row-major order within that window (PyTorch's rule on CPU). Windows
that overlap (stride < kernel) add their gradients. Inputs are assumed finite.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

__all__ = [
    "Conv1dGeometry", "Conv2dGeometry", "Pool2dGeometry",
    "conv1d_geometry", "conv2d_geometry", "patch_geometry", "pool2d_geometry",
    "check_conv1d_arrays", "check_conv2d_arrays",
    "im2col", "col2im",
    "conv1d_forward", "conv1d_backward",
    "conv2d_forward", "conv2d_backward",
    "conv2d_forward_loops", "conv2d_backward_loops",
    "maxpool2d_forward", "maxpool2d_backward",
]


# ----------------------------------------------------------------------------------------------
# Argument checks, shared with fastconv
# ----------------------------------------------------------------------------------------------

class Conv2dGeometry(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    f: int
    kh: int
    kw: int
    sh: int
    sw: int
    ph: int
    pw: int
    ho: int
    wo: int


class Conv1dGeometry(NamedTuple):
    n: int
    c: int
    w: int
    f: int
    k: int
    stride: int
    pad: int
    wo: int


class Pool2dGeometry(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    kh: int
    kw: int
    sh: int
    sw: int
    ho: int
    wo: int


def _integer(value, name: str, smallest: int) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if number < smallest:
        raise ValueError(f"{name} must be at least {smallest}, got {number}")
    return number


def _pair(value, name: str, smallest: int) -> tuple[int, int]:
    """An int or an (along-height, along-width) pair of ints, each at least ``smallest``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return (_integer(value[0], f"{name}[0]", smallest),
                _integer(value[1], f"{name}[1]", smallest))
    number = _integer(value, name, smallest)
    return number, number


def _output_size(op: str, axis: str, size: int, kernel: int, stride: int, pad: int) -> int:
    """(size + 2*pad - kernel) / stride + 1, refusing kernels that do not fit and fractions."""
    span = size + 2 * pad - kernel
    if span < 0:
        raise ValueError(
            f"{op}: the kernel {axis} {kernel} is larger than the padded input {axis} "
            f"{size} + 2*{pad} = {size + 2 * pad}")
    if span % stride:
        raise ValueError(
            f"{op}: the output {axis} ({size} + 2*{pad} - {kernel}) / {stride} + 1 = "
            f"{span / stride + 1:g} is not an integer; choose a stride that divides "
            f"{size} + 2*{pad} - {kernel} = {span}, or change the padding")
    return span // stride + 1


def _shape_of(name: str, shape, rank: int, layout: str, op: str) -> tuple[int, ...]:
    shape = tuple(shape)
    if len(shape) != rank:
        hint = " (a single example still needs its batch axis: x[None])" if name == "x" else ""
        raise ValueError(
            f"{op}: {name} must have {rank} dimensions {layout}, got shape {shape}{hint}")
    if min(shape) < 1:
        raise ValueError(f"{op}: {name} has an empty dimension: shape {shape}")
    return shape


def conv2d_geometry(x_shape, w_shape, stride=1, padding=0) -> Conv2dGeometry:
    """Check the shapes and hyper-parameters of a 2-D convolution and return its sizes."""
    n, c, h, w = _shape_of("x", x_shape, 4, "(N, C, H, W)", "conv2d")
    f, cw, kh, kw = _shape_of("w", w_shape, 4, "(F, C, kh, kw)", "conv2d")
    if cw != c:
        raise ValueError(f"conv2d: x has {c} channels but w expects {cw} (w.shape[1])")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    ho = _output_size("conv2d", "height", h, kh, sh, ph)
    wo = _output_size("conv2d", "width", w, kw, sw, pw)
    return Conv2dGeometry(n, c, h, w, f, kh, kw, sh, sw, ph, pw, ho, wo)


def conv1d_geometry(x_shape, w_shape, stride=1, padding=0) -> Conv1dGeometry:
    """Check the shapes and hyper-parameters of a 1-D convolution and return its sizes."""
    n, c, w = _shape_of("x", x_shape, 3, "(N, C, W)", "conv1d")
    f, cw, k = _shape_of("w", w_shape, 3, "(F, C, k)", "conv1d")
    if cw != c:
        raise ValueError(f"conv1d: x has {c} channels but w expects {cw} (w.shape[1])")
    s = _integer(stride, "stride", 1)
    p = _integer(padding, "padding", 0)
    wo = _output_size("conv1d", "width", w, k, s, p)
    return Conv1dGeometry(n, c, w, f, k, s, p, wo)


def patch_geometry(x_shape, kh, kw, stride=1, padding=0) -> Conv2dGeometry:
    """conv2d_geometry for im2col/col2im, which know the kernel size but not the filters."""
    x_shape = _shape_of("x", x_shape, 4, "(N, C, H, W)", "im2col")
    kernel = (_integer(kh, "kh", 1), _integer(kw, "kw", 1))
    return conv2d_geometry(x_shape, (1, x_shape[1]) + kernel, stride, padding)


def pool2d_geometry(x_shape, kernel_size, stride=None) -> Pool2dGeometry:
    """Check a max pooling's arguments; the stride defaults to the kernel size."""
    n, c, h, w = _shape_of("x", x_shape, 4, "(N, C, H, W)", "maxpool2d")
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = (kh, kw) if stride is None else _pair(stride, "stride", 1)
    ho = _output_size("maxpool2d", "height", h, kh, sh, 0)
    wo = _output_size("maxpool2d", "width", w, kw, sw, 0)
    return Pool2dGeometry(n, c, h, w, kh, kw, sh, sw, ho, wo)


def _check_bias(op: str, b, f: int) -> None:
    if np.shape(b) != (f,):
        raise ValueError(f"{op}: b must have shape ({f},), one bias per filter, "
                         f"got shape {np.shape(b)}")


def _check_grad(op: str, dy, expected: tuple[int, ...]) -> None:
    if np.shape(dy) != expected:
        raise ValueError(f"{op}: dy must have the output's shape {expected}, "
                         f"got {np.shape(dy)}")


def check_conv2d_arrays(x, w, b=None, dy=None, stride=1, padding=0) -> Conv2dGeometry:
    """conv2d_geometry plus the bias and upstream-gradient shapes."""
    g = conv2d_geometry(np.shape(x), np.shape(w), stride, padding)
    if b is not None:
        _check_bias("conv2d", b, g.f)
    if dy is not None:
        _check_grad("conv2d", dy, (g.n, g.f, g.ho, g.wo))
    return g


def check_conv1d_arrays(x, w, b=None, dy=None, stride=1, padding=0) -> Conv1dGeometry:
    """conv1d_geometry plus the bias and upstream-gradient shapes."""
    g = conv1d_geometry(np.shape(x), np.shape(w), stride, padding)
    if b is not None:
        _check_bias("conv1d", b, g.f)
    if dy is not None:
        _check_grad("conv1d", dy, (g.n, g.f, g.wo))
    return g


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


# ----------------------------------------------------------------------------------------------
# 1-D convolution: y[n, f, o] = b[f] + sum_{c, j} w[f, c, j] * xpad[n, c, o*stride + j]
# ----------------------------------------------------------------------------------------------

def conv1d_forward(x, w, b, stride=1, padding=0):
    """1-D convolution of signals x (N, C, W) with filters w (F, C, k): returns (N, F, Wo)."""
    g = check_conv1d_arrays(x, w, b, None, stride, padding)
    x, w, b = _f64(x, w, b)
    xpad = np.pad(x, ((0, 0), (0, 0), (g.pad, g.pad)))
    y = np.zeros((g.n, g.f, g.wo)) + b[None, :, None]
    for j in range(g.k):                      # one kernel tap at a time
        taps = xpad[:, :, j:j + g.stride * (g.wo - 1) + 1:g.stride]      # (N, C, Wo)
        y += np.einsum("fc,nco->nfo", w[:, :, j], taps)
    return y


def conv1d_backward(dy, x, w, stride=1, padding=0):
    """Gradients (dx, dw, db) of conv1d_forward given dy = dL/dy of shape (N, F, Wo)."""
    g = check_conv1d_arrays(x, w, None, dy, stride, padding)
    dy, x, w = _f64(dy, x, w)
    xpad = np.pad(x, ((0, 0), (0, 0), (g.pad, g.pad)))
    dxpad = np.zeros_like(xpad)
    dw = np.zeros_like(w)
    for j in range(g.k):
        window = slice(j, j + g.stride * (g.wo - 1) + 1, g.stride)
        dw[:, :, j] = np.einsum("nfo,nco->fc", dy, xpad[:, :, window])
        dxpad[:, :, window] += np.einsum("nfo,fc->nco", dy, w[:, :, j])
    dx = dxpad[:, :, g.pad:g.pad + g.w]
    return dx, dw, dy.sum(axis=(0, 2))


# ----------------------------------------------------------------------------------------------
# im2col / col2im: the patches of the padded input as the rows of a matrix
# ----------------------------------------------------------------------------------------------

def im2col(x, kh, kw, stride=1, padding=0):
    """Patches of x (N, C, H, W) as rows: shape (N*Ho*Wo, C*kh*kw).

    Row (n, oh, ow) holds the window under output pixel (oh, ow) of image n, flattened in
    (c, i, j) order, which is the order of w.reshape(F, -1); so
    conv2d = im2col(x) @ w.reshape(F, -1).T + b, reshaped to (N, Ho, Wo, F).
    """
    x = np.asarray(x, dtype=np.float64)
    g = patch_geometry(x.shape, kh, kw, stride, padding)
    xpad = np.pad(x, ((0, 0), (0, 0), (g.ph, g.ph), (g.pw, g.pw)))
    cols = np.empty((g.n, g.c, kh, kw, g.ho, g.wo))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xpad[:, :, i:i + g.sh * (g.ho - 1) + 1:g.sh,
                                    j:j + g.sw * (g.wo - 1) + 1:g.sw]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(g.n * g.ho * g.wo, g.c * kh * kw)


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    """The adjoint of im2col: adds every patch row back where it came from.

    Pixels covered by several windows receive the sum of their entries, so
    col2im(dcols) is the gradient of a loss through im2col.
    """
    g = patch_geometry(x_shape, kh, kw, stride, padding)
    cols = np.asarray(cols, dtype=np.float64)
    if cols.shape != (g.n * g.ho * g.wo, g.c * kh * kw):
        raise ValueError(f"col2im: cols must have shape {(g.n * g.ho * g.wo, g.c * kh * kw)} "
                         f"for x of shape {tuple(x_shape)}, got {cols.shape}")
    patches = cols.reshape(g.n, g.ho, g.wo, g.c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    xpad = np.zeros((g.n, g.c, g.h + 2 * g.ph, g.w + 2 * g.pw))
    for i in range(kh):
        for j in range(kw):
            xpad[:, :, i:i + g.sh * (g.ho - 1) + 1:g.sh,
                 j:j + g.sw * (g.wo - 1) + 1:g.sw] += patches[:, :, i, j]
    return xpad[:, :, g.ph:g.ph + g.h, g.pw:g.pw + g.w]


# ----------------------------------------------------------------------------------------------
# 2-D convolution through im2col and one matrix product (the "plain numpy im2col" version)
# ----------------------------------------------------------------------------------------------

def conv2d_forward(x, w, b, stride=1, padding=0):
    """2-D convolution of x (N, C, H, W) with w (F, C, kh, kw) plus b (F,): (N, F, Ho, Wo)."""
    g = check_conv2d_arrays(x, w, b, None, stride, padding)
    x, w, b = _f64(x, w, b)
    cols = im2col(x, g.kh, g.kw, stride, padding)              # (N*Ho*Wo, C*kh*kw)
    y = cols @ w.reshape(g.f, -1).T + b                        # (N*Ho*Wo, F)
    return y.reshape(g.n, g.ho, g.wo, g.f).transpose(0, 3, 1, 2)


def conv2d_backward(dy, x, w, stride=1, padding=0):
    """Gradients (dx, dw, db) of conv2d_forward given dy of shape (N, F, Ho, Wo)."""
    g = check_conv2d_arrays(x, w, None, dy, stride, padding)
    dy, x, w = _f64(dy, x, w)
    cols = im2col(x, g.kh, g.kw, stride, padding)
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, g.f)        # (N*Ho*Wo, F)
    dw = (dy_rows.T @ cols).reshape(w.shape)
    dcols = dy_rows @ w.reshape(g.f, -1)                       # (N*Ho*Wo, C*kh*kw)
    dx = col2im(dcols, x.shape, g.kh, g.kw, stride, padding)
    return dx, dw, dy_rows.sum(axis=0)


def conv2d_forward_loops(x, w, b, stride=1, padding=0):
    """The textbook four loops (image, filter, row, column); slow, for tests and the benchmark."""
    g = check_conv2d_arrays(x, w, b, None, stride, padding)
    x, w, b = _f64(x, w, b)
    xpad = np.pad(x, ((0, 0), (0, 0), (g.ph, g.ph), (g.pw, g.pw)))
    y = np.empty((g.n, g.f, g.ho, g.wo))
    for n in range(g.n):
        for f in range(g.f):
            for oh in range(g.ho):
                for ow in range(g.wo):
                    top, left = oh * g.sh, ow * g.sw
                    window = xpad[n, :, top:top + g.kh, left:left + g.kw]
                    y[n, f, oh, ow] = np.sum(window * w[f]) + b[f]
    return y


def conv2d_backward_loops(dy, x, w, stride=1, padding=0):
    """The four loops of conv2d_forward_loops run backwards: each output spreads its gradient."""
    g = check_conv2d_arrays(x, w, None, dy, stride, padding)
    dy, x, w = _f64(dy, x, w)
    xpad = np.pad(x, ((0, 0), (0, 0), (g.ph, g.ph), (g.pw, g.pw)))
    dxpad = np.zeros_like(xpad)
    dw = np.zeros_like(w)
    for n in range(g.n):
        for f in range(g.f):
            for oh in range(g.ho):
                for ow in range(g.wo):
                    top, left = oh * g.sh, ow * g.sw
                    grad = dy[n, f, oh, ow]
                    dxpad[n, :, top:top + g.kh, left:left + g.kw] += grad * w[f]
                    dw[f] += grad * xpad[n, :, top:top + g.kh, left:left + g.kw]
    dx = dxpad[:, :, g.ph:g.ph + g.h, g.pw:g.pw + g.w]
    return dx, dw, dy.sum(axis=(0, 2, 3))


# ----------------------------------------------------------------------------------------------
# Max pooling
# ----------------------------------------------------------------------------------------------

def _pool_window(g: Pool2dGeometry, i: int, j: int):
    """Index of the (i, j)-th element of every pooling window, as (..., Ho, Wo) slices."""
    return (slice(None), slice(None),
            slice(i, i + g.sh * (g.ho - 1) + 1, g.sh),
            slice(j, j + g.sw * (g.wo - 1) + 1, g.sw))


def maxpool2d_forward(x, kernel_size, stride=None):
    """Maximum of each kh x kw window of x (N, C, H, W); stride defaults to the kernel."""
    g = pool2d_geometry(np.shape(x), kernel_size, stride)
    x = np.asarray(x, dtype=np.float64)
    y = np.full((g.n, g.c, g.ho, g.wo), -np.inf)
    for i in range(g.kh):
        for j in range(g.kw):
            y = np.maximum(y, x[_pool_window(g, i, j)])
    return y


def maxpool2d_backward(dy, x, kernel_size, stride=None):
    """Gradient of maxpool2d_forward: each window's dy goes to its first maximum (row-major)."""
    g = pool2d_geometry(np.shape(x), kernel_size, stride)
    _check_grad("maxpool2d", dy, (g.n, g.c, g.ho, g.wo))
    dy, x = _f64(dy, x)
    y = maxpool2d_forward(x, kernel_size, stride)
    dx = np.zeros_like(x)
    unclaimed = np.ones(y.shape, dtype=bool)   # windows whose maximum has not been found yet
    for i in range(g.kh):                      # row-major scan of the window positions
        for j in range(g.kw):
            at = _pool_window(g, i, j)
            first_max = unclaimed & (x[at] == y)
            dx[at] += np.where(first_max, dy, 0.0)
            unclaimed &= ~first_max
    return dx
