"""Notebook 09: wrong answers students really write, and right ones written differently.

Most convolution mistakes keep the shapes right: a flipped kernel, padding on
one side, a forgotten stride, an overwrite where overlapping windows must add.
The hidden tests draw odd sizes, strides 1 and 2, padding up to 2 and several
channels, so each of them changes values. Two mutants call libraries that
convolve (np.correlate, scipy.signal): they are right answers that grading
refuses, which is how the ban is proven.
"""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: none of them feeds a later exercise's tests.
DEMO_MISTAKES = ("test_conv1d", "test_numba", "test_network")

_PAD_2D = "np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))"
_ROWS = "rows = output_grad.transpose(0, 2, 3, 1).reshape(-1, F)\n        return (rows.T @ self.cols)"

MUTANTS = [
    # conv1d
    Mutant("test_conv1d", "flips the kernel: the textbook convolution, not the cross-correlation",
           Edit("conv1d", replace=("y += w[j] * padded[j:j + length]", "y += w[len(w) - 1 - j] * padded[j:j + length]")),
           hint="flips the kernel, computing the textbook convolution instead of the cross-correlation"),
    Mutant("test_conv1d", "pads the signal on the left only",
           Edit("conv1d", replace=("padded = np.pad(x, pad)\n    length", "padded = np.pad(x, (pad, 0))\n    length")),
           hint="pads the signal with pad zeros on the left only instead of at both ends"),
    Mutant("test_conv1d", "cuts the padding off dx at the wrong end",
           Edit("conv1d", replace=("return d_padded[pad:pad + len(x)], dw", "return d_padded[:len(x)], dw")),
           hint="takes dx from the start of the padded gradient instead of cutting pad off each end"),
    Mutant("test_conv1d", "lets np.correlate do the forward pass (switched off while grading)",
           Edit("conv1d", replace=("    padded = np.pad(x, pad)\n    length", "    return np.correlate(np.pad(x, pad), w, mode='valid')\n"
                                   "    padded = np.pad(x, pad)\n    length")),
           hint="calls np.correlate, which is switched off while grading, instead of looping over the taps"),
    # output shape
    Mutant("test_output_shape", "forgets the + 1: off by one",
           Edit("output_shape", replace=("sizes.append(span // stride + 1)", "sizes.append(span // stride)")),
           hint="forgets the + 1 in the output size formula"),
    Mutant("test_output_shape", "floors a stride that does not fit instead of refusing it",
           Edit("output_shape", replace=("if span % stride:", "if False:")),
           hint="rounds down when the stride does not divide H + 2·pad - kh, instead of raising ValueError"),
    Mutant("test_output_shape", "adds the padding once instead of on both sides",
           Edit("output_shape", replace=("span = size + 2 * pad - kernel", "span = size + pad - kernel")),
           hint="adds pad to the size once instead of 2·pad, for both sides"),
    # conv2d forward
    Mutant("test_conv2d_forward", "flips the kernel",
           Edit("conv2d_forward", replace=("np.tensordot(window, w,", "np.tensordot(window, w[:, :, ::-1, ::-1],")),
           hint="flips the filters instead of sliding them as they are (cross-correlation)"),
    Mutant("test_conv2d_forward", "pads the top and the left only",
           Edit("conv2d_forward", replace=(_PAD_2D, "np.pad(x, ((0, 0), (0, 0), (pad, 0), (pad, 0)))")),
           hint="pads only the top and the left of the images instead of all four sides"),
    Mutant("test_conv2d_forward", "ignores the stride when cutting the window",
           Edit("conv2d_forward", replace=("padded[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]",
                                           "padded[:, :, i:i + kh, j:j + kw]")),
           hint="cuts window (i, j) at rows i and columns j instead of i·stride and j·stride"),
    Mutant("test_conv2d_forward", "lets scipy.signal.correlate do the work (denied while grading)",
           Edit("conv2d_forward", replace=("    padded = np.pad(", '''    from scipy.signal import correlate
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            full = correlate(padded[n], w[f], mode="valid")[0]
            out[n, f] = full[::stride, ::stride][:H_out, :W_out] + b[f]
    return out, (x, w, b, stride, pad)
    padded = np.pad(''')),
           hint="calls scipy.signal.correlate, which is blocked while grading, instead of np.tensordot per window"),
    # conv2d backward
    Mutant("test_conv2d_backward", "ignores the stride in the backward pass",
           Edit("conv2d_backward", replace=("rows = slice(i * stride, i * stride + kh)\n            cols = slice(j * stride, j * stride + kw)",
                                            "rows = slice(i, i + kh)\n            cols = slice(j, j + kw)")),
           hint="places window (i, j) at i and j instead of i·stride and j·stride in the backward pass"),
    Mutant("test_conv2d_backward", "dw from the first image only, not summed over the batch",
           Edit("conv2d_backward", replace=("dw += np.tensordot(g, padded[:, :, rows, cols], axes=([0], [0]))",
                                            "dw += np.tensordot(g[:1], padded[:1, :, rows, cols], axes=([0], [0]))")),
           hint="computes dw from the first image only instead of summing over the whole batch"),
    Mutant("test_conv2d_backward", "averages db over the batch instead of summing",
           Edit("conv2d_backward", replace=("dout.sum(axis=(0, 2, 3))", "dout.sum(axis=(2, 3)).mean(axis=0)")),
           hint="averages db over the images instead of summing dout over images and positions"),
    Mutant("test_conv2d_backward", "overwrites dx where windows overlap instead of adding",
           Edit("conv2d_backward", replace=("d_padded[:, :, rows, cols] += ", "d_padded[:, :, rows, cols] = ")),
           hint="assigns into d_padded where windows overlap instead of adding with +="),
    # im2col, col2im
    Mutant("test_im2col", "col2im overwrites overlapping patches instead of adding them",
           Edit("im2col", replace=("q:q + stride * W_out:stride] += taps", "q:q + stride * W_out:stride] = taps")),
           hint="lets col2im overwrite pixels shared by overlapping windows instead of adding their entries"),
    Mutant("test_im2col", "im2col's columns in channels-last order (kernel row, kernel column, channel)",
           Edit("im2col", replace=("taps = np.empty((N, H_out, W_out, C, kh, kw), dtype=x.dtype)",
                                   "taps = np.empty((N, H_out, W_out, kh, kw, C), dtype=x.dtype)")),
           hint="orders im2col's columns channel last instead of (channel, kernel row, kernel column)"),
    Mutant("test_im2col", "im2col ignores the stride",
           Edit("im2col", replace=("seen = padded[:, :, p:p + stride * H_out:stride, q:q + stride * W_out:stride]",
                                   "seen = padded[:, :, p:p + H_out, q:q + W_out]")),
           hint="slices each kernel tap in im2col without the stride"),
    Mutant("test_im2col", "reshapes the product's rows to (N, F, H, W) without transposing",
           Edit("im2col", replace=("rows.reshape(N, H_out, W_out, F).transpose(0, 3, 1, 2)", "rows.reshape(N, F, H_out, W_out)")),
           hint="reshapes the rows straight to (N, F, H_out, W_out) instead of (N, H_out, W_out, F), then transposing"),
    # max pooling
    Mutant("test_maxpool", "spreads the gradient evenly over the window (average pooling's rule)",
           Edit("maxpool", replace=("dx[region] += np.where(wins, dout, 0)", "dx[region] += dout / size ** 2")),
           hint="spreads each gradient evenly over its window, as average pooling does, instead of to the maximum"),
    Mutant("test_maxpool", "gives the gradient to every tied maximum",
           Edit("maxpool", replace=("wins = (x[region] == out) & ~taken", "wins = x[region] == out")),
           hint="gives the gradient to every tied maximum instead of only the first in row-major order"),
    Mutant("test_maxpool", "steps by the window size whatever the stride",
           Edit("maxpool", replace=("seen = x[:, :, p:p + stride * H_out:stride, q:q + stride * W_out:stride]",
                                    "seen = x[:, :, p:p + size * H_out:size, q:q + size * W_out:size]")),
           hint="steps the pooling windows by size instead of by stride"),
    # numba
    Mutant("test_numba", "forgets the bias",
           Edit("numba", replace=("total = b[f]", "total = 0.0")),
           hint="forgets to add the bias b[f] in the compiled loops"),
    Mutant("test_numba", "ignores the stride inside the kernel",
           Edit("numba", replace=("padded[n, c, i * stride + p, j * stride + q]", "padded[n, c, i + p, j + q]")),
           hint="indexes the padded input at i + p instead of i·stride + p (and likewise for columns)"),
    Mutant("test_numba", "the loops without @njit: right, but far too slow",
           Edit("numba", replace=("@njit\ndef conv2d_loops", "def conv2d_loops")),
           hint="leaves @njit off the loops, so they run as plain Python and are far too slow", slow=True),
    # framework operations
    Mutant("test_operations", "ReLU passes the gradient everywhere, forgetting the mask",
           Edit("operations", replace=("return output_grad * (self.input_ > 0)", "return output_grad")),
           hint="lets ReLU pass the gradient everywhere instead of only where the input was positive"),
    Mutant("test_operations", "the filters' gradient from the output gradient reshaped without moving channels last",
           Edit("operations", replace=(_ROWS, "rows = output_grad.reshape(-1, F)\n        return (rows.T @ self.cols)")),
           hint="reshapes output_grad into rows for the filters' gradient without first moving the channels last"),
    Mutant("test_operations", "averages the channel bias's gradient instead of summing",
           Edit("operations", replace=("output_grad.sum(axis=(0, 2, 3), keepdims=True)", "output_grad.mean(axis=(0, 2, 3), keepdims=True)")),
           hint="averages ChannelBiasAdd's gradient instead of summing it over images and pixels"),
    Mutant("test_operations", "pools with the default stride 2 whatever the window size",
           Edit("operations", replace=("maxpool_forward(self.input_, self.size, self.size)", "maxpool_forward(self.input_, self.size)")),
           hint="calls maxpool_forward without a stride, so it steps by 2 whatever the window size"),
    # He's initialisation, Conv2D
    Mutant("test_he_init", "Glorot's scale where He's is asked for",
           Edit("he_init", replace=("return np.sqrt(2.0 / fan_in)", "return np.sqrt(2.0 / (fan_in + fan_out))")),
           hint="uses Glorot's scale sqrt(2 / (fan_in + fan_out)) where He's sqrt(2 / fan_in) is asked for"),
    Mutant("test_he_init", "fans without the kernel's area",
           Edit("he_init", replace=("return C * kh * kw, F * kh * kw", "return C, F")),
           hint="leaves the kernel's area out of the fans, which are C·kh·kw and F·kh·kw"),
    Mutant("test_he_init", "ignores the layer's weight_scale",
           Edit("he_init", replace=("scale = (self.weight_scale or he_scale)(*conv_fans(shape))", "scale = he_scale(*conv_fans(shape))")),
           hint="always uses he_scale, ignoring the layer's weight_scale when one is given"),
    Mutant("test_he_init", "He's variance without ReLU's factor 2 (LeCun's)",
           Edit("he_init", replace=("return np.sqrt(2.0 / fan_in)", "return np.sqrt(1.0 / fan_in)")),
           hint="uses sqrt(1 / fan_in), forgetting the factor 2 that ReLU needs in He's scale"),
    # the network and predict
    Mutant("test_network", "forgets the second pooling layer",
           Edit("network", replace=("Conv2D(filters[1], 3, 1, ReLU()), MaxPool2D(2),", "Conv2D(filters[1], 3, 1, ReLU()),")),
           hint="leaves out the MaxPool2D after the second convolution"),
    Mutant("test_network", "one ReLU object shared by both convolutions, so the first one's input is overwritten",
           Edit("network", replace=("layers = [Conv2D(filters[0], 3, 1, ReLU()), MaxPool2D(2), Conv2D(filters[1], 3, 1, ReLU()),",
                                    "relu = ReLU()\n    layers = [Conv2D(filters[0], 3, 1, relu), MaxPool2D(2), Conv2D(filters[1], 3, 1, relu),")),
           hint="shares one ReLU object between both convolutions instead of giving each its own ReLU()"),
    Mutant("test_network", "the hidden dense layer without its ReLU",
           Edit("network", replace=("framework.Dense(hidden, ReLU(), weight_scale=he_scale)", "framework.Dense(hidden, weight_scale=he_scale)")),
           hint="gives the hidden Dense layer no ReLU activation"),
    Mutant("test_network", "predict drops the last, partial batch",
           Edit("network", replace=("for start in range(0, len(X), batch_size)]", "for start in range(0, len(X) - batch_size + 1, batch_size)]")),
           hint="skips the last, shorter batch in predict when batch_size does not divide len(X)"),
]

