"""Reference answers for notebook 02, nested functions and the chain rule."""
import numpy as np

from .derivatives import sigmoid, sigmoid_deriv


def chain(functions):
    def composed(x):
        for f in functions:
            x = f(x)
        return x
    return composed


def chain_deriv_2(f1, df1, f2, df2, x):
    return df2(f1(x)) * df1(x)


def chain_deriv_3(f1, df1, f2, df2, f3, df3, x):
    inner = f1(x)
    middle = f2(inner)
    return df3(middle) * df2(inner) * df1(x)


def product_sigmoid(x, y):
    return sigmoid(x * y)


def product_sigmoid_backward(x, y):
    local = sigmoid_deriv(x * y)
    return local * y, local * x


def neuron_forward(x, w, b, y):
    z = w * x + b
    a = sigmoid(z)
    return {"z": z, "a": a, "loss": np.mean((a - y) ** 2)}


def neuron_backward(x, w, b, y):
    values = neuron_forward(x, w, b, y)
    dloss_da = 2 * (values["a"] - y) / np.size(x)
    dloss_dz = dloss_da * sigmoid_deriv(values["z"])
    return {"dw": np.sum(dloss_dz * x), "db": np.sum(dloss_dz), "dx": dloss_dz * w}
