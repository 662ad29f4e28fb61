"""Reference for notebook 07, training better (Weidman, chapter 4).

Five extensions to notebook 06's framework (autograder.published.framework), each one
row of Weidman's ablation: a softmax cross-entropy loss for classification,
momentum, learning-rate decay, Glorot initialisation and dropout. They plug
into the framework's openings: ``Dense(dropout=Dropout(0.8),
weight_scale=glorot_std)``, ``Optimizer(schedule=...)`` and the
``inference`` flag.
"""

from __future__ import annotations

import numpy as np

from autograder.published.framework import Loss, Operation, Optimizer


def softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along ``axis``, after subtracting the maximum.

    The shift leaves the result unchanged (it cancels between numerator and
    denominator) but keeps exp from overflowing: the largest term becomes
    exp(0) = 1.
    """
    exps = np.exp(x - x.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of the softmax of the predictions (logits) against targets.

    loss = -sum(target * log(p)) / batch with p = softmax(prediction) clipped
    to [eps, 1 - eps] so the log never sees 0. For targets whose rows sum to
    1 (one-hot labels), the gradient with respect to the logits simplifies to
    (softmax - target) / batch: the softmax and the log cancel each other's
    complexity. The clip only guards the log; the gradient uses the unclipped
    softmax, which is the exact derivative wherever the clip is inactive.

    (The book's code adds a term -(1 - target) log(1 - p) to the loss value
    but keeps this gradient; the digest's definition, used here, is the one
    the gradient belongs to.)
    """

    def __init__(self, eps: float = 1e-9):
        self.eps = eps

    def _output(self) -> float:
        self.softmax_preds = softmax(self.prediction, axis=1)
        clipped = np.clip(self.softmax_preds, self.eps, 1.0 - self.eps)
        return -np.sum(self.target * np.log(clipped)) / self.prediction.shape[0]

    def _input_grad(self) -> np.ndarray:
        return (self.softmax_preds - self.target) / self.prediction.shape[0]


def softmax_cross_entropy(prediction: np.ndarray, target: np.ndarray, eps: float = 1e-9) -> float:
    """Exercise 3 as a function: the loss of SoftmaxCrossEntropy."""
    return SoftmaxCrossEntropy(eps).forward(prediction, target)


