"""Tests of notebook 06's reference, the framework autograder/published/framework.py (autograder/reference/building_blocks.py).

Every backward rule is checked against central differences in float64; the
shape checks, the optimiser, the batching and the trainer's early stopping
against small cases worked out by hand; and the whole framework end to end
on scikit-learn's diabetes data (offline).
"""
import numpy as np
import pytest
from sklearn.datasets import make_friedman1
from sklearn.linear_model import LinearRegression

from autograder.reference.building_blocks import (
    SGD,
    BiasAdd,
    Dense,
    Layer,
    Linear,
    MeanSquaredError,
    NeuralNetwork,
    Operation,
    Sigmoid,
    Tanh,
    Trainer,
    WeightMultiply,
    generate_batches,
    permute_data,
)

from dlscratch.data import diabetes_split

from .gradients import network_gradients, numerical_gradient, operation_gradients

RTOL, ATOL = 1e-6, 1e-8


def random(shape, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------ gradients

OPERATIONS = {
    "WeightMultiply": (lambda: WeightMultiply(random((4, 3), seed=1)), (5, 4)),
    "BiasAdd": (lambda: BiasAdd(random((1, 3), seed=1)), (5, 3)),
    "Sigmoid": (Sigmoid, (5, 3)),
    "Tanh": (Tanh, (5, 3)),
    "Linear": (Linear, (5, 3)),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_backward_matches_central_differences(name):
    make, shape = OPERATIONS[name]
    # scale 2 puts inputs on the curved parts of sigmoid and tanh
    for which, analytic, numerical in operation_gradients(make(), random(shape, scale=2.0)):
        assert analytic.shape == numerical.shape
        np.testing.assert_allclose(analytic, numerical, rtol=RTOL, atol=ATOL, err_msg=f"{name} {which}")


def test_the_gradient_check_catches_a_wrong_backward_rule():
    class TanhWithWrongDerivative(Tanh):
        def _input_grad(self, output_grad):
            return output_grad * (1.0 - self.output)  # forgot to square

    [(_, analytic, numerical)] = operation_gradients(TanhWithWrongDerivative(), random((5, 3), scale=2.0))
    assert not np.allclose(analytic, numerical, rtol=1e-3)


def test_mean_squared_error_gradient_matches_central_differences():
    loss = MeanSquaredError()
    prediction, target = random((6, 2), seed=1), random((6, 2), seed=2)
    loss.forward(prediction, target)
    numerical = numerical_gradient(lambda: loss.forward(prediction, target), prediction)
    loss.forward(prediction, target)
    np.testing.assert_allclose(loss.backward(), numerical, rtol=RTOL, atol=ATOL)


def test_whole_network_gradients_match_central_differences():
    net = NeuralNetwork(
        [Dense(6, Tanh()), Dense(4, Sigmoid()), Dense(2)],
        MeanSquaredError(),
        seed=3,
    )
    X, y = random((7, 5), seed=4, scale=0.3), random((7, 2), seed=5)
    pairs = network_gradients(net, X, y)
    assert len(pairs) == 3 * 2 + 1  # a weight and a bias per layer, and the input
    for analytic, numerical in pairs:
        np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-8)


# -------------------------------------------------------------- hand values


def test_forward_values_worked_by_hand():
    x = np.array([[1.0, 2.0], [-1.0, 0.0]])
    np.testing.assert_allclose(WeightMultiply(np.array([[1.0], [3.0]])).forward(x), [[7.0], [-1.0]])
    np.testing.assert_allclose(BiasAdd(np.array([[10.0, 20.0]])).forward(x), [[11.0, 22.0], [9.0, 20.0]])
    np.testing.assert_allclose(Sigmoid().forward(np.array([[0.0, np.log(3.0)]])), [[0.5, 0.75]])
    np.testing.assert_allclose(Tanh().forward(np.array([[0.0, np.log(2.0)]])), [[0.0, 0.6]])
    assert Linear().forward(x) is x


def test_bias_gradient_sums_over_the_batch():
    bias = BiasAdd(np.zeros((1, 2)))
    bias.forward(np.zeros((3, 2)))
    bias.backward(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    np.testing.assert_allclose(bias.param_grad, [[9.0, 12.0]])


def test_sigmoid_does_not_overflow_in_float32():
    with np.errstate(all="raise"):
        out = Sigmoid().forward(np.array([[-200.0, 0.0, 200.0]], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.5, 1.0]])


def test_mean_squared_error_sums_outputs_and_averages_the_batch():
    loss = MeanSquaredError()
    # errors (1, 2) and (3, 0): (1 + 4 + 9 + 0) / 2 rows
    value = loss.forward(np.array([[1.0, 2.0], [3.0, 0.0]]), np.zeros((2, 2)))
    assert isinstance(value, float) and value == pytest.approx(7.0)
    np.testing.assert_allclose(loss.backward(), [[1.0, 2.0], [3.0, 0.0]])


# ------------------------------------------------------------- shape checks


def test_backward_rejects_an_output_gradient_of_the_wrong_shape():
    op = Tanh()
    op.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"output_grad has shape \(4, 2\), expected \(4, 3\)"):
        op.backward(np.zeros((4, 2)))