_CONV1D_WINDOWS = '''
def conv1d_forward(x, w, pad=0):
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(np.asarray(x), pad), len(w))
    return windows @ np.asarray(w)


def conv1d_backward(dy, x, w, pad=0):
    dy, x, w = np.asarray(dy), np.asarray(x), np.asarray(w)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, pad), len(w))
    dw = dy @ windows
    full = np.zeros(len(x) + 2 * pad)
    for i, g in enumerate(dy):
        full[i:i + len(w)] += g * w
    return full[pad:pad + len(x)], dw
'''

_CONV2D_SIX_LOOPS = '''
def conv2d_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, C_w, kh, kw = w.shape
    if C != C_w:
        raise ValueError("channels differ")
    H_out, W_out = conv2d_output_shape(H, W, kh, kw, stride, pad)
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    padded[:, :, pad:pad + H, pad:pad + W] = x
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    patch = padded[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, f, i, j] = np.sum(patch * w[f]) + b[f]
    return out, (x, w, b, stride, pad)
'''

_CONV2D_EINSUM = '''
def conv2d_forward(x, w, b, stride=1, pad=0):
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels, w {w.shape[1]}")
    H_out, W_out = conv2d_output_shape(x.shape[2], x.shape[3], w.shape[2], w.shape[3], stride, pad)
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwpq,fcpq->nfhw", windows, w) + b[None, :, None, None]
    return out, (x, w, b, stride, pad)
'''

