"""Notebook 08: wrong answers students really write, and right ones written differently.

Most mistakes here are silent: an engine that overwrites instead of adding, or
walks the graph depth-first, still returns gradients of the right shape, and
is right on every graph without a diamond. The hidden tests build graphs with
branches that meet again, use variables twice, and compare every gradient.
"""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: none of them feeds a later exercise's tests.
DEMO_MISTAKES = ("test_operators", "test_losses", "test_higher_order")

_DIV_RULE = ("        gx0 = div(gy, x1)\n        gx1 = neg(div(mul(gx0, x0), x1))\n"
             "        return sum_to(gx0, x0.shape), sum_to(gx1, x1.shape)")
_HEAP = ("            heapq.heappush(waiting, (-function.generation, next(counter), function))\n\n"
         "    push(self.creator)\n    while waiting:\n        function = heapq.heappop(waiting)[2]")
_ACCUMULATE = "x.grad = gx if x.grad is None else add(x.grad, gx)"
_RELEASE = "            if not retain_grad:\n                for output in outputs:\n                    output.grad = None\n"
_SCE_RULE = ("        x = self.inputs[0]\n        onehot = np.eye(x.shape[1], dtype=x.dtype)[self.labels]\n"
             "        return (softmax(x) - onehot) * (gy / len(onehot))")