def test_backward_rejects_an_input_gradient_of_the_wrong_shape():
    class SumsTheBatch(Operation):  # a typical bug: the gradient lost its batch axis
        def _output(self, inference):
            return self.input_ * 2.0

        def _input_grad(self, output_grad):
            return 2.0 * output_grad.sum(axis=0)

    op = SumsTheBatch()
    op.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="SumsTheBatch input_grad has shape"):
        op.backward(np.ones((4, 3)))


def test_backward_rejects_a_parameter_gradient_of_the_wrong_shape():
    class BiasWithoutSum(BiasAdd):
        def _param_grad(self, output_grad):
            return output_grad  # forgot to sum over the batch

    op = BiasWithoutSum(np.zeros((1, 3)))
    op.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="param_grad has shape"):
        op.backward(np.ones((4, 3)))


def test_other_shape_errors():
    with pytest.raises(ValueError, match=r"\(1, n\)"):
        BiasAdd(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="target has shape"):
        MeanSquaredError().forward(np.zeros((4, 1)), np.zeros(4))
    layer = Dense(3)
    layer.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="output_grad"):
        layer.backward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="rows"):
        next(generate_batches(np.zeros((5, 2)), np.zeros((4, 1))))


def test_base_classes_leave_the_maths_to_subclasses():
    with pytest.raises(NotImplementedError):
        Operation().forward(np.zeros((1, 1)))
    with pytest.raises(NotImplementedError):
        Layer(3).forward(np.zeros((1, 1)))


# ------------------------------------------------------------ layers, dtypes


def test_dense_builds_its_parameters_on_the_first_input():
    layer = Dense(4, Sigmoid())
    assert layer.first and layer.params == []
    out = layer.forward(np.ones((3, 5)))
    assert out.shape == (3, 4)
    weights, bias = layer.params
    assert weights.shape == (5, 4) and bias.shape == (1, 4)
    assert [type(op) for op in layer.operations] == [WeightMultiply, BiasAdd, Sigmoid]
    assert layer.operations[0].param is weights  # the optimiser updates what the operation uses
    layer.forward(np.ones((7, 5)))  # another batch size: same parameters
    assert layer.params[0] is weights


def test_each_dense_layer_gets_its_own_default_activation():
    a, b = Dense(2), Dense(2)
    assert isinstance(a.activation, Linear) and a.activation is not b.activation


def test_seed_makes_weights_reproducible_and_layers_distinct():
    def first_weights(seed):
        net = NeuralNetwork([Dense(4), Dense(4)], MeanSquaredError(), seed=seed)
        net.forward(np.ones((1, 4)))
        return [layer.params[0] for layer in net.layers]

    a, b, c = first_weights(7), first_weights(7), first_weights(8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])  # same shape, different stream
    assert not np.array_equal(a[0], c[0])
    assert np.std(a[0]) > 0.5  # "standard": N(0, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_input(dtype):
    net = NeuralNetwork([Dense(5, Tanh()), Dense(2, Sigmoid())], MeanSquaredError(), seed=1)
    X, y = random((4, 3)).astype(dtype), random((4, 2), seed=1).astype(dtype)
    loss = net.train_batch(X, y)
    assert isinstance(loss, float)
    assert net.forward(X).dtype == dtype
    assert all(p.dtype == dtype for p in net.params())
    assert all(g.dtype == dtype for g in net.param_grads())
    optim = SGD(0.1)
    optim.net = net
    optim.step()
    assert all(p.dtype == dtype for p in net.params())


def test_integer_input_gives_float64_parameters():
    layer = Dense(2)
    layer.forward(np.ones((1, 3), dtype=np.int64))
    assert layer.params[0].dtype == np.float64


def test_float32_and_float64_networks_start_from_the_same_weights():
    def weights(dtype):
        layer = Dense(3)
        layer.seed = 5
        layer.forward(np.ones((1, 4), dtype=dtype))
        return layer.params[0]

    np.testing.assert_allclose(weights(np.float32), weights(np.float64), rtol=1e-7)


# ------------------------------------------------------------- optimisation


class FixedNet:
    """Stands in for a network: fixed parameters and gradients."""

    def __init__(self, params, grads):
        self._params, self._grads = params, grads

    def params(self):
        return iter(self._params)

    def param_grads(self):
        return iter(self._grads)


