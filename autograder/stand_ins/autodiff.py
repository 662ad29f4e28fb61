"""Stand-ins for the hidden tests of notebook 08 (automatic differentiation).

Walking a graph (backward's order, the accumulation of gradients, releasing
them, grad mode) is judged on functions whose rules are fixed here, so that a
slip in the student's own tanh or division does not also cost the exercises
on backward. `functions(Function, Variable)` subclasses the Function class it
is given (the student's in the kernel, the reference's in the judge) with
rules written on plain arrays:

  Sine        sin x
  Mix         x0 + 2 x1, whose backward hands the incoming gradient object
              itself to x0 (as an addition does), so that a gradient added
              to in place shows up
  CosProduct  x0 cos(x1)
  SinCos      two outputs, sin x and cos x
  Twice       2 x, whose backward calls Twice again, so that a backward run
              with create_graph has something to record

None of them is an exercise: the notebook's elementary functions are add,
mul, neg, sub, div, power, exp, log, tanh, sigmoid and relu, whose rules must
be made of the engine's functions. `build_graph` replays a recipe (plain data,
see `recipe`) with these functions, so the judge builds the same graph in the
kernel and at home with one call each. The remaining helpers only call what
they are given or read what is there; none decides anything.

Imports nothing but numpy, so that its source alone can be installed in the kernel.
"""
import numpy as np

KINDS = ("Sine", "Mix", "CosProduct", "SinCos")
ARITY = {"Sine": 1, "Mix": 2, "CosProduct": 2, "SinCos": 1, "Twice": 1}


def functions(Function, Variable):
    """{name: a subclass of Function} for the rules above; gradients are made with Variable."""

    class Sine(Function):
        def forward(self, x):
            return np.sin(x)

        def backward(self, gy):
            return Variable(gy.data * np.cos(self.inputs[0].data))

    class Mix(Function):
        def forward(self, x0, x1):
            return x0 + 2 * x1

        def backward(self, gy):
            return gy, Variable(2 * gy.data)

    class CosProduct(Function):
        def forward(self, x0, x1):
            return x0 * np.cos(x1)

        def backward(self, gy):
            x0, x1 = (x.data for x in self.inputs)
            return Variable(gy.data * np.cos(x1)), Variable(-gy.data * x0 * np.sin(x1))

    class SinCos(Function):
        def forward(self, x):
            return np.sin(x), np.cos(x)

        def backward(self, g_sin, g_cos):
            x = self.inputs[0].data
            total = np.zeros_like(x)
            if g_sin is not None:
                total = total + g_sin.data * np.cos(x)
            if g_cos is not None:
                total = total - g_cos.data * np.sin(x)
            return Variable(total)

    class Twice(Function):
        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            return Twice()(gy)

    return {"Sine": Sine, "Mix": Mix, "CosProduct": CosProduct, "SinCos": SinCos, "Twice": Twice}


def recipe(seed, n_leaves, steps, kinds=KINDS, reach=4):
    """A random graph as plain data: [(kind, input positions), ...] over variables numbered leaves first.

    Inputs are drawn from the `reach` newest variables, so that paths are long
    and branches meet again (diamonds); SinCos adds two variables.
    """
    rng = np.random.default_rng(seed)
    steps_made, count = [], n_leaves
    for _ in range(steps):
        kind = kinds[int(rng.integers(len(kinds)))]
        positions = [int(rng.integers(max(0, count - reach), count)) for _ in range(ARITY[kind])]
        steps_made.append((kind, positions))
        count += 2 if kind == "SinCos" else 1
    return steps_made


def build_graph(Function, Variable, leaves, steps):
    """Replay `steps` on Variables made from the arrays `leaves`; return every variable, leaves first."""
    made = functions(Function, Variable)
    variables = [Variable(leaf) for leaf in leaves]
    for kind, positions in steps:
        out = made[kind]()(*[variables[i] for i in positions])
        variables.extend(out if isinstance(out, (list, tuple)) else [out])
    return variables


def gradients(variables):
    """Each variable's gradient array; None where it has none, and a phrase where it is not a Variable."""
    found = []
    for variable in variables:
        grad = variable.grad
        if grad is None:
            found.append(None)
        elif not isinstance(grad, np.ndarray) and isinstance(getattr(grad, "data", None), np.ndarray):
            found.append(grad.data)
        else:
            found.append(f"a {type(grad).__name__}, not a Variable")
    return found


def creators(variables):
    """Whether each variable has a creator (a gradient made with create_graph has one)."""
    return [getattr(variable, "creator", None) is not None for variable in variables]


def apply(f, *args, **kwargs):
    """f(*args, **kwargs): runs a judge-written expression on the kernel's own objects."""
    return f(*args, **kwargs)


def same(a, b):
    """Whether a and b are one object."""
    return a is b


def within(context, f, *args):
    """f(*args) inside `with context:`."""
    with context:
        return f(*args)


def raise_within(context):
    """Raise inside `with context:` and swallow the error outside it; returns whether it arrived."""
    try:
        with context:
            raise LookupError("raised inside the block")
    except LookupError:
        return True
    return False


def nested_states(make_context, config):
    """config.enable_backprop inside two nested blocks, inside the outer one only, and after both."""
    with make_context():
        with make_context():
            inner = config.enable_backprop
        between = config.enable_backprop
    return inner, between, config.enable_backprop