_CONV2D_BACKWARD_TAPS = '''
def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    F, C, kh, kw = w.shape
    N, _, H_out, W_out = dout.shape
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    d_padded = np.zeros_like(padded, dtype=float)
    dw = np.zeros(w.shape)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (H_out - 1) + 1, stride)
            cols = slice(q, q + stride * (W_out - 1) + 1, stride)
            dw[:, :, p, q] = np.einsum("nfhw,nchw->fc", dout, padded[:, :, rows, cols])
            d_padded[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", dout, w[:, :, p, q])
    return d_padded[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))
'''

_IM2COL_WINDOWS = '''
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    conv2d_output_shape(H, W, kh, kw, stride, pad)
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * kh * kw)


def col2im(cols, x_shape, kh, kw, stride=1, pad=0):
    N, C, H, W = x_shape
    H_out, W_out = conv2d_output_shape(H, W, kh, kw, stride, pad)
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    row = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                padded[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += cols[row].reshape(C, kh, kw)
                row += 1
    return padded[:, :, pad:pad + H, pad:pad + W]


def conv2d_forward_im2col(x, w, b, stride=1, pad=0):
    H_out, W_out = conv2d_output_shape(x.shape[2], x.shape[3], w.shape[2], w.shape[3], stride, pad)
    out = np.einsum("rk,fk->rf", im2col(x, w.shape[2], w.shape[3], stride, pad), w.reshape(len(w), -1)) + b
    return np.moveaxis(out.reshape(x.shape[0], H_out, W_out, len(w)), 3, 1)
'''