def test_sgd_step_worked_by_hand():
    w, b = np.array([[1.0, 2.0]]), np.array([[3.0]])
    optim = SGD(lr=0.1)
    optim.net = FixedNet([w, b], [np.array([[0.5, -1.0]]), np.array([[10.0]])])
    optim.step()
    np.testing.assert_allclose(w, [[0.95, 2.1]])
    np.testing.assert_allclose(b, [[2.0]])


def test_optimizer_without_decay_keeps_its_rate():
    optim = SGD(0.1)
    optim._setup_decay(10)
    for _ in range(9):
        optim._decay_lr()
    assert optim.lr == 0.1


def test_optimizer_follows_its_schedule_epoch_by_epoch():
    optim = SGD(0.1, schedule=lambda epochs: [0.1 / (1 + epoch) for epoch in range(epochs)])
    optim._setup_decay(3)
    rates = []
    for _ in range(4):
        rates.append(optim.lr)
        optim._decay_lr()
    assert rates == [0.1, 0.05, 0.1 / 3, 0.1 / 3]   # past the last epoch, the last rate stays


# -------------------------------------------------------- batches, trainer


def test_permute_data_keeps_rows_paired():
    X = np.arange(20.0).reshape(10, 2)
    y = X[:, :1] * 100
    Xp, yp = permute_data(X, y, np.random.default_rng(0))
    assert not np.array_equal(Xp, X)
    np.testing.assert_array_equal(yp, Xp[:, :1] * 100)
    np.testing.assert_array_equal(np.sort(Xp[:, 0]), X[:, 0])


def test_generate_batches_slices_in_order():
    X, y = np.arange(10.0).reshape(10, 1), np.arange(10.0).reshape(10, 1)
    sizes = [len(xb) for xb, _ in generate_batches(X, y, 4)]
    assert sizes == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in generate_batches(X, y, 4)]), X)


def test_trainer_shuffles_every_epoch_reproducibly():
    class RecordingNetwork(NeuralNetwork):
        def train_batch(self, x_batch, y_batch, inference=False):
            self.seen.append(x_batch[:, 0].copy())
            return super().train_batch(x_batch, y_batch, inference)

    def orders(seed):
        net = RecordingNetwork([Dense(1)], MeanSquaredError(), seed=0)
        net.seen = []
        X = np.arange(12.0).reshape(12, 1)
        Trainer(net, SGD(0.0)).fit(X, X, X, X, epochs=2, eval_every=2, batch_size=4, seed=seed)
        return np.concatenate(net.seen).reshape(2, 12)

    first, again, other = orders(1), orders(1), orders(2)
    np.testing.assert_array_equal(np.sort(first[0]), np.arange(12.0))  # each row once per epoch
    assert not np.array_equal(first[0], np.arange(12.0))  # shuffled
    assert not np.array_equal(first[0], first[1])  # afresh each epoch
    np.testing.assert_array_equal(first, again)  # by the seed
    assert not np.array_equal(first, other)


def test_batches_in_an_order_are_the_batches_of_the_permuted_data():
    X = np.arange(20.0).reshape(10, 2)
    y = X[:, :1] * 100
    X_perm, y_perm = permute_data(X, y, np.random.default_rng(4))
    order = np.random.default_rng(4).permutation(10)
    for (xb, yb), (xp, yp) in zip(generate_batches(X, y, 3, order), generate_batches(X_perm, y_perm, 3)):
        np.testing.assert_array_equal(xb, xp)
        np.testing.assert_array_equal(yb, yp)


