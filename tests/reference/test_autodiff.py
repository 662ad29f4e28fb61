"""Tests of autograder/reference/autodiff.py (notebook 08).

Every backward rule is checked against central differences
(autograder.published.gradcheck) in float64, through L = sum(f(inputs) * G) for a random
G, which tests the whole Jacobian, not one row of it. The graph machinery
(generations, accumulation, releasing gradients, no_grad, create_graph) is
checked on small expressions whose derivatives are worked out by hand, and the
engine as a whole against notebook 07's hand-written network.
"""
import gc
import weakref

import numpy as np
import pytest

from autograder.reference import autodiff as ad
from autograder.reference.training import SoftmaxCrossEntropy, glorot_std, softmax
from autograder.published.framework import Dense, Linear, NeuralNetwork, Tanh
from autograder.published.gradcheck import numerical_gradient

RTOL, ATOL = 1e-6, 1e-8


def random(shape, seed=0, scale=1.0, shift=0.0):
    return shift + scale * np.random.default_rng(seed).standard_normal(shape)


def assert_gradients_match(f, *arrays, seed=1):
    """The engine's gradient of sum(f(*inputs) * G) for every input, against central differences."""
    variables = [ad.Variable(a.copy()) for a in arrays]
    y = f(*variables)
    G = random(y.shape, seed=seed)
    ad.sum(y * G).backward()
    for i, variable in enumerate(variables):
        def loss(bumped, i=i):
            inputs = [ad.Variable(bumped if j == i else a) for j, a in enumerate(arrays)]
            with ad.no_grad():
                return float(np.sum(f(*inputs).data * G))

        assert variable.grad.shape == arrays[i].shape, f"input {i}"
        np.testing.assert_allclose(variable.grad.data, numerical_gradient(loss, arrays[i]), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of input {i}")


# ------------------------------------------------------------------- Variable


@pytest.mark.parametrize("value, dtype", [(3, np.float64), (2.5, np.float64), (np.int64(4), np.float64),
                                          (np.float32(1.5), np.float32)])
def test_variable_promotes_numbers_to_arrays(value, dtype):
    x = ad.Variable(value)
    assert isinstance(x.data, np.ndarray) and x.data.dtype == dtype and x.data == value and x.shape == ()


def test_variable_keeps_arrays_as_they_are():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = ad.Variable(data, name="x")
    assert x.data is data and x.dtype == np.float32 and x.name == "x"
    assert (x.shape, x.ndim, x.size, len(x)) == ((2, 3), 2, 6, 2)
    assert x.T.shape == (3, 2) and x.grad is None and x.creator is None and x.generation == 0


@pytest.mark.parametrize("value", [[1.0, 2.0], "3", None, True, (1, 2)])
def test_variable_refuses_other_types_and_names_them(value):
    with pytest.raises(TypeError, match=type(value).__name__):
        ad.Variable(value)


def test_function_records_inputs_outputs_and_generations():
    x = ad.Variable(np.array(2.0))
    a = ad.exp(x)
    b = ad.mul(a, x)
    f = b.creator
    assert isinstance(f, ad.Mul) and f.inputs == (a, x) and [ref() for ref in f.outputs] == [b]
    assert all(isinstance(ref, weakref.ref) for ref in f.outputs)
    assert (x.generation, a.creator.generation, a.generation, f.generation, b.generation) == (0, 0, 1, 1, 2)


def test_functions_keep_their_outputs_only_weakly():
    gc.disable()  # freed by reference counting alone: the graph holds no cycle
    try:
        x = ad.Variable(random(3))
        y = ad.tanh(x * x)
        creator = weakref.ref(y.creator)
        del y
        assert creator() is None
    finally:
        gc.enable()


# ------------------------------------------------------ elementary functions

UNARY = {
    "neg": (ad.neg, {}),
    "exp": (ad.exp, {}),
    "log": (ad.log, {"shift": 3.0}),  # positive inputs
    "tanh": (ad.tanh, {}),
    "sigmoid": (ad.sigmoid, {"scale": 3.0}),
    "relu": (ad.relu, {}),
    "pow 3": (lambda x: ad.pow(x, 3), {}),
    "pow -1.5": (lambda x: x ** -1.5, {"shift": 3.0}),
    "softmax": (ad.softmax, {"scale": 2.0}),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradients_match_differences(name):
    f, domain = UNARY[name]
    assert_gradients_match(f, random((3, 4), **domain))


@pytest.mark.parametrize("name, f", [("add", ad.add), ("mul", ad.mul), ("sub", ad.sub), ("div", ad.div)])
@pytest.mark.parametrize("shape_b", [(3, 4), (4,), (3, 1), (1, 4), ()])
def test_binary_gradients_match_differences_and_sum_back_broadcasts(name, f, shape_b):
    a, b = random((3, 4), seed=2), random(shape_b, seed=3, shift=3.0)  # b away from 0 for div
    assert_gradients_match(f, a, b)


def test_broadcast_gradient_is_summed_over_the_copies():
    x, b = ad.Variable(random((3, 4))), ad.Variable(np.zeros(4))
    ad.sum(x + b).backward()
    np.testing.assert_array_equal(b.grad.data, [3.0] * 4)  # each b[j] was used in 3 rows
    w = ad.Variable(np.full((3, 1), 2.0))
    ad.sum(x * w).backward()
    np.testing.assert_allclose(w.grad.data[:, 0], x.data.sum(axis=1))


def test_elementary_values():
    x = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(ad.sigmoid(x).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_array_equal(ad.relu(x).data, [0.0, 0.5, 3.0])
    with np.errstate(over="raise"):
        assert ad.sigmoid(np.array([-1000.0, 1000.0])).data.tolist() == [0.0, 1.0]
    with pytest.raises(TypeError, match="constant"):
        ad.pow(ad.Variable(x), ad.Variable(2.0))


def test_log_backward_divides_by_the_input_not_the_output():
    x = ad.Variable(np.array(5.0))
    ad.log(x).backward()
    assert x.grad.data == pytest.approx(1 / 5)


# ----------------------------------------------------------- tensor functions

TENSOR = {
    "reshape": (lambda x: ad.reshape(x, (4, 6)), (2, 3, 4)),
    "reshape method": (lambda x: x.reshape(6, 4), (2, 3, 4)),
    "transpose": (lambda x: ad.transpose(x), (2, 3, 4)),
    "transpose axes": (lambda x: ad.transpose(x, (1, 2, 0)), (2, 3, 4)),
    "T": (lambda x: x.T, (3, 5)),
    "sum all": (lambda x: ad.sum(x), (2, 3, 4)),
    "sum axis 1": (lambda x: ad.sum(x, axis=1), (2, 3, 4)),
    "sum axis -1 keepdims": (lambda x: ad.sum(x, axis=-1, keepdims=True), (2, 3, 4)),
    "sum axes (0, 2)": (lambda x: x.sum(axis=(0, 2)), (2, 3, 4)),
    "broadcast_to": (lambda x: ad.broadcast_to(x, (2, 3, 4)), (3, 1)),
    "sum_to": (lambda x: ad.sum_to(x, (3, 1)), (2, 3, 4)),
}


@pytest.mark.parametrize("name", TENSOR)
def test_tensor_gradients_match_differences(name):
    f, shape = TENSOR[name]
    assert_gradients_match(f, random(shape))


def test_sum_to_shape_sums_leading_and_stretched_axes():
    x = random((2, 3, 4))
    np.testing.assert_allclose(ad.sum_to_shape(x, (3, 1)), x.sum(axis=(0, 2))[:, None])
    np.testing.assert_allclose(ad.sum_to_shape(x, (1, 4)), x.sum(axis=(0, 1))[None])
    np.testing.assert_allclose(ad.sum_to_shape(x, ()), x.sum())
    assert ad.sum_to_shape(x, (2, 3, 4)) is not None and ad.sum_to_shape(x, (2, 1, 4)).shape == (2, 1, 4)


def test_matmul_gradients_on_rectangular_matrices():
    # three different sizes, so that a wrong transpose cannot even have the right shape
    assert_gradients_match(ad.matmul, random((5, 3), seed=1), random((3, 2), seed=2))
    x, W = ad.Variable(random((5, 3))), ad.Variable(random((3, 2)))
    ad.sum(x @ W).backward()
    np.testing.assert_allclose(W.grad.data, x.data.T @ np.ones((5, 2)))
    np.testing.assert_allclose(x.grad.data, np.ones((5, 2)) @ W.data.T)
    with pytest.raises(ValueError, match="two matrices"):
        ad.matmul(random(3), random((3, 2)))


# -------------------------------------------------------------------- backward


def test_diamond_needs_generations():
    """a = x*x; y = a + a*x: dy/dx = 2x + 3x^2. Visiting a's creator before
    both of a's uses are done would pass on only part of a's gradient."""
    x = ad.Variable(np.array([3.0, -2.0]))
    a = x * x
    y = a + a * x
    ad.sum(y).backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 3 * x.data ** 2)


def test_longer_diamonds_match_differences():
    def f(x):
        a = ad.tanh(x)
        b = a * a + ad.exp(a)
        return b * a - ad.sigmoid(b) / (a + 3.0)

    assert_gradients_match(f, random((2, 3)))


def test_newest_first_visits_generations_in_decreasing_order():
    x = ad.Variable(random(3))
    a = ad.exp(x)
    y = ad.tanh(a) + a * x
    generations = [f.generation for f in ad.newest_first(y)]
    assert generations == sorted(generations, reverse=True) and len(generations) == 4


def test_a_variable_used_twice_accumulates():
    x = ad.Variable(np.array(3.0))
    (x + x).backward()
    assert x.grad.data == 2.0
    x.cleargrad()
    (x * x * x).backward()
    assert x.grad.data == pytest.approx(27.0)


def test_gradients_add_up_over_backward_calls_until_cleargrad():
    x = ad.Variable(np.array(2.0))
    y = x * x
    y.backward()
    y.backward()
    assert x.grad.data == 8.0
    x.cleargrad()
    assert x.grad is None
    y.backward()
    assert x.grad.data == 4.0


def test_intermediate_gradients_are_released_unless_retained():
    x = ad.Variable(random(3))
    a = x * x
    y = ad.sum(ad.tanh(a))
    y.backward()
    assert a.grad is None and y.grad is None and x.grad is not None
    x.cleargrad()
    y.backward(retain_grad=True)
    np.testing.assert_allclose(a.grad.data, 1 - np.tanh(a.data) ** 2)
    np.testing.assert_allclose(x.grad.data, 2 * x.data * a.grad.data)


def test_plain_backward_records_no_graph():
    x = ad.Variable(np.array(2.0))
    (x ** 3).backward()
    assert x.grad.creator is None and ad.Config.enable_backprop


# ------------------------------------------------------ operator overloading


def test_operators_build_the_same_graph_as_the_functions():
    x, z = ad.Variable(np.array([1.5, -2.0])), ad.Variable(np.array([2.0, 4.0]))
    y = x * 2 + x ** 3 / z
    assert isinstance(y, ad.Variable) and isinstance(y.creator, ad.Add)
    np.testing.assert_allclose(y.data, x.data * 2 + x.data ** 3 / z.data)
    ad.sum(y).backward()
    np.testing.assert_allclose(x.grad.data, 2 + 3 * x.data ** 2 / z.data)
    np.testing.assert_allclose(z.grad.data, -x.data ** 3 / z.data ** 2)


@pytest.mark.parametrize("other", [2.0, 3, np.float64(2.5), np.array([1.0, 2.0, 4.0])])
def test_numbers_and_arrays_work_on_either_side(other):
    xd = np.array([0.5, -1.0, 2.0])
    x = ad.Variable(xd)
    cases = {"+": (other + x, x + other, other + xd), "*": (other * x, x * other, other * xd),
             "r-": (other - x, None, other - xd), "-": (x - other, None, xd - other),
             "r/": (other / x, None, other / xd), "/": (x / other, None, xd / other)}
    for op, (left, right, expected) in cases.items():
        for result in (left, right):
            if result is not None:
                assert isinstance(result, ad.Variable), op
                np.testing.assert_allclose(result.data, expected, err_msg=op)
    np.testing.assert_array_equal((-x).data, -xd)


def test_array_on_the_left_of_matmul_and_gradients_through_reflected_operators():
    A, W = random((4, 3)), ad.Variable(random((3, 2)))
    y = A @ W
    assert isinstance(y, ad.Variable) and y.shape == (4, 2)
    x = ad.Variable(np.array([2.0, 4.0]))
    ad.sum(1 / x + (3 - x) * np.array([1.0, 2.0])).backward()
    np.testing.assert_allclose(x.grad.data, -1 / x.data ** 2 - np.array([1.0, 2.0]))


def test_float32_stays_float32():
    x = ad.Variable(random((2, 3)).astype(np.float32))
    y = ad.sum(ad.tanh(2 * x - 1.5) / 3 + x ** 2)
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


# --------------------------------------------------------------------- no_grad


def test_no_grad_records_nothing_and_switches_back():
    x = ad.Variable(np.array(2.0))
    with ad.no_grad():
        y = x * x
        with ad.no_grad():
            pass
        z = x * x  # still off after a nested block
    assert y.creator is None and z.creator is None and ad.Config.enable_backprop
    assert (x * x).creator is not None


def test_no_grad_is_switched_back_after_an_exception():
    with pytest.raises(RuntimeError):
        with ad.no_grad():
            raise RuntimeError("inside the block")
    assert ad.Config.enable_backprop
    assert (ad.Variable(np.array(1.0)) + 1).creator is not None


# ------------------------------------------------------- higher-order derivatives


@pytest.mark.parametrize("x0", [-1.5, 0.3, 2.0])
def test_second_and_third_derivatives_from_create_graph(x0):
    x = ad.Variable(np.array(x0))
    y = x ** 4 - 2 * x ** 2
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.data == pytest.approx(4 * x0 ** 3 - 4 * x0) and gx.creator is not None
    x.cleargrad()
    gx.backward(create_graph=True)
    gx2 = x.grad
    assert gx2.data == pytest.approx(12 * x0 ** 2 - 4)
    x.cleargrad()
    gx2.backward()
    assert x.grad.data == pytest.approx(24 * x0)


@pytest.mark.parametrize("name, f, second", [
    ("tanh", ad.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", ad.sigmoid, lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    ("exp / x", lambda x: ad.exp(x) / x, lambda x: np.exp(x) * (x * x - 2 * x + 2) / x ** 3),
    ("log", ad.log, lambda x: -1 / x ** 2),
])
def test_second_derivatives_of_elementary_functions(name, f, second):
    xd = np.array([0.4, 1.3, 2.2])
    x = ad.Variable(xd)
    ad.sum(f(x)).backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    ad.sum(gx).backward()
    np.testing.assert_allclose(x.grad.data, second(xd), rtol=1e-10)


def test_newtons_method_with_engine_derivatives_converges():
    x = ad.Variable(np.array(2.0))
    for _ in range(8):
        x.cleargrad()
        (x ** 4 - 2 * x ** 2).backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        x = ad.Variable(x.data - gx.data / x.grad.data)
    assert x.data == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------- losses


def test_softmax_cross_entropy_worked_by_hand_and_its_gradient():
    logits, labels = random((5, 4), scale=2.0), np.array([0, 3, 1, 1, 2])
    x = ad.Variable(logits)
    loss = ad.softmax_cross_entropy(x, labels)
    p = softmax(logits)
    assert loss.data == pytest.approx(-np.mean(np.log(p[np.arange(5), labels])))
    loss.backward()
    np.testing.assert_allclose(x.grad.data, (p - np.eye(4)[labels]) / 5)
    assert_gradients_match(lambda v: ad.softmax_cross_entropy(v, labels), logits)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, 0.0], [0.0, 1000.0, 999.0]])
    x = ad.Variable(logits)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # exp(-1000) may underflow to 0
        loss = ad.softmax_cross_entropy(x, np.array([0, 2]))
        loss.backward()
    assert loss.data == pytest.approx(np.log1p(np.exp(1.0)) / 2)  # row 1: logsumexp - 999
    assert np.all(np.isfinite(x.grad.data))
    with pytest.raises(ValueError, match="class indices"):
        ad.softmax_cross_entropy(x, np.array([0, 1, 2]))


