"""Stand-ins for the hidden tests of notebook 06: objects whose behaviour is known exactly.

The notebook's exercises build on each other (a Dense layer is made of
operations, a network of layers, a trainer drives a network and an
optimiser). To judge each exercise on its own class, its hidden tests give
the student's class stand-ins for everything else: operations that do their
own forward and backward, layers with fixed formulas, a network that records
the batches a trainer feeds it, a loss that returns scripted values.

The same source text (SOURCE) is executed twice:

* inside the student's kernel (``kernel_stand_ins``), where subclasses are
  built on the student's own base classes and the student's class under test
  is run with them;
* here, in the grader (``judge_stand_ins``), where the same subclasses are
  built on the reference classes and the reference runs with them.

Comparing the two runs judges only the class under test. The source crosses
to the kernel as text (``SourceFunction``), never as pickled objects, and the
stand-ins only record and compute; they never decide a grade.
"""
import numpy as np

from autograder.judge import Remote, SourceFunction, student

SOURCE = r'''
import numpy as np


def as_list(values):
    """A list of whatever an iterable (a generator of parameters, say) yields."""
    return list(values)


def dense_wiring(layer):
    """Whether the weight and bias operations hold the very arrays listed in params."""
    return [layer.operations[0].param is layer.params[0], layer.operations[1].param is layer.params[1]]


def is_same(a, b):
    return a is b


def params_are_the_layers(net):
    """Whether net.params() yields the layers' own parameter arrays (not copies), in layer order."""
    yielded = list(net.params())
    owned = [param for layer in net.layers for param in layer.params]
    return len(yielded) == len(owned) and all(a is b for a, b in zip(yielded, owned))


def operation_subclasses(Operation, ParamOperation):
    """Subclasses that write only _output, _input_grad and _param_grad: they test forward and backward."""

    class Cube(Operation):
        def _output(self, inference):
            self.seen_inference = inference
            return self.input_ ** 3

        def _input_grad(self, output_grad):
            return output_grad * 3.0 * self.input_ ** 2

    class RowSum(Operation):
        """Sums each row: the output is narrower than the input."""
        def _output(self, inference):
            return self.input_.sum(axis=1, keepdims=True)

        def _input_grad(self, output_grad):
            return output_grad * np.ones_like(self.input_)

    class BadGrad(Operation):
        """Returns an input gradient with one column too few: backward must refuse it."""
        def _output(self, inference):
            return 2.0 * self.input_

        def _input_grad(self, output_grad):
            return 2.0 * output_grad[:, 1:]

    class Project(ParamOperation):
        def _output(self, inference):
            self.seen_inference = inference
            return self.input_ @ self.param

        def _input_grad(self, output_grad):
            return output_grad @ self.param.T

        def _param_grad(self, output_grad):
            return self.input_.T @ output_grad

    class BadParamGrad(ParamOperation):
        """input * param with param (1, n); its param_grad forgets keepdims, so backward must refuse it."""
        def _output(self, inference):
            return self.input_ * self.param

        def _input_grad(self, output_grad):
            return output_grad * self.param

        def _param_grad(self, output_grad):
            return np.sum(output_grad * self.input_, axis=0)

    return {"Cube": Cube, "RowSum": RowSum, "BadGrad": BadGrad, "Project": Project,
            "BadParamGrad": BadParamGrad}


def self_contained_operations(Operation, ParamOperation):
    """Operations that do their own forward and backward (relying on nothing of their base classes)."""

    class Project(ParamOperation):
        def __init__(self, param):
            self.param = param

        def forward(self, input_, inference=False):
            self.input_, self.inference = input_, inference
            self.output = input_ @ self.param
            return self.output

        def backward(self, output_grad):
            self.param_grad = self.input_.T @ output_grad
            return output_grad @ self.param.T

    class Squash(Operation):
        def forward(self, input_, inference=False):
            self.input_, self.inference = input_, inference
            self.output = np.tanh(input_)
            return self.output

        def backward(self, output_grad):
            return output_grad * (1.0 - self.output ** 2)

    class Scale(ParamOperation):
        def __init__(self, param):
            self.param = param

        def forward(self, input_, inference=False):
            self.input_, self.inference = input_, inference
            self.output = input_ * self.param
            return self.output

        def backward(self, output_grad):
            self.param_grad = np.sum(output_grad * self.input_, axis=0, keepdims=True)
            return output_grad * self.param

    class Shift(ParamOperation):
        def __init__(self, param):
            self.param = param

        def forward(self, input_, inference=False):
            self.input_, self.inference = input_, inference
            self.output = input_ + self.param
            return self.output

        def backward(self, output_grad):
            self.param_grad = np.sum(output_grad, axis=0, keepdims=True)
            return output_grad

    return Project, Squash, Scale, Shift


def layer_class(Layer, Operation, ParamOperation):
    """A Layer subclass whose _setup_layer builds four self-contained operations; counts its setups."""
    Project, Squash, Scale, Shift = self_contained_operations(Operation, ParamOperation)

    class StandInLayer(Layer):
        setup_calls = 0

        def _setup_layer(self, input_):
            self.setup_calls += 1
            rng = np.random.default_rng(self.seed)
            weights = rng.normal(scale=0.6, size=(input_.shape[1], self.neurons))
            scale = rng.uniform(0.5, 1.5, size=(1, self.neurons))
            shift = rng.normal(size=(1, self.neurons))
            self.params = [weights, scale, shift]
            self.operations = [Project(weights), Squash(), Scale(scale), Shift(shift)]

    return StandInLayer


def network_parts(Layer):
    """Layers with fixed formulas (tanh or identity of input @ W + B) and a weighted squared loss.

    The layer subclasses Layer only so that isinstance checks pass; it
    overrides everything. Its parameters come from its seed on its first
    forward, as a Dense layer's do.
    """

    class AffineLayer(Layer):
        def __init__(self, neurons, squash=True):
            self.neurons, self.squash = neurons, squash
            self.first, self.seed = True, None
            self.params, self.param_grads, self.operations = [], [], []
            self.inference_seen = []

        def forward(self, input_, inference=False):
            self.inference_seen.append(bool(inference))
            if self.first:
                rng = np.random.default_rng(self.seed)
                self.params = [rng.normal(scale=0.7, size=(input_.shape[1], self.neurons)),
                               rng.normal(scale=0.5, size=(1, self.neurons))]
                self.first = False
            self.input_ = input_
            z = input_ @ self.params[0] + self.params[1]
            self.output = np.tanh(z) if self.squash else z
            return self.output

        def backward(self, output_grad):
            if output_grad.shape != self.output.shape:
                raise ValueError(f"layer output_grad has shape {output_grad.shape}, expected {self.output.shape}")
            dz = output_grad * (1.0 - self.output ** 2) if self.squash else output_grad
            self.param_grads = [self.input_.T @ dz, dz.sum(axis=0, keepdims=True)]
            return dz @ self.params[0].T

    class WeightedSquares:
        """sum over rows and columns of c_j (p - y)^2, divided by the batch size, with c_j = 1, 2, 3, ..."""

        def forward(self, prediction, target):
            self.prediction, self.target = prediction, target
            weights = np.arange(1, prediction.shape[1] + 1)
            self.output = float(np.sum(weights * (prediction - target) ** 2) / prediction.shape[0])
            return self.output

        def backward(self):
            weights = np.arange(1, self.prediction.shape[1] + 1)
            return 2.0 * weights * (self.prediction - self.target) / self.prediction.shape[0]

    return AffineLayer, WeightedSquares


class ParameterHolder:
    """What an optimiser sees of a network: params() and param_grads(), here generators over kept arrays."""

    def __init__(self, params, grads):
        self.arrays, self.grads = list(params), list(grads)
        self.originals = list(self.arrays)

    def params(self):
        yield from self.arrays

    def param_grads(self):
        yield from self.grads

    def kept_in_place(self):
        return all(a is b for a, b in zip(self.arrays, self.originals))


class TinyLayer:
    """x @ w + b, drawn from its seed whenever `first` is set (as a Dense layer is)."""

    def __init__(self, n_features, seed):
        self.n_features, self.seed = n_features, seed
        self.first, self.setups = True, 0
        self.params, self.param_grads = [], []

    def forward(self, x, inference=False):
        if self.first:
            rng = np.random.default_rng(self.seed)
            self.params = [rng.normal(size=(self.n_features, 1)), rng.normal(size=(1, 1))]
            self.created = list(self.params)
            self.first, self.setups = False, self.setups + 1
        self.input_ = x
        return x @ self.params[0] + self.params[1]

    def backward(self, grad):
        self.param_grads = [self.input_.T @ grad, grad.sum(axis=0, keepdims=True)]

    def kept_arrays(self):
        return all(a is b for a, b in zip(self.params, self.created))


class ScriptedLoss:
    """A validation loss that returns the next value of a script, and records what it was given."""

    def __init__(self, values):
        self.values, self.calls, self.targets_seen = list(values), 0, []

    def forward(self, prediction, target):
        if prediction.shape != target.shape:
            raise ValueError(f"prediction {prediction.shape} and target {target.shape} differ in shape")
        self.targets_seen.append(float(np.sum(target)))
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return float(value)


class ScriptedNet:
    """A one-layer linear network that records what a trainer does with it.

    Training (train_batch) really runs: mean squared error, gradients, and a
    record of each batch's first column (the rows' identities). The
    validation loss (self.loss, which only the trainer uses) is scripted, so
    the test decides when the validation loss rises.
    """

    def __init__(self, n_features, seed, losses):
        self.layers = [TinyLayer(n_features, seed)]
        self.loss = ScriptedLoss(losses)
        self.batches, self.forward_flags, self.train_losses = [], [], []

    def forward(self, x, inference=False):
        self.forward_flags.append(bool(inference))
        return self.layers[0].forward(x, inference)

    def train_batch(self, x, y, inference=False):
        self.batches.append(x[:, 0].copy())
        prediction = self.layers[0].forward(x)
        loss = float(np.mean((prediction - y) ** 2))
        self.layers[0].backward(2.0 * (prediction - y) / len(y))
        self.train_losses.append(loss)
        return loss

    def params(self):
        yield from self.layers[0].params

    def param_grads(self):
        yield from self.layers[0].param_grads

    def bump(self, amount):
        """Change every parameter in place, as a training step would."""
        for param in self.layers[0].params:
            param += amount

    def current_params(self):
        return [param.copy() for param in self.layers[0].params]


class TinySGD:
    """param -= lr * grad, counting steps; the learning-rate hooks the reference trainer calls do nothing."""

    def __init__(self, lr):
        self.lr, self.net, self.steps = lr, None, 0

    def step(self):
        for param, grad in zip(self.net.params(), self.net.param_grads()):
            param -= self.lr * grad
        self.steps += 1

    def reset(self):
        pass

    def _setup_decay(self, max_epochs):
        pass

    def _decay_lr(self):
        pass


class Validator:
    """The reference trainer's validate, as a stand-in that a trainer's fit can call.

    It keeps the trainer's history, best_loss and best_epoch as the
    reference does, and records the epochs it was called at.
    """

    def __init__(self, trainer):
        self.trainer, self.saved, self.epochs = trainer, [], []

    def __call__(self, X_test, y_test, epoch, early_stopping=True):
        trainer = self.trainer
        self.epochs.append(int(epoch))
        loss = trainer.net.loss.forward(trainer.net.forward(X_test, inference=True), y_test)
        trainer.history.append((epoch, loss))
        if not early_stopping:
            trainer.best_epoch = epoch
            return False
        if loss < trainer.best_loss:
            trainer.best_loss, trainer.best_epoch = loss, epoch
            self.saved = [param.copy() for param in trainer.net.params()]
            return False
        for param, best in zip(trainer.net.params(), self.saved):
            param[...] = best
        return True
'''

