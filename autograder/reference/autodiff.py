"""Reference for notebook 08, automatic differentiation (after Saitoh's DeZero).

A define-by-run engine on numpy arrays. Every ``Function`` call computes its
output at once and, while grad mode is on, records how the output was made:
the output remembers its ``creator`` and the function remembers its inputs.
``Variable.backward`` then walks that record from the output back to the
leaves, newest function first, applying the chain rule one function at a time.

Three ideas carry the whole engine:
  - **generations**: a function's generation is one more than its newest
    input's creator, so visiting the largest generation first guarantees that
    every gradient a function receives is complete before it passes it on
    (a plain depth-first walk gets ``a = x*x; y = a + a*x`` wrong);
  - **accumulation**: a variable used twice receives two gradients, and the
    chain rule says to add them (``x + x`` has gradient 2, not 1);
  - **backward is made of Functions too**: each backward rule is written with
    the same Functions on Variables, so with ``create_graph=True`` the
    backward pass records a graph of its own and can be differentiated again.

Outputs are held by their functions through weak references only: a function
keeps its inputs alive, never its outputs, so a graph is freed as soon as the
program lets go of its output (a strong cycle would keep it until the garbage
collector runs). Everything computes in float64 unless given float32 arrays,
which stay float32.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import weakref

import numpy as np

# ------------------------------------------------------------------ grad mode


class Config:
    """Whether Function calls record the graph (off for evaluation and updates)."""

    enable_backprop = True


@contextlib.contextmanager
def using_config(name: str, value):
    """Set ``Config.<name>`` inside the block; the old value comes back even on an exception."""
    previous = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, previous)


def no_grad():
    """``with no_grad():`` computes values without recording a graph: cheaper, and nothing to free."""
    return using_config("enable_backprop", False)


# ------------------------------------------------------------------- variable


def as_array(value, like: np.ndarray | None = None) -> np.ndarray:
    """An ndarray for ``value``. A Python number next to a float array takes that
    array's dtype, so ``x32 * 2`` stays float32 (a 0-d float64 array would not)."""
    if isinstance(value, np.ndarray):
        return value
    if like is not None and like.dtype.kind == "f" and isinstance(value, (int, float)):
        return np.asarray(value, dtype=like.dtype)
    return np.asarray(value, dtype=np.float64 if isinstance(value, (int, float, np.integer)) else None)


def as_variable(value, like: np.ndarray | None = None) -> Variable:
    return value if isinstance(value, Variable) else Variable(as_array(value, like))


