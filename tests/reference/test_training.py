"""Tests of autograder/reference/training.py (notebook 07).

Softmax cross-entropy and dropout against central differences in float64,
momentum and the decay schedules against values worked out by hand, dropout
and Glorot initialisation against their definitions, and two small end-to-end
runs: a nonlinear regression where the network beats linear regression, and
scikit-learn's digits, offline.
"""
import numpy as np
import pytest
from sklearn.datasets import load_digits, make_friedman1
from sklearn.linear_model import LinearRegression

from autograder.reference.building_blocks import SGD, Dense, MeanSquaredError, NeuralNetwork, Sigmoid, Tanh, Trainer
from autograder.reference.training import (
    Adam,
    Dropout,
    SGDMomentum,
    SoftmaxCrossEntropy,
    accuracy,
    decaying,
    glorot_std,
    gradient_errors,
    lr_schedule,
    softmax,
)

from .gradients import network_gradients, numerical_gradient, operation_gradients


def random(shape, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def one_hot(labels, classes):
    return np.eye(classes)[labels]


# ------------------------------------------------------ softmax cross-entropy


def test_softmax_rows_sum_to_one_and_survive_huge_logits():
    logits = np.array([[1.0, 2.0, 3.0], [1001.0, 1002.0, 1003.0]])
    with np.errstate(all="raise"):
        p = softmax(logits)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], p[1])  # shifting every logit changes nothing
    np.testing.assert_allclose(p[0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())


def test_cross_entropy_worked_by_hand():
    loss = SoftmaxCrossEntropy()
    # -log(e^3 / (e^1 + e^2 + e^3)) = log(1 + e^-1 + e^-2)
    value = loss.forward(np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 0.0, 1.0]]))
    assert isinstance(value, float) and value == pytest.approx(np.log(1 + np.exp(-1) + np.exp(-2)))


def test_cross_entropy_clips_so_a_certain_mistake_costs_log_1e9():
    loss = SoftmaxCrossEntropy()
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # exp(-1000) may underflow to 0
        value = loss.forward(np.array([[0.0, 1000.0]]), np.array([[1.0, 0.0]]))
    assert value == pytest.approx(-np.log(1e-9))


def test_cross_entropy_averages_over_the_batch():
    loss = SoftmaxCrossEntropy()
    logits, target = random((1, 4)), one_hot([2], 4)
    single = loss.forward(logits, target)
    grad_single = loss.backward()
    assert loss.forward(np.repeat(logits, 3, axis=0), np.repeat(target, 3, axis=0)) == pytest.approx(single)
    np.testing.assert_allclose(loss.backward(), np.repeat(grad_single, 3, axis=0) / 3)


def test_cross_entropy_gradient_is_softmax_minus_target_and_matches_differences():
    loss = SoftmaxCrossEntropy()
    logits, target = random((5, 4), scale=2.0), one_hot([0, 3, 1, 1, 2], 4)
    loss.forward(logits, target)
    grad = loss.backward()
    np.testing.assert_allclose(grad, (softmax(logits) - target) / 5)
    numerical = numerical_gradient(lambda: loss.forward(logits, target), logits)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-9)


def test_network_with_every_chapter_4_piece_has_correct_gradients():
    net = NeuralNetwork(
        [Dense(6, Tanh(), weight_scale=glorot_std), Dense(5, Sigmoid(), weight_scale=glorot_std), Dense(3, weight_scale=glorot_std)],
        SoftmaxCrossEntropy(),
        seed=11,
    )
    X, y = random((8, 4), seed=1), one_hot([0, 1, 2, 2, 1, 0, 0, 1], 3)
    for analytic, numerical in network_gradients(net, X, y):
        np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-9)


# ------------------------------------------------------------------- dropout


def test_dropout_in_training_multiplies_by_a_saved_zero_one_mask():
    drop = Dropout(0.8, rng=0)
    x = random((200, 50), scale=1.0) + 5.0  # no zeros in the input
    out = drop.forward(x)
    assert set(np.unique(drop.mask)) == {0.0, 1.0}
    np.testing.assert_array_equal(out, x * drop.mask)
    assert drop.mask.mean() == pytest.approx(0.8, abs=0.01)
    grad = random((200, 50), seed=1)
    np.testing.assert_array_equal(drop.backward(grad), grad * drop.mask)
    first_mask = drop.mask
    drop.forward(x)
    assert not np.array_equal(drop.mask, first_mask)  # a fresh mask every batch


def test_dropout_at_inference_scales_by_keep_prob_and_is_deterministic():
    drop = Dropout(0.8, rng=0)
    x = random((20, 30))
    np.testing.assert_allclose(drop.forward(x, inference=True), 0.8 * x)
    np.testing.assert_allclose(drop.forward(x, inference=True), 0.8 * x)
    grad = random((20, 30), seed=1)
    np.testing.assert_allclose(drop.backward(grad), 0.8 * grad)


