"""Reference for notebook 09's framework exercises: a CNN built from notebook 06's blocks.

Notebook 06's framework (``autograder.published.framework``) knows operations, layers, a loss and a
network; a convolutional network needs only new operations and the layers that hold them:

    Conv2DOperation   cross-correlation with F filters of shape (C, k, k), stride 1; the
                      Conv2D layer has it add the bias and apply a ReLU too
    ChannelBiasAdd    one bias per output channel, shape (1, F, 1, 1)
    ReLU              max(x, 0)
    MaxPoolOperation  the maximum of each size x size window, stride = size
    FlattenOperation  (N, C, H, W) -> (N, C*H*W), so that a Dense layer can follow

and ``Conv2D``, ``MaxPool2D`` and ``Flatten`` layers around them, a softmax cross-entropy
loss that needs no clipping, He and Glorot scales, and ``build_cnn``, the network that
notebook 09 trains. The convolution and pooling arithmetic is ``fastconv``'s numba
kernels (the students call their own); everything else is a line of numpy.

Shapes follow PyTorch: images (N, C, H, W), filters (F, C, k, k). Parameters take the dtype
of the first input a layer sees, as in the framework, so float64 gives exact gradients for
checking and float32 gives fast training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from autograder.published.framework import Dense, Layer, Linear, Loss, NeuralNetwork, Operation, ParamOperation

from . import fastconv

__all__ = [
    "he_scale", "glorot_scale", "conv_fans",
    "ReLU", "Conv2DOperation", "ChannelBiasAdd", "MaxPoolOperation", "FlattenOperation",
    "Conv2D", "MaxPool2D", "Flatten",
    "SoftmaxCrossEntropy", "build_cnn",
]


# ---------------------------------------------------------------- initial scales


def he_scale(fan_in: int, fan_out: int) -> float:
    """sqrt(2 / fan_in): He's standard deviation for layers followed by a ReLU.

    A ReLU zeroes half of its inputs on average, which halves the variance passed on; the
    factor 2 makes up for it, so activations keep their size from layer to layer.
    """
    return float(np.sqrt(2.0 / fan_in))


def glorot_scale(fan_in: int, fan_out: int) -> float:
    """sqrt(2 / (fan_in + fan_out)): Glorot's compromise between keeping the forward
    activations (1 / fan_in) and the backward gradients (1 / fan_out) the same size."""
    return float(np.sqrt(2.0 / (fan_in + fan_out)))


def conv_fans(w_shape: tuple[int, int, int, int]) -> tuple[int, int]:
    """(fan_in, fan_out) of filters of shape (F, C, kh, kw).

    Each output pixel sums C*kh*kw inputs, and each input pixel feeds F*kh*kw outputs:
    the counts a dense layer's n_in and n_out stand for.
    """
    filters, channels, kh, kw = w_shape
    return channels * kh * kw, filters * kh * kw


# ------------------------------------------------------------------ operations


class ReLU(Operation):
    """max(x, 0); its derivative is 1 where x > 0 and 0 elsewhere (0 at x = 0, as in PyTorch)."""

    def _output(self, inference: bool) -> np.ndarray:
        return fastconv.relu_forward(self.input_)

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return fastconv.relu_backward(output_grad, self.input_)


class Conv2DOperation(ParamOperation):
    """Input (N, C, H, W) cross-correlated with W (F, C, k, k), stride 1, ``pad`` zeros
    around each image: output (N, F, H + 2 pad - k + 1, W + 2 pad - k + 1).

    The bias is a separate operation (``ChannelBiasAdd``), as Dense keeps WeightMultiply and
    BiasAdd apart, unless B (1, F, 1, 1) is given: then the kernel starts each sum at the
    bias, and the backward kernel sums its gradient, ``bias_grad``, on the way, as PyTorch's
    conv2d does. With ``relu`` the output is max(that, 0), written as it is copied out, and
    the backward kernel gates the output gradient as it reads it. The ``Conv2D`` layer uses
    both, because a separate bias or ReLU operation is one more pass over the output each
    way: ``build_cnn``'s training step (batch 64, float32) took a median 7.7 ms with both as
    operations of their own, 6.9 ms with the bias in the kernel and 5.8 ms with the ReLU too
    (measured alternating, in one session). The input and weight gradients share their
    work, so one backward kernel call computes all three: ``_input_grad`` keeps dW for
    ``_param_grad``, which recomputes it only when called with another output gradient.
    """

    def __init__(self, W: np.ndarray, pad: int = 1, B: np.ndarray | None = None, relu: bool = False):
        if W.ndim != 4 or W.shape[2] != W.shape[3]:
            raise ValueError(f"convolution filters must have shape (F, C, k, k), got {W.shape}")
        super().__init__(W)
        self.pad = pad
        self.bias = np.zeros((1, W.shape[0], 1, 1), W.dtype) if B is None else B
        check_channel_bias(self.bias)
        self.relu = relu
        self._saved_grads: tuple[np.ndarray, np.ndarray] | None = None

    def _output(self, inference: bool) -> np.ndarray:
        return fastconv.conv2d_forward(self.input_, self.param, self.bias.reshape(-1), 1, self.pad, self.relu)

    def _backward(self, output_grad: np.ndarray) -> np.ndarray:
        dx, dW, dB = fastconv.conv2d_backward(output_grad, self.input_, self.param, 1, self.pad,
                                              self.output if self.relu else None)
        self._saved_grads = (output_grad, dW)
        self.bias_grad = dB.reshape(self.bias.shape)
        return dx

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return self._backward(output_grad)

    def _param_grad(self, output_grad: np.ndarray) -> np.ndarray:
        if self._saved_grads is None or self._saved_grads[0] is not output_grad:
            self._backward(output_grad)
        return self._saved_grads[1]


def check_channel_bias(B: np.ndarray) -> None:
    if B.ndim != 4 or B.shape[0] != 1 or B.shape[2:] != (1, 1):
        raise ValueError(f"a channel bias must have shape (1, F, 1, 1), got {B.shape}")


class ChannelBiasAdd(ParamOperation):
    """input (N, F, H, W) + B (1, F, 1, 1): one bias per channel, shared by every pixel.

    The gradient passes through unchanged; each bias was added at every image and pixel of
    its channel, so its gradient is the output gradient summed over axes 0, 2 and 3.
    """

    def __init__(self, param: np.ndarray):
        check_channel_bias(param)
        super().__init__(param)

    def _output(self, inference: bool) -> np.ndarray:
        return self.input_ + self.param

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad

    def _param_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return np.einsum("nfhw->f", output_grad).reshape(self.param.shape)  # 3x sum(axis=(0, 2, 3))


class MaxPoolOperation(Operation):
    """The maximum of each ``size`` x ``size`` window, windows side by side (stride = size).

    Only the maximum reached the output, so only it receives gradient; when several inputs
    tie, the first in row-major order gets it all (PyTorch's rule), not a share each.
    """

    def __init__(self, size: int = 2):
        self.size = size

    def _output(self, inference: bool) -> np.ndarray:
        return fastconv.maxpool2d_forward(self.input_, self.size, self.size)

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return fastconv.maxpool2d_backward(output_grad, self.input_, self.size, self.size)


class FlattenOperation(Operation):
    """(N, ...) -> (N, -1): each image becomes one row. Backward puts the shape back; no
    number changes, so the gradient is the same numbers in the input's shape."""

    def _output(self, inference: bool) -> np.ndarray:
        return self.input_.reshape(self.input_.shape[0], -1)

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad.reshape(self.input_.shape)


# ---------------------------------------------------------------------- layers


class Conv2D(Layer):
    """activation(conv(input, W) + B) with ``filters`` filters of size ``kernel_size``.

    Set up like Dense: the number of input channels is read from the first input, the
    filters are drawn in float64 from the first of two streams spawned from the layer's
    seed, then cast to the input's dtype. Their standard deviation is
    ``weight_scale(*conv_fans(W.shape))``, He's by default because a ReLU usually follows.
    The biases start at zero: the random filters already make the channels differ.

    Its operations are a ``Conv2DOperation`` that adds B itself, and applies the activation
    too when that is a ReLU, else the activation after it (the notebook's layer,
    [Conv2DOperation, ChannelBiasAdd, activation], computes the same).
    """

    def __init__(self, filters: int, kernel_size: int = 3, pad: int = 1, activation: Operation | None = None,
                 weight_scale: Callable[[int, int], float] | None = None):
        super().__init__(filters)
        self.filters = filters
        self.kernel_size = kernel_size
        self.pad = pad
        self.activation = Linear() if activation is None else activation
        self.weight_scale = he_scale if weight_scale is None else weight_scale

    def _setup_layer(self, input_: np.ndarray) -> None:
        if input_.ndim != 4:
            raise ValueError(f"Conv2D expects images of shape (N, C, H, W), got {input_.shape}")
        dtype = input_.dtype if np.issubdtype(input_.dtype, np.floating) else np.float64
        init_seed, _ = np.random.SeedSequence(self.seed).spawn(2)  # the second is Dense's dropout stream
        rng = np.random.default_rng(init_seed)
        shape = (self.filters, input_.shape[1], self.kernel_size, self.kernel_size)
        weights = (self.weight_scale(*conv_fans(shape)) * rng.standard_normal(shape)).astype(dtype)
        bias = np.zeros((1, self.filters, 1, 1), dtype)

        self.params = [weights, bias]
        if isinstance(self.activation, ReLU):
            self.operations = [Conv2DOperation(weights, self.pad, bias, relu=True)]
        else:
            self.operations = [Conv2DOperation(weights, self.pad, bias), self.activation]

    def backward(self, output_grad: np.ndarray) -> np.ndarray:
        """The framework collects dW; the bias's gradient comes from the same kernel call."""
        input_grad = super().backward(output_grad)
        self.param_grads.append(self.operations[0].bias_grad)
        return input_grad


class MaxPool2D(Layer):
    """Max pooling as a layer: no parameters, so ``params`` and ``param_grads`` stay empty."""

    def __init__(self, size: int = 2):
        super().__init__(0)  # no neurons of its own: it keeps the channels it is given
        self.size = size

    def _setup_layer(self, input_: np.ndarray) -> None:
        self.operations = [MaxPoolOperation(self.size)]


class Flatten(Layer):
    """Images to rows, between the last convolution and the first Dense layer."""

    def __init__(self):
        super().__init__(0)

    def _setup_layer(self, input_: np.ndarray) -> None:
        self.operations = [FlattenOperation()]


# ------------------------------------------------------------------------ loss


class SoftmaxCrossEntropy(Loss):
    """Mean over the batch of -log softmax(logits) at the true class; targets one-hot (N, K).

    log softmax(z) = (z - max z) - log(sum exp(z - max z)): after the shift the largest
    exponent is exp(0) = 1, so nothing overflows and the sum is at least 1, so the log is
    finite and no clipping is needed. The gradient with respect to the logits is
    (softmax - target) / N: the log undoes the exponential.
    """

    def _output(self) -> float:
        shifted = self.prediction - self.prediction.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        sums = exps.sum(axis=1, keepdims=True)
        self.softmax_preds = exps / sums
        log_softmax = shifted - np.log(sums)
        return -np.sum(self.target * log_softmax) / self.prediction.shape[0]

    def _input_grad(self) -> np.ndarray:
        return (self.softmax_preds - self.target) / self.prediction.shape[0]


# --------------------------------------------------------------------- network

# Chosen with bench/cnn.py's PyTorch twin (same initial weights and batches; plain SGD,
# batch 64; 1 thread): test accuracy after the last epoch. Schedule A: lr 0.05 falling
# linearly to 0.0025 over 15 epochs (the default); B: 0.1 to 0.005 over 12; C: B over 20.
#   filters  hidden   Fashion-MNIST     MNIST
#   16, 32    128      91.78% (A)       99.10% (A)
#   16, 32     64      91.07% (B)
#   16, 32    none     90.57% (B), 91.04% (C)
#    8, 16    none     89.94% (B)
#   32, 64    none     90.87% (B)
#   32, 64    128                       99.13% (A)
# bench/cnn.py then measured these layers themselves at 99.07-99.09% (MNIST) and
# 91.83-91.89% (Fashion-MNIST) in three runs of A. Without the hidden layer Fashion-MNIST
# stays near 91% even after 20 epochs; the hidden layer costs about 15% of a training step
# (0.8 of 5.2 ms), while doubling both filter counts costs 4x in the second convolution and
# gained 0.03 points on MNIST.
DEFAULT_FILTERS = (16, 32)
DEFAULT_HIDDEN = 128


def build_cnn(seed: int | None, filters: Sequence[int] = DEFAULT_FILTERS,
              hidden: int | None = DEFAULT_HIDDEN) -> NeuralNetwork:
    """Notebook 09's CNN for 28 x 28 one-channel images and 10 classes.

    Two blocks of 3 x 3 convolution (padding 1 keeps the size), ReLU and 2 x 2 max pooling
    take 28 x 28 to 14 x 14 to 7 x 7; the F2 * 49 features go through a ReLU Dense layer of
    ``hidden`` units (none if ``hidden`` is None or 0) to a Dense layer of 10 logits. The
    default size is the smallest of those measured (above) that reached 99% on MNIST and
    91% on Fashion-MNIST in 15 epochs of plain SGD with a margin (64 hidden units made
    91.07%, too close to call).
    """
    first, second = filters
    layers: list[Layer] = [
        Conv2D(first, 3, 1, ReLU()), MaxPool2D(2),
        Conv2D(second, 3, 1, ReLU()), MaxPool2D(2),
        Flatten(),
    ]
    if hidden:
        layers.append(Dense(hidden, ReLU(), weight_scale=he_scale))
    layers.append(Dense(10, weight_scale=glorot_scale))
    return NeuralNetwork(layers, SoftmaxCrossEntropy(), seed=seed)