class Variable:
    """An ndarray with a place in the graph: its gradient, and the function that made it.

    ``grad`` is itself a Variable (or None), so that the backward pass can be
    recorded and differentiated again. ``generation`` is 0 for a leaf and
    one more than its creator's for a computed value.
    """

    __slots__ = ("data", "name", "grad", "creator", "generation", "__weakref__")
    # numpy's operators step aside for a higher priority: ndarray * Variable calls our __rmul__.
    __array_priority__ = 200

    def __init__(self, data, name: str | None = None):
        if not isinstance(data, np.ndarray):
            if isinstance(data, bool) or not isinstance(data, (int, float, np.integer, np.floating)):
                raise TypeError(f"Variable takes a numpy array or a number, not {type(data).__name__}")
            data = as_array(data)
        self.data = data
        self.name = name
        self.grad: Variable | None = None
        self.creator: Function | None = None
        self.generation = 0

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)
    T = property(lambda self: transpose(self))

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = str(self.data).replace("\n", "\n" + " " * 9)
        return f"Variable({body}{'' if self.name is None else ', name=' + repr(self.name)})"

    def cleargrad(self) -> None:
        """Forget the gradient, before a new backward pass would add to it."""
        self.grad = None

    def reshape(self, *shape):
        return reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    def transpose(self, *axes):
        return transpose(self, axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes or None)

    def sum(self, axis=None, keepdims=False):
        return sum(self, axis, keepdims)

    def backward(self, retain_grad: bool = False, create_graph: bool = False) -> None:
        """Fill ``grad`` of every variable this one depends on with d(self)/d(it).

        The seed d(self)/d(self) is ones. Functions wait in a heap keyed on
        their generation, newest first, each entered once. Unless
        ``retain_grad``, every computed variable's gradient (this one's too)
        is dropped once passed on, and only the leaves keep theirs: a stale
        gradient left on an intermediate would be added to by the next
        backward through it. With ``create_graph`` the backward rules run in
        grad mode, so the gradients are Variables with a graph of their own.
        """
        if self.grad is None:
            self.grad = Variable(np.ones_like(self.data))
        with using_config("enable_backprop", create_graph):
            for function in newest_first(self):
                outputs = [output() for output in function.outputs]
                gxs = function.backward(*[output.grad for output in outputs])
                if not isinstance(gxs, tuple):
                    gxs = (gxs,)
                for x, gx in zip(function.inputs, gxs):
                    x.grad = gx if x.grad is None else x.grad + gx  # a new Variable: never += in place
                if not retain_grad:
                    for output in outputs:
                        output.grad = None

    __neg__ = lambda self: neg(self)
    __add__ = __radd__ = lambda self, other: add(self, other)
    __mul__ = __rmul__ = lambda self, other: mul(self, other)
    __sub__ = lambda self, other: sub(self, other)
    __rsub__ = lambda self, other: sub(other, self)
    __truediv__ = lambda self, other: div(self, other)
    __rtruediv__ = lambda self, other: div(other, self)
    __pow__ = lambda self, exponent: pow(self, exponent)
    __matmul__ = lambda self, other: matmul(self, other)
    __rmatmul__ = lambda self, other: matmul(other, self)


def newest_first(output: Variable):
    """Every function ``output`` depends on, each once, largest generation first.

    A heap keyed on minus the generation (and a counter, so that equal
    generations never compare functions) always hands out the newest
    function waiting; a function is entered when one of its outputs is
    reached, so by the time it comes out, everything that uses its outputs
    has already come out before it.
    """
    waiting, seen, counter = [], set(), itertools.count()

    def enter(function) -> None:
        if function is not None and function not in seen:
            seen.add(function)
            heapq.heappush(waiting, (-function.generation, next(counter), function))

    enter(output.creator)
    while waiting:
        function = heapq.heappop(waiting)[2]
        yield function
        for x in function.inputs:
            enter(x.creator)


class Parameter(Variable):
    """A Variable that a model learns; layers and optimisers look for these."""

    __slots__ = ()


# ------------------------------------------------------------------- function


class Function:
    """One step of the computation: ``forward`` on arrays, ``backward`` on Variables.

    ``backward(*gys)`` receives d(loss)/d(output) for each output and returns
    d(loss)/d(input) for each input, with the shape of that input.
    """

    def __call__(self, *inputs):
        """Wrap numbers and arrays as Variables, run ``forward`` on their data,
        wrap the results; in grad mode, also link outputs and function both ways
        (the outputs only weakly) and stamp the generations."""
        if not all([isinstance(x, Variable) for x in inputs]):
            like = next((x.data for x in inputs if isinstance(x, Variable)), None)
            inputs = tuple([as_variable(x, like) for x in inputs])
        ys = self.forward(*[x.data for x in inputs])
        outputs = [Variable(y) for y in ys] if isinstance(ys, tuple) else [Variable(ys)]
        if Config.enable_backprop:
            self.generation = max([x.generation for x in inputs])
            for output in outputs:
                output.creator = self
                output.generation = self.generation + 1
            self.inputs = inputs
            self.outputs = [weakref.ref(output) for output in outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError


# ------------------------------------------------------ elementary functions
# Two-input rules end in sum_to: an input that numpy broadcast was used once
# per copy, so its gradient is the sum over those copies.


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy, x0.shape), sum_to(gy, x1.shape)


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy * x1, x0.shape), sum_to(gy * x0, x1.shape)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Sub(Function):
    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return sum_to(gy, x0.shape), sum_to(-gy, x1.shape)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy / x1
        return sum_to(gx0, x0.shape), sum_to(-gx0 * x0 / x1, x1.shape)