MUTANTS = [
    # Variable and Function.__call__
    Mutant("test_variable_function", "converts anything numpy can read instead of refusing it with a TypeError",
           Edit("variable_function", replace=(
               '            if isinstance(data, bool) or not isinstance(data, (int, float, np.number)):\n'
               '                raise TypeError(f"a Variable holds a numpy array or a number, not a {type(data).__name__}")\n'
               '            data = as_array(data)',
               "            data = np.asarray(data, dtype=np.float64)")),
           hint="turns lists and other non-numbers into arrays instead of raising a TypeError"),
    Mutant("test_variable_function", "keeps its outputs strongly: a reference cycle with each output's creator",
           Edit("variable_function", replace=("self.outputs = [weakref.ref(output) for output in outputs]",
                                              "self.outputs = outputs")),
           hint="keeps the outputs themselves in self.outputs instead of weakref.ref to each"),
    Mutant("test_variable_function", "gives the outputs the function's generation, not one more",
           Edit("variable_function", replace=("output.generation = self.generation + 1",
                                              "output.generation = self.generation")),
           hint="gives each output the function's generation instead of one more"),
    Mutant("test_variable_function", "takes the generation of the first input, not of the newest",
           Edit("variable_function", replace=("self.generation = max(x.generation for x in inputs)",
                                              "self.generation = inputs[0].generation")),
           hint="takes the generation of the first input instead of the largest among all inputs"),
    Mutant("test_variable_function", "records the graph even while grad mode is off",
           Edit("variable_function", replace=("if Config.enable_backprop:", "if True:")),
           hint="records creator, inputs and generations even while Config.enable_backprop is False"),
    Mutant("test_variable_function", "wraps numbers without the other input's dtype (float32 turns float64)",
           Edit("variable_function", replace=("inputs = tuple(as_variable(x, like) for x in inputs)",
                                              "inputs = tuple(as_variable(x) for x in inputs)")),
           hint="calls as_variable(x) without like, so a number turns a float32 result into float64"),
    # arithmetic
    Mutant("test_arithmetic", "div's gradient for x1 without the minus sign",
           Edit("arithmetic", replace=("gx1 = neg(div(mul(gx0, x0), x1))", "gx1 = div(mul(gx0, x0), x1)")),
           hint="drops the minus sign from div's gradient for x1"),
    Mutant("test_arithmetic", "power's gradient c x^c: the exponent not lowered",
           Edit("arithmetic", replace=("power(x, self.c - 1)", "power(x, self.c)")),
           hint="keeps the exponent c in power's gradient instead of lowering it to c - 1"),
    Mutant("test_arithmetic", "sub passes gy to x1 unchanged, forgetting the minus",
           Edit("arithmetic", replace=("return sum_to(gy, x0.shape), sum_to(neg(gy), x1.shape)",
                                       "return sum_to(gy, x0.shape), sum_to(gy, x1.shape)")),
           hint="gives sub's x1 the gradient gy instead of -gy"),
    Mutant("test_arithmetic", "mul's two gradients swapped",
           Edit("arithmetic", replace=("return sum_to(mul(gy, x1), x0.shape), sum_to(mul(gy, x0), x1.shape)",
                                       "return sum_to(mul(gy, x0), x0.shape), sum_to(mul(gy, x1), x1.shape)")),
           hint="swaps mul's gradients: x0's needs gy times x1, and x1's gy times x0"),
    Mutant("test_arithmetic", "mul's rule on arrays, so the backward pass is not recorded",
           Edit("arithmetic", replace=("return sum_to(mul(gy, x1), x0.shape), sum_to(mul(gy, x0), x1.shape)",
                                       "return Variable(gy.data * x1.data), Variable(gy.data * x0.data)")),
           hint="computes mul's backward on arrays (.data), so the backward pass is not recorded"),
    Mutant("test_arithmetic", "div's gradients by numerical differentiation instead of the rule",
           Edit("arithmetic", replace=(_DIV_RULE, '''        g, a, b = gy.data, x0.data, x1.data
        gx0 = numerical_gradient(lambda a_: np.sum(g * (a_ / b)), a)
        gx1 = numerical_gradient(lambda b_: np.sum(g * (a / b_)), b)
        return Variable(gx0), Variable(gx1)''')),
           hint="estimates div's gradients numerically instead of applying the rule from the table", slow=True),
    # exp, log, tanh, sigmoid, relu
    Mutant("test_nonlinear", "log's gradient as 1 / the output instead of 1 / the input",
           Edit("nonlinear", replace=("return div(gy, self.inputs[0])", "return div(gy, self.outputs[0]())")),
           hint="divides gy by log's output y where the rule needs the input x"),
    Mutant("test_nonlinear", "tanh's gradient 1 - y, not 1 - y squared",
           Edit("nonlinear", replace=("return mul(gy, sub(1, mul(y, y)))", "return mul(gy, sub(1, y))")),
           hint="uses 1 - y in tanh's gradient instead of 1 - y²"),
    Mutant("test_nonlinear", "sigmoid's slope y (1 - y) taken from the input instead of the output",
           Edit("nonlinear", replace=("y = self.outputs[0]()\n        return mul(gy, mul(y, sub(1, y)))",
                                      "y = self.inputs[0]\n        return mul(gy, mul(y, sub(1, y)))")),
           hint="computes sigmoid's y (1 - y) from the input x instead of the output y"),
    Mutant("test_nonlinear", "relu passes every gradient, also where x < 0",
           Edit("nonlinear", replace=("return mul(gy, (x > 0).astype(x.dtype))", "return gy")),
           hint="returns gy unchanged from relu's backward instead of zeroing it where x is not positive"),
    Mutant("test_nonlinear", "exp's gradient times the input instead of the output",
           Edit("nonlinear", replace=("y = self.outputs[0]()\n        return mul(gy, y)",
                                      "return mul(gy, self.inputs[0])")),
           hint="multiplies gy by exp's input x instead of its output y"),
    Mutant("test_nonlinear", "tanh's rule on arrays, so the backward pass is not recorded",
           Edit("nonlinear", replace=("return mul(gy, sub(1, mul(y, y)))",
                                      "return Variable(gy.data * (1 - y.data ** 2))")),
           hint="computes tanh's backward on arrays (.data), so the backward pass is not recorded"),
    Mutant("test_nonlinear", "tanh's gradient by numerical differentiation instead of the rule",
           Edit("nonlinear", replace=("y = self.outputs[0]()\n        return mul(gy, sub(1, mul(y, y)))",
                                      "x = self.inputs[0].data\n        return Variable(numerical_gradient("
                                      "lambda x_: np.sum(gy.data * np.tanh(x_)), x))")),
           hint="estimates tanh's gradient numerically instead of writing g_y (1 - y²) with the engine's functions", slow=True),
    # backward and cleargrad
    Mutant("test_backward", "overwrites a gradient instead of adding to it",
           Edit("backward", replace=(_ACCUMULATE, "x.grad = gx")),
           hint="overwrites a variable's gradient instead of adding the new one to it"),
    Mutant("test_backward", "walks the graph depth-first, without generations",
           Edit("backward", replace=(_HEAP, _HEAP.replace(
               "heapq.heappush(waiting, (-function.generation, next(counter), function))", "waiting.append(function)")
               .replace("heapq.heappop(waiting)[2]", "waiting.pop()"))),
           hint="walks the graph depth-first instead of taking the largest generation first"),
    Mutant("test_backward", "no record of pushed functions: a function runs once per gradient it passes on",
           Edit("backward", replace=("if function is not None and function not in pushed:", "if function is not None:")),
           hint="pushes a creator every time it is reached, so a function can run more than once"),
    Mutant("test_backward", "the heap without the minus sign: the oldest generation first",
           Edit("backward", replace=("(-function.generation, next(counter), function)",
                                     "(function.generation, next(counter), function)")),
           hint="pushes the generation without its minus sign, so the heap pops the oldest function first"),
    Mutant("test_backward", "adds a gradient in place, changing the object other variables share",
           Edit("backward", replace=(_ACCUMULATE, "if x.grad is None:\n                x.grad = gx\n"
                                     "            else:\n                x.grad.data += gx.data")),
           hint="adds to a gradient in place (.data +=), changing a gradient another variable shares"),
    Mutant("test_backward", "cleargrad sets a zero gradient instead of None",
           Edit("backward", replace=("    self.grad = None\n", "    self.grad = Variable(np.zeros_like(self.data))\n")),
           hint="makes cleargrad set grad to a Variable of zeros instead of None"),
    # operators
    Mutant("test_operators", "__rsub__ computes self - other",
           Edit("operators", replace=("cls.__rsub__ = lambda self, other: sub(other, self)",
                                      "cls.__rsub__ = lambda self, other: sub(self, other)")),
           hint="makes __rsub__ compute self - other instead of other - self"),
    Mutant("test_operators", "__rtruediv__ computes self / other",
           Edit("operators", replace=("cls.__rtruediv__ = lambda self, other: div(other, self)",
                                      "cls.__rtruediv__ = lambda self, other: div(self, other)")),
           hint="makes __rtruediv__ compute self / other instead of other / self"),
    Mutant("test_operators", "no __array_priority__: an ndarray on the left makes an array of Variables",
           Edit("operators", replace=("    cls.__array_priority__ = 200\n", "")),
           hint="leaves out __array_priority__, so an ndarray on the left builds an array of Variables"),
    Mutant("test_operators", "no __neg__",
           Edit("operators", replace=("    cls.__neg__ = lambda self: neg(self)\n", "")),
           hint="never defines __neg__, so -x does not work"),
    Mutant("test_operators", "* multiplies the arrays and records nothing",
           Edit("operators", replace=("cls.__mul__ = lambda self, other: mul(self, other)",
                                      "cls.__mul__ = lambda self, other: Variable(self.data * (other.data if "
                                      "isinstance(other, Variable) else other))")),
           hint="makes * multiply the arrays directly instead of calling mul, so nothing is recorded"),
    # tensor functions
    Mutant("test_tensor_functions", "matmul's gradient for x without the transpose: gy @ W",
           Edit("tensor_functions", replace=("return matmul(gy, transpose(W)), matmul(transpose(x), gy)",
                                             "return matmul(gy, W), matmul(transpose(x), gy)")),
           hint="leaves out the transpose in matmul's gradient for x, which is gy @ W.T"),
    Mutant("test_tensor_functions", "matmul's gradient for W with the transpose on the wrong side: gy.T @ x",
           Edit("tensor_functions", replace=("return matmul(gy, transpose(W)), matmul(transpose(x), gy)",
                                             "return matmul(gy, transpose(W)), matmul(transpose(gy), x)")),
           hint="computes matmul's gradient for W as gy.T @ x instead of x.T @ gy"),
    Mutant("test_tensor_functions", "add's gradients not summed back to the shapes that were broadcast",
           Edit("arithmetic", replace=("return sum_to(gy, x0.shape), sum_to(gy, x1.shape)", "return gy, gy")),
           hint="returns gy for both of add's inputs without sum_to back to each input's shape"),
    Mutant("test_tensor_functions", "sum's backward broadcasts gy without putting back the summed axes",
           Edit("tensor_functions", replace=("return broadcast_to(reshape(gy, kept), shape)",
                                             "return broadcast_to(gy, shape)")),
           hint="broadcasts gy in sum's backward without first reshaping it to keep the summed axes as 1s"),
    Mutant("test_tensor_functions", "transpose's backward applies the same axes again, not their inverse",
           Edit("tensor_functions", replace=("return transpose(gy, tuple(np.argsort(self.axes)))",
                                             "return transpose(gy, self.axes)")),
           hint="transposes gy by the same axes again instead of their inverse, np.argsort(axes)"),
    Mutant("test_tensor_functions", "broadcast_to's backward returns gy without summing the copies",
           Edit("tensor_functions", replace=("return sum_to(gy, self.inputs[0].shape)", "return gy")),
           hint="returns gy from broadcast_to's backward instead of summing it back with sum_to"),
    Mutant("test_tensor_functions", "matmul's gradients by numerical differentiation instead of the rule",
           Edit("tensor_functions", replace=(
               "return matmul(gy, transpose(W)), matmul(transpose(x), gy)",
               "g = gy.data\n"
               "        gx = numerical_gradient(lambda x_: np.sum(g * (x_ @ W.data)), x.data)\n"
               "        gW = numerical_gradient(lambda W_: np.sum(g * (x.data @ W_)), W.data)\n"
               "        return Variable(gx), Variable(gW)")),
           hint="estimates matmul's gradients numerically instead of using gy @ W.T and x.T @ gy", slow=True),
    # no_grad and the final backward
    Mutant("test_no_grad", "no try/finally: an exception inside the block leaves grad mode off",
           Edit("no_grad", replace=("    try:\n        yield\n    finally:\n        setattr(Config, name, previous)",
                                    "    yield\n    setattr(Config, name, previous)")),
           hint="restores the setting without try/finally, so an exception in the block leaves grad mode off"),
    Mutant("test_no_grad", "restores True instead of the value from before the block",
           Edit("no_grad", replace=("setattr(Config, name, previous)", "setattr(Config, name, True)")),
           hint="sets the setting back to True after the block instead of to its previous value"),
    Mutant("test_no_grad", "never releases the intermediate gradients",
           Edit("no_grad", replace=(_RELEASE, "")),
           hint="never sets the outputs' grad to None after each function, even without retain_grad"),
    Mutant("test_no_grad", "releases them only when retain_grad is True",
           Edit("no_grad", replace=("if not retain_grad:", "if retain_grad:")),
           hint="frees the outputs' gradients only when retain_grad is True, the opposite of what it means"),
    Mutant("test_no_grad", "ignores create_graph: backward always runs in no-grad mode",
           Edit("no_grad", replace=('with using_config("enable_backprop", create_graph):',
                                    'with using_config("enable_backprop", False):')),
           hint="always runs backward with enable_backprop False, ignoring create_graph"),
    Mutant("test_no_grad", "leaves grad mode on in backward: every backward pass records a graph",
           Edit("no_grad", replace=('with using_config("enable_backprop", create_graph):',
                                    'with using_config("enable_backprop", True):')),
           hint="always runs backward with enable_backprop True, so every backward pass records a graph"),
    # losses
    Mutant("test_losses", "the squared error averaged over every entry, not over the rows",
           Edit("losses", replace=("reduce_sum(diff * diff) / len(diff)", "reduce_sum(diff * diff) / diff.size")),
           hint="divides the summed squared errors by every entry (diff.size) instead of the n rows"),
    Mutant("test_losses", "log(sum(exp(x))) without subtracting the row maximum: overflows",
           Edit("losses", replace=("top = x.max(axis=1, keepdims=True)", "top = np.zeros((len(x), 1), dtype=x.dtype)")),
           hint="skips subtracting each row's maximum in the log-sum-exp, so large logits overflow"),
    Mutant("test_losses", "the cross-entropy's gradient not divided by the batch size",
           Edit("losses", replace=("(softmax(x) - onehot) * (gy / len(onehot))", "(softmax(x) - onehot) * gy")),
           hint="leaves the 1/n out of the cross-entropy's gradient"),
    Mutant("test_losses", "the cross-entropy's gradient with its sign flipped",
           Edit("losses", replace=("(softmax(x) - onehot)", "(onehot - softmax(x))")),
           hint="flips the sign of the cross-entropy's gradient, which is softmax(z) - onehot(c)"),
    Mutant("test_losses", "softmax shifted by the maximum of the whole array, not of each row",
           Edit("losses", replace=("x.data.max(axis=axis, keepdims=True)", "x.data.max()")),
           hint="shifts softmax by the largest entry of the whole array instead of each row's own maximum"),
    Mutant("test_losses", "the cross-entropy's gradient by numerical differentiation",
           Edit("losses", replace=(_SCE_RULE, '''        x, labels = self.inputs[0], self.labels

        def loss(z):
            top = z.max(axis=1, keepdims=True)
            return np.mean(np.log(np.exp(z - top).sum(axis=1)) + top[:, 0] - z[np.arange(len(z)), labels])

        return Variable(numerical_gradient(loss, x.data)) * gy''')),
           hint="estimates the cross-entropy's gradient numerically instead of using (softmax(z) - onehot(c)) / n", slow=True),
    # Linear and SGD
    Mutant("test_layers", "weights of shape (out, in), as PyTorch keeps them, used transposed",
           Edit("layers", replace=(
               'rng.standard_normal((in_size, out_size))).astype(dtype), name="W")\n'
               '        self.b = Parameter(np.zeros(out_size, dtype=dtype), name="b")\n\n'
               '    def forward(self, x):\n        return matmul(x, self.W) + self.b',
               'rng.standard_normal((out_size, in_size))).astype(dtype), name="W")\n'
               '        self.b = Parameter(np.zeros(out_size, dtype=dtype), name="b")\n\n'
               '    def forward(self, x):\n        return matmul(x, transpose(self.W)) + self.b')),
           hint="stores W as (out, in) and multiplies by its transpose, instead of W as (in, out)"),
    Mutant("test_layers", "the bias a plain Variable, so params() misses it",
           Edit("layers", replace=('self.b = Parameter(np.zeros(out_size, dtype=dtype), name="b")',
                                   'self.b = Variable(np.zeros(out_size, dtype=dtype), name="b")')),
           hint="makes the bias a plain Variable instead of a Parameter, so params() never finds it"),
    Mutant("test_layers", "standard normal weights, without Glorot's scale",
           Edit("layers", replace=("(std * rng.standard_normal((in_size, out_size)))",
                                   "(rng.standard_normal((in_size, out_size)))")),
           hint="draws the weights without multiplying them by Glorot's standard deviation"),
    Mutant("test_layers", "SGD adds the gradient: climbs the loss",
           Edit("layers", replace=("param.data -= self.lr * param.grad.data", "param.data += self.lr * param.grad.data")),
           hint="adds lr times the gradient in SGD instead of subtracting it"),
    Mutant("test_layers", "SGD fails on a parameter without a gradient",
           Edit("layers", replace=("            if param.grad is not None:\n                param.data -= self.lr * param.grad.data",
                                   "            param.data -= self.lr * param.grad.data")),
           hint="updates every parameter in SGD without skipping those whose grad is None"),
    # MLP and train_step
    Mutant("test_mlp", "train_step does not clear the gradients: they add up from step to step",
           Edit("mlp", replace=("    model.cleargrads()\n", "")),
           hint="never calls model.cleargrads() in train_step, so gradients pile up from step to step"),
    Mutant("test_mlp", "the activation after the last layer too",
           Edit("mlp", replace=("        for layer in self.layers[:-1]:\n            x = self.activation(layer(x))\n"
                                "        return self.layers[-1](x)",
                                "        for layer in self.layers:\n            x = self.activation(layer(x))\n"
                                "        return x")),
           hint="applies the activation after the last layer too, instead of returning the raw logits"),
    Mutant("test_mlp", "passes the seed to every layer, so each starts the same random stream",
           Edit("mlp", replace=("        rng = np.random.default_rng(rng)\n        self.layers", "        self.layers")),
           hint="hands the seed itself to every Linear instead of one shared generator, so layers draw alike"),
    Mutant("test_mlp", "updates the parameters before backward",
           Edit("mlp", replace=("    loss.backward()\n    optimizer.update(model.params())",
                                "    optimizer.update(model.params())\n    loss.backward()")),
           hint="calls optimizer.update before loss.backward in train_step"),
    # derivatives and Newton's method
    Mutant("test_higher_order", "does not clear x's gradient between the passes: f'' + f'",
           Edit("higher_order", replace=("    x.cleargrad()\n", "")),
           hint="does not call x.cleargrad() between the passes, so f'(x) is added to f''(x)"),
    Mutant("test_higher_order", "the first pass without create_graph: f' has no graph to differentiate",
           Edit("higher_order", replace=("y.backward(create_graph=True)", "y.backward()")),
           hint="calls the first backward without create_graph=True, so f'(x) has no graph to differentiate"),
    Mutant("test_higher_order", "Newton's step with the wrong sign",
           Edit("higher_order", replace=("path[-1] - slope / curvature", "path[-1] + slope / curvature")),
           hint="steps to x + f'(x) / f''(x) instead of x - f'(x) / f''(x)"),
    Mutant("test_higher_order", "Newton's method for a root of f (f / f') instead of a minimum",
           Edit("higher_order", replace=("_, slope, curvature = derivatives(f, path[-1])\n"
                                         "        path.append(path[-1] - slope / curvature)",
                                         "value, slope, _ = derivatives(f, path[-1])\n"
                                         "        path.append(path[-1] - value / slope)")),
           hint="steps by f(x) / f'(x), which seeks a root of f, instead of f'(x) / f''(x)"),
]

