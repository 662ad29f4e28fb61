"""Stand-ins for the hidden tests of notebook 07 (training better).

Four of them: an update rule for judging SGDMomentum alone, dropout
functions for judging the Dropout operation alone, a tanh with a wrong
backward pass for the gradient check to find, and a table of scores in place
of training runs for the grid search.

The student's SGDMomentum hands each parameter to `_update_rule`. Judged on
its own, the class must keep one velocity per parameter (zeros, made on the
first step, forgotten by reset), add the weight decay to each gradient and
pass the right arrays along. `with_recording_rule` subclasses it with an
update rule that is no exercise's answer: it adds 1 to the velocity and moves
the parameter by the learning rate times the gradient it was given, plus the
velocity's sum; and it records what it was given. The same subclass of the
reference runs beside it, so a mistake in the student's momentum_update does
not cost this exercise's points too.
"""
import numpy as np


def with_recording_rule(optimizer_class):
    """`optimizer_class` with its update rule replaced by a fixed, recording one."""

    class Recording(optimizer_class):
        def _update_rule(self, param, grad, velocity):
            if not hasattr(self, "given"):
                self.given = []
            self.given.append((np.array(grad), np.array(velocity), float(self.lr)))
            velocity += 1.0
            param += self.lr * grad + 0.01 * float(velocity.sum())

    return Recording


def with_marked_dropout(operation_class):
    """`operation_class` (a Dropout) whose own methods call the marked functions below in place of the notebook's.

    Each method defined in the class is rebuilt from its code with a copy of
    its globals in which dropout_forward and dropout_backward are the marked
    ones, so the operation is judged on what it hands them and keeps, and a
    mistake in the student's dropout functions costs only their exercise.
    """
    function_type = type(marked_dropout_forward)

    def rebuilt(function):
        scope = dict(function.__globals__, dropout_forward=marked_dropout_forward,
                     dropout_backward=marked_dropout_backward)
        return function_type(function.__code__, scope, function.__name__, function.__defaults__,
                             function.__closure__)

    methods = {name: rebuilt(value) for name, value in vars(operation_class).items()
               if isinstance(value, function_type)}
    return type(operation_class.__name__, (operation_class,), methods)


def marked_dropout_forward(x, keep_prob, rng=None, inference=False):
    """Masks as `np.random.default_rng(rng).random(shape) < keep_prob`; the output marked 2x (3x at inference)."""
    if inference:
        return 3.0 * keep_prob * x, None
    mask = (np.random.default_rng(rng).random(np.shape(x)) < keep_prob).astype(float)
    return 2.0 * x * mask, mask


def marked_dropout_backward(output_grad, mask, keep_prob, inference=False):
    """The gradient through the given mask (or keep_prob at inference), marked 5x (7x at inference)."""
    if inference:
        return 7.0 * keep_prob * output_grad
    return 5.0 * output_grad * mask


def slanted_tanh(operation_class):
    """A tanh whose backward pass is 5% too steep: the bug a gradient check exists to find."""

    class SlantedTanh(operation_class):
        def _output(self, inference):
            return np.tanh(self.input_)

        def _input_grad(self, output_grad):
            return 1.05 * output_grad * (1.0 - self.output ** 2)

    return SlantedTanh


class ScoreTable:
    """A stand-in for train_and_score: looks each (learning rate, hidden size) up in a fixed table and notes the call."""

    def __init__(self, learning_rates, hidden_sizes, table):
        self.rows = {rate: row for rate, row in zip(learning_rates, table)}
        self.columns = {size: column for column, size in enumerate(hidden_sizes)}
        self.calls = []

    def __call__(self, lr, hidden):
        self.calls.append((lr, hidden))
        return self.rows[lr][self.columns[hidden]]