class Pow(Function):
    """x ** c for a constant c: d/dx = c x^(c-1)."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x ** self.c

    def backward(self, gy):
        x = self.inputs[0]
        return gy * self.c * x ** (self.c - 1)


class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        return gy * self.outputs[0]()  # exp' = exp: reuse the output


class Log(Function):
    def forward(self, x):
        return np.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]  # 1 / the input, not the output


class Tanh(Function):
    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * (1 - y * y)


class Sigmoid(Function):
    def forward(self, x):
        return 0.5 * (1 + np.tanh(0.5 * x))  # 1 / (1 + exp(-x)) without exp overflowing

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y * (1 - y)


class ReLU(Function):
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * (x > 0).astype(x.dtype)  # the mask is a constant: relu'' = 0


def add(x0, x1):
    return Add()(x0, x1)


def mul(x0, x1):
    return Mul()(x0, x1)


def neg(x):
    return Neg()(x)


def sub(x0, x1):
    return Sub()(x0, x1)


def div(x0, x1):
    return Div()(x0, x1)


def pow(x, c):
    if isinstance(c, Variable):
        raise TypeError("the exponent must be a constant number, not a Variable")
    return Pow(c)(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def relu(x):
    return ReLU()(x)


# ----------------------------------------------------------- tensor functions
# Each one's backward is its mirror image: reshape back, transpose back, and
# broadcast what was summed or sum what was broadcast. Asking reshape,
# broadcast_to or sum_to for the shape a variable already has costs nothing.


def sum_to_shape(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``x`` down to ``shape``, the shape it was broadcast from: over the
    leading axes broadcasting added, and over the axes that were stretched from 1."""
    lead = x.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    y = x.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return y.reshape(shape) if lead else y


class Reshape(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return transpose(gy, None if self.axes is None else tuple(np.argsort(self.axes)))


class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        shape = self.inputs[0].shape
        axes = range(len(shape)) if self.axis is None else {a % len(shape) for a in np.atleast_1d(self.axis)}
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))  # the keepdims shape
        return broadcast_to(reshape(gy, kept), shape)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


class SumTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return sum_to_shape(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


class MatMul(Function):
    """x (n, k) @ W (k, m): dx = gy @ W.T and dW = x.T @ gy."""

    def forward(self, x, W):
        if x.ndim != 2 or W.ndim != 2:
            raise ValueError(f"matmul takes two matrices, got shapes {x.shape} and {W.shape}")
        return x @ W

    def backward(self, gy):
        x, W = self.inputs
        return matmul(gy, W.T), matmul(x.T, gy)


def reshape(x, shape):
    return as_variable(x) if x.shape == tuple(shape) else Reshape(shape)(x)


def transpose(x, axes=None):
    return Transpose(axes)(x)


def sum(x, axis=None, keepdims=False):
    return Sum(axis, keepdims)(x)


def broadcast_to(x, shape):
    return as_variable(x) if x.shape == tuple(shape) else BroadcastTo(shape)(x)


def sum_to(x, shape):
    return as_variable(x) if x.shape == tuple(shape) else SumTo(shape)(x)


def matmul(x, W):
    return MatMul()(x, W)


# ---------------------------------------------------------- losses and layers


def mean_squared_error(prediction, target):
    """Squared error summed over the outputs, averaged over the batch (as in notebooks 04-07)."""
    diff = prediction - target
    return sum(diff * diff) / (diff.shape[0] if diff.ndim else 1)


class Softmax(Function):
    """exp(x - max) / its sum along ``axis``: the shift cancels but keeps exp finite.

    Backward, with y the output: gx = y * (gy - sum(gy * y)), which is the
    Jacobian diag(y) - y y^T applied to gy without building it.
    """

    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, gy):
        y = self.outputs[0]()
        return y * (gy - sum(gy * y, axis=self.axis, keepdims=True))


def softmax(x, axis=1):
    return Softmax(axis)(x)