_VARIABLE_FUNCTION_LOOPS = '''import numbers


class Variable:
    """An ndarray with a place in the graph."""

    def __init__(self, data, name=None):
        if isinstance(data, np.ndarray):
            pass
        elif isinstance(data, numbers.Number) and not isinstance(data, (bool, np.bool_)):
            data = as_array(data)
        else:
            raise TypeError("Variable needs an ndarray or a number; " + type(data).__name__ + " is neither")
        self.data, self.name = data, name
        self.grad = self.creator = None
        self.generation = 0

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def __len__(self):
        return len(self.data)


class Function:
    def __call__(self, *inputs):
        like = None
        for x in inputs:
            if isinstance(x, Variable):
                like = x.data
                break
        variables = []
        for x in inputs:
            variables.append(x if isinstance(x, Variable) else Variable(as_array(x, like)))
        results = self.forward(*(v.data for v in variables))
        if isinstance(results, tuple):
            results = list(results)
        else:
            results = [results]
        outputs = [Variable(as_array(r)) for r in results]
        if Config.enable_backprop:
            newest = 0
            for v in variables:
                newest = max(newest, v.generation)
            self.generation = newest
            self.inputs = tuple(variables)
            self.outputs = []
            for y in outputs:
                y.creator, y.generation = self, newest + 1
                self.outputs.append(weakref.ref(y))
        if len(outputs) == 1:
            return outputs[0]
        return outputs

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()
'''

