"""The CNN benchmark compares like with like, and prints its summary in the agreed form.

Its numbers only mean something if the PyTorch twin really is the reference network: same
weights, same batches, same loss and learning rate. These tests check that on synthetic
data (no timing is asserted), and that a one-epoch run on a subset ends with the summary.
"""
import re

import numpy as np
import pytest

pytest.importorskip("torch", reason="the benchmark needs the PyTorch extra (scripts/test installs it)")
import torch  # noqa: E402

from bench import cnn  # noqa: E402

SUMMARY = re.compile(r"SUMMARY: worst epoch-time ratio ours/PyTorch \d+\.\d\dx; best test accuracy "
                     r"(?:[a-z-]+ (?:\d+\.\d\d%|n/a \(not present\))(?:, |; ))+"
                     r"largest same-epoch gap \d+\.\d\d pp \(floor \d+\.\d\d pp\)")


def synthetic(n=320, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    return X, y


def sides(hidden=None):
    X, y = synthetic()
    return cnn.make_sides((4, 6), hidden, cnn.optimiser_row(2), X), X, y


@pytest.mark.parametrize("hidden", [None, 8])
def test_twin_starts_from_the_same_network(hidden):
    twins, X, _ = sides(hidden)
    ours = twins["ours"].predict(X[:50])
    for name in ("torch", "torch+1ulp", "torch-1ulp"):
        np.testing.assert_allclose(twins[name].predict(X[:50]), ours, rtol=1e-4, atol=1e-5 * np.abs(ours).max())


def test_nudged_twins_are_one_ulp_above_and_below():
    twins, _, _ = sides()
    for p, up, down in zip(*(twins[name].model.parameters() for name in ("torch", "torch+1ulp", "torch-1ulp"))):
        assert torch.equal(up, torch.nextafter(p, torch.full_like(p, np.inf)))
        assert torch.equal(down, torch.nextafter(p, torch.full_like(p, -np.inf)))
        assert (up > p).all() and (down < p).all()


def test_twins_stay_together_for_the_first_steps():
    """Five updates on the same batches leave the weights apart by rounding only: another
    learning rate, loss scale or batch order would part them by about lr x gradient."""
    twins, X, y = sides()
    for side in twins.values():
        side.start(2, cnn.SEED)
        side.train_epoch(X, y, 64)
    ours = list(twins["ours"].trainer.net.params())
    theirs = [p.detach().numpy() for p in twins["torch"].model.parameters()]
    start = list(cnn.make_net((4, 6), None, X).params())
    for mine, their, first in zip(ours, theirs, start):
        their = their.T if their.ndim == 2 else their.reshape(mine.shape)  # torch's Linear is (out, in)
        assert np.abs(mine - first).max() > 1e-4  # they did move
        np.testing.assert_allclose(mine, their, atol=1e-5 * np.abs(mine).max())


def test_predict_in_chunks_is_predict_at_once():
    twins, X, _ = sides()
    np.testing.assert_allclose(cnn.predict(twins["ours"], X), twins["ours"].predict(X), rtol=1e-6, atol=1e-6)


def test_summary_line_in_the_agreed_form():
    def run(dataset, ours_s, torch_s, ours, torch_acc, up, down):
        return cnn.Run(dataset, {"ours": ours_s, "torch": torch_s, "torch+1ulp": torch_s, "torch-1ulp": torch_s},
                       {"ours": ours, "torch": torch_acc, "torch+1ulp": up, "torch-1ulp": down})

    # the floor is the larger drift of either twin: here -1ulp's 0.35 on MNIST's second epoch
    runs = [run("mnist", [0.9, 1.0, 0.93], [1.0, 1.0, 1.0], [98.0, 99.12], [98.1, 99.0], [98.0, 99.2], [98.0, 98.65]),
            run("fashion-mnist", [1.0, 0.8, 0.8], [1.0, 1.0, 1.0], [90.0, 91.40], [90.21, 91.3], [90.0, 91.3],
                [90.3, 91.3])]
    assert runs[0].floors() == pytest.approx([0.1, 0.35])
    assert cnn.summary(runs, ["mnist", "fashion-mnist"]) == (
        "SUMMARY: worst epoch-time ratio ours/PyTorch 0.93x; best test accuracy mnist 99.12%, "
        "fashion-mnist 91.40%; largest same-epoch gap 0.21 pp (floor 0.35 pp)")
    assert "mnist n/a (not present)" in cnn.summary(runs[1:], ["mnist", "fashion-mnist"])


def test_one_epoch_on_a_subset_prints_each_epoch_and_ends_with_the_summary(capsys, monkeypatch):
    """The real Fashion-MNIST, cut to 640 training and 300 test images so that four sides
    train in seconds even on a busy machine; a missing data set is skipped."""
    prepare = cnn.prepare

    def small(dataset, quick):
        X_train, y_train, X_test, y_test = prepare(dataset, quick)
        return X_train[:640], y_train[:640], X_test[:300], y_test[:300]

    monkeypatch.setattr(cnn, "prepare", small)
    cnn.main(["--quick", "--epochs", "1", "--datasets", "fashion-mnist,no-such-set"])
    out = capsys.readouterr().out
    epoch_lines = [line for line in out.splitlines() if re.match(r"\s+1 +\d\.\d{4} ", line)]
    assert len(epoch_lines) == 1, out
    accuracies = [float(a) for a in re.findall(r"(\d+\.\d+)%", epoch_lines[0])]
    assert len(accuracies) == 4 and all(30 < a < 100 for a in accuracies), epoch_lines
    assert "no-such-set: not present, skipped" in out
    last = out.strip().splitlines()[-1]
    assert SUMMARY.fullmatch(last), last
    assert "fashion-mnist" in last and "no-such-set n/a (not present)" in last