class SoftmaxCrossEntropy(Function):
    """Mean over the batch of -log softmax(logits)[label], labels as class indices.

    -log p[t] = logsumexp(x) - x[t], with logsumexp computed after shifting by
    the row maximum, so logits of 1000 are no trouble. The gradient is
    (softmax(x) - onehot) / N.
    """

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def forward(self, x):
        if x.ndim != 2 or self.labels.shape != (len(x),):
            raise ValueError(f"logits (N, classes) need N class indices, got shapes {x.shape} and {self.labels.shape}")
        top = x.max(axis=1)
        logsumexp = top + np.log(np.exp(x - top[:, None]).sum(axis=1))
        return (logsumexp - x[np.arange(len(x)), self.labels]).sum() / len(x)

    def backward(self, gy):
        x = self.inputs[0]
        onehot = np.zeros_like(x.data)
        onehot[np.arange(len(onehot)), self.labels] = 1
        return (softmax(x) - onehot) * (gy / len(onehot))


def softmax_cross_entropy(logits, labels):
    return SoftmaxCrossEntropy(labels)(logits)


class Layer:
    """Anything holding Parameters, directly or inside Layers it holds (alone or in a list)."""

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def forward(self, *inputs):
        raise NotImplementedError

    def params(self):
        for value in vars(self).values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Parameter):
                    yield item
                elif isinstance(item, Layer):
                    yield from item.params()

    def cleargrads(self) -> None:
        for param in self.params():
            param.cleargrad()


class Model(Layer):
    """A Layer meant to be trained whole; the name says what it is for."""


class Linear(Layer):
    """x @ W + b with W drawn by Glorot (std sqrt(2 / (in + out))) and b zeros."""

    def __init__(self, in_size: int, out_size: int, rng: np.random.Generator, dtype=np.float64):
        std = np.sqrt(2.0 / (in_size + out_size))
        self.W = Parameter((std * rng.standard_normal((in_size, out_size))).astype(dtype), name="W")
        self.b = Parameter(np.zeros(out_size, dtype=dtype), name="b")

    def forward(self, x):
        return matmul(x, self.W) + self.b


class MLP(Model):
    """Linear layers of the given sizes with ``activation`` between them, none
    after the last: MLP((784, 89, 10), rng) is notebook 07's network."""

    def __init__(self, sizes, rng: np.random.Generator, activation=tanh, dtype=np.float64):
        self.layers = [Linear(n_in, n_out, rng, dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.activation = activation

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class SGD:
    """param -= lr * grad, in place, for every Parameter that has a gradient."""

    def __init__(self, lr: float = 0.01):
        self.lr = lr

    def update(self, params) -> None:
        for param in params:
            if param.grad is not None:
                param.data -= self.lr * param.grad.data


# ----------------------------------------------------------------- the graph


def graph_of(output: Variable) -> dict:
    """The graph that made ``output``, as data: {"nodes": [...], "edges": [...]}.

    Each node is a dict with ``id``, ``kind`` ("variable" or "function"),
    ``label`` (a variable's name or "", a function's class name), ``shape``
    (None for functions) and ``grad_norm`` (None without a gradient). Each
    edge is an (id, id) pair: input variable -> function -> output variable.
    Nodes come newest first, the order backward visits them. Only leaves
    have a gradient after ``backward()``; ``backward(retain_grad=True)`` keeps
    every node's.
    """
    ids, nodes, edges = {}, [], []

    def node(obj) -> int:
        if id(obj) not in ids:
            ids[id(obj)] = len(nodes)
            is_variable = isinstance(obj, Variable)
            grad = obj.grad if is_variable else None
            nodes.append({"id": len(nodes), "kind": "variable" if is_variable else "function",
                          "label": (obj.name or "") if is_variable else type(obj).__name__,
                          "shape": obj.shape if is_variable else None,
                          "grad_norm": None if grad is None else float(np.linalg.norm(grad.data))})
        return ids[id(obj)]

    node(output)
    for function in newest_first(output):
        f = node(function)
        edges += [(f, node(y)) for y in (ref() for ref in function.outputs) if y is not None]
        edges += [(node(x), f) for x in function.inputs]
    return {"nodes": nodes, "edges": edges}
