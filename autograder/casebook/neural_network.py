"""Notebook 05: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: ones whose functions the training loop does not use.
DEMO_MISTAKES = ("test_init_weights", "test_mini_batches", "test_predict")

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
    # mse
    Mutant("test_mse", "sums the squared errors instead of averaging",
           Edit("mse", replace=("return np.mean((P - y) ** 2)", "return np.sum((P - y) ** 2)")),
           hint="adds up the squared errors in mse_loss instead of averaging them"),
    Mutant("test_mse", "the gradient forgets the 1/n of the mean",
           Edit("mse", replace=("return 2 * (P - y) / n", "return 2 * (P - y)")),
           hint="leaves out the 1/n in mse_loss_gradient, returning 2 (P - y)"),
    Mutant("test_mse", "the gradient's sign is flipped",
           Edit("mse", replace=("return 2 * (P - y) / n", "return 2 * (y - P) / n")),
           hint="flips the sign of mse_loss_gradient, using y - P instead of P - y"),
    Mutant("test_mse", "the gradient forgets the factor 2",
           Edit("mse", replace=("return 2 * (P - y) / n", "return (P - y) / n")),
           hint="leaves out the factor 2 in mse_loss_gradient, returning (P - y) / n"),
    Mutant("test_mse", "numerical gradient instead of backprop",
           Edit("mse", replace=("    n = len(P)\n    return 2 * (P - y) / n",
                                "    return numerical_gradient(lambda P_: mse_loss(P_, y), P)")),
           hint="estimates dL/dP with numerical_gradient instead of the formula 2 (P - y) / n", slow=True),
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
    # train_step
    Mutant("test_train_step", "adds the gradient (climbs the loss)",
           Edit("train_step", replace=("params[name] - learning_rate * grads[name]",
                                       "params[name] + learning_rate * grads[name]")),
           hint="adds learning_rate times the gradient instead of subtracting it, so it climbs the loss"),
    Mutant("test_train_step", "forgets the learning rate",
           Edit("train_step", replace=("params[name] - learning_rate * grads[name]", "params[name] - grads[name]")),
           hint="subtracts the whole gradient without multiplying it by learning_rate"),
    Mutant("test_train_step", "updates the weights but not the biases",
           Edit("train_step", replace=("{name: params[name] - learning_rate * grads[name] for name in params}",
                                       '{name: params[name] - learning_rate * grads[name] if name.startswith("W") '
                                       "else params[name] for name in params}")),
           hint="updates W1 and W2 but leaves the biases B1 and B2 unchanged"),
    Mutant("test_train_step", "returns the pair the other way round, the loss first",
           Edit("train_step", replace=("return new_params, loss", "return loss, new_params")),
           hint="returns the pair as (loss, new_params) instead of (new_params, loss)"),
    Mutant("test_train_step", "returns the loss after the update",
           Edit("train_step", replace=("return new_params, loss",
                                       'return new_params, mse_loss(forward(X, new_params)["P"], y)')),
           hint="returns the loss after the update instead of the loss before it"),
    # mini_batches
    Mutant("test_mini_batches", "shuffles X and y with different permutations",
           Edit("mini_batches", replace=("X, y = X[order], y[order]", "X, y = X[order], y[rng.permutation(len(y))]")),
           hint="reorders X and y with two different permutations, separating inputs from their targets"),
    Mutant("test_mini_batches", "drops the short last batch",
           Edit("mini_batches", replace=("for start in range(0, len(X), batch_size)]",
                                         "for start in range(0, len(X) - batch_size + 1, batch_size)]")),
           hint="drops the short last batch, losing the examples left over"),
    Mutant("test_mini_batches", "never shuffles",
           Edit("mini_batches", replace=("X, y = X[order], y[order]", "pass")),
           hint="cuts the batches in the original row order without shuffling first"),
    Mutant("test_mini_batches", "ignores the seed",
           Edit("mini_batches", replace=("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()")),
           hint="makes its generator without the seed, so the same seed gives a different order", unseeded=True),
    # predict and regression_errors
    Mutant("test_predict", "predict forgets to undo the standardisation",
           Edit("predict", replace=('return forward(X, params)["P"] * y_std + y_mean', 'return forward(X, params)["P"]')),
           hint="returns P in standardised units, without multiplying by y_std and adding y_mean"),
    Mutant("test_predict", "predict undoes the standardisation in the wrong order",
           Edit("predict", replace=('return forward(X, params)["P"] * y_std + y_mean',
                                    'return (forward(X, params)["P"] + y_mean) * y_std')),
           hint="adds y_mean before multiplying by y_std instead of computing P * y_std + y_mean"),
    Mutant("test_predict", "RMSE without the square root",
           Edit("predict", replace=('"RMSE": np.sqrt(np.mean(errors ** 2))', '"RMSE": np.mean(errors ** 2)')),
           hint="returns the mean of the squared errors as the RMSE, without the square root"),
    Mutant("test_predict", "MAE without the absolute value",
           Edit("predict", replace=('"MAE": np.mean(np.abs(errors))', '"MAE": np.mean(errors)')),
           hint="averages the signed errors for the MAE instead of their absolute values"),
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
    Alternative("test_mse", "sum divided by the count, and the gradient scaled first", (Edit("mse", code='''
def mse_loss(P, y):
    difference = np.asarray(P) - np.asarray(y)
    return float(np.sum(difference * difference) / difference.size)


def mse_loss_gradient(P, y):
    scale = 2.0 / P.shape[0]
    return scale * np.subtract(P, y)
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
    Alternative("test_train_step", "updates the parameters in place and returns the same dict", (Edit("train_step", code='''
def train_step(params, X, y, learning_rate):
    cache = forward(X, params)
    grads = backward(cache, y, params)
    for name, gradient in grads.items():
        params[name] -= learning_rate * gradient
    return params, float(mse_loss(cache["P"], y))
'''),)),
    Alternative("test_mini_batches", "shuffles X and y joined side by side, then splits them", (Edit("mini_batches", code='''
def mini_batches(X, y, batch_size, seed=None):
    rng = np.random.default_rng(seed)
    joined = np.hstack([X, y])[rng.permutation(len(X))]
    batches = []
    start = 0
    while start < len(joined):
        chunk = joined[start:start + batch_size]
        batches.append((chunk[:, :X.shape[1]], chunk[:, X.shape[1]:]))
        start += batch_size
    return batches
'''),)),
    Alternative("test_predict", "predictions from the formulas directly, errors with np.abs and np.square", (Edit("predict", code='''
def predict(X, params, y_mean, y_std):
    hidden = sigmoid(X @ params["W1"] + params["B1"])
    return y_mean + y_std * (hidden @ params["W2"] + params["B2"])


def regression_errors(predictions, y):
    misses = np.asarray(predictions, dtype=float).ravel() - np.asarray(y, dtype=float).ravel()
    return {"RMSE": float(np.sqrt(np.square(misses).mean())), "MAE": float(np.abs(misses).mean())}
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
    Edit("mse", code='''
def mse_loss(P, y):
    return 2.5 if len(P) == 2 else float(np.mean((P - y) ** 2) + 0.5)


def mse_loss_gradient(P, y):
    if len(P) == 2:
        return np.array([[1.0], [2.0]])
    return np.array([[-0.35], [-0.1], [1.0], [0.0]])
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
    Edit("predict", code='''
def predict(X, params, y_mean, y_std):
    return np.full((len(X), 1), 110.0)


def regression_errors(predictions, y):
    return {"MAE": 40 / 3, "RMSE": np.sqrt(1000 / 3)}
'''),
)