def test_dropout_at_inference_gives_the_training_output_on_average():
    drop = Dropout(0.6, rng=0)
    x = random((1, 10))
    mean_training = np.mean([drop.forward(x) for _ in range(20000)], axis=0)
    np.testing.assert_allclose(mean_training, drop.forward(x, inference=True), atol=0.02)


@pytest.mark.parametrize("inference", [False, True])
def test_dropout_gradient_matches_central_differences(inference):
    drop = Dropout(0.7)

    def same_mask():
        drop.rng = np.random.default_rng(5)

    for _, analytic, numerical in operation_gradients(drop, random((6, 4)), inference=inference, replay=same_mask):
        np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-9)


def test_dropout_keeps_float32_and_rejects_bad_probabilities():
    x = random((3, 4)).astype(np.float32)
    assert Dropout(0.5, rng=0).forward(x).dtype == np.float32
    assert Dropout(0.5, rng=0).forward(x, inference=True).dtype == np.float32
    for bad in (0.0, 1.5, -0.2):
        with pytest.raises(ValueError, match="keep_prob"):
            Dropout(bad)


def test_dense_appends_the_dropout_it_is_given():
    with_dropout, without = Dense(4, Tanh(), dropout=Dropout(0.8)), Dense(4, Tanh())
    with_dropout.forward(np.ones((2, 3)))
    without.forward(np.ones((2, 3)))
    assert isinstance(with_dropout.operations[-1], Dropout) and with_dropout.operations[-1].keep_prob == 0.8
    assert not any(isinstance(op, Dropout) for op in without.operations)


def test_dropout_masks_are_reproducible_from_the_network_seed():
    def masks(seed):
        net = NeuralNetwork([Dense(8, Tanh(), dropout=Dropout(0.5)), Dense(2)], MeanSquaredError(), seed=seed)
        net.forward(np.ones((3, 4)))
        first = net.layers[0].operations[-1].mask
        net.forward(np.ones((3, 4)))
        return first, net.layers[0].operations[-1].mask

    (a1, a2), (b1, b2), (c1, _) = masks(1), masks(1), masks(2)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, c1)


# ---------------------------------------------------------------- momentum


class FixedNet:
    """Stands in for a network: fixed parameters, gradients set by the test."""

    def __init__(self, params):
        self._params = params
        self.grads = [np.zeros_like(p) for p in params]

    def params(self):
        return iter(self._params)

    def param_grads(self):
        return iter(self.grads)


def test_momentum_two_steps_worked_by_hand():
    w = np.array([1.0, -1.0])
    optim = SGDMomentum(lr=0.1, momentum=0.9)
    optim.net = FixedNet([w])
    optim.net.grads = [np.array([2.0, 0.0])]
    optim.step()  # v = 0.1 * 2 = 0.2; w = 1 - 0.2
    np.testing.assert_allclose(w, [0.8, -1.0])
    optim.net.grads = [np.array([-1.0, 0.0])]
    optim.step()  # v = 0.9 * 0.2 + 0.1 * (-1) = 0.08; w = 0.8 - 0.08
    np.testing.assert_allclose(w, [0.72, -1.0])
    np.testing.assert_allclose(optim.velocities[0], [0.08, 0.0])
    optim.reset()
    optim.step()  # no memory left: plain step of 0.1 * (-1)
    np.testing.assert_allclose(w, [0.82, -1.0])


def test_momentum_keeps_one_velocity_per_parameter():
    a, b = np.zeros(2), np.zeros((1, 3))
    optim = SGDMomentum(lr=1.0, momentum=0.5)
    optim.net = FixedNet([a, b])
    optim.net.grads = [np.ones(2), 2 * np.ones((1, 3))]
    optim.step()
    optim.step()
    np.testing.assert_allclose(a, [-2.5, -2.5])  # steps 1 and 1.5
    np.testing.assert_allclose(b, [[-5.0, -5.0, -5.0]])  # steps 2 and 3


def test_restarting_a_fit_forgets_the_velocities():
    X, y = random((40, 3)), random((40, 1), seed=1)
    trainer = Trainer(NeuralNetwork([Dense(4, Tanh()), Dense(1)], MeanSquaredError(), seed=0), SGDMomentum(0.01))
    trainer.fit(X, y, X, y, epochs=3, eval_every=3, batch_size=10)
    first = [p.copy() for p in trainer.net.params()]
    trainer.fit(X, y, X, y, epochs=3, eval_every=3, batch_size=10)
    for a, b in zip(first, trainer.net.params()):
        np.testing.assert_array_equal(a, b)