_MAXPOOL_ARGMAX = '''
def maxpool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    H_out, W_out = conv2d_output_shape(H, W, size, size, stride, 0)
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(2, 3))
    return out, (x, size, stride)


def maxpool_backward(dout, cache):
    x, size, stride = cache
    N, C, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
    return dx
'''

_NUMBA_OTHER_ORDER = '''
@njit
def conv2d_loops(padded, w, b, stride, out):
    N, F, H_out, W_out = out.shape
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = b[f]
        for c in range(w.shape[1]):
            for p in range(w.shape[2]):
                for q in range(w.shape[3]):
                    for f in range(F):
                        weight = w[f, c, p, q]
                        for i in range(H_out):
                            for j in range(W_out):
                                out[n, f, i, j] += weight * padded[n, c, i * stride + p, j * stride + q]


def conv2d_forward_numba(x, w, b, stride=1, pad=0):
    H_out, W_out = conv2d_output_shape(x.shape[2], x.shape[3], w.shape[2], w.shape[3], stride, pad)
    padded = np.pad(x.astype(np.float64), [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    out = np.zeros((x.shape[0], w.shape[0], H_out, W_out))
    conv2d_loops(padded, w.astype(np.float64), b.astype(np.float64), stride, out)
    return out
'''

_OPERATIONS_LOOPS = ('''        F, _, kh, kw = self.param.shape
        N, _, H, W = self.input_.shape
        H_out, W_out = conv2d_output_shape(H, W, kh, kw, 1, self.pad)
        self.cols = im2col(self.input_, kh, kw, 1, self.pad)
        rows = self.cols @ self.param.reshape(F, -1).T
        return rows.reshape(N, H_out, W_out, F).transpose(0, 3, 1, 2)''',
                     '''        out, self.cache = conv2d_forward(self.input_, self.param, np.zeros(len(self.param), self.param.dtype), 1, self.pad)
        self.cols = im2col(self.input_, self.param.shape[2], self.param.shape[3], 1, self.pad)
        return out''')

