"""The LSTM and GRU reference (notebook 11): every gradient against central differences
through whole sequences, the gates' defining behaviour, and the same numbers as torch.nn.LSTM
and torch.nn.GRU given the same weights (skipped without torch, an error in scripts/test)."""
import os

import numpy as np
import pytest

from autograder.reference import gated as gt

from .gradients import check_gradients, numerical_gradient

N, T, D, H = 3, 4, 5, 4


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def check(analytic, numerical):
    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-9)


def lstm_weights(rng):
    return rng.standard_normal((D, 4 * H)) * 0.4, rng.standard_normal((H, 4 * H)) * 0.4, rng.standard_normal(4 * H)


def gru_weights(rng):
    return (rng.standard_normal((D, 3 * H)) * 0.4, rng.standard_normal((H, 3 * H)) * 0.4,
            rng.standard_normal(3 * H), rng.standard_normal(3 * H))


def test_sigmoid_is_stable_at_both_ends():
    np.testing.assert_allclose(gt.sigmoid(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(gt.sigmoid(np.array([2.0])), 1 / (1 + np.exp(-2.0)))


def test_lstm_step_gradients_include_the_cell_state(rng):
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = lstm_weights(rng)
    Gh, Gc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache = gt.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    grads = gt.lstm_step_backward(Gh, Gc, cache)

    def loss():
        h, c, _ = gt.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
        return float(np.sum(h * Gh) + np.sum(c * Gc))
    for analytic, array in zip(grads, (x, h_prev, c_prev, Wx, Wh, b)):
        check(analytic, numerical_gradient(loss, array))


def test_lstm_sequence_gradients(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = lstm_weights(rng)
    G = rng.standard_normal((N, T, H))
    _, caches = gt.lstm_forward(x, h0, Wx, Wh, b)
    check_gradients(lambda: gt.lstm_forward(x, h0, Wx, Wh, b)[0], gt.lstm_backward(G, caches), (x, h0, Wx, Wh, b), G)


def test_the_forget_gate_starts_open(rng):
    Wx, Wh, b = gt.lstm_init(D, H, rng)
    assert np.all(b[H:2 * H] == 1.0) and not b[:H].any() and not b[2 * H:].any()
    assert np.abs(Wx).max() <= 1 / np.sqrt(H)
    # with the gates wide open or shut, the cell state passes unchanged
    b = np.zeros(4 * H)
    b[:H], b[H:2 * H] = -50.0, 50.0                 # input gate shut, forget gate open
    c_prev = rng.standard_normal((N, H))
    _, c, _ = gt.lstm_step_forward(rng.standard_normal((N, D)), rng.standard_normal((N, H)), c_prev,
                                   np.zeros_like(Wx), np.zeros_like(Wh), b)
    np.testing.assert_allclose(c, c_prev)


def test_gru_step_and_sequence_gradients(rng):
    Wx, Wh, bx, bh = gru_weights(rng)
    x, h_prev, G = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, cache = gt.gru_step_forward(x, h_prev, Wx, Wh, bx, bh)
    check_gradients(lambda: gt.gru_step_forward(x, h_prev, Wx, Wh, bx, bh)[0], gt.gru_step_backward(G, cache),
                    (x, h_prev, Wx, Wh, bx, bh), G)
    xs, h0, Gs = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, T, H))
    _, caches = gt.gru_forward(xs, h0, Wx, Wh, bx, bh)
    check_gradients(lambda: gt.gru_forward(xs, h0, Wx, Wh, bx, bh)[0], gt.gru_backward(Gs, caches),
                    (xs, h0, Wx, Wh, bx, bh), Gs)


def test_a_gru_with_its_update_gate_shut_keeps_its_state(rng):
    Wx, Wh, bx, bh = gru_weights(rng)
    bx[H:2 * H] = 50.0                                # z = 1: h = h_prev
    h_prev = rng.standard_normal((N, H))
    h, _ = gt.gru_step_forward(rng.standard_normal((N, D)), h_prev, Wx * 0, Wh * 0, bx, bh)
    np.testing.assert_allclose(h, h_prev)
    bx[H:2 * H] = -50.0                               # z = 0: h is the candidate alone
    bh[2 * H:] = 0.7
    h, _ = gt.gru_step_forward(rng.standard_normal((N, D)), h_prev, Wx * 0, Wh * 0, bx, bh)
    r = gt.sigmoid(bx[:H] + bh[:H])
    np.testing.assert_allclose(h, np.tanh(bx[2 * H:] + r * 0.7) * np.ones((N, 1)))


# ----------------------------------------------------------------------------------------------
# The same numbers as PyTorch, given the same weights
# ----------------------------------------------------------------------------------------------

def torch_or_skip():
    if os.environ.get("DLSCRATCH_REQUIRE_TORCH") == "1":
        import torch
        return torch
    return pytest.importorskip("torch")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_pytorch_computes_the_same_states_and_gradients(rng, cell):
    torch = torch_or_skip()
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    G = rng.standard_normal((N, T, H))
    module = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(D, H, batch_first=True).double()
    if cell == "lstm":
        Wx, Wh, b = lstm_weights(rng)
        h, caches = gt.lstm_forward(x, h0, Wx, Wh, b)
        dx, dh0, dWx, dWh, db = gt.lstm_backward(G, caches)
        biases, dbiases = (b, np.zeros_like(b)), (db, db)       # PyTorch's two biases add up
        state = (torch.tensor(h0[None], requires_grad=True), torch.zeros(1, N, H, dtype=torch.float64))
    else:
        Wx, Wh, bx, bh = gru_weights(rng)
        h, caches = gt.gru_forward(x, h0, Wx, Wh, bx, bh)
        dx, dh0, dWx, dWh, dbx, dbh = gt.gru_backward(G, caches)
        biases, dbiases = (bx, bh), (dbx, dbh)
        state = torch.tensor(h0[None], requires_grad=True)
    with torch.no_grad():
        for param, value in zip((module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0),
                                (Wx.T, Wh.T, *biases)):
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    tx = torch.tensor(x, requires_grad=True)
    out, _ = module(tx, state)
    out.backward(torch.from_numpy(G))
    np.testing.assert_allclose(out.detach().numpy(), h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tx.grad.numpy(), dx, rtol=1e-10, atol=1e-12)
    first_state = state[0] if cell == "lstm" else state
    np.testing.assert_allclose(first_state.grad.numpy()[0], dh0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(module.weight_ih_l0.grad.numpy(), dWx.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(module.weight_hh_l0.grad.numpy(), dWh.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(module.bias_ih_l0.grad.numpy(), dbiases[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(module.bias_hh_l0.grad.numpy(), dbiases[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_float32_stays_float32(rng, cell):
    x, h0 = rng.standard_normal((N, T, D)).astype(np.float32), rng.standard_normal((N, H)).astype(np.float32)
    if cell == "lstm":
        weights = [w.astype(np.float32) for w in lstm_weights(rng)]
        h, cache = gt.lstm_forward(x, h0, *weights)
        grads = gt.lstm_backward(np.ones_like(h), cache)
    else:
        weights = [w.astype(np.float32) for w in gru_weights(rng)]
        h, cache = gt.gru_forward(x, h0, *weights)
        grads = gt.gru_backward(np.ones_like(h), cache)
    assert h.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
