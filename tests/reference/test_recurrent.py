"""The recurrent reference (notebook 10): values by hand, every gradient against central
differences through whole sequences, and the helpers' defining properties."""
import numpy as np
import pytest

from autograder.reference import recurrent as rn

from .gradients import check_gradients, numerical_gradient

N, T, D, H, V = 3, 5, 4, 6, 7


@pytest.fixture
def rng():
    return np.random.default_rng(10)


def weights(rng):
    return (rng.standard_normal((D, H)) * 0.5, rng.standard_normal((H, H)) * 0.5, rng.standard_normal(H) * 0.1)


def check(analytic, numerical):
    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-9)


def test_one_step_by_hand():
    h, _ = rn.rnn_step_forward(np.array([[1.0, 2.0]]), np.array([[0.5]]), np.array([[0.1], [0.2]]),
                               np.array([[2.0]]), np.array([-1.0]))
    np.testing.assert_allclose(h, np.tanh([[0.1 + 0.4 + 1.0 - 1.0]]))


def test_one_step_gradients(rng):
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = weights(rng)
    G = rng.standard_normal((N, H))
    _, cache = rn.rnn_step_forward(x, h_prev, Wx, Wh, b)
    check_gradients(lambda: rn.rnn_step_forward(x, h_prev, Wx, Wh, b)[0], rn.rnn_step_backward(G, cache),
                    (x, h_prev, Wx, Wh, b), G)


def test_sequence_gradients_flow_back_through_every_step(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = weights(rng)
    G = rng.standard_normal((N, T, H))
    _, caches = rn.rnn_forward(x, h0, Wx, Wh, b)
    check_gradients(lambda: rn.rnn_forward(x, h0, Wx, Wh, b)[0], rn.rnn_backward(G, caches), (x, h0, Wx, Wh, b), G)
    G_last = np.zeros_like(G)
    G_last[:, -1] = 1.0          # a loss on the last step alone still reaches the first input
    assert np.abs(rn.rnn_backward(G_last, caches)[0][:, 0]).sum() > 0


def test_a_sequence_is_its_steps_in_order(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = weights(rng)
    h, _ = rn.rnn_forward(x, h0, Wx, Wh, b)
    state = h0
    for t in range(T):
        state, _ = rn.rnn_step_forward(x[:, t], state, Wx, Wh, b)
        np.testing.assert_array_equal(h[:, t], state)


def test_embedding_adds_the_gradients_of_repeated_ids(rng):
    W = rng.standard_normal((V, D))
    ids = np.array([[1, 1, 3], [1, 0, 3]])
    out, cache = rn.embedding_forward(ids, W)
    np.testing.assert_array_equal(out[0, 2], W[3])
    dout = rng.standard_normal(out.shape)
    dW = rn.embedding_backward(dout, cache)
    np.testing.assert_allclose(dW[1], dout[0, 0] + dout[0, 1] + dout[1, 0])
    assert not dW[[2, 4, 5, 6]].any()
    check_gradients(lambda: rn.embedding_forward(ids, W)[0], [dW], [W], dout)


def test_temporal_affine_gradients(rng):
    h, W, b = rng.standard_normal((N, T, H)), rng.standard_normal((H, V)), rng.standard_normal(V)
    G = rng.standard_normal((N, T, V))
    _, cache = rn.temporal_affine_forward(h, W, b)
    check_gradients(lambda: rn.temporal_affine_forward(h, W, b)[0], rn.temporal_affine_backward(G, cache), (h, W, b), G)


def test_temporal_softmax_loss_averages_over_the_positions_that_count(rng):
    scores = rng.standard_normal((N, T, V))
    targets = rng.integers(0, V, (N, T))
    mask = rng.random((N, T)) < 0.7
    loss, dscores = rn.temporal_softmax_loss(scores, targets, mask)
    p = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    expected = -np.log(p[np.arange(N)[:, None], np.arange(T), targets])[mask].mean()
    np.testing.assert_allclose(loss, expected)
    assert not dscores[~mask].any()               # padding sends no gradient
    check(dscores, numerical_gradient(lambda: rn.temporal_softmax_loss(scores, targets, mask)[0], scores))
    uniform, _ = rn.temporal_softmax_loss(np.zeros((N, T, V)), targets)
    np.testing.assert_allclose(uniform, np.log(V))
    huge, _ = rn.temporal_softmax_loss(scores + 1000.0, targets, mask)   # stable for large scores
    np.testing.assert_allclose(huge, loss)


def test_clipping_uses_one_norm_over_every_array():
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]
    clipped, norm = rn.clip_by_global_norm(grads, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped[0], [0.6, 0.0])
    np.testing.assert_allclose(clipped[1], [[0.0], [0.8]])     # the direction is kept
    same, norm = rn.clip_by_global_norm(grads, 10.0)
    assert norm == 5.0 and all(np.array_equal(a, g) for a, g in zip(same, grads))


def test_temperature_divides_the_logits():
    logits = np.log(np.array([0.2, 0.3, 0.5]))
    np.testing.assert_allclose(rn.softmax_with_temperature(logits, 1.0), [0.2, 0.3, 0.5])
    sharp = rn.softmax_with_temperature(logits, 0.5)
    np.testing.assert_allclose(sharp, np.array([0.04, 0.09, 0.25]) / 0.38)
    assert rn.softmax_with_temperature(logits, 100.0).std() < 0.01


def test_char_rnn_gradients_and_truncated_backpropagation(rng):
    model = rn.CharRNN(V, D, H, rng)
    inputs, targets = rng.integers(0, V, (2, T)), rng.integers(0, V, (2, T))
    h0 = rng.standard_normal((2, H)) * 0.5
    loss, grads, h_last = model.loss_and_grads(inputs, targets, h0)
    assert np.isclose(loss, np.log(V), rtol=0.2)
    for name, array in model.params.items():
        check(grads[name], numerical_gradient(lambda: model.loss_and_grads(inputs, targets, h0)[0], array))
    # two chunks with the state carried over: the same hidden states as one long run
    long_inputs = np.concatenate([inputs, inputs], axis=1)
    p = model.params
    h_all, _ = rn.rnn_forward(p["W_embed"][long_inputs], h0, p["Wx"], p["Wh"], p["b"])
    np.testing.assert_allclose(h_last, h_all[:, T - 1])
    _, _, h_second = model.loss_and_grads(inputs, targets, h_last)
    np.testing.assert_allclose(h_second, h_all[:, -1])


def test_sampling_is_seeded_and_follows_the_model(rng):
    model = rn.CharRNN(V, D, H, rng)
    first = rn.sample(model, 2, 20, 1.0, np.random.default_rng(5))
    assert first == rn.sample(model, 2, 20, 1.0, np.random.default_rng(5))
    assert len(first) == 20 and all(0 <= i < V for i in first)
    model.params["b_out"][:] = 0.0
    model.params["b_out"][4] = 50.0                # a model sure of one character
    assert set(rn.sample(model, 2, 30, 1.0, np.random.default_rng(6))) == {4}
    assert len(set(rn.sample(model, 2, 200, 1e3, np.random.default_rng(7)))) > 3   # hot: all over the place
