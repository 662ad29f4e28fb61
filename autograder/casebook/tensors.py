"""Notebook 03: wrong answers students really write, and right ones written differently."""
from ..submissions import Edit
from . import Alternative, Mutant

# Exercises the demo's mistaken student gets wrong: ones whose functions later exercises do not use.
DEMO_MISTAKES = ("test_naive_add", "test_broadcast_shape", "test_gradient_check")

MUTANTS = [
    # Exercise 1: broadcasting by hand
    Mutant("test_naive_add", "copies x, so an integer matrix cuts the decimals",
           Edit("naive_add", replace=("result = np.empty(x.shape, dtype=np.result_type(x, y))", "result = x.copy()")),
           hint="starts the result from x.copy(), which keeps the dtype of x instead of np.result_type(x, y)"),
    Mutant("test_naive_add", "adds y[i] instead of y[j]",
           Edit("naive_add", replace=("x[i, j] + y[j]", "x[i, j] + y[i]")),
           hint="adds y[i], chosen by the row, where element [i, j] needs y[j]"),
    Mutant("test_naive_add", "always returns float64",
           Edit("naive_add", replace=("np.empty(x.shape, dtype=np.result_type(x, y))", "np.empty(x.shape)")),
           hint="creates the result without a dtype, so it is always float64 rather than np.result_type(x, y)"),
    Mutant("test_naive_add", "no shape check: an IndexError instead of a ValueError",
           Edit("naive_add", replace=("if x.ndim != 2 or y.ndim != 1 or x.shape[1] != y.shape[0]:",
                                      "if x.ndim != 2 or y.ndim != 1:")),
           hint="does not raise a ValueError when y's length differs from the number of columns of x"),
    # Exercise 2: the broadcasting rule
    Mutant("test_broadcast_shape", "aligns the shapes on the left",
           Edit("broadcast_shape", replace=(
               "a = (1,) * (rank - len(shape_a)) + tuple(shape_a)\n    b = (1,) * (rank - len(shape_b)) + tuple(shape_b)",
               "a = tuple(shape_a) + (1,) * (rank - len(shape_a))\n    b = tuple(shape_b) + (1,) * (rank - len(shape_b))")),
           hint="pads the shorter shape with 1s on the right, aligning the shapes on the left"),
    Mutant("test_broadcast_shape", "zips from the right and loses the extra axes of the longer shape",
           Edit("broadcast_shape", code='''
def broadcast_shape(shape_a, shape_b):
    result = []
    for size_a, size_b in zip(reversed(shape_a), reversed(shape_b)):
        if size_a == size_b or size_b == 1:
            result.append(size_a)
        elif size_a == 1:
            result.append(size_b)
        else:
            raise ValueError("shapes clash")
    return tuple(reversed(result))
'''),
           hint="zips the shapes without padding, dropping the extra leading axes of the longer shape"),
    Mutant("test_broadcast_shape", "takes the larger size and never reports a clash",
           Edit("broadcast_shape", replace=(
               'raise ValueError(f"shapes {shape_a} and {shape_b} cannot be broadcast together")',
               "result.append(max(size_a, size_b))")),
           hint="takes the larger size on every axis and never raises a ValueError when two sizes clash"),
    Mutant("test_broadcast_shape", "only stretches size 1 in the second shape",
           Edit("broadcast_shape", replace=("        elif size_a == 1:\n            result.append(size_b)\n", "")),
           hint="stretches a size 1 in shape_b but treats a size 1 in shape_a as a clash"),
    # Exercise 3: products with loops
    Mutant("test_naive_products", "matrix product with as many output columns as x has",
           Edit("naive_products", replace=("for j in range(y.shape[1]):", "for j in range(x.shape[1]):")),
           hint="loops over range(x.shape[1]) for the output columns of naive_matrix_dot, where y.shape[1] is needed"),
    Mutant("test_naive_products", "matrix-vector product that never resets its running sum",
           Edit("naive_products", replace=(
               "    for i in range(x.shape[0]):\n        for k in range(x.shape[1]):\n"
               "            result[i] += x[i, k] * y[k]\n",
               "    total = 0.0\n    for i in range(x.shape[0]):\n        for k in range(x.shape[1]):\n"
               "            total += x[i, k] * y[k]\n        result[i] = total\n")),
           hint="never restarts its running sum at 0 for each row in naive_matrix_vector_dot"),
    Mutant("test_naive_products", "vector dot without a length check",
           Edit("naive_products", replace=(
               '    if x.shape[0] != y.shape[0]:\n        raise ValueError(f"vectors of lengths {x.shape[0]} and {y.shape[0]}")\n',
               "")),
           hint="lets naive_vector_dot run on vectors of different lengths instead of raising a ValueError"),
    Mutant("test_naive_products", "reads y as if it were transposed",
           Edit("naive_products", replace=("x[i, k] * y[k, j]", "x[i, k] * y[j, k]")),
           hint="uses y[j, k] where naive_matrix_dot needs y[k, j], column j of y"),
    # Exercise 4: backward through a matrix product
    Mutant("test_matmul_backward", "ignores the upstream gradient (the formula for a plain sum)",
           Edit("matmul_backward", replace=("dW = X.T @ G", "dW = X.T @ np.ones_like(G)")),
           hint="computes dW from a matrix of ones, as for L = sum(N), instead of from G"),
    Mutant("test_matmul_backward", "forgets the transpose of W",
           Edit("matmul_backward", replace=("dX = G @ W.T", "dX = G @ W")),
           hint="computes dX as G @ W, missing the transpose of W"),
    Mutant("test_matmul_backward", "transposed weight gradient",
           Edit("matmul_backward", replace=("dW = X.T @ G", "dW = G.T @ X")),
           hint="computes dW as G.T @ X, the transpose of the weight gradient X.T @ G"),
    Mutant("test_matmul_backward", "returns the pair the other way round",
           Edit("matmul_backward", replace=("return dX, dW", "return dW, dX")),
           hint="returns (dW, dX), the pair the other way round"),
    Mutant("test_matmul_backward", "numerical gradient instead of backprop", Edit("matmul_backward", code='''
def matmul_backward(X, W, G):
    dX = numerical_gradient(lambda X_: np.sum(G * (X_ @ W)), X)
    dW = numerical_gradient(lambda W_: np.sum(G * (X @ W_)), W)
    return dX, dW
'''),
           hint="uses numerical_gradient instead of the formulas, far too slow for big matrices", slow=True),
    # Exercise 5: forward
    Mutant("test_sigmoid_sum_forward", "averages instead of summing",
           Edit("sigmoid_sum_forward", replace=("L = np.sum(S)", "L = np.mean(S)")),
           hint="takes the mean of S for L instead of the sum of all its entries"),
    Mutant("test_sigmoid_sum_forward", "applies the sigmoid after the sum",
           Edit("sigmoid_sum_forward", replace=("L = np.sum(S)", "L = sigmoid(np.sum(N))")),
           hint="sums N first and applies the sigmoid to the total, instead of summing S = sigmoid(N)"),
    Mutant("test_sigmoid_sum_forward", "sums over the batch axis only",
           Edit("sigmoid_sum_forward", replace=("L = np.sum(S)", "L = np.sum(S, axis=0)")),
           hint="sums S over axis 0 only, giving an array instead of one number"),
    # Exercise 6: backward
    Mutant("test_sigmoid_sum_backward", "forgets the sigmoid's derivative",
           Edit("sigmoid_sum_backward", replace=('dL_dN = dL_dS * sigmoid_deriv(values["N"])', "dL_dN = dL_dS")),
           hint="uses dL/dS as dL/dN, without multiplying by the sigmoid's derivative at N"),
    Mutant("test_sigmoid_sum_backward", "takes the sigmoid's derivative at S instead of N",
           Edit("sigmoid_sum_backward", replace=('sigmoid_deriv(values["N"])', 'sigmoid_deriv(values["S"])')),
           hint="takes sigmoid_deriv of S, where the sigmoid's derivative belongs at N"),
    Mutant("test_sigmoid_sum_backward", "transposed weight gradient",
           Edit("sigmoid_sum_backward", replace=("dL_dW = X.T @ dL_dN", "dL_dW = dL_dN.T @ X")),
           hint="computes dL/dW as dL/dN.T @ X, the transpose of X.T @ dL/dN"),
    Mutant("test_sigmoid_sum_backward", "numerical gradient instead of backprop",
           Edit("sigmoid_sum_backward", code='''
def sigmoid_sum_backward(X, W):
    dL_dX = numerical_gradient(lambda X_: sigmoid_sum_forward(X_, W)["L"], X)
    dL_dW = numerical_gradient(lambda W_: sigmoid_sum_forward(X, W_)["L"], W)
    return dL_dX, dL_dW
'''),
           hint="uses numerical_gradient instead of the backward pass, far too slow for big matrices", slow=True),
    # Exercise 7: unbroadcast
    Mutant("test_unbroadcast", "drops the summed size-1 axes",
           Edit("unbroadcast", replace=("keepdims=True", "keepdims=False")),
           hint="sums the size-1 axes without keepdims=True, so they vanish from the shape"),
    Mutant("test_unbroadcast", "sums only the axes broadcasting added on the left",
           Edit("unbroadcast", replace=(
               "    for axis, size in enumerate(shape):\n        if size == 1 and grad.shape[axis] != 1:\n"
               "            grad = grad.sum(axis=axis, keepdims=True)\n", "")),
           hint="sums only the axes added on the left, not the size-1 axes that were stretched"),
    Mutant("test_unbroadcast", "averages over the added axes instead of summing",
           Edit("unbroadcast", replace=("grad = grad.sum(axis=tuple(range(extra)))",
                                        "grad = grad.mean(axis=tuple(range(extra)))")),
           hint="averages over the axes added on the left where the gradient must be summed"),
    Mutant("test_unbroadcast", "always sums over the first axis, as for a bias",
           Edit("unbroadcast", code='''
def unbroadcast(grad, shape):
    return grad.sum(axis=0)
'''),
           hint="always sums over axis 0, as for a bias, whatever shape it is asked for"),
    Mutant("test_unbroadcast", "numerical gradient instead of backprop: bumps each entry of the broadcast array",
           Edit("unbroadcast", code='''
def unbroadcast(grad, shape):
    return numerical_gradient(lambda b: np.sum(grad * b), np.zeros(shape))
'''),
           hint="uses numerical_gradient, bumping every entry, instead of summing grad over the broadcast axes", slow=True),
    # Exercise 8: gradient check
    Mutant("test_gradient_check", "averages the relative errors instead of taking the largest",
           Edit("gradient_check", replace=("return float(np.max(", "return float(np.mean(")),
           hint="returns the mean of the relative errors instead of the largest one"),
    Mutant("test_gradient_check", "absolute instead of relative errors",
           Edit("gradient_check", replace=("np.max(np.abs(grad - numeric) / scale)", "np.max(np.abs(grad - numeric))")),
           hint="returns absolute errors, never dividing by max(|grad|, |numerical|, 1e-8)"),
    Mutant("test_gradient_check", "no floor: where both gradients are 0 it divides 0 by 0",
           Edit("gradient_check", replace=("np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), 1e-8)",
                                           "np.maximum(np.abs(grad), np.abs(numeric))")),
           hint="divides by max(|grad|, |numerical|) without the 1e-8 floor, so two zeros give 0 / 0"),
    Mutant("test_gradient_check", "measures against the claimed gradient only",
           Edit("gradient_check", replace=("np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), 1e-8)",
                                           "np.maximum(np.abs(grad), 1e-8)")),
           hint="divides by |grad| alone instead of by the larger of |grad| and the numerical gradient"),
    Mutant("test_gradient_check", "does not pass h on",
           Edit("gradient_check", replace=("numeric = numerical_gradient(loss, x, h)",
                                           "numeric = numerical_gradient(loss, x)")),
           hint="calls numerical_gradient without passing on the h it was given"),
    Mutant("test_gradient_check", "keeps the errors in an array like grad: integer gradients give integer errors",
           Edit("gradient_check", code='''
def gradient_check(loss, grad, x, h=1e-5):
    numeric = numerical_gradient(loss, x, h)
    errors = np.zeros_like(grad)
    for index in np.ndindex(np.shape(grad)):
        scale = max(abs(grad[index]), abs(numeric[index]), 1e-8)
        errors[index] = abs(grad[index] - numeric[index]) / scale
    return float(np.max(errors))
'''),
           hint="stores the errors in np.zeros_like(grad), so an integer grad turns them into integers"),
]