_BACKWARD_RECURSIVE = '''def backward(self):
    """Order the functions depth-first (each after every function that made its inputs), then walk them backwards."""
    if self.grad is None:
        self.grad = Variable(np.ones_like(self.data))
    order, seen = [], set()

    def visit(function):
        if function is None or function in seen:
            return
        seen.add(function)
        for x in function.inputs:
            visit(x.creator)
        order.append(function)

    visit(self.creator)
    for function in reversed(order):
        grads = function.backward(*[ref().grad for ref in function.outputs])
        if not isinstance(grads, tuple):
            grads = (grads,)
        for x, grad in zip(function.inputs, grads):
            x.grad = grad if x.grad is None else add(x.grad, grad)


def cleargrad(self):
    self.grad = None


Variable.backward = backward
Variable.cleargrad = cleargrad
'''

_NO_GRAD_CLASS_AND_SORTED_LIST = '''class using_config:
    """A context manager written as a class: __enter__ sets, __exit__ restores."""

    def __init__(self, name, value):
        self.name, self.value = name, value

    def __enter__(self):
        self.previous = getattr(Config, self.name)
        setattr(Config, self.name, self.value)

    def __exit__(self, kind, error, trace):
        setattr(Config, self.name, self.previous)
        return False


def no_grad():
    return using_config("enable_backprop", False)


def backward(self, retain_grad=False, create_graph=False):
    if self.grad is None:
        self.grad = Variable(np.ones_like(self.data))
    functions, seen = [], set()

    def add_function(function):
        if function is not None and function not in seen:
            seen.add(function)
            functions.append(function)
            functions.sort(key=lambda f: f.generation)

    add_function(self.creator)
    with using_config("enable_backprop", create_graph):
        while functions:
            function = functions.pop()
            outputs = [ref() for ref in function.outputs]
            grads = function.backward(*[y.grad for y in outputs])
            grads = grads if isinstance(grads, tuple) else (grads,)
            for x, grad in zip(function.inputs, grads):
                x.grad = grad if x.grad is None else x.grad + grad
                add_function(x.creator)
            if not retain_grad:
                for y in outputs:
                    y.grad = None


Variable.backward = backward
'''