def test_softmax_cross_entropy_agrees_with_notebook_07s_loss():
    logits, labels = random((6, 10), scale=3.0), np.arange(6) % 10
    reference = SoftmaxCrossEntropy()
    expected = reference.forward(logits, np.eye(10)[labels])
    x = ad.Variable(logits)
    loss = ad.softmax_cross_entropy(x, labels)
    loss.backward()
    assert loss.data == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(x.grad.data, reference.backward(), rtol=1e-12, atol=1e-15)


def test_mean_squared_error_sums_outputs_and_averages_the_batch():
    a, b = random((4, 3), seed=1), random((4, 3), seed=2)
    assert ad.mean_squared_error(a, b).data == pytest.approx(np.sum((a - b) ** 2) / 4)
    assert_gradients_match(ad.mean_squared_error, a, b)


# ------------------------------------------------------- layers and training


def test_linear_layer_parameters_and_glorot_scale():
    layer = ad.Linear(400, 600, np.random.default_rng(0))
    assert isinstance(layer.W, ad.Parameter) and layer.W.shape == (400, 600) and layer.W.dtype == np.float64
    np.testing.assert_array_equal(layer.b.data, np.zeros(600))
    assert layer.W.data.std() == pytest.approx(np.sqrt(2 / 1000), rel=0.02)
    assert list(layer.params()) == [layer.W, layer.b]
    y = layer(random((2, 400)))
    np.testing.assert_allclose(y.data, random((2, 400)) @ layer.W.data)