PUBLIC = ("as_list", "dense_wiring", "is_same", "params_are_the_layers", "operation_subclasses", "layer_class", "network_parts",
          "ParameterHolder", "TinyLayer", "ScriptedLoss", "ScriptedNet", "TinySGD", "Validator")


def judge_stand_ins():
    """The stand-ins, built here in the grader (to run with the reference classes)."""
    namespace = {}
    exec(SOURCE, namespace)
    return {name: namespace[name] for name in PUBLIC}


def kernel_stand_ins():
    """The same stand-ins built inside the student's kernel: a dict of handles to them.

    The source crosses as text and is executed there; numpy's asarray(...,
    dtype=object) only wraps the resulting dict so that it comes back as a
    handle, and indexing it with () unwraps it into handles of its entries.
    """
    expression = (f"(lambda ns: (exec({SOURCE!r}, ns), {{name: ns[name] for name in {PUBLIC!r}}})[1])({{}})")
    handles = student.np.asarray(SourceFunction(expression), dtype=object)[()]
    return {name: named(handle, f"stand-in {name}") for name, handle in handles.items()}


def named(remote, label):
    """The same kernel object under a readable name, for the messages a student reads."""
    get = lambda attribute: object.__getattribute__(remote, attribute)  # noqa: E731
    return Remote(get("_backend"), get("_handle"), label, get("_info"))


def listed(values, kernel):
    """Plain data for a student's params() or param_grads(), whether a list or a generator came back."""
    if isinstance(values, (list, tuple)):
        return list(values)
    return kernel["as_list"](values)