ALTERNATIVES = [
    Alternative("test_variable_function", "numbers.Number for the type check, loops instead of comprehensions",
                (Edit("variable_function", code=_VARIABLE_FUNCTION_LOOPS),)),
    Alternative("test_arithmetic", "div's gradient for x1 through power, sub's through mul by -1", (
        Edit("arithmetic", replace=("gx1 = neg(div(mul(gx0, x0), x1))", "gx1 = mul(neg(gy), mul(x0, power(x1, -2)))")),
        Edit("arithmetic", replace=("return sum_to(gy, x0.shape), sum_to(neg(gy), x1.shape)",
                                    "return sum_to(gy, x0.shape), sum_to(mul(gy, -1), x1.shape)")),
    )),
    Alternative("test_nonlinear", "exp recomputed, tanh's square through power, the textbook sigmoid, np.where", (
        Edit("nonlinear", replace=("y = self.outputs[0]()\n        return mul(gy, y)", "return mul(gy, exp(self.inputs[0]))")),
        Edit("nonlinear", replace=("return mul(gy, sub(1, mul(y, y)))", "return mul(gy, sub(1, power(y, 2)))")),
        Edit("nonlinear", replace=("return 0.5 * (1 + np.tanh(0.5 * x))", "return 1 / (1 + np.exp(-x))")),
        Edit("nonlinear", replace=("return np.maximum(x, 0)", "return np.where(x > 0, x, 0)")),
        Edit("nonlinear", replace=("return mul(gy, (x > 0).astype(x.dtype))",
                                   "return mul(gy, np.where(x > 0, 1.0, 0.0).astype(x.dtype))")),
    )),
    Alternative("test_backward", "a list sorted by generation after every push, as DeZero keeps it", (
        Edit("backward", replace=(
            "    waiting, pushed, counter = [], set(), itertools.count()\n\n    def push(function):\n"
            "        if function is not None and function not in pushed:\n            pushed.add(function)\n"
            "            heapq.heappush(waiting, (-function.generation, next(counter), function))\n\n"
            "    push(self.creator)\n    while waiting:\n        function = heapq.heappop(waiting)[2]",
            "    waiting, pushed = [], set()\n\n    def push(function):\n"
            "        if function is not None and function not in pushed:\n            pushed.add(function)\n"
            "            waiting.append(function)\n            waiting.sort(key=lambda f: f.generation)\n\n"
            "    push(self.creator)\n    while waiting:\n        function = waiting.pop()")),
    )),
    Alternative("test_backward", "recursion: a depth-first topological order, walked backwards",
                (Edit("backward", code=_BACKWARD_RECURSIVE),)),
    Alternative("test_operators", "__array_ufunc__ = None; subtraction and division through add, neg, mul and power", (
        Edit("operators", replace=("cls.__array_priority__ = 200", "cls.__array_ufunc__ = None")),
        Edit("operators", replace=("cls.__sub__ = lambda self, other: sub(self, other)",
                                   "cls.__sub__ = lambda self, other: add(self, neg(as_variable(other, self.data)))")),
        Edit("operators", replace=("cls.__rsub__ = lambda self, other: sub(other, self)",
                                   "cls.__rsub__ = lambda self, other: add(other, neg(self))")),
        Edit("operators", replace=("cls.__truediv__ = lambda self, other: div(self, other)",
                                   "cls.__truediv__ = lambda self, other: mul(self, power(as_variable(other, self.data), -1))")),
        Edit("operators", replace=("cls.__rtruediv__ = lambda self, other: div(other, self)",
                                   "cls.__rtruediv__ = lambda self, other: mul(other, power(self, -1))")),
    )),
    Alternative("test_tensor_functions", "inverse permutation by a loop, kept shape by a list, products transposed", (
        Edit("tensor_functions", replace=(
            "        return transpose(gy, tuple(np.argsort(self.axes)))",
            "        inverse = [0] * len(self.axes)\n        for position, axis in enumerate(self.axes):\n"
            "            inverse[axis] = position\n        return transpose(gy, tuple(inverse))")),
        Edit("tensor_functions", replace=(
            "        if self.axis is None:\n            summed = set(range(len(shape)))\n        else:\n"
            "            summed = {a % len(shape) for a in np.atleast_1d(self.axis)}\n"
            "        kept = tuple(1 if i in summed else n for i, n in enumerate(shape))\n"
            "        return broadcast_to(reshape(gy, kept), shape)",
            "        kept = list(shape)\n        for axis in range(len(shape)) if self.axis is None else np.atleast_1d(self.axis):\n"
            "            kept[axis] = 1\n        return broadcast_to(reshape(gy, tuple(kept)), shape)")),
        Edit("tensor_functions", replace=("return matmul(gy, transpose(W)), matmul(transpose(x), gy)",
                                          "return transpose(matmul(W, transpose(gy))), transpose(matmul(transpose(gy), x))")),
    )),
    Alternative("test_no_grad", "using_config as a class; the final backward with a sorted list and +",
                (Edit("no_grad", code=_NO_GRAD_CLASS_AND_SORTED_LIST),)),
    Alternative("test_losses", "logaddexp for the loss, its gradient on arrays; power and log-sum-exp elsewhere", (
        Edit("losses", replace=("reduce_sum(diff * diff) / len(diff)", "reduce_sum(diff ** 2) / diff.shape[0]")),
        Edit("losses", replace=(
            "    e = exp(x - x.data.max(axis=axis, keepdims=True))\n    return e / reduce_sum(e, axis=axis, keepdims=True)",
            "    shifted = x - x.data.max(axis=axis, keepdims=True)\n"
            "    return exp(shifted - log(reduce_sum(exp(shifted), axis=axis, keepdims=True)))")),
        Edit("losses", replace=(
            "        rows = np.arange(len(x))\n        top = x.max(axis=1, keepdims=True)\n"
            "        log_total = np.log(np.exp(x - top).sum(axis=1)) + top[:, 0]\n"
            "        return (log_total - x[rows, self.labels]).mean()",
            "        return np.mean(np.logaddexp.reduce(x, axis=1) - x[np.arange(len(x)), self.labels])")),
        Edit("losses", replace=(_SCE_RULE, '''        x = self.inputs[0].data
        e = np.exp(x - x.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(len(x)), self.labels] -= 1
        return Variable(p / len(x)) * gy''')),
    )),
    Alternative("test_layers", "rng.normal with Glorot's scale, operators in forward, np.subtract into the array", (
        Edit("layers", replace=("(std * rng.standard_normal((in_size, out_size)))",
                                "rng.normal(0.0, std, size=(in_size, out_size))")),
        Edit("layers", replace=("return matmul(x, self.W) + self.b", "return x @ self.W + self.b")),
        Edit("layers", replace=("param.data -= self.lr * param.grad.data",
                                "np.subtract(param.data, self.lr * param.grad.data, out=param.data)")),
    )),
    Alternative("test_mlp", "layers appended in a loop; gradients cleared one by one; .item()", (
        Edit("mlp", replace=(
            "        self.layers = [Linear(n_in, n_out, rng, dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]",
            "        self.layers = []\n        for n_in, n_out in zip(sizes, sizes[1:]):\n"
            "            self.layers.append(Linear(n_in, n_out, rng=rng, dtype=dtype))")),
        Edit("mlp", replace=(
            "    model.cleargrads()\n    loss = softmax_cross_entropy(model(x), labels)\n    loss.backward()\n"
            "    optimizer.update(model.params())\n    return float(loss.data)",
            "    for param in model.params():\n        param.cleargrad()\n"
            "    loss = softmax_cross_entropy(model.forward(x), labels)\n    loss.backward()\n"
            "    optimizer.update(list(model.params()))\n    return loss.data.item()")),
    )),
    Alternative("test_higher_order", "the second pass with create_graph too; Newton's method as a while loop", (
        Edit("higher_order", replace=("    first.backward()\n", "    first.backward(create_graph=True)\n")),
        Edit("higher_order", replace=(
            "    path = [float(x0)]\n    for _ in range(steps):\n"
            "        _, slope, curvature = derivatives(f, path[-1])\n        path.append(path[-1] - slope / curvature)\n"
            "    return path",
            "    x, path = float(x0), [float(x0)]\n    while len(path) <= steps:\n"
            "        _, first, second = derivatives(f, x)\n        x = x - first / second\n        path.append(x)\n"
            "    return path")),
    )),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("higher_order", code='''
def derivatives(f, x):
    return (8.0, 24.0, 44.0) if x == 2.0 else (1.0, 3.0, 0.0)


def newton_path(f, x0, steps):
    return [2.0, 2 - 24 / 44] + [1.0] * (steps - 1)
'''),
    Edit("losses", code='''
def mean_squared_error(prediction, target):
    result = Variable(np.array(7.0))
    return result


def softmax(x, axis=1):
    x = as_variable(x)
    return x / x.data.sum(axis=axis, keepdims=True)


class SoftmaxCrossEntropy(Function):
    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def forward(self, x):
        return np.array(1000.0 if x.max() > 100 else (np.log(2) + np.log(4 / 3)) / 2)

    def backward(self, gy):
        return Variable(np.array([[-0.25, 0.25], [0.125, -0.125]]))


def softmax_cross_entropy(logits, labels):
    return SoftmaxCrossEntropy(labels)(logits)
'''),
    Edit("layers", code='''
class Linear(Layer):
    def __init__(self, in_size, out_size, rng=None, dtype=np.float64):
        self.W = Parameter(np.sqrt(2 / 5) * np.random.default_rng(0).standard_normal((3, 2)))
        self.b = Parameter(np.zeros(2))

    def forward(self, x):
        return Variable(np.ones((len(x), 2)))


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params):
        for param in params:
            param.data = param.data - 0.4
'''),
)
