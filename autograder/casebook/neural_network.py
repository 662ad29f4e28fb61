"""Notebook 05: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: ones whose functions the training loop does not use.
DEMO_MISTAKES = ("test_init_weights", "test_he_init_weights")

MUTANTS = [
    # init_weights
    Mutant("test_init_weights", "draws W1 with standard deviation 1 (no fan-in scaling)",
           Edit("init_weights", replace=("rng.normal(0.0, 1.0 / np.sqrt(n_inputs), size=(n_inputs, n_hidden))",
                                         "rng.normal(0.0, 1.0, size=(n_inputs, n_hidden))")),
           hint="draws W1 with standard deviation 1 instead of 1 / sqrt(n_inputs)"),
    Mutant("test_init_weights", "W1 transposed: (hidden, inputs)",
           Edit("init_weights", replace=("size=(n_inputs, n_hidden))", "size=(n_hidden, n_inputs))")),
           hint="gives W1 the shape (n_hidden, n_inputs) instead of (n_inputs, n_hidden)"),
    Mutant("test_init_weights", "scales W1 by the number of hidden units (fan-out)",
           Edit("init_weights", replace=("1.0 / np.sqrt(n_inputs)", "1.0 / np.sqrt(n_hidden)")),
           hint="scales W1 by 1 / sqrt(n_hidden) where the fan-in needs 1 / sqrt(n_inputs)"),
    Mutant("test_init_weights", "random biases instead of zeros",
           Edit("init_weights", replace=('"B1": np.zeros((1, n_hidden))', '"B1": rng.normal(size=(1, n_hidden))')),
           hint="draws B1 at random instead of starting the biases at zero"),
    Mutant("test_init_weights", "ignores the seed (a fresh generator every call)",
           Edit("init_weights", replace=("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()")),
           hint="makes its generator without the seed, so the same seed gives different weights", unseeded=True),
    # forward
    Mutant("test_forward", "a sigmoid on the output too",
           Edit("forward", replace=('P = M2 + params["B2"]', 'P = sigmoid(M2 + params["B2"])')),
           hint="passes the prediction through a sigmoid too, where P = M2 + B2 has none"),
    Mutant("test_forward", "the bias is left out of the sigmoid",
           Edit("forward", replace=("O1 = sigmoid(N1)", "O1 = sigmoid(M1)")),
           hint="computes O1 = sigmoid(M1), leaving out the bias, instead of sigmoid(N1)"),
    Mutant("test_forward", "the output layer uses the pre-activation N1",
           Edit("forward", replace=('M2 = O1 @ params["W2"]', 'M2 = N1 @ params["W2"]')),
           hint="computes M2 from N1, before the sigmoid, instead of from O1"),
    # output_layer_backward
    Mutant("test_output_layer_backward", "dW2 with the transpose on the wrong side",
           Edit("output_layer_backward", replace=('dW2 = cache["O1"].T @ dP', 'dW2 = dP.T @ cache["O1"]')),
           hint="computes dW2 as dP.T @ O1, a row, instead of O1.T @ dP"),
    Mutant("test_output_layer_backward", "averages the bias gradient instead of summing it",
           Edit("output_layer_backward", replace=("dB2 = np.sum(dP, axis=0, keepdims=True)",
                                                  "dB2 = np.mean(dP, axis=0, keepdims=True)")),
           hint="averages dP over the examples for dB2 instead of summing it"),
    Mutant("test_output_layer_backward", "sums the bias gradient to a bare number",
           Edit("output_layer_backward", replace=("dB2 = np.sum(dP, axis=0, keepdims=True)", "dB2 = np.sum(dP)")),
           hint="sums dP to a bare number for dB2 instead of keeping the shape (1, 1)"),
    Mutant("test_output_layer_backward", "dO1 uses O1 instead of W2",
           Edit("output_layer_backward", replace=('dO1 = dP @ params["W2"].T', 'dO1 = dP * cache["O1"]')),
           hint="multiplies dP by O1 for dO1 instead of computing dP @ W2.T"),
    Mutant("test_output_layer_backward", "numerical gradient instead of backprop",
           Edit("output_layer_backward", code='''
def output_layer_backward(dP, cache, params):
    O1, W2, B2 = cache["O1"], params["W2"], params["B2"]

    def probe(O, W, B):
        """A loss whose gradient with respect to P = O @ W + B is dP."""
        return np.sum(dP * (O @ W + B))

    return {"W2": numerical_gradient(lambda W: probe(O1, W, B2), W2),
            "B2": numerical_gradient(lambda B: probe(O1, W2, B), B2),
            "O1": numerical_gradient(lambda O: probe(O, W2, B2), O1)}
'''),
           hint="estimates the output layer's gradients with numerical_gradient instead of the formulas", slow=True),
    # hidden_layer_backward
    Mutant("test_hidden_layer_backward", "forgets the sigmoid's slope",
           Edit("hidden_layer_backward", replace=('dN1 = dO1 * sigmoid_deriv(cache["N1"])', "dN1 = dO1")),
           hint="uses dO1 itself as dN1, skipping the sigmoid's slope"),
    Mutant("test_hidden_layer_backward", "takes the sigmoid's slope at O1 instead of N1",
           Edit("hidden_layer_backward", replace=('sigmoid_deriv(cache["N1"])', 'sigmoid_deriv(cache["O1"])')),
           hint="takes the sigmoid's slope at O1 instead of at its input N1"),
    Mutant("test_hidden_layer_backward", "sums the bias gradient over the wrong axis",
           Edit("hidden_layer_backward", replace=("dB1 = np.sum(dN1, axis=0, keepdims=True)",
                                                  "dB1 = np.sum(dN1, axis=1, keepdims=True)")),
           hint="sums dN1 along axis 1 for dB1 instead of over the examples (axis 0)"),
    Mutant("test_hidden_layer_backward", "dW1 from dO1, skipping the sigmoid",
           Edit("hidden_layer_backward", replace=('dW1 = cache["X"].T @ dN1', 'dW1 = cache["X"].T @ dO1')),
           hint="computes dW1 from dO1 instead of dN1, so W1's gradient misses the sigmoid's slope"),
    Mutant("test_hidden_layer_backward", "numerical gradient instead of backprop: nudges every weight",
           Edit("hidden_layer_backward", code='''
def hidden_layer_backward(dO1, cache):
    X, N1 = cache["X"], cache["N1"]

    def probe(dW, dB):
        """A loss whose gradient with respect to O1 is dO1, once W1 and B1 have moved by dW and dB."""
        return np.sum(dO1 * sigmoid(N1 + X @ dW + dB))

    no_dW, no_dB = np.zeros((X.shape[1], N1.shape[1])), np.zeros((1, N1.shape[1]))
    return {"W1": numerical_gradient(lambda dW: probe(dW, no_dB), no_dW),
            "B1": numerical_gradient(lambda dB: probe(no_dW, dB), no_dB)}
'''),
           hint="estimates dW1 and dB1 with numerical_gradient instead of the formulas", slow=True),
    # backward
    Mutant("test_backward", "passes dP to the hidden layer instead of dO1",
           Edit("backward", replace=('hidden = hidden_layer_backward(output["O1"], cache)',
                                     "hidden = hidden_layer_backward(dP, cache)")),
           hint="passes dP to hidden_layer_backward instead of the output layer's dO1"),
    Mutant("test_backward", "starts from P - y instead of the loss gradient",
           Edit("backward", replace=('dP = mse_loss_gradient(cache["P"], y)', 'dP = cache["P"] - y')),
           hint="starts the backward pass from P - y instead of mse_loss_gradient(P, y)"),
    Mutant("test_backward", "starts from the loss gradient with the arguments swapped",
           Edit("backward", replace=('dP = mse_loss_gradient(cache["P"], y)', 'dP = mse_loss_gradient(y, cache["P"])')),
           hint="calls mse_loss_gradient(y, P) with its arguments swapped, which flips the gradient's sign"),
    Mutant("test_backward", "numerical gradient instead of backprop", Edit("backward", code='''
def backward(cache, y, params):
    def loss_with(name, value):
        return mse_loss(forward(cache["X"], {**params, name: value})["P"], y)

    return {name: numerical_gradient(lambda value: loss_with(name, value), params[name]) for name in params}
'''),
           hint="estimates every gradient with numerical_gradient instead of chaining your three backward functions", slow=True),
    # he_init_weights
    Mutant("test_he_init_weights", "He with 1/n_in: the sigmoid network's scale",
           Edit("he_init_weights", replace=("np.sqrt(2.0 / n_inputs)", "np.sqrt(1.0 / n_inputs)")),
           hint="draws W1 with variance 1 / n_inputs, leaving out He's factor 2 for the half of N1 that ReLU zeroes"),
    Mutant("test_he_init_weights", "He with 2/n_out: scaled by the number of hidden units",
           Edit("he_init_weights", replace=("np.sqrt(2.0 / n_inputs)", "np.sqrt(2.0 / n_hidden)")),
           hint="scales W1 by sqrt(2 / n_hidden), the fan-out, where He uses the fan-in: sqrt(2 / n_inputs)"),
    Mutant("test_he_init_weights", "the variance 2/n_in used as the standard deviation",
           Edit("he_init_weights", replace=("np.sqrt(2.0 / n_inputs)", "2.0 / n_inputs")),
           hint="uses 2 / n_inputs as W1's standard deviation; that is its variance, and the standard deviation "
                "is its square root"),
    Mutant("test_he_init_weights", "doubles W2's variance too",
           Edit("he_init_weights", replace=("np.sqrt(1.0 / n_hidden)", "np.sqrt(2.0 / n_hidden)")),
           hint="doubles W2's variance too; no ReLU follows the output layer, so W2 keeps variance 1 / n_hidden"),
    # relu_forward
    Mutant("test_relu_forward", "the sigmoid kept in the hidden layer",
           Edit("relu_forward", replace=("O1 = np.maximum(0, N1)", "O1 = sigmoid(N1)")),
           hint="still passes N1 through the sigmoid instead of ReLU, max(0, N1)"),
    Mutant("test_relu_forward", "ReLU of M1: the bias left out",
           Edit("relu_forward", replace=("O1 = np.maximum(0, N1)", "O1 = np.maximum(0, M1)")),
           hint="computes O1 = max(0, M1), leaving out the bias, instead of max(0, N1)"),
    Mutant("test_relu_forward", "a ReLU on the output too",
           Edit("relu_forward", replace=('P = M2 + params["B2"]', 'P = np.maximum(0, M2 + params["B2"])')),
           hint="passes the prediction through ReLU too, so it can never be negative, where P = M2 + B2 has none"),
    # relu_hidden_layer_backward
    Mutant("test_relu_hidden_layer_backward", "ReLU's slope taken as 1 everywhere",
           Edit("relu_hidden_layer_backward", replace=('dN1 = dO1 * (cache["N1"] > 0)', "dN1 = dO1")),
           hint="uses dO1 itself as dN1, as if ReLU's slope were 1 everywhere; it is 0 where N1 <= 0"),
    Mutant("test_relu_hidden_layer_backward", "lets the gradient through at N1 = 0 (>= instead of >)",
           Edit("relu_hidden_layer_backward", replace=('(cache["N1"] > 0)', '(cache["N1"] >= 0)')),
           hint="lets the gradient through where N1 is exactly 0 (N1 >= 0); ReLU's slope there is taken as 0, "
                "so the mask is N1 > 0"),
    Mutant("test_relu_hidden_layer_backward", "multiplies by the ReLU's output instead of its slope",
           Edit("relu_hidden_layer_backward", replace=('dN1 = dO1 * (cache["N1"] > 0)', 'dN1 = dO1 * cache["O1"]')),
           hint="multiplies dO1 by the ReLU's output O1 instead of its slope (1 where N1 > 0, 0 elsewhere)"),
    Mutant("test_relu_hidden_layer_backward", "the sigmoid's slope kept",
           Edit("relu_hidden_layer_backward", replace=('dN1 = dO1 * (cache["N1"] > 0)',
                                                       'dN1 = dO1 * sigmoid_deriv(cache["N1"])')),
           hint="still multiplies by the sigmoid's slope; ReLU's slope is 1 where N1 > 0 and 0 elsewhere"),
    Mutant("test_relu_hidden_layer_backward", "dW1 from dO1, skipping the mask",
           Edit("relu_hidden_layer_backward", replace=('dW1 = cache["X"].T @ dN1', 'dW1 = cache["X"].T @ dO1')),
           hint="computes dW1 from dO1 instead of dN1, so W1's gradient ignores which units were active"),
    # relu_backward
    Mutant("test_relu_backward", "continues through the sigmoid's hidden layer",
           Edit("relu_backward", replace=('hidden = relu_hidden_layer_backward(output["O1"], cache)',
                                          'hidden = hidden_layer_backward(output["O1"], cache)')),
           hint="continues through the sigmoid's hidden_layer_backward instead of relu_hidden_layer_backward"),
    Mutant("test_relu_backward", "passes dP to the hidden layer instead of dO1",
           Edit("relu_backward", replace=('hidden = relu_hidden_layer_backward(output["O1"], cache)',
                                          "hidden = relu_hidden_layer_backward(dP, cache)")),
           hint="passes dP to relu_hidden_layer_backward instead of the output layer's dO1"),
    Mutant("test_relu_backward", "starts from P - y instead of the loss gradient",
           Edit("relu_backward", replace=('dP = mse_loss_gradient(cache["P"], y)', 'dP = cache["P"] - y')),
           hint="starts the ReLU network's backward pass from P - y instead of mse_loss_gradient(P, y)"),
]

ALTERNATIVES = [
    Alternative("test_init_weights", "W2 drawn before W1, with standard_normal times the scale", (Edit("init_weights", code='''
def init_weights(n_inputs, n_hidden, seed=0):
    generator = np.random.default_rng(seed)
    params = {"B2": np.zeros((1, 1)), "B1": np.zeros((1, n_hidden))}
    params["W2"] = generator.standard_normal((n_hidden, 1)) / n_hidden ** 0.5
    params["W1"] = generator.standard_normal((n_inputs, n_hidden)) * (1.0 / n_inputs) ** 0.5
    return params
'''),)),
    Alternative("test_forward", "einsum, a tanh-form sigmoid and np.add", (Edit("forward", code='''
def forward(X, params):
    cache = {"X": X}
    cache["M1"] = np.einsum("nd,dh->nh", X, params["W1"])
    cache["N1"] = np.add(cache["M1"], params["B1"])
    cache["O1"] = 0.5 * (1.0 + np.tanh(0.5 * cache["N1"]))
    cache["M2"] = np.dot(cache["O1"], params["W2"])
    cache["P"] = cache["M2"] + params["B2"]
    return cache
'''),)),
    Alternative("test_output_layer_backward", "broadcasting for dO1 and np.dot for dW2", (Edit("output_layer_backward", code='''
def output_layer_backward(dP, cache, params):
    return {"O1": dP * params["W2"].T,
            "W2": np.dot(cache["O1"].T, dP),
            "B2": dP.sum(axis=0).reshape(1, 1)}
'''),)),
    Alternative("test_hidden_layer_backward", "the slope as O1 (1 - O1), and a loop over the examples", (Edit("hidden_layer_backward", code='''
def hidden_layer_backward(dO1, cache):
    X, O1 = cache["X"], cache["O1"]
    dN1 = dO1 * O1 * (1 - O1)
    dW1 = np.zeros((X.shape[1], dN1.shape[1]))
    dB1 = np.zeros((1, dN1.shape[1]))
    for i in range(len(X)):
        dW1 += np.outer(X[i], dN1[i])
        dB1 += dN1[i]
    return {"W1": dW1, "B1": dB1}
'''),)),
    Alternative("test_backward", "the whole backward pass written out inline", (Edit("backward", code='''
def backward(cache, y, params):
    n = y.shape[0]
    dP = (cache["P"] - y) * (2.0 / n)
    grads = {"W2": cache["O1"].T @ dP, "B2": dP.sum(axis=0, keepdims=True)}
    dN1 = (dP @ params["W2"].T) * cache["O1"] * (1.0 - cache["O1"])
    grads["W1"] = cache["X"].T @ dN1
    grads["B1"] = dN1.sum(axis=0, keepdims=True)
    return grads
'''),)),
    Alternative("test_he_init_weights", "init_weights, then W1 scaled by the square root of 2", (Edit("he_init_weights", code='''
def he_init_weights(n_inputs, n_hidden, seed=0):
    params = init_weights(n_inputs, n_hidden, seed)
    params["W1"] = params["W1"] * np.sqrt(2)
    return params
'''),)),
    Alternative("test_he_init_weights", "standard_normal times the square root of the variance", (Edit("he_init_weights", code='''
def he_init_weights(n_inputs, n_hidden, seed=0):
    rng = np.random.default_rng(seed)
    variance_1, variance_2 = 2 / n_inputs, 1 / n_hidden
    return {"W1": rng.standard_normal((n_inputs, n_hidden)) * variance_1 ** 0.5, "B1": np.zeros((1, n_hidden)),
            "W2": rng.standard_normal((n_hidden, 1)) * variance_2 ** 0.5, "B2": np.zeros((1, 1))}
'''),)),
    Alternative("test_relu_forward", "np.where for ReLU, np.dot for the products", (Edit("relu_forward", code='''
def relu_forward(X, params):
    cache = {"X": X, "M1": np.dot(X, params["W1"])}
    cache["N1"] = cache["M1"] + params["B1"]
    cache["O1"] = np.where(cache["N1"] > 0, cache["N1"], 0.0)
    cache["M2"] = np.dot(cache["O1"], params["W2"])
    cache["P"] = cache["M2"] + params["B2"]
    return cache
'''),)),
    Alternative("test_relu_forward", "ReLU as a boolean multiply", (Edit("relu_forward", replace=(
        "O1 = np.maximum(0, N1)", "O1 = N1 * (N1 > 0)")),)),
    Alternative("test_relu_hidden_layer_backward", "the mask from the output with np.where, and a loop over the examples",
                (Edit("relu_hidden_layer_backward", code='''
def relu_hidden_layer_backward(dO1, cache):
    X = cache["X"]
    dN1 = np.where(cache["O1"] > 0, dO1, 0.0)
    dW1 = np.zeros((X.shape[1], dN1.shape[1]))
    for i in range(len(X)):
        dW1 += np.outer(X[i], dN1[i])
    return {"W1": dW1, "B1": dN1.sum(axis=0).reshape(1, -1)}
'''),)),
    Alternative("test_relu_hidden_layer_backward", "np.heaviside for the slope, 0 at 0", (Edit("relu_hidden_layer_backward", replace=(
        'dN1 = dO1 * (cache["N1"] > 0)', 'dN1 = dO1 * np.heaviside(cache["N1"], 0.0)')),)),
    Alternative("test_relu_backward", "the ReLU network's backward pass written out inline", (Edit("relu_backward", code='''
def relu_backward(cache, y, params):
    dP = (cache["P"] - y) * (2.0 / len(y))
    dN1 = (dP @ params["W2"].T) * (cache["N1"] > 0)
    return {"W1": cache["X"].T @ dN1, "B1": dN1.sum(axis=0, keepdims=True),
            "W2": cache["O1"].T @ dP, "B2": dP.sum(axis=0, keepdims=True)}
'''),)),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("forward", code='''
def forward(X, params):
    N1 = np.array([[1.0, 0.0, 0.0], [-1.0, -2.0, 0.0]])
    return {"X": X, "M1": np.array([[1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]]), "N1": N1, "O1": sigmoid(N1),
            "M2": np.array([[0.46211716], [-0.46211716]]), "P": np.array([[2 * sigmoid(1.0)], [2 * sigmoid(-1.0)]])}
'''),
    Edit("output_layer_backward", code='''
def output_layer_backward(dP, cache, params):
    if len(dP) == 3:
        return {"W2": np.array([[-0.5], [2.0]]), "B2": np.array([[2.0]]),
                "O1": np.array([[2.0, -1.0], [4.0, -2.0], [-2.0, 1.0]])}
    return {"W2": cache["O1"].T @ dP, "B2": np.sum(dP, axis=0, keepdims=True) * 1.01, "O1": dP @ params["W2"].T}
'''),
    Edit("hidden_layer_backward", code='''
def hidden_layer_backward(dO1, cache):
    if len(dO1) == 2:
        return {"W1": np.array([[1.0, -1.0], [0.0, -2.0]]), "B1": np.array([[3.0, -1.0]])}
    dN1 = dO1 * sigmoid_deriv(cache["N1"])
    return {"W1": cache["X"].T @ dN1, "B1": np.sum(dN1, axis=0, keepdims=True) + 1e-3}
'''),
    Edit("relu_forward", code='''
def relu_forward(X, params):
    return {"X": X, "M1": np.array([[1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]]), "N1": np.array([[1.0, 0.0, 0.0], [-1.0, -2.0, 0.0]]),
            "O1": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), "M2": np.array([[2.0], [0.0]]), "P": np.array([[3.0], [1.0]])}
'''),
    Edit("relu_hidden_layer_backward", code='''
def relu_hidden_layer_backward(dO1, cache):
    if len(dO1) == 2:
        return {"W1": np.array([[4.0, 0.0], [8.0, -3.0]]), "B1": np.array([[4.0, 3.0]])}
    dN1 = dO1 * (cache["N1"] > 0)
    return {"W1": cache["X"].T @ dN1, "B1": np.sum(dN1, axis=0, keepdims=True) + 1e-3}
'''),
)
