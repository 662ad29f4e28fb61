"""Notebook 06's building blocks, as one module: students get it from notebook 07 on.

A network is a list of layers, a layer is a list of operations, and every
operation knows two things: how to compute its output from its input
(``_output``) and how to turn the gradient of the loss with respect to its
output into the gradient with respect to its input (``_input_grad``).
Operations with parameters also compute the gradient with respect to the
parameter (``_param_grad``). Backpropagation is then nothing more than calling
``backward`` on the operations in reverse order.

These are notebook 06's answers, so they are published with notebook 07 and
later ones only (autograder/registry.py), and they are the hidden reference
that notebook 06 is graded against. Later notebooks extend them through three
openings that hold no answer of their own: an ``inference`` flag threaded
through every ``forward`` (dropout needs it), ``Dense(dropout=...,
weight_scale=...)`` for a dropout operation and an initial weight scale, and
``Optimizer(schedule=...)`` for a learning rate that changes epoch by epoch.

Numerics: parameters take the dtype of the first input a layer sees, so a
float64 input gives an exact float64 network and a float32 input gives a fast
float32 one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np


def check_same_shape(array: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Raise a ValueError naming ``what`` unless the two arrays have one shape.

    A gradient must have exactly the shape of the thing it is the gradient
    of; checking this at every step turns a silent broadcasting bug into an
    error at the operation that caused it. (Not ``assert``: ``python -O``
    would remove it.)
    """
    if array.shape != expected.shape:
        raise ValueError(f"{what} has shape {array.shape}, expected {expected.shape}")


# ---------------------------------------------------------------- operations


