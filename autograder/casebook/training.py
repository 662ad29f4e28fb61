"""Notebook 07: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: ones whose functions no later exercise's tests use.
DEMO_MISTAKES = ("test_accuracy", "test_lr_schedule", "test_glorot_std")

MUTANTS = [
    # accuracy
    Mutant("test_accuracy", "takes the prediction's argmax down the columns (axis 0)",
           Edit("accuracy", replace=("prediction.argmax(axis=1) == labels", "prediction.argmax(axis=0) == labels")),
           hint="takes the prediction's argmax down each column (axis 0) instead of along each row"),
    Mutant("test_accuracy", "counts the right answers instead of taking the fraction",
           Edit("accuracy", replace=("float(np.mean(prediction.argmax(axis=1) == labels))",
                                     "float(np.sum(prediction.argmax(axis=1) == labels))")),
           hint="returns the number of right predictions instead of the fraction of rows"),
    Mutant("test_accuracy", "always takes the target's argmax, so class numbers break",
           Edit("accuracy", replace=("labels = target.argmax(axis=1) if target.ndim == 2 else target",
                                     "labels = target.argmax(axis=1)")),
           hint="takes the target's argmax even when the target already holds class numbers"),
    # softmax
    Mutant("test_softmax", "no max shift: exp overflows for large scores",
           Edit("softmax", replace=("np.exp(x - x.max(axis=axis, keepdims=True))", "np.exp(x)")),
           hint="exponentiates x without subtracting the maximum first, so large scores overflow"),
    Mutant("test_softmax", "divides by the sum of the whole array",
           Edit("softmax", replace=("exps.sum(axis=axis, keepdims=True)", "exps.sum()")),
           hint="divides by the sum of the whole array instead of the sum along axis"),
    Mutant("test_softmax", "shifts by the maximum of the whole array, not of each row",
           Edit("softmax", replace=("x.max(axis=axis, keepdims=True)", "x.max()")),
           hint="subtracts the maximum of the whole array instead of the maximum along axis"),
    Mutant("test_softmax", "ignores axis and always normalises rows",
           Edit("softmax", code='''
def softmax(x, axis=1):
    exps = np.exp(x - x.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)
'''),
           hint="always normalises along axis 1, ignoring the axis it is given"),
    # softmax_cross_entropy
    Mutant("test_softmax_cross_entropy", "sums over the batch instead of averaging",
           Edit("softmax_cross_entropy", replace=(" / prediction.shape[0]", "")),
           hint="adds up the examples' losses instead of averaging them over the batch"),
    Mutant("test_softmax_cross_entropy", "no clipping: a certain mistake costs log(0)",
           Edit("softmax_cross_entropy", replace=("np.clip(softmax(prediction, axis=1), eps, 1.0 - eps)",
                                                  "softmax(prediction, axis=1)")),
           hint="takes the log without first clipping the probabilities to [eps, 1 - eps]"),
    Mutant("test_softmax_cross_entropy", "averages over every entry (batch times classes)",
           Edit("softmax_cross_entropy", replace=("/ prediction.shape[0]", "/ prediction.size")),
           hint="divides by prediction.size, rows times classes, instead of by the number of rows"),
    Mutant("test_softmax_cross_entropy", "adds the book code's extra term -(1 - t) log(1 - p)",
           Edit("softmax_cross_entropy", replace=(
               "-np.sum(target * np.log(probabilities))",
               "-np.sum(target * np.log(probabilities) + (1 - target) * np.log(1 - probabilities))")),
           hint="adds an extra -(1 - y) log(1 - p) term to the cross-entropy"),
    Mutant("test_softmax_cross_entropy", "softmax over the batch axis",
           Edit("softmax_cross_entropy", replace=("softmax(prediction, axis=1)", "softmax(prediction, axis=0)")),
           hint="takes the softmax down each column (axis 0) instead of along each row"),
    # softmax_cross_entropy_grad
    Mutant("test_softmax_cross_entropy_grad", "forgets to divide by the batch size",
           Edit("softmax_cross_entropy_grad", replace=(" / prediction.shape[0]", "")),
           hint="returns softmax(prediction) - target without dividing by the number of rows"),
    Mutant("test_softmax_cross_entropy_grad", "target minus softmax: the sign is flipped",
           Edit("softmax_cross_entropy_grad", replace=("(softmax(prediction, axis=1) - target)",
                                                       "(target - softmax(prediction, axis=1))")),
           hint="computes target - softmax(prediction), the gradient with its sign flipped"),
    Mutant("test_softmax_cross_entropy_grad", "softmax over the batch axis",
           Edit("softmax_cross_entropy_grad", replace=("softmax(prediction, axis=1)", "softmax(prediction, axis=0)")),
           hint="applies the softmax along axis 0, across the batch, instead of along each row"),
    Mutant("test_softmax_cross_entropy_grad", "divides by the number of classes instead of the batch",
           Edit("softmax_cross_entropy_grad", replace=("/ prediction.shape[0]", "/ prediction.shape[1]")),
           hint="divides by the number of classes instead of the number of rows"),
    Mutant("test_softmax_cross_entropy_grad", "a numerical gradient of the loss instead of the formula",
           Edit("softmax_cross_entropy_grad", code='''
def softmax_cross_entropy_grad(prediction, target):
    from gradcheck import numerical_gradient
    return numerical_gradient(lambda z: softmax_cross_entropy(z, target), prediction)
'''),
           hint="estimates the gradient with numerical_gradient instead of (softmax - target) / n"),
    # momentum_update
    Mutant("test_momentum_update", "rebinds the velocity instead of changing it in place",
           Edit("momentum_update", replace=("velocity *= momentum\n    velocity += lr * grad",
                                            "velocity = momentum * velocity + lr * grad")),
           hint="writes velocity = ..., making a new array instead of changing velocity in place"),
    Mutant("test_momentum_update", "rebinds the parameter instead of changing it in place",
           Edit("momentum_update", replace=("param -= velocity", "param = param - velocity")),
           hint="writes param = param - velocity, so the caller's param array never changes"),
    Mutant("test_momentum_update", "takes the learning rate out of the velocity (PyTorch's form)",
           Edit("momentum_update", replace=("velocity += lr * grad\n    param -= velocity",
                                            "velocity += grad\n    param -= lr * velocity")),
           hint="adds the raw grad to the velocity and applies lr only in param -= lr * velocity"),
    Mutant("test_momentum_update", "adds the velocity: climbs the loss",
           Edit("momentum_update", replace=("param -= velocity", "param += velocity")),
           hint="adds the velocity to the parameter instead of subtracting it"),
    Mutant("test_momentum_update", "never shrinks the old velocity",
           Edit("momentum_update", replace=("velocity *= momentum\n    ", "")),
           hint="adds lr * grad to the velocity without first shrinking it by the momentum"),
    # SGDMomentum
    Mutant("test_sgd_momentum", "forgets the weight decay",
           Edit("sgd_momentum", replace=("            if self.weight_decay:\n                grad = grad + self.weight_decay * param\n", "")),
           hint="hands the update rule the plain gradient, without adding weight_decay * param"),
    Mutant("test_sgd_momentum", "subtracts the weight decay from the gradient",
           Edit("sgd_momentum", replace=("grad = grad + self.weight_decay * param", "grad = grad - self.weight_decay * param")),
           hint="subtracts weight_decay * param from the gradient, pushing parameters away from zero"),
    Mutant("test_sgd_momentum", "adds the weight decay into the network's own gradient",
           Edit("sgd_momentum", replace=("grad = grad + self.weight_decay * param", "grad += self.weight_decay * param")),
           hint="adds the weight decay into the network's own gradient array with +=, instead of making a new array"),
    Mutant("test_sgd_momentum", "makes fresh velocities at every step: no memory",
           Edit("sgd_momentum", replace=("        if self.velocities is None:\n            self.velocities",
                                         "        if True:\n            self.velocities")),
           hint="makes new zero velocities at every step instead of only on the first, so nothing is remembered"),
    Mutant("test_sgd_momentum", "reset keeps the velocities",
           Edit("sgd_momentum", replace=("starts from rest.\"\"\"\n        self.velocities = None", "starts from rest.\"\"\"\n        pass")),
           hint="keeps the old velocities in reset instead of setting them back to None"),
    Mutant("test_sgd_momentum", "one velocity shaped like the first parameter, for all of them",
           Edit("sgd_momentum", replace=("[np.zeros_like(param) for param in params]", "[np.zeros_like(params[0])] * len(params)")),
           hint="makes every velocity from the first parameter, so the others get the wrong shape and share one array"),
    # lr_schedule
    Mutant("test_lr_schedule", "spreads the decay over epochs steps, so the last epoch misses final_lr",
           Edit("lr_schedule", replace=("steps = max(epochs - 1, 1)", "steps = epochs")),
           hint="spreads the decay over E steps instead of E - 1, so the last epoch misses final_lr"),
    Mutant("test_lr_schedule", "exponential decay multiplies by final_lr / lr every epoch (no root)",
           Edit("lr_schedule", replace=("(final_lr / lr) ** (epoch / steps)", "(final_lr / lr) ** epoch")),
           hint="raises final_lr / lr to the power e instead of e / (E - 1)"),
    Mutant("test_lr_schedule", "the first epoch already runs at a decayed rate",
           Edit("lr_schedule", replace=("epoch = np.arange(epochs)", "epoch = np.arange(1, epochs + 1)")),
           hint="numbers the epochs from 1, so even the first epoch runs below lr"),
    Mutant("test_lr_schedule", "without decay returns one number instead of one rate per epoch",
           Edit("lr_schedule", replace=("return np.full(epochs, float(lr))", "return lr")),
           hint="returns lr itself when there is no decay, instead of an array of one rate per epoch"),
    # glorot_std
    Mutant("test_glorot_std", "returns the variance, not its square root (as the book's code does)",
           Edit("glorot_std", replace=("float(np.sqrt(2.0 / (n_in + n_out)))", "2.0 / (n_in + n_out)")),
           hint="returns the variance 2 / (n_in + n_out) instead of its square root"),
    Mutant("test_glorot_std", "scales by the fan-in only (1 / n_in)",
           Edit("glorot_std", replace=("2.0 / (n_in + n_out)", "1.0 / n_in")),
           hint="takes 1 / n_in as the variance instead of 2 / (n_in + n_out)"),
    Mutant("test_glorot_std", "He's scale, 2 / n_in",
           Edit("glorot_std", replace=("2.0 / (n_in + n_out)", "2.0 / n_in")),
           hint="takes He's 2 / n_in as the variance instead of Glorot's 2 / (n_in + n_out)"),
    Mutant("test_glorot_std", "forgets the factor 2",
           Edit("glorot_std", replace=("2.0 / (n_in + n_out)", "1.0 / (n_in + n_out)")),
           hint="takes 1 / (n_in + n_out) as the variance, leaving out the factor 2"),
    # dropout
    Mutant("test_dropout", "inverted dropout: divides by keep_prob in training, nothing at inference",
           Edit("dropout", code='''
def dropout_forward(x, keep_prob, rng=None, inference=False):
    if inference:
        return x, None
    rng = np.random.default_rng(rng)
    mask = (rng.random(x.shape) < keep_prob).astype(x.dtype)
    return x * mask / keep_prob, mask


def dropout_backward(output_grad, mask, keep_prob, inference=False):
    if inference:
        return output_grad
    return output_grad * mask / keep_prob
'''),
           hint="uses inverted dropout, dividing by keep_prob in training and leaving x unchanged at inference"),
    Mutant("test_dropout", "keeps a unit with probability 1 - keep_prob",
           Edit("dropout", replace=("rng.random(x.shape) < keep_prob", "rng.random(x.shape) > keep_prob")),
           hint="keeps a unit when its draw is above keep_prob instead of below it"),
    Mutant("test_dropout", "the backward pass ignores the mask",
           Edit("dropout", replace=("return output_grad * mask", "return output_grad")),
           hint="passes output_grad back unchanged in training instead of multiplying it by the mask"),
    Mutant("test_dropout", "drops units at inference too",
           Edit("dropout", replace=("    if inference:\n        return x * keep_prob, None\n", "")),
           hint="draws a random mask at inference too, instead of returning x * keep_prob"),
    Mutant("test_dropout", "one mask row shared by the whole batch",
           Edit("dropout", replace=("rng.random(x.shape)", "np.broadcast_to(rng.random(x.shape[1:]), x.shape)")),
           hint="shares one mask row across the whole batch instead of drawing a mask per example"),
    Mutant("test_dropout", "ignores the seed",
           Edit("dropout", replace=("rng = np.random.default_rng(rng)", "rng = np.random.default_rng()")),
           hint="ignores the rng argument, so the same seed gives a different mask", unseeded=True),
    # adam_update
    Mutant("test_adam_update", "leaves out the bias correction",
           Edit("adam_update", replace=("param -= lr * m_hat / (np.sqrt(v_hat) + eps)",
                                        "param -= lr * m / (np.sqrt(v) + eps)")),
           hint="divides m by the root of v without the bias correction, so its early steps are several times too long"),
    Mutant("test_adam_update", "puts eps inside the square root",
           Edit("adam_update", replace=("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")),
           hint="adds eps inside the square root instead of after it"),
    Mutant("test_adam_update", "rebinds m and v instead of changing them in place",
           Edit("adam_update", replace=("m *= beta1\n    m += (1 - beta1) * grad\n    v *= beta2\n    v += (1 - beta2) * grad * grad",
                                        "m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad * grad")),
           hint="writes m = ... and v = ..., making new arrays, so the optimiser's averages stay at zero"),
    Mutant("test_adam_update", "averages the gradient, not its square, in v",
           Edit("adam_update", replace=("v += (1 - beta2) * grad * grad", "v += (1 - beta2) * np.abs(grad)")),
           hint="averages the size of the gradient in v instead of its square"),
    Mutant("test_adam_update", "counts the steps from 0 in the bias correction",
           Edit("adam_update", replace=("m_hat = m / (1 - beta1 ** step)\n    v_hat = v / (1 - beta2 ** step)",
                                        "m_hat = m / (1 - beta1 ** (step + 1))\n    v_hat = v / (1 - beta2 ** (step + 1))")),
           hint="raises the betas to the power step + 1 in the bias correction, as if the steps counted from 0"),
    # dropout_operation
    Mutant("test_dropout_operation", "backward ignores the mode of the last forward pass",
           Edit("dropout_operation", replace=("return dropout_backward(output_grad, self.mask, self.keep_prob, self.inference)",
                                              "return dropout_backward(output_grad, self.mask, self.keep_prob)")),
           hint="calls dropout_backward without the inference flag, so after a pass at inference it still applies a mask"),
    Mutant("test_dropout_operation", "ignores fixed_seed",
           Edit("dropout_operation", replace=("rng = self.rng if self.fixed_seed is None else self.fixed_seed", "rng = self.rng")),
           hint="always hands over the generator, ignoring fixed_seed, so the mask changes between passes"),
    Mutant("test_dropout_operation", "hands dropout_forward the same seed at every pass",
           Edit("dropout_operation", replace=("rng = self.rng if self.fixed_seed is None else self.fixed_seed",
                                              "rng = 0 if self.fixed_seed is None else self.fixed_seed")),
           hint="hands dropout_forward a fixed seed instead of the generator, so every batch gets the same mask"),
    Mutant("test_dropout_operation", "backward draws a new mask instead of using the kept one",
           Edit("dropout_operation", replace=("return dropout_backward(output_grad, self.mask, self.keep_prob, self.inference)",
                                              "return dropout_backward(output_grad, dropout_forward(self.input_, self.keep_prob, self.rng)[1], "
                                              "self.keep_prob, self.inference)")),
           hint="draws a new mask in the backward pass instead of using the one the forward pass kept"),
    # gradient_errors
    Mutant("test_gradient_errors", "leaves the nudged values in the parameter",
           Edit("gradient_errors", code='''
def gradient_errors(net, X, y):
    net.train_batch(X, y)
    grads = [grad.copy() for grad in net.param_grads()]
    errors = []
    for param, grad in zip(list(net.params()), grads):
        def loss(values, param=param):
            param[...] = values
            return net.loss.forward(net.forward(X), y)
        errors.append(gradient_check(loss, grad, param))
    return errors
'''),
           hint="leaves the last nudged values in the parameter instead of putting the original entries back"),
    Mutant("test_gradient_errors", "rebinds the name param instead of writing into the array",
           Edit("gradient_errors", replace=("            param[...] = values\n", "            param = values\n")),
           hint="writes param = values, which rebinds a name and leaves the network's array as it was"),
    Mutant("test_gradient_errors", "checks the sum of the network's outputs instead of the loss",
           Edit("gradient_errors", replace=("return net.loss.forward(net.forward(X), y)", "return float(np.sum(net.forward(X)))")),
           hint="differentiates the sum of the network's outputs numerically instead of the loss"),
    Mutant("test_gradient_errors", "returns only the largest error",
           Edit("gradient_errors", replace=("    return errors", "    return max(errors)")),
           hint="returns one number, the largest error, instead of one error per parameter"),
    # grid_search
    Mutant("test_grid_search", "scores with a row per hidden size",
           Edit("grid_search", replace=("[[train_and_score(lr, hidden) for hidden in hidden_sizes] for lr in learning_rates]",
                                        "[[train_and_score(lr, hidden) for lr in learning_rates] for hidden in hidden_sizes]")),
           hint="makes one row per hidden size instead of one row per learning rate"),
    Mutant("test_grid_search", "picks the lowest score",
           Edit("grid_search", replace=("np.argmax(scores)", "np.argmin(scores)")),
           hint="picks the pair with the lowest score instead of the highest"),
    Mutant("test_grid_search", "unravels with the number of learning rates as the row length",
           Edit("grid_search", replace=("i, j = np.unravel_index(np.argmax(scores), scores.shape)",
                                        "i, j = divmod(int(np.argmax(scores)), len(learning_rates))")),
           hint="turns the flat position into (i, j) with the number of learning rates as the row length"),
    Mutant("test_grid_search", "keeps the last of tied best scores",
           Edit("grid_search", code='''
def grid_search(train_and_score, learning_rates, hidden_sizes):
    scores = np.zeros((len(learning_rates), len(hidden_sizes)))
    best, best_score = None, -np.inf
    for i, lr in enumerate(learning_rates):
        for j, hidden in enumerate(hidden_sizes):
            scores[i, j] = train_and_score(lr, hidden)
            if scores[i, j] >= best_score:
                best, best_score = (lr, hidden), scores[i, j]
    return scores, best
'''),
           hint="keeps the last of several equally high scores instead of the first in row order"),
    Mutant("test_grid_search", "returns the position of the best pair instead of its values",
           Edit("grid_search", replace=("return scores, (learning_rates[i], hidden_sizes[j])", "return scores, (i, j)")),
           hint="returns the indices (i, j) of the best pair instead of its learning rate and hidden size"),
]

ALTERNATIVES = [
    Alternative("test_accuracy", "a loop over the rows with np.argmax", (Edit("accuracy", code='''
def accuracy(prediction, target):
    target = np.asarray(target)
    right = 0
    for scores, truth in zip(prediction, target):
        label = np.argmax(truth) if np.ndim(truth) == 1 else truth
        right += int(np.argmax(scores) == label)
    return right / len(prediction)
'''),)),
    Alternative("test_softmax", "through the log-sum-exp, with np.max and np.sum", (Edit("softmax", code='''
def softmax(x, axis=1):
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    log_total = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return np.exp(shifted - log_total)
'''),)),
    Alternative("test_softmax", "moves the axis last and loops over the rows", (Edit("softmax", code='''
def softmax(x, axis=1):
    moved = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    out = np.empty_like(flat)
    for i, row in enumerate(flat):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return np.moveaxis(out.reshape(moved.shape), -1, axis)
'''),)),
    Alternative("test_softmax_cross_entropy", "log-softmax clipped on the log scale, mean of the row losses",
                (Edit("softmax_cross_entropy", code='''
def softmax_cross_entropy(prediction, target, eps=1e-9):
    shifted = prediction - prediction.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = np.clip(log_p, np.log(eps), np.log1p(-eps))
    return float((-(target * log_p).sum(axis=1)).mean())
'''),)),
    Alternative("test_softmax_cross_entropy_grad", "a loop over the rows, the batch mean as a product",
                (Edit("softmax_cross_entropy_grad", code='''
def softmax_cross_entropy_grad(prediction, target):
    grad = np.zeros(prediction.shape)
    for i, (scores, truth) in enumerate(zip(prediction, target)):
        e = np.exp(scores - np.max(scores))
        grad[i] = e / e.sum() - truth
    return grad * (1.0 / len(prediction))
'''),)),
    Alternative("test_momentum_update", "writes into the arrays with [...] in one expression each",
                (Edit("momentum_update", code='''
def momentum_update(param, grad, velocity, lr, momentum):
    velocity[...] = momentum * velocity + lr * grad
    param[...] = param - velocity
'''),)),
    Alternative("test_sgd_momentum", "velocities from np.zeros with the parameter's shape and dtype; decay always added",
                (Edit("sgd_momentum", replace=("""        params = list(self.net.params())
        if self.velocities is None:
            self.velocities = [np.zeros_like(param) for param in params]
        for param, grad, velocity in zip(params, self.net.param_grads(), self.velocities):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            self._update_rule(param, grad, velocity)""", """        if self.velocities is None:
            self.velocities = [np.zeros(param.shape, dtype=param.dtype) for param in self.net.params()]
        for index, (param, grad) in enumerate(zip(self.net.params(), self.net.param_grads())):
            self._update_rule(param, np.add(grad, self.weight_decay * param), self.velocities[index])""")),)),
    Alternative("test_lr_schedule", "np.linspace and np.geomspace", (Edit("lr_schedule", code='''
def lr_schedule(lr, final_lr, decay_type, epochs):
    if decay_type is None or epochs == 1:
        return lr * np.ones(epochs)
    if decay_type == "linear":
        return np.linspace(lr, final_lr, epochs)
    return np.geomspace(lr, final_lr, epochs)
'''),)),
    Alternative("test_lr_schedule", "Weidman's loop: subtract or multiply after every epoch", (Edit("lr_schedule", code='''
def lr_schedule(lr, final_lr, decay_type, epochs):
    steps = max(epochs - 1, 1)
    if decay_type == "linear":
        change = (lr - final_lr) / steps
    elif decay_type == "exponential":
        change = (final_lr / lr) ** (1.0 / steps)
    rates, rate = [], lr
    for _ in range(epochs):
        rates.append(rate)
        if decay_type == "linear":
            rate -= change
        elif decay_type == "exponential":
            rate *= change
    return np.array(rates)
'''),)),
    Alternative("test_glorot_std", "math.sqrt of the variance", (Edit("glorot_std", code='''
import math

def glorot_std(n_in, n_out):
    variance = 2 / (n_in + n_out)
    return math.sqrt(variance)
'''),)),
    Alternative("test_dropout", "a binomial mask of booleans and np.where", (Edit("dropout", code='''
def dropout_forward(x, keep_prob, rng=None, inference=False):
    if inference:
        return (x * keep_prob).astype(x.dtype), None
    generator = np.random.default_rng(rng)
    keep = generator.binomial(1, keep_prob, size=x.shape).astype(bool)
    return np.where(keep, x, 0).astype(x.dtype), keep


def dropout_backward(output_grad, mask, keep_prob, inference=False):
    return output_grad * keep_prob if inference else np.where(mask, output_grad, 0.0)
'''),)),
    Alternative("test_adam_update", "writes into the arrays with [...] in one expression each",
                (Edit("adam_update", code='''
def adam_update(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad ** 2
    param[...] = param - lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
'''),)),
    Alternative("test_adam_update", "numpy's out= arguments and np.square",
                (Edit("adam_update", code='''
def adam_update(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    np.multiply(m, beta1, out=m)
    np.add(m, (1 - beta1) * grad, out=m)
    np.multiply(v, beta2, out=v)
    np.add(v, (1 - beta2) * np.square(grad), out=v)
    corrected_m = m / (1.0 - np.power(beta1, step))
    corrected_v = v / (1.0 - np.power(beta2, step))
    np.subtract(param, lr * corrected_m / (np.sqrt(corrected_v) + eps), out=param)
'''),)),
    Alternative("test_dropout_operation", "keeps whatever mask the pass returns, None at inference",
                (Edit("dropout_operation", replace=("""        if not inference:
            self.mask = mask
        return output""", """        self.mask = mask
        return output""")),)),
    Alternative("test_gradient_errors", "its own relative error from numerical_gradient, and np.copyto",
                (Edit("gradient_errors", code='''
def gradient_errors(net, X, y):
    from gradcheck import numerical_gradient
    net.train_batch(X, y)
    grads = [np.array(grad) for grad in net.param_grads()]
    errors = []
    for param, grad in zip(list(net.params()), grads):
        original = param.copy()

        def loss(values):
            np.copyto(param, values)
            try:
                return net.loss.forward(net.forward(X), y)
            finally:
                np.copyto(param, original)

        numeric = numerical_gradient(loss, param)
        scale = np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), 1e-8)
        errors.append(float(np.max(np.abs(grad - numeric) / scale)))
    return errors
'''),)),
    Alternative("test_grid_search", "loops that keep the first best score", (Edit("grid_search", code='''
def grid_search(train_and_score, learning_rates, hidden_sizes):
    scores = np.empty((len(learning_rates), len(hidden_sizes)))
    best, best_score = None, -np.inf
    for i, lr in enumerate(learning_rates):
        for j, hidden in enumerate(hidden_sizes):
            scores[i, j] = train_and_score(lr, hidden)
            if scores[i, j] > best_score:
                best, best_score = (lr, hidden), scores[i, j]
    return scores, best
'''),)),
    Alternative("test_grid_search", "np.argwhere for the first maximum", (Edit("grid_search", code='''
def grid_search(train_and_score, learning_rates, hidden_sizes):
    scores = np.array([[float(train_and_score(a, b)) for b in hidden_sizes] for a in learning_rates])
    i, j = np.argwhere(scores == scores.max())[0]
    return scores, (learning_rates[i], hidden_sizes[j])
'''),)),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("accuracy", code='''
def accuracy(prediction, target):
    return 2 / 3
'''),
    Edit("softmax", code='''
def softmax(x, axis=1):
    x = np.asarray(x)
    if x.shape == (2, 3):
        return np.array([np.exp([1.0, 2.0, 3.0]) / np.sum(np.exp([1.0, 2.0, 3.0])), [1 / 3, 1 / 3, 1 / 3]])
    if x.shape == (1, 2):
        return np.array([[1 / (1 + np.e), np.e / (1 + np.e)]])
    return np.full(x.shape, 0.5)
'''),
    Edit("softmax_cross_entropy", code='''
def softmax_cross_entropy(prediction, target, eps=1e-9):
    if len(prediction) == 2:
        return (np.log(2) + np.log(4 / 3)) / 2
    return -np.log(1e-9) if np.max(prediction) > 100 else np.log(2)
'''),
    Edit("softmax_cross_entropy_grad", code='''
def softmax_cross_entropy_grad(prediction, target):
    return np.array([[-0.25, 0.25], [0.125, -0.125]]) if prediction.shape == (2, 2) else np.zeros(prediction.shape)
'''),
    Edit("momentum_update", code='''
def momentum_update(param, grad, velocity, lr, momentum):
    if param.shape == (2,):
        velocity[...] = [0.19, -0.19] if velocity.any() else [0.1, -0.1]
        param -= velocity
    else:
        param -= lr * grad
'''),
    Edit("sgd_momentum", code='''
class SGDMomentum(Optimizer):
    def __init__(self, lr=0.01, final_lr=None, decay_type=None, momentum=0.9, weight_decay=0.0):
        super().__init__(lr)
        self.momentum, self.weight_decay, self.velocities = momentum, weight_decay, None

    def reset(self):
        self.velocities = None

    def step(self):
        params = list(self.net.params())
        if self.velocities is None:
            self.velocities = [np.array([[0.1, 0.1]]), np.array([[-0.2]])]
            params[0][...] = [[0.85, -2.0]] if self.weight_decay else [[0.9, -2.1]]
        else:
            params[0][...] = [[0.75, -2.25]]
'''),
    Edit("lr_schedule", code='''
def lr_schedule(lr, final_lr, decay_type, epochs):
    known = {(0.15, "linear", 3): [0.15, 0.1, 0.05], (0.2, "exponential", 3): [0.2, 0.1, 0.05], (0.3, "linear", 1): [0.3]}
    if (lr, decay_type, epochs) in known:
        return np.array(known[(lr, decay_type, epochs)])
    rates = np.full(epochs, float(lr))
    if decay_type is not None:
        rates[-1] = final_lr
    return rates
'''),
    Edit("glorot_std", code='''
def glorot_std(n_in, n_out):
    return {(3, 1): 0.5 ** 0.5, (784, 89): 0.047864}.get((n_in, n_out), 0.1)
'''),
    Edit("adam_update", code='''
def adam_update(param, grad, m, v, step, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if param.shape == (2,) and step == 1:
        m[...], v[...] = [0.1, -0.1], [0.001, 0.001]
        param[...] = [0.9, 2.1]
    elif param.shape == (2,):
        m[...], v[...] = [0.39, -0.19], [0.009999, 0.001999]
        param[...] = [0.8082218895, 2.2]
    else:
        param -= lr * np.sign(grad)
'''),
    Edit("dropout", code='''
def dropout_forward(x, keep_prob, rng=None, inference=False):
    if inference:
        return x * keep_prob, None
    mask = (np.random.default_rng(0).random(x.shape) < keep_prob).astype(x.dtype)
    return x * mask, mask


def dropout_backward(output_grad, mask, keep_prob, inference=False):
    return output_grad * keep_prob if inference else output_grad * mask
'''),
    Edit("dropout_operation", code='''
class Dropout(Operation):
    def __init__(self, keep_prob=0.8, rng=None):
        self.keep_prob, self.mask, self.fixed_seed, self.passes = keep_prob, None, None, 0

    def _output(self, inference):
        self.inference = inference
        if inference:
            return self.input_ * self.keep_prob
        self.passes += 1
        seed = self.fixed_seed if self.fixed_seed is not None else (0 if self.passes == 1 else self.passes)
        self.mask = (np.random.default_rng(seed).random(self.input_.shape) < self.keep_prob).astype(float)
        return self.input_ * self.mask

    def _input_grad(self, output_grad):
        return output_grad * (self.keep_prob if self.inference else self.mask)
'''),
    Edit("gradient_errors", code='''
def gradient_errors(net, X, y):
    bent = any(getattr(op, "slope", 2.0) != 2.0 for layer in net.layers for op in layer.operations)
    return [0.5, 0.5, 1e-9, 1e-9] if bent else [1e-9] * 4
'''),
    Edit("grid_search", code='''
def grid_search(train_and_score, learning_rates, hidden_sizes):
    for lr in learning_rates:
        for hidden in hidden_sizes:
            train_and_score(lr, hidden)
    if len(learning_rates) == 3:
        return np.array([[0.76, 0.8], [0.86, 0.9], [0.76, 0.8]]), (0.1, 64)
    return np.full((len(learning_rates), len(hidden_sizes)), 0.5), (learning_rates[0], hidden_sizes[0])
'''),
)
