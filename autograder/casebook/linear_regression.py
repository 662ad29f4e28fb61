"""Notebook 04: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

# fit and the metrics are used by no later exercise, so getting them wrong costs nothing else.
DEMO_MISTAKES = ("test_fit", "test_metrics")

MUTANTS = [
    Mutant("test_linear_forward", "forgets the bias",
           Edit("linear_forward", replace=('P = N + weights["B"]', "P = N")),
           hint="returns P = X @ W without adding the bias B"),
    Mutant("test_linear_forward", "multiplies in the wrong order, giving a row of predictions",
           Edit("linear_forward", replace=('N = X @ weights["W"]', 'N = weights["W"].T @ X.T')),
           hint="computes W.T @ X.T, a row of predictions, instead of the column X @ W"),
    Mutant("test_linear_forward", "stores the prediction as N",
           Edit("linear_forward", replace=('return {"X": X, "N": N, "P": P}', 'return {"X": X, "N": P, "P": P}')),
           hint="stores the prediction, bias included, under the key N, which must hold X @ W alone"),
    Mutant("test_mse_loss", "sums the squared errors instead of averaging",
           Edit("mse_loss", replace=("return np.mean((P - y) ** 2)", "return np.sum((P - y) ** 2)")),
           hint="sums the squared errors instead of averaging them over the n examples"),
    Mutant("test_mse_loss", "no shape check, so (n, 1) against (n,) broadcasts to (n, n)",
           Edit("mse_loss", replace=(
               '    if P.shape != y.shape:\n'
               '        raise ValueError(f"predictions have shape {P.shape} but targets have shape {y.shape}")\n',
               "")),
           hint="does not raise a ValueError when P and y have different shapes"),
    Mutant("test_mse_loss", "squares the mean error instead of averaging the squares",
           Edit("mse_loss", replace=("return np.mean((P - y) ** 2)", "return np.mean(P - y) ** 2")),
           hint="squares the mean of P - y instead of taking the mean of the squared errors"),
    Mutant("test_loss_gradients", "forgets the 1/n of the mean (the gradient of the sum)",
           Edit("loss_gradients", replace=("dL_dP = 2 * (P - y) / len(P)", "dL_dP = 2 * (P - y)")),
           hint="forgets the 1/n of the mean in dL/dP = 2/n (P - y)"),
    Mutant("test_loss_gradients", "sign error in the loss derivative",
           Edit("loss_gradients", replace=("dL_dP = 2 * (P - y) / len(P)", "dL_dP = 2 * (y - P) / len(P)")),
           hint="flips the sign of dL/dP, using y - P where the formula has P - y"),
    Mutant("test_loss_gradients", "averages the bias gradient over the rows instead of summing",
           Edit("loss_gradients", replace=("dL_dP.sum(axis=0, keepdims=True)", "dL_dP.mean(axis=0, keepdims=True)")),
           hint="averages dL/dP over the rows for dL/dB, where the bias gradient sums them"),
    Mutant("test_loss_gradients", "transposes on the wrong side, giving dL/dW as a row",
           Edit("loss_gradients", replace=("X.T @ dL_dN", "dL_dN.T @ X")),
           hint="computes dL/dW as dL/dN.T @ X, a row, instead of X.T @ dL/dN"),
    Mutant("test_loss_gradients", "forgets the factor 2 of the square",
           Edit("loss_gradients", replace=("dL_dP = 2 * (P - y) / len(P)", "dL_dP = (P - y) / len(P)")),
           hint="leaves out the factor 2 that comes from differentiating the square in dL/dP"),
    Mutant("test_loss_gradients", "numerical gradient instead of backprop: nudges every weight",
           Edit("loss_gradients", code='''
def loss_gradients(forward_info, y):
    X, P = forward_info["X"], forward_info["P"]

    def loss_after(dW, dB):
        """The loss once W and B have moved by dW and dB: P moves by X @ dW + dB."""
        return mse_loss(P + X @ dW + dB, y)

    no_dW, no_dB = np.zeros((X.shape[1], 1)), np.zeros((1, 1))
    return {"W": numerical_gradient(lambda dW: loss_after(dW, no_dB), no_dW),
            "B": numerical_gradient(lambda dB: loss_after(no_dW, dB), no_dB)}
'''),
           hint="nudges every weight with numerical_gradient instead of using X.T @ dL/dN and the sum for B", slow=True),
    Mutant("test_batch_generator", "does not shuffle",
           Edit("batch_generator", replace=("order = rng.permutation(len(X))", "order = np.arange(len(X))")),
           hint="deals the rows out in their original order instead of shuffling them"),
    Mutant("test_batch_generator", "makes its own rng with a fixed seed: the same order every epoch",
           Edit("batch_generator", replace=("order = rng.permutation(len(X))",
                                            "order = np.random.default_rng(0).permutation(len(X))")),
           hint="makes its own fixed-seed generator instead of using rng, so every epoch repeats one order"),
    Mutant("test_batch_generator", "shuffles with numpy's global random state, ignoring rng",
           Edit("batch_generator", replace=("order = rng.permutation(len(X))", "order = np.random.permutation(len(X))")),
           hint="shuffles with np.random.permutation, ignoring the rng it is given", unseeded=True),
    Mutant("test_batch_generator", "drops the last, smaller batch",
           Edit("batch_generator", replace=("range(0, len(X), batch_size)", "range(0, len(X) - batch_size + 1, batch_size)")),
           hint="drops the leftover rows instead of yielding them as a last, smaller batch"),
    Mutant("test_batch_generator", "shuffles X and y with two different permutations", Edit("batch_generator", code='''
def batch_generator(X, y, batch_size, rng):
    X_shuffled, y_shuffled = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield X_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size]
'''),
           hint="shuffles X and y with two separate permutations, so the targets no longer match their rows"),
    Mutant("test_train_step", "steps up the gradient instead of down",
           Edit("train_step", replace=('''new_weights = {"W": weights["W"] - learning_rate * grads["W"],
                   "B": weights["B"] - learning_rate * grads["B"]}''',
                                       '''new_weights = {"W": weights["W"] + learning_rate * grads["W"],
                   "B": weights["B"] + learning_rate * grads["B"]}''')),
           hint="adds the gradient to the weights instead of subtracting it"),
    Mutant("test_train_step", "returns the pair the other way round, the loss first",
           Edit("train_step", replace=("return new_weights, loss", "return loss, new_weights")),
           hint="returns (loss, new_weights) instead of (new_weights, loss)"),
    Mutant("test_train_step", "never updates the bias",
           Edit("train_step", replace=('"B": weights["B"] - learning_rate * grads["B"]', '"B": weights["B"]')),
           hint="updates W but leaves the bias B unchanged"),
    Mutant("test_train_step", "returns the loss after the step instead of before", Edit("train_step", code='''
def train_step(weights, X_batch, y_batch, learning_rate):
    grads = loss_gradients(linear_forward(X_batch, weights), y_batch)
    new_weights = {"W": weights["W"] - learning_rate * grads["W"],
                   "B": weights["B"] - learning_rate * grads["B"]}
    loss = mse_loss(linear_forward(X_batch, new_weights)["P"], y_batch)
    return new_weights, loss
'''),
           hint="returns the loss after the update instead of the one computed before it"),
    Mutant("test_fit", "makes one generator for all epochs, so only the first epoch trains", Edit("fit", code='''
def fit(X, y, weights, epochs, batch_size, learning_rate, rng):
    losses = []
    batches = batch_generator(X, y, batch_size, rng)
    for epoch in range(epochs):
        batch_losses = []
        for X_batch, y_batch in batches:
            weights, loss = train_step(weights, X_batch, y_batch, learning_rate)
            batch_losses.append(loss)
        losses.append(np.mean(batch_losses))
    return weights, losses
'''),
           hint="calls batch_generator once, before the epoch loop, so every later epoch gets no batches"),
    Mutant("test_fit", "records only the last batch's loss of each epoch",
           Edit("fit", replace=("losses.append(np.mean(batch_losses))", "losses.append(loss)")),
           hint="records the last batch's loss for each epoch instead of the mean of its batch losses"),
    Mutant("test_fit", "one epoch too few",
           Edit("fit", replace=("for epoch in range(epochs):", "for epoch in range(epochs - 1):")),
           hint="loops over range(epochs - 1), training one epoch too few"),
    Mutant("test_fit", "never keeps the updated weights",
           Edit("fit", replace=("weights, loss = train_step(weights,", "new_weights, loss = train_step(weights,")),
           hint="stores train_step's new weights under another name, so every step starts from the original weights"),
    Mutant("test_metrics", "RMSE without the square root",
           Edit("metrics", replace=("return np.sqrt(np.mean((P - y) ** 2))", "return np.mean((P - y) ** 2)")),
           hint="leaves out the square root in root_mean_squared_error"),
    Mutant("test_metrics", "MAE without the absolute value",
           Edit("metrics", replace=("return np.mean(np.abs(P - y))", "return np.mean(P - y)")),
           hint="averages the signed errors P - y without taking their absolute values"),
    Mutant("test_metrics", "RMSE taking the root before the mean (which is the MAE)",
           Edit("metrics", replace=("return np.sqrt(np.mean((P - y) ** 2))", "return np.mean(np.sqrt((P - y) ** 2))")),
           hint="takes the square root of each squared error before averaging, which gives the MAE"),
]

ALTERNATIVES = [
    Alternative("test_linear_forward", "einsum and np.add, keys in another order", (Edit("linear_forward", code='''
def linear_forward(X, weights):
    N = np.einsum("nd,dk->nk", X, weights["W"])
    return {"P": np.add(N, weights["B"]), "N": N, "X": X}
'''),)),
    Alternative("test_mse_loss", "a loop over the elements, np.shape and np.size", (Edit("mse_loss", code='''
def mse_loss(P, y):
    if np.shape(P) != np.shape(y):
        raise ValueError("shapes differ: " + str(np.shape(P)) + " and " + str(np.shape(y)))
    total = 0.0
    for p, t in zip(np.ravel(P), np.ravel(y)):
        total += (p - t) ** 2
    return total / np.size(P)
'''),)),
    Alternative("test_loss_gradients", "the book's step-by-step local derivatives, with a loop over the rows for dL/dW",
                (Edit("loss_gradients", code='''
def loss_gradients(forward_info, y):
    X, N, P = forward_info["X"], forward_info["N"], forward_info["P"]
    n = X.shape[0]
    dL_dP = -2.0 / n * (y - P)
    dP_dN = np.ones_like(N)
    dL_dN = dL_dP * dP_dN
    dL_dW = np.zeros((X.shape[1], 1))
    for i in range(n):
        dL_dW += X[i][:, None] * dL_dN[i]
    return {"W": dL_dW, "B": np.sum(dL_dP).reshape(1, 1)}
'''),)),
    Alternative("test_batch_generator", "rng.shuffle of an index array, shuffled copies and a while loop",
                (Edit("batch_generator", code='''
def batch_generator(X, y, batch_size, rng):
    indices = np.arange(len(X))
    rng.shuffle(indices)
    X_shuffled, y_shuffled = X[indices], y[indices]
    start = 0
    while start < len(X_shuffled):
        stop = min(start + batch_size, len(X_shuffled))
        yield X_shuffled[start:stop], y_shuffled[start:stop]
        start = stop
'''),)),
    Alternative("test_train_step", "the gradient written inline and the given dict updated in place",
                (Edit("train_step", code='''
def train_step(weights, X_batch, y_batch, learning_rate):
    error = X_batch @ weights["W"] + weights["B"] - y_batch
    loss = float(np.mean(error ** 2))
    grad = 2 * error / len(error)
    weights["W"] = weights["W"] - learning_rate * (X_batch.T @ grad)
    weights["B"] = weights["B"] - learning_rate * grad.sum(keepdims=True)
    return weights, loss
'''),)),
    Alternative("test_fit", "a while loop over the epochs, sum/len for the mean, an array of losses", (Edit("fit", code='''
def fit(X, y, weights, epochs, batch_size, learning_rate, rng):
    history = []
    epoch = 0
    while epoch < epochs:
        batch_losses = []
        for batch in batch_generator(X, y, batch_size, rng):
            weights, loss = train_step(weights, batch[0], batch[1], learning_rate)
            batch_losses.append(loss)
        history.append(sum(batch_losses) / len(batch_losses))
        epoch += 1
    return weights, np.array(history)
'''),)),
    Alternative("test_metrics", "a sum divided by the count, and a vector norm", (Edit("metrics", code='''
def mean_absolute_error(P, y):
    return float(np.abs(np.subtract(P, y)).sum() / np.size(y))


def root_mean_squared_error(P, y):
    return float(np.linalg.norm(np.ravel(P) - np.ravel(y)) / np.sqrt(np.size(y)))
'''),)),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("linear_forward", code='''
def linear_forward(X, weights):
    return {"X": X, "N": np.array([[-1.5], [-2.5], [1.0]]), "P": np.array([[0.5], [-0.5], [3.0]])}
'''),
    Edit("mse_loss", code='''
def mse_loss(P, y):
    if P.shape != y.shape:
        raise ValueError("the shapes differ")
    return 8 / 3
'''),
    Edit("loss_gradients", code='''
def loss_gradients(forward_info, y):
    return {"W": np.array([[-2 / 3], [-4 / 3]]), "B": np.array([[2 / 3]])}
'''),
    Edit("train_step", code='''
def train_step(weights, X_batch, y_batch, learning_rate):
    if weights["W"][0, 0] == 0:
        return {"W": np.array([[1.0]]), "B": np.array([[0.6]])}, 10.0
    return {"W": np.array([[1.32]]), "B": np.array([[0.78]])}, 1.06
'''),
    Edit("metrics", code='''
def mean_absolute_error(P, y):
    return 0.75


def root_mean_squared_error(P, y):
    return 1.118033988749895
'''),
)