def test_model_finds_parameters_in_nested_layers_and_clears_their_gradients():
    model = ad.MLP((5, 4, 3), np.random.default_rng(0))
    params = list(model.params())
    assert len(params) == 4 and all(isinstance(p, ad.Parameter) for p in params)
    ad.sum(model(random((2, 5)))).backward()
    assert all(p.grad is not None for p in params)
    model.cleargrads()
    assert all(p.grad is None for p in params)


def test_mlp_gradients_match_differences():
    model = ad.MLP((5, 4, 3), np.random.default_rng(0))
    x, labels = random((6, 5)), np.array([0, 1, 2, 0, 1, 2])
    ad.softmax_cross_entropy(model(x), labels).backward()
    for param in model.params():
        def loss(bumped, param=param):
            saved, param.data = param.data, bumped
            try:
                with ad.no_grad():
                    return float(ad.softmax_cross_entropy(model(x), labels).data)
            finally:
                param.data = saved

        np.testing.assert_allclose(param.grad.data, numerical_gradient(loss, param.data), rtol=RTOL, atol=ATOL)


def test_linear_and_sgd_reduce_a_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3))
    target = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    layer, optimiser = ad.Linear(3, 1, rng), ad.SGD(lr=0.1)
    losses = []
    for _ in range(100):
        layer.cleargrads()
        loss = ad.mean_squared_error(layer(x), target)
        loss.backward()
        optimiser.update(layer.params())
        losses.append(float(loss.data))
    assert losses[-1] < 1e-4 * losses[0]
    np.testing.assert_allclose(layer.b.data, [0.3], atol=1e-3)


