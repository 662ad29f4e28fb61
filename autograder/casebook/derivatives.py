"""Notebook 01: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: ones whose functions later exercises do not use.
DEMO_MISTAKES = ("test_derivatives", "test_relu_family", "test_difference_errors")

MUTANTS = [
    Mutant("test_forward_difference", "uses the central formula",
           Edit("forward_difference", replace=("(f(x + h) - f(x)) / h", "(f(x + h) - f(x - h)) / (2 * h)")),
           hint="uses the central quotient, with x - h and 2h, instead of the forward one"),
    Mutant("test_forward_difference", "ignores the step it is given",
           Edit("forward_difference", replace=("(f(x + h) - f(x)) / h", "(f(x + 1e-5) - f(x)) / 1e-5")),
           hint="ignores the step h it is given and uses a fixed step of its own"),
    Mutant("test_forward_difference", "subtracts the wrong way round",
           Edit("forward_difference", replace=("(f(x + h) - f(x)) / h", "(f(x) - f(x + h)) / h")),
           hint="computes f(x) - f(x + h), the difference the wrong way round"),
    Mutant("test_central_difference", "divides by h instead of 2h",
           Edit("central_difference", replace=("/ (2 * h)", "/ h")),
           hint="divides by h where the central difference needs 2h"),
    Mutant("test_central_difference", "divides by 2 and multiplies by h (operator precedence)",
           Edit("central_difference", replace=("/ (2 * h)", "/ 2 * h")),
           hint="writes / 2 * h, which multiplies by h; it needs / (2 * h)"),
    Mutant("test_central_difference", "steps only forward",
           Edit("central_difference", replace=("(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")),
           hint="steps only forward, using f(x) where the central difference needs f(x - h)"),
    Mutant("test_sigmoid", "sign error in the exponent",
           Edit("sigmoid", replace=("np.exp(-x)", "np.exp(x)")),
           hint="uses np.exp(x) where the sigmoid needs np.exp(-x)"),
    Mutant("test_sigmoid", "1 - exp instead of 1 + exp",
           Edit("sigmoid", replace=("1.0 + np.exp(-x)", "1.0 - np.exp(-x)")),
           hint="subtracts e^(-x) in the denominator, where the sigmoid has 1 + e^(-x)"),
    Mutant("test_derivatives", "derivative of x² as x",
           Edit("derivatives", replace=("return 2 * x", "return x")),
           hint="returns x as the derivative of x², leaving out the factor 2"),
    Mutant("test_derivatives", "sigmoid derivative with 1 + s",
           Edit("derivatives", replace=("s * (1 - s)", "s * (1 + s)")),
           hint="writes sigmoid(x) * (1 + sigmoid(x)): a plus where the formula has a minus"),
    Mutant("test_derivatives", "sigmoid derivative written with x instead of s",
           Edit("derivatives", replace=("s * (1 - s)", "s * (1 - x)")),
           hint="writes sigmoid(x) * (1 - x), using x where the second factor needs sigmoid(x)"),
    Mutant("test_relu_family", "ReLU derivative of 1 at zero",
           Edit("relu_family", replace=("np.where(x > 0, 1.0, 0.0)", "np.where(x >= 0, 1.0, 0.0)")),
           hint="gives relu_deriv a slope of 1 at exactly x = 0, where the convention is 0"),
    Mutant("test_relu_family", "leaky ReLU derivative ignores alpha",
           Edit("relu_family", replace=("np.where(x > 0, 1.0, alpha)", "np.where(x > 0, 1.0, 0.01)")),
           hint="hard-codes 0.01 in leaky_relu_deriv instead of using the alpha it is given"),
    Mutant("test_relu_family", "leaky ReLU leaks on the positive side",
           Edit("relu_family", replace=("np.where(x > 0, x, alpha * x)", "np.where(x > 0, alpha * x, x)")),
           hint="multiplies the positive inputs by alpha in leaky_relu and passes the negative ones unchanged"),
    Mutant("test_difference_errors", "signed errors instead of absolute ones",
           Edit("difference_errors", replace=("np.abs(forward_difference(f, x, steps) - exact)",
                                              "forward_difference(f, x, steps) - exact")),
           hint="returns signed differences, quotient minus f'(x), without taking their absolute value"),
    Mutant("test_difference_errors", "returns the pair in the wrong order",
           Edit("difference_errors", replace=("return forward_errors, central_errors",
                                              "return central_errors, forward_errors")),
           hint="returns (central_errors, forward_errors), the pair the wrong way round"),
    Mutant("test_difference_errors", "relative instead of absolute errors",
           Edit("difference_errors", replace=("central_errors = np.abs(central_difference(f, x, steps) - exact)",
                                              "central_errors = np.abs(central_difference(f, x, steps) / exact - 1)")),
           hint="divides the central errors by the exact derivative instead of taking |quotient - f'(x)|"),
]

ALTERNATIVES = [
    Alternative("test_forward_difference", "forward difference multiplied by 1/h", (Edit("forward_difference", code='''
def forward_difference(f, x, h=1e-5):
    step = 1.0 / h
    return (f(x + h) - f(x)) * step
'''),)),
    Alternative("test_central_difference", "central difference as the mean of a forward and a backward quotient", (Edit("central_difference", code='''
def central_difference(f, x, h=1e-5):
    ahead = (f(x + h) - f(x)) / h
    behind = (f(x) - f(x - h)) / h
    return (ahead + behind) / 2
'''),)),
    Alternative("test_sigmoid", "sigmoid through tanh, in float32 arithmetic where the input is float32", (Edit("sigmoid", code='''
def sigmoid(x):
    return 0.5 * (1 + np.tanh(np.asarray(x) / 2))
'''),)),
    Alternative("test_derivatives", "derivatives from exp directly, and 2.0 * x", (Edit("derivatives", code='''
def square_deriv(x):
    return 2.0 * x

def sigmoid_deriv(x):
    e = np.exp(-x)
    return e / (1 + e) ** 2
'''),)),
    Alternative("test_relu_family", "ReLU family with loops over a flattened copy and boolean masks", (Edit("relu_family", code='''
def relu(x):
    x = np.asarray(x, dtype=float)
    out = x.copy().ravel()
    for i in range(out.size):
        if out[i] < 0:
            out[i] = 0.0
    return out.reshape(x.shape)

def relu_deriv(x):
    return (np.asarray(x) > 0) * 1.0

def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + alpha * np.minimum(x, 0)

def leaky_relu_deriv(x, alpha=0.01):
    positive = np.asarray(x) > 0
    return positive + alpha * ~positive
'''),)),
    Alternative("test_difference_errors", "error curves with a Python loop over the steps", (Edit("difference_errors", code='''
def difference_errors(f, dfdx, x, steps):
    forward, central = [], []
    for h in steps:
        forward.append(abs(forward_difference(f, x, h) - dfdx(x)))
        central.append(abs(central_difference(f, x, h) - dfdx(x)))
    return np.array(forward), np.array(central)
'''),)),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("forward_difference", code='''
def forward_difference(f, x, h=1e-5):
    if f is np.sin:
        return np.array([1.0, -1.0])
    return 6.5 if h == 0.5 else 6.00001
'''),
    Edit("central_difference", code='''
def central_difference(f, x, h=1e-5):
    if f is np.exp:
        return np.exp(np.array([0.0, 1.0]))
    if f is np.sin:
        return np.cos(1.0)
    return 6.0
'''),
    Edit("sigmoid", code='''
def sigmoid(x):
    table = {0.0: 0.5, 2.0: 0.8807970779778823, -2.0: 0.11920292202211755}
    if np.ndim(x) == 0:
        return table.get(float(x), 0.5)
    return np.array([0.26894142, 0.73105858])
'''),
)