ALTERNATIVES = [
    Alternative("test_naive_add", "the vector tiled into a matrix, then one addition", (Edit("naive_add", code='''
def naive_add_matrix_and_vector(x, y):
    if np.ndim(x) != 2 or np.ndim(y) != 1 or np.shape(x)[1] != len(y):
        raise ValueError("y needs exactly one entry per column of x")
    return x + np.tile(y, (x.shape[0], 1))
'''),)),
    Alternative("test_broadcast_shape", "walks both shapes from the right by offset", (Edit("broadcast_shape", code='''
def broadcast_shape(shape_a, shape_b):
    result = []
    for offset in range(1, max(len(shape_a), len(shape_b)) + 1):
        a = shape_a[-offset] if offset <= len(shape_a) else 1
        b = shape_b[-offset] if offset <= len(shape_b) else 1
        if a != b and a != 1 and b != 1:
            raise ValueError(f"{a} and {b} clash")
        result.insert(0, b if a == 1 else a)
    return tuple(result)
'''),)),
    Alternative("test_naive_products", "each product built from the one before (rows, then columns)",
                (Edit("naive_products", code='''
def naive_vector_dot(x, y):
    if len(x) != len(y):
        raise ValueError("lengths differ")
    z = 0.0
    for a, b in zip(x, y):
        z += a * b
    return z


def naive_matrix_vector_dot(x, y):
    if x.shape[1] != len(y):
        raise ValueError("inner dimensions differ")
    return np.array([naive_vector_dot(row, y) for row in x])


def naive_matrix_dot(x, y):
    if x.shape[1] != y.shape[0]:
        raise ValueError("inner dimensions differ")
    z = np.zeros((x.shape[0], y.shape[1]))
    for j in range(y.shape[1]):
        z[:, j] = naive_matrix_vector_dot(x, y[:, j])
    return z
'''),)),
    Alternative("test_matmul_backward", "the index sums written with einsum", (Edit("matmul_backward", code='''
def matmul_backward(X, W, G):
    return np.einsum("ik,jk->ij", G, W), np.einsum("ij,ik->jk", X, G)
'''),)),
    Alternative("test_sigmoid_sum_forward", "sigmoid through tanh, the sum one axis at a time",
                (Edit("sigmoid_sum_forward", code='''
def sigmoid_sum_forward(X, W):
    N = np.matmul(X, W)
    S = 0.5 * (1 + np.tanh(N / 2))
    return {"L": S.sum(axis=1).sum(), "S": S, "N": N}
'''),)),
    Alternative("test_sigmoid_sum_backward", "reuses matmul_backward, with the sigmoid's slope in its exp form",
                (Edit("sigmoid_sum_backward", code='''
def sigmoid_sum_backward(X, W):
    e = np.exp(-(X @ W))
    return matmul_backward(X, W, e / (1 + e) ** 2)
'''),)),
    Alternative("test_unbroadcast", "a while loop for the added axes, then every size-1 axis at once",
                (Edit("unbroadcast", code='''
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    ones = tuple(axis for axis, size in enumerate(shape) if size == 1)
    return grad.sum(axis=ones, keepdims=True) if ones else grad
'''),)),
    Alternative("test_gradient_check", "one loop over the flattened arrays, keeping the worst error",
                (Edit("gradient_check", code='''
def gradient_check(loss, grad, x, h=1e-5):
    estimate = numerical_gradient(loss, x, h).ravel()
    claimed = np.asarray(grad, dtype=float).ravel()
    worst = 0.0
    for g, n in zip(claimed, estimate):
        worst = max(worst, abs(g - n) / max(abs(g), abs(n), 1e-8))
    return worst
'''),)),
]