def test_engine_gradients_equal_notebook_07s_hand_written_network():
    """784-89-10 with tanh, softmax cross-entropy, float64: the same weights
    and batch give the same gradients to within rounding."""
    rng = np.random.default_rng(7)
    x, labels = rng.standard_normal((60, 784)), rng.integers(0, 10, 60)
    net = NeuralNetwork([Dense(89, Tanh(), weight_scale=glorot_std), Dense(10, Linear(), weight_scale=glorot_std)],
                        SoftmaxCrossEntropy(), seed=3)
    hand_loss = net.train_batch(x, np.eye(10)[labels])
    model = ad.MLP((784, 89, 10), np.random.default_rng(0))
    for layer, dense in zip(model.layers, net.layers):
        layer.W.data, layer.b.data = dense.params[0].copy(), dense.params[1][0].copy()
    loss = ad.softmax_cross_entropy(model(x), labels)
    loss.backward()
    assert loss.data == pytest.approx(hand_loss, rel=1e-12)
    expected = list(net.param_grads())
    got = [g for layer in model.layers for g in (layer.W.grad.data, layer.b.grad.data[None])]
    for name, g, e in zip(("dW1", "dB1", "dW2", "dB2"), got, expected):
        assert np.abs(e).max() > 1e-3, name  # a real gradient, not zeros on both sides
        assert np.abs(g - e).max() < 1e-10, name