def linear_problem(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ np.array([[10.0], [10.0], [10.0]]) + 0.1 * rng.standard_normal((n, 1))
    return X, y


def test_early_stopping_keeps_the_model_of_the_previous_evaluation():
    X, y = linear_problem()
    # The validation target is -y: the better the fit to y, the worse the
    # validation loss, so it rises at the second evaluation (epoch 20).
    stopped = Trainer(NeuralNetwork([Dense(1)], MeanSquaredError(), seed=2), SGD(0.001))
    stopped.fit(X, y, X, -y, epochs=50, eval_every=10, batch_size=20, seed=3)
    assert [epoch for epoch, _ in stopped.history] == [10, 20]
    assert stopped.history[1][1] > stopped.history[0][1]
    assert stopped.best_epoch == 10

    ten = Trainer(NeuralNetwork([Dense(1)], MeanSquaredError(), seed=2), SGD(0.001))
    ten.fit(X, y, X, -y, epochs=10, eval_every=10, batch_size=20, seed=3)
    for kept, after_ten in zip(stopped.net.params(), ten.net.params()):
        np.testing.assert_array_equal(kept, after_ten)


def test_without_early_stopping_every_evaluation_is_recorded():
    X, y = linear_problem()
    trainer = Trainer(NeuralNetwork([Dense(1)], MeanSquaredError(), seed=2), SGD(0.001))
    trainer.fit(X, y, X, -y, epochs=30, eval_every=10, batch_size=20, early_stopping=False)
    assert [epoch for epoch, _ in trainer.history] == [10, 20, 30] and trainer.best_epoch == 30


def test_fit_with_restart_starts_again_from_the_same_weights():
    X, y = linear_problem()
    trainer = Trainer(NeuralNetwork([Dense(4, Tanh()), Dense(1)], MeanSquaredError(), seed=2), SGD(0.01))
    trainer.fit(X, y, X, y, epochs=3, eval_every=1, batch_size=20)
    first = [p.copy() for p in trainer.net.params()]
    trainer.fit(X, y, X, y, epochs=3, eval_every=1, batch_size=20)  # restart=True
    for a, b in zip(first, trainer.net.params()):
        np.testing.assert_array_equal(a, b)
    trainer.fit(X, y, X, y, epochs=3, eval_every=1, batch_size=20, restart=False)  # continues
    assert not np.array_equal(first[0], next(trainer.net.params()))


def mse(prediction, target):
    return float(np.mean((prediction - target) ** 2))


def test_diabetes_end_to_end():
    """On the course's diabetes split (266 patients to train on, 88 to validate, 88 to test) a linear
    model is hard to beat on held-out data; what the framework must show is that (1) a Dense(1) network
    trained with SGD converges to the least-squares solution, and (2) a 13-neuron sigmoid network fits
    the training data better than *any* linear model can (the least-squares fit is the best linear one
    on that data) while staying within a quarter of it on the validation and test rows."""
    split = diabetes_split(standardise_target=True)
    X_train, y_train = split.X_train, split.y_train
    least_squares = LinearRegression().fit(X_train, y_train)
    ls_train = mse(least_squares.predict(X_train), y_train)
    held_out = ((split.X_val, split.y_val), (split.X_test, split.y_test))

    linear = NeuralNetwork([Dense(1)], MeanSquaredError(), seed=0)
    Trainer(linear, SGD(0.01)).fit(X_train, y_train, X_val=split.X_val, y_val=split.y_val, epochs=100, batch_size=32,
                                   early_stopping=False)
    for X, y in held_out:
        assert mse(linear.forward(X), y) < 1.05 * mse(least_squares.predict(X), y)

    net = NeuralNetwork([Dense(13, Sigmoid()), Dense(1)], MeanSquaredError(), seed=0)
    Trainer(net, SGD(0.03)).fit(X_train, y_train, split.X_val, split.y_val, epochs=300, batch_size=32,
                                early_stopping=False)
    assert mse(net.forward(X_train), y_train) < 0.95 * ls_train
    for X, y in held_out:
        assert mse(net.forward(X), y) < 1.25 * mse(least_squares.predict(X), y)   # 0.95 and 1.15 here


def friedman_split(n=1000, seed=0):
    """Notebook 06's last data set: make_friedman1 split 60/20/20 as diabetes_split does, standardised."""
    X, y = make_friedman1(n_samples=n, n_features=10, noise=1.0, random_state=seed)
    y = y.reshape(-1, 1)
    order = np.random.default_rng(seed).permutation(n)
    parts = order[: int(0.6 * n)], order[int(0.6 * n): int(0.8 * n)], order[int(0.8 * n):]
    mean, std, y_mean, y_std = X[parts[0]].mean(axis=0), X[parts[0]].std(axis=0), y[parts[0]].mean(), y[parts[0]].std()
    return [((X[rows] - mean) / std, (y[rows] - y_mean) / y_std) for rows in parts], y_std


def test_on_friedmans_curved_data_hidden_layers_beat_any_linear_model():
    """The claim notebook 06 ends on: where the target bends, a sigmoid network with early stopping on the
    validation rows beats the best linear model clearly, on the validation and on the test rows."""
    (train, val, test), y_std = friedman_split()
    least_squares = LinearRegression().fit(*train)
    for layers in ([Dense(13, Sigmoid()), Dense(1)], [Dense(13, Sigmoid()), Dense(13, Sigmoid()), Dense(1)]):
        net = NeuralNetwork(layers, MeanSquaredError(), seed=20190501)
        trainer = Trainer(net, SGD(0.1)).fit(*train, *val, epochs=1000, eval_every=100, batch_size=32, seed=20190501)
        assert trainer.best_epoch >= 200                       # evaluating every 100 epochs lets it train
        for X, y in (val, test):
            network_rmse = np.sqrt(mse(net.forward(X, inference=True), y)) * y_std
            linear_rmse = np.sqrt(mse(least_squares.predict(X), y)) * y_std
            assert network_rmse < 0.85 * linear_rmse, (len(layers), network_rmse, linear_rmse)
            assert network_rmse > 1.0 - 0.2                    # it cannot beat the noise (standard deviation 1)
