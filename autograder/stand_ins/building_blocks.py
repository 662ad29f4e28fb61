"""Stand-ins for the hidden tests of notebook 06 (building blocks).

Their formulas are chosen to be none of the notebook's exercises: sines and
scalings instead of WeightMultiply and BiasAdd, a loss with column weights
2, 3, 4, ... instead of the mean squared error, an optimiser that nudges
parameters by fixed amounts instead of following gradients, and a validator
that returns the decisions it was given. What the student's class must pass
on (the inference flag, the same arrays rather than copies, a fresh set-up)
changes the numbers these stand-ins produce, so the judge sees it in values.
"""
import numpy as np

AT_INFERENCE = 0.5  # operations and layers here scale their output by this when inference=True


# -- operations: for Operation and ParamOperation ---------------------------------------------

def operation_subclasses(Operation, ParamOperation):
    """Subclasses that write only _output, _input_grad and _param_grad, to test forward and backward."""

    class Cube(Operation):
        def _output(self, inference):
            return (AT_INFERENCE if inference else 1.0) * self.input_ ** 3

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

    class SineMix(ParamOperation):
        """sin(input) @ param: a parameter that changes the width."""
        def _output(self, inference):
            return np.sin(self.input_) @ self.param

        def _input_grad(self, output_grad):
            return (output_grad @ self.param.T) * np.cos(self.input_)

        def _param_grad(self, output_grad):
            return np.sin(self.input_).T @ output_grad

    class BadParamGrad(ParamOperation):
        """input * param with param (1, n); its parameter gradient forgets keepdims: backward must refuse it."""
        def _output(self, inference):
            return self.input_ * self.param

        def _input_grad(self, output_grad):
            return output_grad * self.param

        def _param_grad(self, output_grad):
            return np.sum(output_grad * self.input_, axis=0)

    return {"Cube": Cube, "RowSum": RowSum, "BadGrad": BadGrad, "SineMix": SineMix, "BadParamGrad": BadParamGrad}


# -- a layer: for Layer ------------------------------------------------------------------------

def layer_class(Layer, Operation, ParamOperation):
    """A Layer whose _setup_layer builds three operations that do their own forward and backward.

    Every set-up draws new parameters (the seed and the number of set-ups so
    far pick them), so a layer set up twice computes something else.
    """

    class SineMix(ParamOperation):
        def __init__(self, param):
            self.param = param

        def forward(self, input_, inference=False):
            self.input_ = input_
            self.output = np.sin(input_) @ self.param
            return self.output

        def backward(self, output_grad):
            self.param_grad = np.sin(self.input_).T @ output_grad
            return (output_grad @ self.param.T) * np.cos(self.input_)

    class Squash(Operation):
        def forward(self, input_, inference=False):
            self.input_ = input_
            self.output = np.tanh(input_) * (AT_INFERENCE if inference else 1.0)
            return self.output

        def backward(self, output_grad):
            return output_grad * (1.0 - np.tanh(self.input_) ** 2)

    class Scale(ParamOperation):
        def __init__(self, param):
            self.param = param

        def forward(self, input_, inference=False):
            self.input_ = input_
            self.output = input_ * self.param * (AT_INFERENCE if inference else 1.0)
            return self.output

        def backward(self, output_grad):
            self.param_grad = np.sum(output_grad * self.input_, axis=0, keepdims=True)
            return output_grad * self.param

    class StandInLayer(Layer):
        setups = 0

        def _setup_layer(self, input_):
            rng = np.random.default_rng([self.seed or 0, self.setups])
            self.setups += 1
            weights = rng.normal(scale=0.6, size=(input_.shape[1], self.neurons))
            scale = rng.uniform(0.5, 1.5, size=(1, self.neurons))
            self.params = [weights, scale]
            self.operations = [SineMix(weights), Squash(), Scale(scale)]

    return StandInLayer


# -- a network's parts: for NeuralNetwork ------------------------------------------------------