def test_float32_network_trains_in_float32():
    model = ad.MLP((5, 4, 3), np.random.default_rng(0), dtype=np.float32)
    loss = ad.softmax_cross_entropy(model(random((6, 5)).astype(np.float32)), np.arange(6) % 3)
    loss.backward()
    ad.SGD(0.1).update(model.params())
    assert loss.dtype == np.float32 and all(p.dtype == np.float32 and p.grad.dtype == np.float32
                                            for p in model.params())


# ------------------------------------------------------------------- the graph


def test_graph_of_lists_variables_functions_and_edges():
    x, w, b = ad.Variable(random(3), "x"), ad.Variable(random(3), "w"), ad.Variable(np.array(0.5), "b")
    y = x * w + b
    y.name = "y"
    graph = graph_of_by_label(ad.graph_of(y))
    assert sorted(graph) == ["", "Add", "Mul", "b", "w", "x", "y"]
    assert {graph[k]["kind"] for k in ("Add", "Mul")} == {"function"}
    assert graph["b"]["shape"] == () and graph["x"]["shape"] == (3,) and graph["Add"]["shape"] is None
    edges = {(graph_label(ad.graph_of(y), a), graph_label(ad.graph_of(y), b)) for a, b in ad.graph_of(y)["edges"]}
    assert edges == {("x", "Mul"), ("w", "Mul"), ("Mul", ""), ("", "Add"), ("b", "Add"), ("Add", "y")}
    assert all(node["grad_norm"] is None for node in graph.values())


def test_graph_of_shows_gradient_norms_after_backward():
    x, w = ad.Variable(random(3), "x"), ad.Variable(random(3, seed=1), "w")
    y = ad.sum(x * w)
    y.backward(retain_grad=True)
    graph = graph_of_by_label(ad.graph_of(y))
    assert graph["x"]["grad_norm"] == pytest.approx(np.linalg.norm(w.data))
    assert graph[""]["grad_norm"] == pytest.approx(np.sqrt(3))  # the product's gradient is ones
    assert graph["Sum"]["grad_norm"] is None


def graph_of_by_label(graph):
    return {node["label"]: node for node in graph["nodes"]}


def graph_label(graph, node_id):
    return graph["nodes"][node_id]["label"]
