"""Notebook 02: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

DEMO_MISTAKES = ("test_chain_deriv_3", "test_product_sigmoid_backward", "test_neuron_backward")

MUTANTS = [
    Mutant("test_chain", "applies the functions last to first",
           Edit("chain", replace=("for f in functions:", "for f in reversed(functions):")),
           hint="applies the list from last to first; the first function in the list must go first"),
    Mutant("test_chain", "handles exactly two functions",
           Edit("chain", code='''
def chain(functions):
    return lambda x: functions[1](functions[0](x))
'''),
           hint="always composes just the first two functions instead of the whole list, of any length"),
    Mutant("test_chain_deriv_2", "evaluates the outer derivative at x",
           Edit("chain_deriv_2", replace=("return df2(inner) * df1(x)", "return df2(x) * df1(x)")),
           hint="evaluates df2 at x instead of at f1(x), the value that actually reaches f2"),
    Mutant("test_chain_deriv_2", "forgets the inner derivative",
           Edit("chain_deriv_2", replace=("return df2(inner) * df1(x)", "return df2(inner)")),
           hint="returns df2(f1(x)) alone, without multiplying by the inner derivative df1(x)"),
    Mutant("test_chain_deriv_2", "adds the derivatives instead of multiplying",
           Edit("chain_deriv_2", replace=("return df2(inner) * df1(x)", "return df2(inner) + df1(x)")),
           hint="adds df2(f1(x)) and df1(x) where the chain rule multiplies them"),
    Mutant("test_chain_deriv_3", "evaluates the middle derivative at x",
           Edit("chain_deriv_3", replace=("df2(u1)", "df2(x)")),
           hint="evaluates df2 at x instead of at u1 = f1(x)"),
    Mutant("test_chain_deriv_3", "evaluates the outer derivative one link too early",
           Edit("chain_deriv_3", replace=("df3(u2)", "df3(u1)")),
           hint="evaluates df3 at u1 instead of at u2 = f2(u1), the value that reaches f3"),
    Mutant("test_chain_deriv_3", "drops the innermost derivative",
           Edit("chain_deriv_3", replace=("return df3(u2) * df2(u1) * df1(x)", "return df3(u2) * df2(u1)")),
           hint="leaves the innermost factor df1(x) out of the product"),
    Mutant("test_product_sigmoid_backward", "multiplies each partial by its own input",
           Edit("product_sigmoid_backward", replace=("return local * y, local * x", "return local * x, local * y")),
           hint="multiplies df/dx by x and df/dy by y; each partial takes the other input"),
    Mutant("test_product_sigmoid_backward", "uses the sigmoid instead of its derivative",
           Edit("product_sigmoid_backward", replace=("local = sigmoid_deriv(x * y)", "local = sigmoid(x * y)")),
           hint="multiplies by sigmoid(x * y) where the chain rule needs sigmoid_deriv(x * y)"),
    Mutant("test_neuron_forward", "sums the squared errors instead of averaging",
           Edit("neuron_forward", replace=("loss = np.mean((a - y) ** 2)", "loss = np.sum((a - y) ** 2)")),
           hint="sums the squared errors for the loss instead of taking their mean"),
    Mutant("test_neuron_forward", "adds the bias before weighting",
           Edit("neuron_forward", replace=("z = w * x + b", "z = w * (x + b)")),
           hint="computes z = w * (x + b), adding the bias before weighting"),
    Mutant("test_neuron_forward", "squares the mean error instead of averaging the squares",
           Edit("neuron_forward", replace=("loss = np.mean((a - y) ** 2)", "loss = np.mean(a - y) ** 2")),
           hint="squares the mean of a - y instead of taking the mean of the squared errors"),
    Mutant("test_neuron_backward", "forgets the 1/n of the mean",
           Edit("neuron_backward", replace=("dloss_da = 2 * (values[\"a\"] - y) / np.size(x)",
                                            "dloss_da = 2 * (values[\"a\"] - y)")),
           hint="forgets the 1/n of the mean in dL/da = 2/n (a - y)"),
    Mutant("test_neuron_backward", "does not sum the weight gradient over the examples",
           Edit("neuron_backward", replace=('"dw": np.sum(dloss_dz * x)', '"dw": dloss_dz * x')),
           hint="returns dw as one value per example instead of summing dL/dz * x over the examples"),
    Mutant("test_neuron_backward", "multiplies dx by x instead of w",
           Edit("neuron_backward", replace=('"dx": dloss_dz * w', '"dx": dloss_dz * x')),
           hint="multiplies dL/dz by x for dx, where it should be multiplied by w"),
    Mutant("test_neuron_backward", "sign error in the loss derivative",
           Edit("neuron_backward", replace=("2 * (values[\"a\"] - y)", "2 * (y - values[\"a\"])")),
           hint="flips the sign of dL/da, using y - a where the formula has a - y"),
]

ALTERNATIVES = [
    Alternative("test_chain", "functools.reduce", (Edit("chain", code='''
from functools import reduce

def chain(functions):
    return lambda x: reduce(lambda value, f: f(value), functions, x)
'''),)),
    Alternative("test_chain_deriv_2", "factors written the other way round, in one line", (Edit("chain_deriv_2", code='''
def chain_deriv_2(f1, df1, f2, df2, x):
    return df1(x) * df2(f1(x))
'''),)),
    Alternative("test_chain_deriv_3", "three links as two, reusing chain_deriv_2", (Edit("chain_deriv_3", code='''
def chain_deriv_3(f1, df1, f2, df2, f3, df3, x):
    inner = lambda t: f2(f1(t))
    inner_deriv = lambda t: chain_deriv_2(f1, df1, f2, df2, t)
    return chain_deriv_2(inner, inner_deriv, f3, df3, x)
'''),)),
    Alternative("test_product_sigmoid_backward", "the exp form of the sigmoid's slope", (Edit("product_sigmoid_backward", code='''
def product_sigmoid_backward(x, y):
    e = np.exp(-x * y)
    slope = e / (1.0 + e) ** 2
    return y * slope, x * slope
'''),)),
    Alternative("test_neuron_forward", "a sum divided by the count", (Edit("neuron_forward", code='''
def neuron_forward(x, w, b, y):
    x = np.asarray(x, dtype=float)
    z = x * w + b
    a = 1.0 / (1.0 + np.exp(-z))
    return {"loss": float(((a - y) ** 2).sum() / x.size), "a": a, "z": z}
'''),)),
    Alternative("test_neuron_backward", "a loop over the examples", (Edit("neuron_backward", code='''
def neuron_backward(x, w, b, y):
    n = len(x)
    dw = db = 0.0
    dx = np.zeros(n)
    for i in range(n):
        z = w * x[i] + b
        a = sigmoid(z)
        dz = 2.0 / n * (a - y[i]) * a * (1 - a)
        dw += dz * x[i]
        db += dz
        dx[i] = dz * w
    return {"dw": dw, "db": db, "dx": dx}
'''),)),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("chain", code='''
def chain(functions):
    table = {0.0: 0.5, 1.0: 0.7310585786300049, 3.0: 3.0}
    def composed(x):
        if np.ndim(x) == 0:
            return 0.25 if len(functions) == 2 else 3.0
        return np.array([0.5, 0.7310585786300049])
    return composed
'''),
    Edit("product_sigmoid_backward", code='''
def product_sigmoid_backward(x, y):
    if len(x) == 1:
        return np.array([0.0]), np.array([0.5])
    return np.array([-0.07400,  0.15729,  0.17040]), np.array([0.12333, -0.19661, 0.23237])
'''),
    Edit("neuron_forward", code='''
def neuron_forward(x, w, b, y):
    return {"z": np.array([-1.0, 1.0]), "a": sigmoid(np.array([-1.0, 1.0])), "loss": sigmoid(-1.0) ** 2}
'''),
)