def network_parts(Layer):
    """Layers with fixed formulas (a scaled sine, or a plain product for the last) and a weighted loss.

    The layer subclasses Layer only so that isinstance checks pass; it
    overrides everything. Its parameters come from its seed on its first
    forward, as a Dense layer's do.
    """

    class SineLayer(Layer):
        def __init__(self, neurons, sine=True):
            self.neurons, self.sine = neurons, sine
            self.first, self.seed = True, None
            self.params, self.param_grads, self.operations = [], [], []

        def forward(self, input_, inference=False):
            if self.first:
                rng = np.random.default_rng(self.seed)
                self.params = [rng.normal(scale=0.7, size=(input_.shape[1], self.neurons)),
                               rng.uniform(0.5, 1.5, size=(1, self.neurons))]
                self.first = False
            self.input_ = input_
            self.mixed = input_ @ self.params[0]
            self.shape = np.sin(self.mixed) if self.sine else self.mixed
            self.output = self.shape * self.params[1] * (AT_INFERENCE if inference else 1.0)
            return self.output

        def backward(self, output_grad):
            if output_grad.shape != self.output.shape:
                raise ValueError(f"output_grad has shape {output_grad.shape}, expected {self.output.shape}")
            d_shape = output_grad * self.params[1]
            d_mixed = d_shape * np.cos(self.mixed) if self.sine else d_shape
            self.param_grads = [self.input_.T @ d_mixed, np.sum(output_grad * self.shape, axis=0, keepdims=True)]
            return d_mixed @ self.params[0].T

    class WeightedSquares:
        """Squared errors weighted 2, 3, 4, ... by column, summed and divided by the batch size."""

        def forward(self, prediction, target):
            self.prediction, self.target = prediction, target
            weights = np.arange(2, prediction.shape[1] + 2)
            self.output = float(np.sum(weights * (prediction - target) ** 2) / prediction.shape[0])
            return self.output

        def backward(self):
            weights = np.arange(2, self.prediction.shape[1] + 2)
            return 2.0 * weights * (self.prediction - self.target) / self.prediction.shape[0]

    return SineLayer, WeightedSquares


# -- for an optimiser ----------------------------------------------------------------------------

class ParameterHolder:
    """What an optimiser sees of a network: params() and param_grads(), generators over kept arrays."""

    def __init__(self, params, grads):
        self.arrays, self.grads = tuple(params), tuple(grads)

    def params(self):
        yield from self.arrays

    def param_grads(self):
        yield from self.grads


# -- for a trainer -------------------------------------------------------------------------------

class TinyLayer:
    """One weight array and one scale, drawn from its seed whenever `first` is set (as a Dense layer's are).

    It computes with the arrays it made; `params` lists those very arrays.
    """

    def __init__(self, n_features, seed):
        self.n_features, self.seed = n_features, seed
        self.first, self.setups = True, 0
        self.params, self.param_grads = [], []

    def forward(self, x, inference=False):
        if self.first:
            rng = np.random.default_rng([self.seed, self.setups])
            self.own = (rng.normal(size=(self.n_features, 1)), rng.uniform(0.5, 1.5, size=(1, 1)))
            self.params, self.param_grads = list(self.own), [np.zeros((self.n_features, 1)), np.zeros((1, 1))]
            self.first, self.setups = False, self.setups + 1
        return np.sin(x @ self.own[0]) * self.own[1]


class ScriptedLoss:
    """A validation loss that returns the next value of a script, and records the targets it was given."""

    def __init__(self, values):
        self.values, self.calls, self.targets_seen = list(values), 0, []

    def forward(self, prediction, target):
        if np.shape(prediction) != np.shape(target):
            raise ValueError(f"prediction {np.shape(prediction)} and target {np.shape(target)} differ in shape")
        self.targets_seen.append(float(np.sum(target)))
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return float(value)


class ScriptedNet:
    """A one-layer network that records what a trainer does with it.

    train_batch records each batch's first column (the rows' numbers) and
    returns a made-up loss; it computes no gradients. The validation loss
    (self.loss, which only the trainer uses) follows a script, so the test
    decides when it rises.
    """

    def __init__(self, n_features, seed, losses):
        self.layers = [TinyLayer(n_features, seed)]
        self.loss = ScriptedLoss(losses)
        self.batches, self.forward_flags = [], []

    def forward(self, x, inference=False):
        self.forward_flags.append(bool(inference))
        return self.layers[0].forward(x, inference)

    def train_batch(self, x, y, inference=False):
        self.batches.append(x[:, 0].copy())
        self.layers[0].forward(x)
        return float(np.sum(x[:, 0]))

    def params(self):
        yield from self.layers[0].params

    def param_grads(self):
        yield from self.layers[0].param_grads

    def bump(self, amount):
        """Change every parameter in place, as a training step would."""
        for param in self.layers[0].own:
            param += amount

    def current_params(self):
        """The values the network computes with (a trainer that rebinds params instead of writing into them shows here)."""
        return [param.copy() for param in self.layers[0].own]


class Nudge:
    """An optimiser that adds 0.01, 0.02, 0.03, ... to every parameter, step after step (no gradients)."""

    def __init__(self):
        self.net, self.steps = None, 0

    def step(self):
        self.steps += 1
        for param in self.net.params():
            param += 0.01 * self.steps

    def reset(self):
        pass

    def _setup_decay(self, max_epochs):
        pass

    def _decay_lr(self):
        pass


class ScriptedValidator:
    """Stands in for a trainer's validate: returns the decisions it was given, one per call, and records the calls."""

    def __init__(self, decisions):
        self.decisions, self.calls = list(decisions), []

    def __call__(self, X_val, y_val, epoch, early_stopping=True):
        self.calls.append((int(epoch), bool(early_stopping), float(np.sum(y_val))))
        return self.decisions[min(len(self.calls), len(self.decisions)) - 1]