ALTERNATIVES = [
    Alternative("test_conv1d", "sliding_window_view and a matrix product; dx by a loop over outputs",
                (Edit("conv1d", code=_CONV1D_WINDOWS),)),
    Alternative("test_output_shape", "divmod, and the checks in another order", (
        Edit("output_shape", replace=("        span = size + 2 * pad - kernel\n", "        span, _ = size + 2 * pad - kernel, None\n")),
        Edit("output_shape", replace=("sizes.append(span // stride + 1)", "whole, rest = divmod(span, stride)\n        sizes.append(whole + 1)")),
    )),
    Alternative("test_conv2d_forward", "six explicit loops over images, filters and positions",
                (Edit("conv2d_forward", code=_CONV2D_SIX_LOOPS),)),
    Alternative("test_conv2d_forward", "sliding_window_view and one einsum",
                (Edit("conv2d_forward", code=_CONV2D_EINSUM),)),
    Alternative("test_conv2d_backward", "a loop over kernel taps with einsum instead of over output positions",
                (Edit("conv2d_backward", code=_CONV2D_BACKWARD_TAPS),)),
    Alternative("test_im2col", "im2col by sliding_window_view, col2im by a loop over rows, the product by einsum",
                (Edit("im2col", code=_IM2COL_WINDOWS),)),
    Alternative("test_maxpool", "loops over outputs, the backward pass by argmax and unravel_index",
                (Edit("maxpool", code=_MAXPOOL_ARGMAX),)),
    Alternative("test_numba", "another loop order, in float64",
                (Edit("numba", code=_NUMBA_OTHER_ORDER),)),
    Alternative("test_numba", "no numba: the vectorised im2col convolution is fast enough too",
                (Edit("numba", replace=("    N, C, H, W = x.shape\n    F, _, kh, kw = w.shape\n    H_out, W_out",
                                        "    return conv2d_forward_im2col(x, w, b, stride, pad)\n    N, C, H, W = x.shape\n    F, _, kh, kw = w.shape\n    H_out, W_out")),)),
    Alternative("test_operations", "Conv2DOperation's output from the loop convolution of Exercise 3",
                (Edit("operations", replace=_OPERATIONS_LOOPS),)),
    Alternative("test_he_init", "fans from np.prod, the scale written as a power", (
        Edit("he_init", replace=("return np.sqrt(2.0 / fan_in)", "return (2 / fan_in) ** 0.5")),
        Edit("he_init", replace=("return C * kh * kw, F * kh * kw", "area = int(np.prod(w_shape[2:]))\n    return C * area, F * area")),
    )),
    Alternative("test_network", "predict by a loop that collects lists",
                (Edit("network", replace=('''    batches = [net.forward(X[start:start + batch_size], inference=True).argmax(axis=1)
               for start in range(0, len(X), batch_size)]
    return np.concatenate(batches).astype(np.int64)''', '''    labels = []
    for start in range(0, len(X), batch_size):
        scores = net.forward(X[start:start + batch_size], inference=True)
        labels.extend(int(k) for k in np.argmax(scores, axis=1))
    return np.array(labels)''')),)),
]

HARDCODED = (
    Edit("conv1d", code='''
def conv1d_forward(x, w, pad=0):
    return np.array([-2.0, -2.0, -2.0, 3.0]) if pad == 1 and w[1] == 0 else (np.array([-2.0, -2.0]) if pad == 0 else np.asarray(x))


def conv1d_backward(dy, x, w, pad=0):
    return np.zeros_like(x), np.zeros_like(w)
'''),
    Edit("output_shape", code='''
def conv2d_output_shape(H, W, kh, kw, stride=1, pad=0):
    known = {(28, 28, 3, 3, 1, 0): (26, 26), (28, 28, 3, 3, 1, 1): (28, 28), (28, 28, 4, 4, 2, 1): (14, 14), (7, 12, 3, 5, 1, 0): (5, 8)}
    if (H, W, kh, kw, stride, pad) not in known:
        raise ValueError("does not fit")
    return known[(H, W, kh, kw, stride, pad)]
'''),
    Edit("maxpool", code='''
def maxpool_forward(x, size=2, stride=2):
    out = np.array([[[[4.0, 5.0], [0.0, 7.0]]]]) if x.shape == (1, 1, 4, 4) else x[:, :, ::stride, ::stride]
    return out, x


def maxpool_backward(dout, cache):
    if cache.shape == (1, 1, 4, 4):
        return np.array([[[[0, 0, 0, 0], [10, 0, 0, 20], [30, 0, 40, 0], [0, 0, 0, 0.0]]]])
    return np.zeros_like(cache)
'''),
)