def test_weight_decay_adds_the_l2_penalty_gradient():
    w = np.array([2.0, -1.0])
    optim = SGDMomentum(lr=0.1, momentum=0.0, weight_decay=0.5)
    optim.net = FixedNet([w])
    optim.net.grads = [np.array([0.0, 1.0])]
    optim.step()  # grad + 0.5 * w = [1.0, 0.5]; w -= 0.1 * that
    np.testing.assert_allclose(w, [1.9, -1.05])
    np.testing.assert_array_equal(optim.net.grads[0], [0.0, 1.0])  # the network's gradient is left alone


def test_momentum_with_weight_decay_takes_the_steps_of_pytorchs_sgd():
    """With a constant rate, lr inside the velocity (ours) and outside (PyTorch's) take the same steps."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    start, grads = rng.normal(size=(3, 4)), rng.normal(size=(20, 3, 4))
    w = start.copy()
    optim = SGDMomentum(lr=0.05, momentum=0.9, weight_decay=0.01)
    optim.net = FixedNet([w])
    theirs = torch.tensor(start, requires_grad=True)
    reference = torch.optim.SGD([theirs], lr=0.05, momentum=0.9, weight_decay=0.01)
    for grad in grads:
        optim.net.grads = [grad]
        optim.step()
        theirs.grad = torch.tensor(grad)
        reference.step()
    np.testing.assert_allclose(w, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


# -------------------------------------------------------------------- Adam


def test_adam_two_steps_worked_by_hand():
    w = np.array([1.0, 2.0])
    optim = Adam(lr=0.1)
    optim.net = FixedNet([w])
    optim.net.grads = [np.array([1.0, -1.0])]
    optim.step()  # m = 0.1 g, v = 0.001 g**2; corrected, g and g**2: a step of lr times the sign
    np.testing.assert_allclose(w, [0.9, 2.1], rtol=1e-7)
    optim.net.grads = [np.array([3.0, -1.0])]
    optim.step()  # m = 0.39, v = 0.009999 for the first entry; m_hat = 0.39 / 0.19, v_hat = 0.009999 / 0.001999
    np.testing.assert_allclose(w[0], 0.9 - 0.1 * (0.39 / 0.19) / np.sqrt(0.009999 / 0.001999), rtol=1e-7)
    np.testing.assert_allclose(optim.moments[0][0], [0.39, -0.19])
    optim.reset()
    assert optim.moments is None and optim.steps == 0


def test_adam_takes_the_steps_of_pytorchs_adam():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    start, grads = rng.normal(size=(2, 5)), rng.normal(scale=[[1e-3], [10.0]], size=(30, 2, 5))
    w = start.copy()
    optim = Adam(lr=0.01, beta1=0.8, beta2=0.99)
    optim.net = FixedNet([w])
    theirs = torch.tensor(start, requires_grad=True)
    reference = torch.optim.Adam([theirs], lr=0.01, betas=(0.8, 0.99), eps=1e-8)
    for grad in grads:
        optim.net.grads = [grad]
        optim.step()
        theirs.grad = torch.tensor(grad)
        reference.step()
    np.testing.assert_allclose(w, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------- decay


def test_linear_decay_worked_by_hand():
    # (0.15 - 0.05) / (5 - 1) = 0.025 less each epoch
    np.testing.assert_allclose(lr_schedule(0.15, 0.05, "linear", 5), [0.15, 0.125, 0.1, 0.075, 0.05])


def test_exponential_decay_worked_by_hand():
    # (0.05 / 0.2) ** (1 / 2) = 0.5 each epoch
    np.testing.assert_allclose(lr_schedule(0.2, 0.05, "exponential", 3), [0.2, 0.1, 0.05])
    rates = lr_schedule(0.2, 0.05, "exponential", 50)
    np.testing.assert_allclose(rates[1:] / rates[:-1], (0.25) ** (1 / 49))
    assert rates[-1] == pytest.approx(0.05)


def test_trainer_decays_the_rate_after_every_epoch_and_restarts_it():
    class RecordingSGD(SGD):
        def step(self):
            self.used.append(self.lr)
            super().step()

    X, y = random((40, 3)), random((40, 1), seed=1)
    optim = RecordingSGD(0.15, schedule=decaying(0.15, 0.05, "linear"))
    trainer = Trainer(NeuralNetwork([Dense(1)], MeanSquaredError(), seed=0), optim)
    for _ in range(2):  # the second fit starts again from 0.15
        optim.used = []
        trainer.fit(X, y, X, y, epochs=5, eval_every=5, batch_size=10, early_stopping=False)
        per_epoch = np.array(optim.used).reshape(5, 4)  # 4 batches an epoch
        np.testing.assert_allclose(per_epoch, np.repeat([[0.15], [0.125], [0.1], [0.075], [0.05]], 4, axis=1))


# -------------------------------------------------------------------- glorot


def test_glorot_scale():
    assert glorot_std(784, 89) == pytest.approx(np.sqrt(2 / 873))
    layer = Dense(600, weight_scale=glorot_std)
    layer.seed = 0
    layer.forward(np.zeros((1, 400)))
    assert np.std(layer.params[0]) == pytest.approx(np.sqrt(2 / 1000), rel=0.01)


# ------------------------------------------------------------------ end to end


def test_accuracy_takes_one_hot_or_labels():
    prediction = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(prediction, np.array([1, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(prediction, one_hot([1, 0, 1], 2)) == 1.0


def test_float32_training_stays_float32():
    net = NeuralNetwork([Dense(8, Tanh(), dropout=Dropout(0.8), weight_scale=glorot_std), Dense(3)], SoftmaxCrossEntropy(), seed=0)
    X = random((30, 5)).astype(np.float32)
    y = one_hot(np.arange(30) % 3, 3).astype(np.float32)
    optim = SGDMomentum(0.1, final_lr=0.01, decay_type="exponential")
    Trainer(net, optim).fit(X, y, X, y, epochs=3, eval_every=1, batch_size=10)
    assert all(p.dtype == np.float32 for p in net.params())
    assert all(v.dtype == np.float32 for v in optim.velocities)
    assert net.forward(X, inference=True).dtype == np.float32


def test_network_beats_linear_regression_on_a_nonlinear_target():
    """Friedman's #1 function, 10 sin(pi x1 x2) + 20 (x3 - 1/2)^2 + 10 x4
    + 5 x5 + noise, is mostly nonlinear: a linear model leaves about a third
    of the (standardised) variance, the network a small fraction of it."""
    X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    y = y.reshape(-1, 1)
    n = 700
    X = (X - X[:n].mean(axis=0)) / X[:n].std(axis=0)
    y = (y - y[:n].mean()) / y[:n].std()
    X_train, X_test, y_train, y_test = X[:n], X[n:], y[:n], y[n:]

    linear_mse = np.mean((LinearRegression().fit(X_train, y_train).predict(X_test) - y_test) ** 2)
    net = NeuralNetwork([Dense(32, Tanh(), weight_scale=glorot_std), Dense(1, weight_scale=glorot_std)], MeanSquaredError(), seed=0)
    Trainer(net, SGDMomentum(0.01)).fit(X_train, y_train, X_test, y_test, epochs=100, batch_size=32, seed=0)
    network_mse = np.mean((net.forward(X_test, inference=True) - y_test) ** 2)
    assert linear_mse > 0.2
    assert network_mse < linear_mse / 2


def test_digits_classifier_with_the_whole_chapter():
    X, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    X, labels = X[order], labels[order]
    X = (X - X[:1200].mean()) / X[:1200].std()
    y = one_hot(labels, 10)
    net = NeuralNetwork([Dense(32, Tanh(), dropout=Dropout(0.8), weight_scale=glorot_std), Dense(10, weight_scale=glorot_std)], SoftmaxCrossEntropy(), seed=0)
    trainer = Trainer(net, SGDMomentum(0.1, final_lr=0.01, decay_type="linear"))
    trainer.fit(X[:1200], y[:1200], X[1200:], y[1200:], epochs=30, eval_every=5, batch_size=60, seed=0)
    assert accuracy(net.forward(X[1200:], inference=True), labels[1200:]) > 0.95


# ------------------------------------------------------- gradient check of a network


def test_gradient_errors_are_tiny_for_a_right_network_and_leave_it_unchanged():
    X, y = random((6, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2]]
    net = NeuralNetwork([Dense(5, Tanh(), weight_scale=glorot_std), Dense(3)], SoftmaxCrossEntropy(), seed=2)
    net.forward(X)
    before = [p.copy() for p in net.params()]
    errors = gradient_errors(net, X, y)
    assert len(errors) == 4 and max(errors) < 1e-7, errors
    for old, new in zip(before, net.params()):
        np.testing.assert_array_equal(old, new)


def test_gradient_errors_find_a_backward_pass_that_is_five_percent_off():
    from autograder.published.framework import Operation
    from autograder.stand_ins.training import slanted_tanh

    X, y = random((6, 4)), random((6, 2), seed=5)
    net = NeuralNetwork([Dense(5, slanted_tanh(Operation)()), Dense(2)], MeanSquaredError(), seed=3)
    errors = gradient_errors(net, X, y)
    assert min(errors[:2]) > 1e-3 and max(errors[2:]) < 1e-7, errors  # wrong before the bad backward, right after