class Operation:
    """One step of a network, output = f(input), with its backward rule.

    ``forward`` stores the input and the output, because the backward rules
    need them; ``backward`` checks the shapes on both sides of the rule.
    Subclasses only write ``_output`` and ``_input_grad``.
    """

    def forward(self, input_: np.ndarray, inference: bool = False) -> np.ndarray:
        """Compute and remember the output. ``inference`` is True when the
        network is being evaluated rather than trained (only dropout cares)."""
        self.input_ = input_
        self.output = self._output(inference)
        return self.output

    def backward(self, output_grad: np.ndarray) -> np.ndarray:
        """Given dLoss/dOutput, return dLoss/dInput (same shape as the input)."""
        check_same_shape(output_grad, self.output, f"{type(self).__name__} output_grad")
        self.input_grad = self._input_grad(output_grad)
        check_same_shape(self.input_grad, self.input_, f"{type(self).__name__} input_grad")
        return self.input_grad

    def _output(self, inference: bool) -> np.ndarray:
        raise NotImplementedError

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class ParamOperation(Operation):
    """An operation with a parameter array: backward also fills ``param_grad``.

    The parameter is held by reference, so an optimiser that updates it in
    place updates the operation too.
    """

    def __init__(self, param: np.ndarray):
        self.param = param

    def backward(self, output_grad: np.ndarray) -> np.ndarray:
        input_grad = super().backward(output_grad)
        self.param_grad = self._param_grad(output_grad)
        check_same_shape(self.param_grad, self.param, f"{type(self).__name__} param_grad")
        return input_grad

    def _param_grad(self, output_grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class WeightMultiply(ParamOperation):
    """input (batch, n_in) @ W (n_in, n_out).

    By the matrix chain rule dL/dinput = dL/doutput @ W.T and
    dL/dW = input.T @ dL/doutput (the transpose puts the batch axis where
    the product sums over it).
    """

    def _output(self, inference: bool) -> np.ndarray:
        return self.input_ @ self.param

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad @ self.param.T

    def _param_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return self.input_.T @ output_grad


class BiasAdd(ParamOperation):
    """input (batch, n) + B (1, n), the bias broadcast over the batch.

    Adding passes the gradient through unchanged; the bias was used once per
    row, so its gradient is the sum of the output gradient over the batch.
    """

    def __init__(self, param: np.ndarray):
        if param.ndim != 2 or param.shape[0] != 1:
            raise ValueError(f"a bias must have shape (1, n), got {param.shape}")
        super().__init__(param)

    def _output(self, inference: bool) -> np.ndarray:
        return self.input_ + self.param

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad

    def _param_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad.sum(axis=0, keepdims=True)


class Sigmoid(Operation):
    """sigma(x) = 1 / (1 + exp(-x)); sigma'(x) = sigma(x) (1 - sigma(x)).

    Computed as (1 + tanh(x/2)) / 2, the same function written so that
    nothing overflows for large |x| (exp(-x) overflows float32 at x < -88).
    The backward rule reuses the stored output.
    """

    def _output(self, inference: bool) -> np.ndarray:
        return 0.5 * (1.0 + np.tanh(0.5 * self.input_))

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad * self.output * (1.0 - self.output)


class Tanh(Operation):
    """tanh(x); its derivative 1 - tanh(x)^2 reuses the stored output."""

    def _output(self, inference: bool) -> np.ndarray:
        return np.tanh(self.input_)

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad * (1.0 - self.output * self.output)


class Linear(Operation):
    """The identity, the "activation" of a layer that has none."""

    def _output(self, inference: bool) -> np.ndarray:
        return self.input_

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        return output_grad


# -------------------------------------------------------------------- layers


class Layer:
    """A list of operations applied in order, sized by ``neurons``.

    A layer does not know its input width until it sees its first input, so
    ``_setup_layer`` (which creates the parameters and the operations) runs
    on the first call to ``forward``, and again after ``first`` is set back to
    True (the trainer does that to restart from fresh weights).
    """

    def __init__(self, neurons: int):
        self.neurons = neurons
        self.first = True
        self.seed: int | None = None
        self.params: list[np.ndarray] = []
        self.param_grads: list[np.ndarray] = []
        self.operations: list[Operation] = []

    def _setup_layer(self, input_: np.ndarray) -> None:
        raise NotImplementedError

    def forward(self, input_: np.ndarray, inference: bool = False) -> np.ndarray:
        if self.first:
            self._setup_layer(input_)
            self.first = False
        self.input_ = input_
        for operation in self.operations:
            input_ = operation.forward(input_, inference)
        self.output = input_
        return self.output

    def backward(self, output_grad: np.ndarray) -> np.ndarray:
        """Run the operations backwards, then collect the parameter gradients
        in the same order as ``params``."""
        check_same_shape(output_grad, self.output, f"{type(self).__name__} output_grad")
        for operation in reversed(self.operations):
            output_grad = operation.backward(output_grad)
        self.param_grads = [op.param_grad for op in self.operations if isinstance(op, ParamOperation)]
        return output_grad


class Dense(Layer):
    """A fully connected layer: activation(input @ W + B), then optionally dropout.

    ``activation`` is an Operation instance used by this layer only (None
    means ``Linear()``; a default instance shared by several layers would
    mix up their stored inputs). ``dropout``, if given, is an operation that
    follows the activation (notebook 07's Dropout); the layer gives it a
    random generator of its own, drawn from the layer's seed, so that a
    seeded network drops the same units run after run. ``weight_scale(n_in,
    n_out)``, if given, is the standard deviation of the initial weights;
    without it they are standard normal, as Weidman draws them. The
    parameters are drawn in float64 from the layer's seed, then cast to the
    input's dtype, so a float32 and a float64 network start from the same
    (rounded) weights.
    """

    def __init__(self, neurons: int, activation: Operation | None = None, dropout: Operation | None = None,
                 weight_scale: Callable[[int, int], float] | None = None):
        super().__init__(neurons)
        self.activation = Linear() if activation is None else activation
        self.dropout = dropout
        self.weight_scale = weight_scale

    def _setup_layer(self, input_: np.ndarray) -> None:
        n_in = input_.shape[1]
        dtype = input_.dtype if np.issubdtype(input_.dtype, np.floating) else np.float64
        # Two independent streams from the one seed: initial weights, dropout masks.
        init_seed, dropout_seed = np.random.SeedSequence(self.seed).spawn(2)
        rng = np.random.default_rng(init_seed)
        scale = 1.0 if self.weight_scale is None else self.weight_scale(n_in, self.neurons)
        weights = (scale * rng.standard_normal((n_in, self.neurons))).astype(dtype)
        bias = (scale * rng.standard_normal((1, self.neurons))).astype(dtype)

        self.params = [weights, bias]
        self.operations = [WeightMultiply(weights), BiasAdd(bias), self.activation]
        if self.dropout is not None:
            self.dropout.rng = np.random.default_rng(dropout_seed)
            self.operations.append(self.dropout)


# --------------------------------------------------------------------- losses


class Loss:
    """A scalar measure of how far predictions are from targets.

    ``forward`` returns the loss as a Python float and remembers its inputs;
    ``backward`` returns dLoss/dprediction, the gradient that starts
    backpropagation.
    """

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        check_same_shape(target, prediction, f"{type(self).__name__} target")
        self.prediction = prediction
        self.target = target
        self.output = float(self._output())
        return self.output

    def backward(self) -> np.ndarray:
        self.input_grad = self._input_grad()
        check_same_shape(self.input_grad, self.prediction, f"{type(self).__name__} input_grad")
        return self.input_grad

    def _output(self) -> float:
        raise NotImplementedError

    def _input_grad(self) -> np.ndarray:
        raise NotImplementedError


class MeanSquaredError(Loss):
    """Squared error summed over the outputs and averaged over the batch.

    sum((p - y)^2) / batch, Weidman's definition (the mean over the batch, not
    over every element): with one output it is the usual MSE. Its gradient is
    2 (p - y) / batch.
    """

    def _output(self) -> float:
        error = self.prediction - self.target
        return np.sum(error * error) / self.prediction.shape[0]

    def _input_grad(self) -> np.ndarray:
        return 2.0 * (self.prediction - self.target) / self.prediction.shape[0]


# -------------------------------------------------------------------- network


class NeuralNetwork:
    """Layers in sequence plus the loss they are trained on.

    ``seed`` makes the initial weights reproducible: layer i gets seed + i
    (Weidman gives every layer the same seed, which makes same-shaped layers
    start identical).
    """

    def __init__(self, layers: list[Layer], loss: Loss, seed: int | None = None):
        self.layers = layers
        self.loss = loss
        self.seed = seed
        if seed is not None:
            for index, layer in enumerate(layers):
                layer.seed = seed + index

    def forward(self, x_batch: np.ndarray, inference: bool = False) -> np.ndarray:
        for layer in self.layers:
            x_batch = layer.forward(x_batch, inference)
        return x_batch

    def backward(self, loss_grad: np.ndarray) -> np.ndarray:
        """Backpropagate dLoss/dprediction; returns dLoss/dinput."""
        grad = loss_grad
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def train_batch(self, x_batch: np.ndarray, y_batch: np.ndarray, inference: bool = False) -> float:
        """Forward, loss, backward: leaves every gradient ready for the optimiser
        and returns the batch's loss."""
        prediction = self.forward(x_batch, inference)
        loss = self.loss.forward(prediction, y_batch)
        self.backward(self.loss.backward())
        return loss

    def params(self) -> Iterator[np.ndarray]:
        for layer in self.layers:
            yield from layer.params

    def param_grads(self) -> Iterator[np.ndarray]:
        for layer in self.layers:
            yield from layer.param_grads


# ----------------------------------------------------------------- optimisers


class Optimizer:
    """Updates a network's parameters in place from their gradients.

    The learning rate is ``lr`` in every epoch, unless a ``schedule`` is
    given: a function of the number of epochs that returns the learning rate
    of each epoch (notebook 07 writes one). ``Trainer.fit`` calls
    ``_setup_decay`` once and ``_decay_lr`` after every epoch.
    """

    def __init__(self, lr: float = 0.01, schedule: Callable[[int], Sequence[float]] | None = None):
        self.lr = self.initial_lr = lr
        self.schedule = schedule
        self.net: NeuralNetwork | None = None

    def _setup_decay(self, max_epochs: int) -> None:
        """Start from the first epoch's learning rate."""
        self.rates = [self.initial_lr] * max_epochs if self.schedule is None else list(self.schedule(max_epochs))
        self.epoch = 0
        self.lr = self.rates[0] if self.rates else self.initial_lr

    def _decay_lr(self) -> None:
        """Move on to the next epoch's learning rate (the last one stays)."""
        self.epoch += 1
        if self.epoch < len(self.rates):
            self.lr = self.rates[self.epoch]

    def reset(self) -> None:
        """Forget any state kept between steps (momentum's velocities)."""

    def step(self) -> None:
        for param, grad in zip(self.net.params(), self.net.param_grads()):
            self._update_rule(param, grad)

    def _update_rule(self, param: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: param -= lr * grad."""

    def _update_rule(self, param: np.ndarray, grad: np.ndarray) -> None:
        param -= self.lr * grad


# -------------------------------------------------------------------- training


def permute_data(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the rows of X and y with one permutation, so pairs stay paired."""
    order = rng.permutation(X.shape[0])
    return X[order], y[order]


def generate_batches(
    X: np.ndarray, y: np.ndarray, batch_size: int = 32, order: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Consecutive batches of ``batch_size`` rows (the last may be shorter).

    With ``order``, a permutation of the row numbers, the rows are taken in
    that order: the same batches as slicing ``permute_data``'s output when
    ``order`` came from the same generator, without first copying the whole
    data set (which, for 60,000 images, costs as long as a third of an
    epoch's arithmetic).
    """
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    for start in range(0, X.shape[0], batch_size):
        if order is None:
            yield X[start : start + batch_size], y[start : start + batch_size]
        else:
            rows = order[start : start + batch_size]
            yield X[rows], y[rows]


class Trainer:
    """Trains a network with an optimiser: Weidman's ``fit`` loop.

    The loop is split into ``start``, ``train_epoch``, ``validate`` and the
    optimiser's ``_decay_lr`` so that it reads as what it does, and so that a
    benchmark can run two trainers' epochs alternately.

    Early stopping (Weidman): every ``eval_every`` epochs the loss on the
    validation set is computed; if it is lower than the best so far the
    parameters are remembered, otherwise the remembered parameters (those of
    the previous evaluation) are put back and training stops. ``history``
    holds (epoch, validation loss) pairs and ``best_epoch`` the epoch of the
    best evaluation so far, whose model is the one kept after a stop. (The
    book's code puts back a copy taken one epoch before the evaluation that
    rose, while its message names the previous evaluation's epoch; this
    keeps what the message says.)
    """

    def __init__(self, net: NeuralNetwork, optim: Optimizer):
        self.net = net
        self.optim = optim
        optim.net = net
        self.best_loss = np.inf
        self.best_epoch = 0
        self.history: list[tuple[int, float]] = []
        self._best_params: list[np.ndarray] = []

    def fit(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        X_val: np.ndarray,
        y_val: np.ndarray,
        epochs: int = 100,
        eval_every: int = 10,
        batch_size: int = 32,
        seed: int = 1,
        restart: bool = True,
        early_stopping: bool = True,
    ) -> Trainer:
        self.start(epochs, seed, restart)
        for epoch in range(1, epochs + 1):
            self.train_epoch(X_train, y_train, batch_size)
            if epoch % eval_every == 0 and self.validate(X_val, y_val, epoch, early_stopping):
                break
            self.optim._decay_lr()
        return self

    def start(self, epochs: int, seed: int = 1, restart: bool = True) -> None:
        """Seed the shuffling, set up the decay and, with ``restart``, arrange
        for fresh weights (each layer re-initialises on its next forward)."""
        self.rng = np.random.default_rng(seed)
        self.optim.net = self.net
        self.optim._setup_decay(epochs)
        if restart:
            for layer in self.net.layers:
                layer.first = True
            self.optim.reset()
            self.best_loss = np.inf
            self.best_epoch = 0
            self.history = []
            self._best_params = []

    def train_epoch(self, X_train: np.ndarray, y_train: np.ndarray, batch_size: int = 32) -> None:
        """One pass over a fresh shuffle of the training set, one step per batch."""
        order = self.rng.permutation(X_train.shape[0])
        for X_batch, y_batch in generate_batches(X_train, y_train, batch_size, order):
            self.net.train_batch(X_batch, y_batch)
            self.optim.step()

    def validate(self, X_val: np.ndarray, y_val: np.ndarray, epoch: int, early_stopping: bool = True) -> bool:
        """Record the validation loss; return True when training should stop."""
        loss = self.net.loss.forward(self.net.forward(X_val, inference=True), y_val)
        self.history.append((epoch, loss))
        if not early_stopping:
            self.best_epoch = epoch
            return False
        if loss < self.best_loss:
            self.best_loss = loss
            self.best_epoch = epoch
            self._best_params = [param.copy() for param in self.net.params()]
            return False
        # Restore in place, so the optimiser and the operations keep their references.
        for param, best in zip(self.net.params(), self._best_params):
            param[...] = best
        return True
