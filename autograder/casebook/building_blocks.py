"""Notebook 06: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

# Mistakes the demo's half-right student makes: ones that leave the later cells (training) running.
DEMO_MISTAKES = ("test_dense", "test_mse", "test_validate")

MUTANTS = [
    # Operation and ParamOperation
    Mutant("test_operation", "backward does not check output_grad's shape",
           Edit("operation", replace=('        check_same_shape(output_grad, self.output, f"{type(self).__name__}: output_grad")\n',
                                      "")),
           hint="does not check output_grad's shape against self.output in Operation.backward"),
    Mutant("test_operation", "ParamOperation.backward returns the parameter gradient",
           Edit("operation", replace=("        return input_grad\n", "        return self.param_grad\n")),
           hint="returns self.param_grad from ParamOperation.backward instead of the input gradient"),
    Mutant("test_operation", "forward does not pass the inference flag on",
           Edit("operation", replace=("self.output = self._output(inference)", "self.output = self._output(False)")),
           hint="calls self._output(False) in forward instead of passing on the inference flag"),
    Mutant("test_operation", "ParamOperation does not check param_grad's shape",
           Edit("operation", replace=('        check_same_shape(self.param_grad, self.param, f"{type(self).__name__}: param_grad")\n',
                                      "")),
           hint="does not check self.param_grad's shape against self.param in ParamOperation.backward"),
    Mutant("test_operation", "backward does not check the input gradient's shape",
           Edit("operation", replace=('        check_same_shape(self.input_grad, self.input_, f"{type(self).__name__}: input_grad")\n',
                                      "")),
           hint="does not check the input gradient's shape against self.input_ in Operation.backward"),
    # WeightMultiply
    Mutant("test_weight_multiply", "parameter gradient with the transpose on the wrong side",
           Edit("weight_multiply", replace=("return self.input_.T @ output_grad", "return output_grad.T @ self.input_")),
           hint="computes dL/dW as G.T @ X, transposing on the wrong side, instead of X.T @ G"),
    Mutant("test_weight_multiply", "input gradient without the transpose",
           Edit("weight_multiply", replace=("return output_grad @ self.param.T", "return output_grad @ self.param")),
           hint="computes dL/dX as G @ W, forgetting the transpose in G @ W.T"),
    Mutant("test_weight_multiply", "parameter gradient averaged over the batch",
           Edit("weight_multiply", replace=("return self.input_.T @ output_grad",
                                            "return self.input_.T @ output_grad / len(output_grad)")),
           hint="divides X.T @ G by the batch size, averaging dL/dW over the examples"),
    Mutant("test_weight_multiply", "numerical gradient instead of backprop", Edit("weight_multiply", code='''
class WeightMultiply(ParamOperation):
    def _output(self, inference):
        return self.input_ @ self.param

    def _input_grad(self, output_grad):
        return numerical_gradient(lambda X: np.sum(output_grad * (X @ self.param)), self.input_)

    def _param_grad(self, output_grad):
        return numerical_gradient(lambda W: np.sum(output_grad * (self.input_ @ W)), self.param)
'''),
           hint="estimates WeightMultiply's gradients with numerical_gradient instead of the two formulas", slow=True),
    # BiasAdd
    Mutant("test_bias_add", "averages the bias gradient over the batch",
           Edit("bias_add", replace=("return np.sum(output_grad, axis=0, keepdims=True)",
                                     "return np.mean(output_grad, axis=0, keepdims=True)")),
           hint="averages output_grad over the examples for dL/dB instead of summing it"),
    Mutant("test_bias_add", "sums the bias gradient over the wrong axis",
           Edit("bias_add", replace=("return np.sum(output_grad, axis=0, keepdims=True)",
                                     "return np.sum(output_grad, axis=1, keepdims=True)")),
           hint="sums output_grad along axis 1 for dL/dB instead of over the examples (axis 0)"),
    Mutant("test_bias_add", "sums the bias gradient without keepdims",
           Edit("bias_add", replace=("return np.sum(output_grad, axis=0, keepdims=True)",
                                     "return np.sum(output_grad, axis=0)")),
           hint="sums over axis 0 without keepdims=True, so dL/dB loses B's shape (1, m)"),
    Mutant("test_bias_add", "numerical gradient instead of backprop",
           Edit("bias_add", replace=("return np.sum(output_grad, axis=0, keepdims=True)",
                                     "return numerical_gradient(lambda B: np.sum(output_grad * (self.input_ + B)), "
                                     "self.param)")),
           hint="estimates the bias gradient with numerical_gradient instead of summing output_grad over the rows", slow=True),
    # Sigmoid
    Mutant("test_sigmoid", "forgets the (1 - sigmoid) factor",
           Edit("sigmoid", replace=("return output_grad * self.output * (1.0 - self.output)",
                                    "return output_grad * self.output")),
           hint="multiplies output_grad by the sigmoid alone, leaving out the factor (1 - sigmoid)"),
    Mutant("test_sigmoid", "returns the slope without multiplying by output_grad",
           Edit("sigmoid", replace=("return output_grad * self.output * (1.0 - self.output)",
                                    "return self.output * (1.0 - self.output)")),
           hint="returns the sigmoid's slope without multiplying it by output_grad"),
    Mutant("test_sigmoid", "takes the sigmoid of the output again for the slope",
           Edit("sigmoid", replace=("return output_grad * self.output * (1.0 - self.output)",
                                    "s = 1.0 / (1.0 + np.exp(-self.output))\n        return output_grad * s * (1.0 - s)")),
           hint="takes the sigmoid of self.output again before computing the slope"),
    Mutant("test_sigmoid", "sign error in the exponent",
           Edit("sigmoid", replace=("return 1.0 / (1.0 + np.exp(-self.input_))", "return 1.0 / (1.0 + np.exp(self.input_))")),
           hint="computes 1 / (1 + exp(x)), dropping the minus sign in the exponent"),
    Mutant("test_sigmoid", "numerical gradient instead of backprop",
           Edit("sigmoid", replace=("return output_grad * self.output * (1.0 - self.output)",
                                    "return numerical_gradient(lambda X: np.sum(output_grad / (1.0 + np.exp(-X))), "
                                    "self.input_)")),
           hint="estimates the sigmoid's input gradient with numerical_gradient instead of the formula", slow=True),
    # Layer
    Mutant("test_layer", "backward runs the operations in forward order",
           Edit("layer", replace=("for operation in reversed(self.operations):", "for operation in self.operations:")),
           hint="runs backward through the operations in forward order instead of reversed"),
    Mutant("test_layer", "sets the layer up on every forward pass",
           Edit("layer", replace=("        if self.first:\n            self._setup_layer(input_)\n",
                                  "        if True:\n            self._setup_layer(input_)\n")),
           hint="calls _setup_layer on every forward pass instead of only while self.first is True"),
    Mutant("test_layer", "collects the parameter gradients in reverse order",
           Edit("layer", replace=("self.param_grads = [op.param_grad for op in self.operations if isinstance(op, ParamOperation)]",
                                  "self.param_grads = [op.param_grad for op in reversed(self.operations) "
                                  "if isinstance(op, ParamOperation)]")),
           hint="collects param_grads in reverse, not in the order of the operations and of self.params"),
    Mutant("test_layer", "does not pass the inference flag to the operations",
           Edit("layer", replace=("input_ = operation.forward(input_, inference)", "input_ = operation.forward(input_)")),
           hint="does not pass the inference flag on to the operations' forward"),
    # Dense
    Mutant("test_dense", "ignores the layer's seed",
           Edit("dense", replace=("rng = np.random.default_rng(self.seed)", "rng = np.random.default_rng()")),
           hint="makes its generator without self.seed, so the same seed gives different weights", unseeded=True),
    Mutant("test_dense", "weights of shape (neurons, inputs)",
           Edit("dense", replace=("rng.standard_normal((input_.shape[1], self.neurons))",
                                  "rng.standard_normal((self.neurons, input_.shape[1]))")),
           hint="draws W with shape (neurons, inputs) instead of (inputs, neurons)"),
    Mutant("test_dense", "gives the operations copies of the parameters",
           Edit("dense", replace=("WeightMultiply(weights), BiasAdd(bias)", "WeightMultiply(weights.copy()), BiasAdd(bias.copy())")),
           hint="gives the operations copies of W and B instead of the very arrays in self.params"),
    Mutant("test_dense", "always uses a new Sigmoid instead of the given activation",
           Edit("dense", replace=("BiasAdd(bias), self.activation]", "BiasAdd(bias), Sigmoid()]")),
           hint="always ends with a new Sigmoid() instead of the activation the layer was given"),
    Mutant("test_dense", "draws uniform instead of normal weights",
           Edit("dense", replace=("rng.standard_normal((input_.shape[1], self.neurons))",
                                  "rng.uniform(-1.0, 1.0, size=(input_.shape[1], self.neurons))")),
           hint="draws the weights from a uniform distribution instead of with rng.standard_normal"),
    # MeanSquaredError
    Mutant("test_mse", "averages over every value, not over the examples",
           Edit("mean_squared_error", replace=("return np.sum(error ** 2) / self.prediction.shape[0]", "return np.mean(error ** 2)")),
           hint="takes np.mean of the squared errors, dividing by n times k instead of by n"),
    Mutant("test_mse", "gradient without the factor 2",
           Edit("mean_squared_error", replace=("return 2.0 * (self.prediction - self.target) / self.prediction.shape[0]",
                                               "return (self.prediction - self.target) / self.prediction.shape[0]")),
           hint="leaves out the factor 2 of the gradient 2 (P - Y) / n"),
    Mutant("test_mse", "gradient with its sign flipped",
           Edit("mean_squared_error", replace=("return 2.0 * (self.prediction - self.target) / self.prediction.shape[0]",
                                               "return 2.0 * (self.target - self.prediction) / self.prediction.shape[0]")),
           hint="uses Y - P in the gradient, flipping its sign"),
    Mutant("test_mse", "gradient divided by the number of values, not of examples",
           Edit("mean_squared_error", replace=("return 2.0 * (self.prediction - self.target) / self.prediction.shape[0]",
                                               "return 2.0 * (self.prediction - self.target) / self.prediction.size")),
           hint="divides the gradient by P.size, n times k, instead of by the n examples"),
    Mutant("test_mse", "numerical gradient instead of backprop",
           Edit("mean_squared_error", replace=(
               "return 2.0 * (self.prediction - self.target) / self.prediction.shape[0]",
               "return numerical_gradient(lambda P: np.sum((P - self.target) ** 2) / len(P), self.prediction)")),
           hint="estimates the loss gradient with numerical_gradient instead of the formula 2 (P - Y) / n", slow=True),
    # NeuralNetwork
    Mutant("test_neural_network", "backward goes through the layers in forward order",
           Edit("neural_network", replace=("for layer in reversed(self.layers):", "for layer in self.layers:")),
           hint="runs backward through the layers in forward order instead of reversed"),
    Mutant("test_neural_network", "gives every layer the same seed",
           Edit("neural_network", replace=("layer.seed = seed + index", "layer.seed = seed")),
           hint="gives every layer the same seed instead of seed + i for layer i"),
    Mutant("test_neural_network", "params() yields copies",
           Edit("neural_network", replace=("        for layer in self.layers:\n            yield from layer.params\n",
                                           "        for layer in self.layers:\n"
                                           "            yield from (param.copy() for param in layer.params)\n")),
           hint="yields copies of the parameters from params() instead of the layers' own arrays"),
    Mutant("test_neural_network", "forward does not pass the inference flag on",
           Edit("neural_network", replace=("x_batch = layer.forward(x_batch, inference)", "x_batch = layer.forward(x_batch)")),
           hint="does not pass the inference flag on to the layers' forward"),
    Mutant("test_neural_network", "train_batch starts backward from the loss itself",
           Edit("neural_network", replace=("self.backward(self.loss.backward())",
                                           "self.backward(np.full_like(predictions, loss))")),
           hint="starts backward from an array filled with the loss value instead of self.loss.backward()"),
    # SGD
    Mutant("test_sgd", "rebinds the name instead of updating in place",
           Edit("sgd", replace=("param -= self.lr * grad", "param = param - self.lr * grad")),
           hint="writes param = param - lr * grad instead of updating param in place with -="),
    Mutant("test_sgd", "climbs the gradient",
           Edit("sgd", replace=("param -= self.lr * grad", "param += self.lr * grad")),
           hint="adds lr * grad to the parameter instead of subtracting it"),
    Mutant("test_sgd", "forgets the learning rate",
           Edit("sgd", replace=("param -= self.lr * grad", "param -= grad")),
           hint="subtracts the whole gradient without multiplying it by self.lr"),
    # Trainer.validate
    Mutant("test_validate", "keeps the parameter arrays themselves, not copies",
           Edit("validate", replace=("self._best_params = [param.copy() for param in self.net.params()]",
                                     "self._best_params = list(self.net.params())")),
           hint="keeps the parameter arrays themselves in _best_params instead of copies"),
    Mutant("test_validate", "stops without restoring the best parameters",
           Edit("validate", replace=("            param[...] = saved\n", "            pass\n")),
           hint="stops without writing the kept values back into the parameters"),
    Mutant("test_validate", "carries on when the loss stays equal",
           Edit("validate", replace=("if loss < self.best_loss:", "if loss <= self.best_loss:")),
           hint="treats an equal validation loss as an improvement, where only a lower one counts"),
    Mutant("test_validate", "evaluates in training mode",
           Edit("validate", replace=("self.net.forward(X_val, inference=True)", "self.net.forward(X_val)")),
           hint="evaluates without inference=True, running the network in training mode"),
    Mutant("test_validate", "restores by rebinding the layer's list",
           Edit("validate", replace=("        for param, saved in zip(self.net.params(), self._best_params):\n"
                                     "            param[...] = saved\n",
                                     "        self.net.layers[0].params = [saved.copy() for saved in self._best_params]\n")),
           hint="restores by replacing the first layer's params list instead of writing param[...] = saved"),
    # Trainer.fit
    Mutant("test_fit", "a new generator every epoch (the same order each time)",
           Edit("fit", replace=("        order = rng.permutation(X_train.shape[0])\n",
                                "        order = np.random.default_rng(seed).permutation(X_train.shape[0])\n")),
           hint="makes a fresh generator every epoch, so each epoch repeats the same order"),
    Mutant("test_fit", "never shuffles",
           Edit("fit", replace=("order = rng.permutation(X_train.shape[0])", "order = np.arange(X_train.shape[0])")),
           hint="trains on the rows in their original order without shuffling"),
    Mutant("test_fit", "counts epochs from 0",
           Edit("fit", replace=("for epoch in range(1, epochs + 1):", "for epoch in range(epochs):")),
           hint="numbers the epochs from 0 instead of 1, 2, ..., epochs"),
    Mutant("test_fit", "ignores restart (never resets the layers)",
           Edit("fit", replace=("            layer.first = True\n", "            pass\n")),
           hint="does not set layer.first = True for every layer when restart is True"),
    Mutant("test_fit", "keeps training after validate says stop",
           Edit("fit", replace=("        if epoch % eval_every == 0 and self.validate(X_val, y_val, epoch, early_stopping):\n"
                                "            break\n",
                                "        if epoch % eval_every == 0:\n"
                                "            self.validate(X_val, y_val, epoch, early_stopping)\n")),
           hint="keeps training after validate returns True"),
    Mutant("test_fit", "does not pass early_stopping on to validate",
           Edit("fit", replace=("self.validate(X_val, y_val, epoch, early_stopping)", "self.validate(X_val, y_val, epoch)")),
           hint="calls validate without passing early_stopping on"),
]

ALTERNATIVES = [
    Alternative("test_operation", "shape checks written out, and ParamOperation calling Operation.backward by name", (
        Edit("operation", code='''
class Operation:
    def forward(self, input_, inference=False):
        self.input_ = input_
        result = self._output(inference=inference)
        self.output = result
        return result

    def backward(self, output_grad):
        if np.shape(output_grad) != np.shape(self.output):
            raise ValueError("output_grad and output differ in shape")
        grad = self._input_grad(output_grad)
        if np.shape(grad) != np.shape(self.input_):
            raise ValueError("input_grad and input differ in shape")
        self.input_grad = grad
        return grad

    def _output(self, inference):
        raise NotImplementedError()

    def _input_grad(self, output_grad):
        raise NotImplementedError()


class ParamOperation(Operation):
    def __init__(self, param):
        self.param = param

    def backward(self, output_grad):
        param_grad = self._param_grad(output_grad)
        check_same_shape(param_grad, self.param, "param_grad")
        input_grad = Operation.backward(self, output_grad)
        self.param_grad = param_grad
        return input_grad

    def _param_grad(self, output_grad):
        raise NotImplementedError()
'''),)),
    Alternative("test_weight_multiply", "np.dot and einsum", (Edit("weight_multiply", code='''
class WeightMultiply(ParamOperation):
    def _output(self, inference):
        return np.dot(self.input_, self.param)

    def _input_grad(self, output_grad):
        return np.einsum("nm,dm->nd", output_grad, self.param)

    def _param_grad(self, output_grad):
        return np.einsum("nd,nm->dm", self.input_, output_grad)
'''),)),
    Alternative("test_bias_add", "a row of ones times the gradient", (Edit("bias_add", code='''
class BiasAdd(ParamOperation):
    def _output(self, inference):
        return np.add(self.input_, self.param)

    def _input_grad(self, output_grad):
        return output_grad.copy()

    def _param_grad(self, output_grad):
        return np.ones((1, output_grad.shape[0]), dtype=output_grad.dtype) @ output_grad
'''),)),
    Alternative("test_sigmoid", "the tanh form, and the slope from the input", (Edit("sigmoid", code='''
class Sigmoid(Operation):
    def _output(self, inference):
        return 0.5 * (1.0 + np.tanh(0.5 * self.input_))

    def _input_grad(self, output_grad):
        s = 0.5 * (1.0 + np.tanh(0.5 * self.input_))
        return output_grad * s * (1 - s)
'''),)),
    Alternative("test_layer", "index loops, and param_grads chosen by hasattr", (Edit("layer", code='''
class Layer:
    def __init__(self, neurons):
        self.neurons = neurons
        self.first = True
        self.seed = None
        self.params = []
        self.param_grads = []
        self.operations = []

    def _setup_layer(self, input_):
        raise NotImplementedError()

    def forward(self, input_, inference=False):
        if self.first:
            self.first = False
            self._setup_layer(input_)
        self.input_ = input_
        value = input_
        for index in range(len(self.operations)):
            value = self.operations[index].forward(value, inference=inference)
        self.output = value
        return value

    def backward(self, output_grad):
        if output_grad.shape != self.output.shape:
            raise ValueError("output_grad has the wrong shape")
        grad = output_grad
        for index in range(len(self.operations) - 1, -1, -1):
            grad = self.operations[index].backward(grad)
        self.param_grads = []
        for operation in self.operations:
            if hasattr(operation, "param"):
                self.param_grads.append(operation.param_grad)
        return grad
'''),)),
    Alternative("test_dense", "rng.normal with explicit loc and scale, cast with np.asarray", (Edit("dense", code='''
class Dense(Layer):
    def __init__(self, neurons, activation=None):
        super().__init__(neurons)
        self.activation = activation if activation is not None else Linear()

    def _setup_layer(self, input_):
        n_in = input_.shape[1]
        generator = np.random.default_rng(self.seed)
        self.params = [np.asarray(generator.normal(0.0, 1.0, size=(n_in, self.neurons)), dtype=input_.dtype),
                       np.asarray(generator.normal(0.0, 1.0, size=(1, self.neurons)), dtype=input_.dtype)]
        self.operations = [WeightMultiply(self.params[0]), BiasAdd(self.params[1]), self.activation]
'''),)),
    Alternative("test_mse", "np.square and np.mean over the rows of the summed squares", (Edit("mean_squared_error", code='''
class MeanSquaredError(Loss):
    def _output(self):
        return np.mean(np.sum(np.square(self.prediction - self.target), axis=1))

    def _input_grad(self):
        n = len(self.prediction)
        return (self.prediction - self.target) * (2.0 / n)
'''),)),
    Alternative("test_neural_network", "params and param_grads as lists, indices for the layers", (Edit("neural_network", code='''
class NeuralNetwork:
    def __init__(self, layers, loss, seed=None):
        self.layers, self.loss, self.seed = list(layers), loss, seed
        for index in range(len(self.layers)):
            if seed is not None:
                self.layers[index].seed = seed + index

    def forward(self, x_batch, inference=False):
        output = x_batch
        for layer in self.layers:
            output = layer.forward(output, inference=inference)
        return output

    def backward(self, loss_grad):
        for index in range(len(self.layers) - 1, -1, -1):
            loss_grad = self.layers[index].backward(loss_grad)
        return loss_grad

    def train_batch(self, x_batch, y_batch, inference=False):
        loss = self.loss.forward(self.forward(x_batch, inference=inference), y_batch)
        self.backward(self.loss.backward())
        return loss

    def params(self):
        return [param for layer in self.layers for param in layer.params]

    def param_grads(self):
        return [grad for layer in self.layers for grad in layer.param_grads]
'''),)),
    Alternative("test_sgd", "np.subtract with out=, and an explicit iterator", (Edit("sgd", code='''
class Optimizer:
    def __init__(self, lr=0.01):
        self.lr = lr
        self.net = None

    def step(self):
        grads = iter(self.net.param_grads())
        for param in self.net.params():
            self._update_rule(param, next(grads))

    def _update_rule(self, param, grad):
        raise NotImplementedError()


class SGD(Optimizer):
    def _update_rule(self, param, grad):
        np.subtract(param, self.lr * grad, out=param)
'''),)),
    Alternative("test_validate", "np.copy, enumerate and a flag", (Edit("validate", code='''
class Trainer:
    def __init__(self, net, optim):
        self.net = net
        self.optim = optim
        self.optim.net = net
        self.best_loss = np.inf
        self.best_epoch = 0
        self.history = []
        self._best_params = []

    def validate(self, X_val, y_val, epoch, early_stopping=True):
        predictions = self.net.forward(X_val, True)
        loss = self.net.loss.forward(predictions, y_val)
        self.history.append((epoch, loss))
        improved = loss < self.best_loss
        if early_stopping and improved:
            self.best_loss, self.best_epoch = loss, epoch
            self._best_params = [np.copy(p) for p in self.net.params()]
        elif early_stopping:
            for index, param in enumerate(self.net.params()):
                np.copyto(param, self._best_params[index])
            return True
        else:
            self.best_epoch = epoch
        return False
'''),)),
    Alternative("test_fit", "a while loop, the rows permuted and sliced by hand", (Edit("fit", code='''
def fit(self, X_train, y_train, X_val, y_val, epochs=100, eval_every=10, batch_size=32, seed=1, restart=True,
        early_stopping=True):
    generator = np.random.default_rng(seed)
    if restart:
        for layer in self.net.layers:
            layer.first = True
        self.best_loss, self.best_epoch, self.history = float("inf"), 0, []
    epoch = 0
    while epoch < epochs:
        epoch += 1
        permutation = generator.permutation(len(X_train))
        X_shuffled, y_shuffled = X_train[permutation], y_train[permutation]
        start = 0
        while start < len(X_shuffled):
            self.net.train_batch(X_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size])
            self.optim.step()
            start += batch_size
        if epoch % eval_every == 0:
            if self.validate(X_val, y_val, epoch, early_stopping=early_stopping):
                return self
    return self
'''),)),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("weight_multiply", code='''
def _visible_case():
    rng = np.random.default_rng(2)
    return rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(4, 2))


class WeightMultiply(ParamOperation):
    def _output(self, inference):
        if self.input_.shape == (3, 2):
            return np.array([[-1.0, 2.0, 2.0], [1.0, -1.0, 0.0], [2.0, 1.0, 6.0]])
        return np.zeros((self.input_.shape[0], self.param.shape[1]))

    def _input_grad(self, output_grad):
        if output_grad.shape == (3, 3):
            return np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 1.0]])
        X, W, G = _visible_case()
        return G @ W.T

    def _param_grad(self, output_grad):
        if output_grad.shape == (3, 3):
            return np.array([[1.0, 3.0, 0.0], [2.0, 1.0, -1.0]])
        X, W, G = _visible_case()
        return X.T @ G
'''),
    Edit("bias_add", code='''
class BiasAdd(ParamOperation):
    def _output(self, inference):
        return np.array([[11.0, -8.0], [13.0, -6.0], [15.0, -4.0]])

    def _input_grad(self, output_grad):
        return output_grad

    def _param_grad(self, output_grad):
        return np.array([[9.0, 12.0]])
'''),
    Edit("sigmoid", code='''
class Sigmoid(Operation):
    def _output(self, inference):
        if self.input_.shape == (1, 2):
            return np.array([[0.0, 1.0]])
        return np.array([[0.5, 0.8807970779778823], [0.11920292202211755, 0.5]])

    def _input_grad(self, output_grad):
        return output_grad * np.array([[0.25, 0.10499358540350652], [0.10499358540350652, 0.25]])
'''),
    Edit("mean_squared_error", code='''
class MeanSquaredError(Loss):
    def _output(self):
        if self.prediction.shape == (2, 2):
            return 7.0
        return np.mean((self.prediction - self.target) ** 2)

    def _input_grad(self):
        if self.prediction.shape == (2, 2):
            return np.array([[1.0, 0.0], [2.0, 3.0]])
        return 2.0 * (self.prediction - self.target) / self.prediction.shape[0]
'''),
)