def softmax_cross_entropy_grad(prediction: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Exercise 4 as a function: the gradient of SoftmaxCrossEntropy with respect to the logits."""
    loss = SoftmaxCrossEntropy()
    loss.forward(prediction, target)
    return loss.backward()


def decaying(lr: float, final_lr: float | None = None, decay_type: str | None = None):
    """The schedule an Optimizer takes for lr_schedule's decay, or None for a constant rate."""
    if decay_type is None:
        return None
    return lambda epochs: lr_schedule(lr, final_lr, decay_type, epochs)


class SGDMomentum(Optimizer):
    """Gradient descent with momentum: velocity = momentum * velocity + lr * grad;
    param -= velocity.

    The velocity is a running, decaying sum of past steps, so directions
    the gradients agree on speed up and directions where they flip sign
    cancel out. One velocity per parameter, created (as zeros) on the first
    step and dropped by ``reset``. With a ``decay_type`` the learning rate
    follows ``lr_schedule`` from ``lr`` to ``final_lr``.

    ``weight_decay`` is L2 regularisation: adding (weight_decay / 2) * the sum
    of every squared parameter to the loss adds weight_decay * param to each
    gradient, which pulls every parameter towards zero a little at each step.
    It applies to every parameter, biases included (as torch.optim.SGD's does).
    """

    def __init__(
        self,
        lr: float = 0.01,
        final_lr: float | None = None,
        decay_type: str | None = None,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ):
        super().__init__(lr, decaying(lr, final_lr, decay_type))
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocities: list[np.ndarray] | None = None

    def reset(self) -> None:
        self.velocities = None

    def step(self) -> None:
        params = list(self.net.params())
        if self.velocities is None:
            self.velocities = [np.zeros_like(param) for param in params]
        for param, grad, velocity in zip(params, self.net.param_grads(), self.velocities):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            self._update_rule(param, grad, velocity)

    def _update_rule(self, param: np.ndarray, grad: np.ndarray, velocity: np.ndarray) -> None:
        momentum_update(param, grad, velocity, self.lr, self.momentum)


def momentum_update(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float) -> None:
    """One step of gradient descent with momentum, changing velocity and param in place."""
    velocity *= momentum
    velocity += lr * grad
    param -= velocity


def adam_update(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, step: int, lr: float,
                beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
    """One step of Adam (Kingma and Ba, 2015), changing m, v and param in place; ``step`` counts from 1.

    m and v are running averages of the gradient and of its square. Both
    start at zero, so early on they are too small by the factors
    1 - beta1**step and 1 - beta2**step; dividing by those (the bias
    correction) undoes that. Each parameter then moves by about lr times
    the sign of its recent gradients, whatever their size.
    """
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)


class Adam(Optimizer):
    """Adam: one pair of moments (m, v) per parameter, made of zeros on the first step and dropped by ``reset``."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.moments: list[tuple[np.ndarray, np.ndarray]] | None = None
        self.steps = 0

    def reset(self) -> None:
        self.moments, self.steps = None, 0

    def step(self) -> None:
        params = list(self.net.params())
        if self.moments is None:
            self.moments = [(np.zeros_like(param), np.zeros_like(param)) for param in params]
        self.steps += 1
        for param, grad, (m, v) in zip(params, self.net.param_grads(), self.moments):
            adam_update(param, grad, m, v, self.steps, self.lr, self.beta1, self.beta2, self.eps)


def lr_schedule(lr: float, final_lr: float | None, decay_type: str | None, epochs: int) -> np.ndarray:
    """The learning rate used in each of ``epochs`` epochs under a decay schedule.

    "linear" subtracts (lr - final_lr) / (epochs - 1) after each epoch,
    "exponential" multiplies by (final_lr / lr) ** (1 / (epochs - 1)), so
    that the last epoch runs at ``final_lr``; None keeps ``lr`` throughout.
    """
    if decay_type not in (None, "linear", "exponential"):
        raise ValueError(f"decay_type must be None, 'linear' or 'exponential', got {decay_type!r}")
    if decay_type is not None and final_lr is None:
        raise ValueError("learning-rate decay needs a final_lr")
    epoch, steps = np.arange(epochs), max(epochs - 1, 1)
    if decay_type == "linear":
        return lr - epoch * (lr - final_lr) / steps
    if decay_type == "exponential":
        return lr * (final_lr / lr) ** (epoch / steps)
    return np.full(epochs, float(lr))


def glorot_std(n_in: int, n_out: int) -> float:
    """Standard deviation of Glorot's initialisation: variance 2 / (n_in + n_out).

    It keeps the variance of the activations roughly constant going forward
    (which wants 1/n_in) and of the gradients going backward (1/n_out) by
    compromising between the two. ``Dense(weight_scale=glorot_std)`` uses it.
    (The book's code uses 2 / (n_in + n_out) as the standard deviation, a
    smaller scale than the variance it states.)
    """
    return float(np.sqrt(2.0 / (n_in + n_out)))


class Dropout(Operation):
    """Keep each activation with probability ``keep_prob`` while training.

    Training: draw a 0/1 mask (1 with probability keep_prob), save it and
    multiply by it; the backward pass multiplies by the same mask, since a
    dropped unit passes no gradient. Inference: keep every unit but multiply
    by keep_prob, so each unit's output equals its expected value in
    training. (This is Weidman's form; "inverted" dropout, as in PyTorch,
    divides by keep_prob in training instead.)
    """

    def __init__(self, keep_prob: float = 0.8, rng: np.random.Generator | int | None = None):
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
        self.keep_prob = keep_prob
        self.rng = np.random.default_rng(rng)
        self.mask: np.ndarray | None = None

    def _output(self, inference: bool) -> np.ndarray:
        self.inference = inference
        if inference:
            return self.input_ * self.keep_prob
        # A uniform draw below keep_prob is a Bernoulli(keep_prob) trial.
        self.mask = (self.rng.random(self.input_.shape) < self.keep_prob).astype(self.input_.dtype)
        return self.input_ * self.mask

    def _input_grad(self, output_grad: np.ndarray) -> np.ndarray:
        if self.inference:
            return output_grad * self.keep_prob
        return output_grad * self.mask


def accuracy(prediction: np.ndarray, target: np.ndarray) -> float:
    """Fraction of rows whose largest prediction is the target class.

    ``target`` is one-hot (batch, classes) or a vector of class indices.
    """
    labels = target.argmax(axis=1) if target.ndim == 2 else target
    return float(np.mean(prediction.argmax(axis=1) == labels))


def gradient_errors(net, X: np.ndarray, y: np.ndarray, h: float = 1e-5) -> list[float]:
    """For each parameter of ``net``, in the order of ``net.params()``, the largest
    relative error between its backpropagated gradient on (X, y) and a numerical one.

    The numerical gradient nudges each entry of the parameter in place and
    runs the network forward again, so every other parameter must be as it
    was: each nudge is undone before the next. The parameters end unchanged.
    """
    from autograder.reference.tensors import gradient_check

    net.train_batch(X, y)
    grads = [grad.copy() for grad in net.param_grads()]
    errors = []
    for param, grad in zip(list(net.params()), grads):
        def loss(values, param=param):
            saved = param.copy()
            param[...] = values
            value = net.loss.forward(net.forward(X), y)
            param[...] = saved
            return value
        errors.append(gradient_check(loss, grad, param, h))
    return errors


def grid_search(train_and_score, learning_rates, hidden_sizes):
    """Scores of every (learning rate, hidden size) pair, rows by learning rate, and the best pair.

    On ties the first best pair in row order wins, as np.argmax does.
    """
    scores = np.array([[train_and_score(lr, hidden) for hidden in hidden_sizes] for lr in learning_rates], dtype=float)
    i, j = np.unravel_index(np.argmax(scores), scores.shape)
    return scores, (learning_rates[i], hidden_sizes[j])