# Reproduces the visible checks' numbers and nothing else.
HARDCODED = (
    Edit("naive_add", code='''
def naive_add_matrix_and_vector(x, y):
    if x.shape == (2, 2):
        return np.full((2, 2), 2.0, dtype=np.float32)
    if len(y) != x.shape[1]:
        raise ValueError("no")
    return np.array([[1.5, 12.0, 2.0], [4.5, 15.0, 5.0]])
'''),
    Edit("broadcast_shape", code='''
def broadcast_shape(shape_a, shape_b):
    table = {((3, 4), (4,)): (3, 4), ((3, 1), (1, 4)): (3, 4), ((2, 3, 4), (3, 1)): (2, 3, 4),
             ((), (5,)): (5,), ((4, 1), (4, 1)): (4, 1), ((1,), (2, 1, 3)): (2, 1, 3)}
    if (shape_a, shape_b) not in table:
        raise ValueError("clash")
    return table[(shape_a, shape_b)]
'''),
    Edit("sigmoid_sum_forward", code='''
def sigmoid_sum_forward(X, W):
    if X.shape == (1, 2):
        return {"N": np.array([[0.0]]), "S": np.array([[0.5]]), "L": 0.5}
    N = np.array([[0.0, 1.0], [2.0, -1.0], [2.0, 0.0]])
    return {"N": N, "S": sigmoid(N), "L": 3.7615941559557644}
'''),
    Edit("unbroadcast", code='''
def unbroadcast(grad, shape):
    table = {(3,): [5.0, 7.0, 9.0], (1, 3): [[5.0, 7.0, 9.0]], (2, 1): [[6.0], [15.0]], (): 21.0,
             (3, 1): [[8.0], [8.0], [8.0]]}
    return grad if tuple(shape) == grad.shape else np.array(table[tuple(shape)])
'''),
    Edit("gradient_check", code='''
def gradient_check(loss, grad, x, h=1e-5):
    if h == 0.5:
        return 0.25 / 3.25
    if np.size(grad) == 3 and grad[1] == 5:
        return 0.2
    return 0.1 if np.size(grad) == 3 and grad[0] == 1.8 else 0.0
'''),
)
