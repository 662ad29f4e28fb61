"""The chapter-4 ablation benchmark compares like with like.

Its numbers only mean something if the PyTorch twin really is the reference
network: same weights, same dropout masks, same update rule. These tests check
that on synthetic data (no timing is asserted), and that a short real run
prints its table and summary line.
"""
import re

import numpy as np
import pytest

pytest.importorskip("torch", reason="the benchmark needs the PyTorch extra (scripts/test installs it)")
from bench import mlp_ablation as ablation  # noqa: E402


def synthetic(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    return X, y, X[:300], y[:300]


@pytest.mark.parametrize("key", ["1", "7", "9", "10"])
def test_twin_starts_from_the_same_network(key):
    row = ablation.pick_rows(key)[0]
    X = synthetic()[0]
    sides = ablation.make_sides(row, X, noise_floor=False)
    ours, theirs = sides["ours"].predict(X[:200]), sides["torch"].predict(X[:200])
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-4 * np.abs(ours).max())


@pytest.mark.parametrize("key", ["1", "7", "9"])
def test_twins_stay_together_for_the_first_steps(key):
    """Twenty updates apart by no more than rounding: a different loss scale,
    update rule or dropout mask would part them by about lr x gradient (1e-2)."""
    row = ablation.pick_rows(key)[0]
    for steps, ours_vs_torch, torch_vs_nudged in ablation.drift(row, synthetic(), steps=(1, 20)):
        assert ours_vs_torch < 1e-5, (steps, ours_vs_torch)
        assert torch_vs_nudged < 1e-5, (steps, torch_vs_nudged)


def test_same_epoch_gap_compares_the_last_evaluation_both_reached():
    row = ablation.pick_rows("8")[0]
    result = ablation.Result("fashion-mnist", row, {}, {}, {},
                             checkpoints={"ours": [{10: 80.0, 20: 81.0}],
                                          "torch": [{10: 79.0, 20: 83.0, 30: 84.0}]})
    assert result.matched() == ([20], -2.0)


def test_quick_run_prints_the_table_and_the_summary(capsys):
    ablation.main(["--quick", "--rows", "1,7", "--epochs", "2", "--datasets", "fashion-mnist"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if re.match(r"\s+(1|7) ", line)]
    assert len(rows) == 2, out
    accuracies = [float(a) for line in rows for a in re.findall(r"(\d+\.\d+)%", line)]
    assert len(accuracies) == 4 and all(20 < a < 100 for a in accuracies), rows
    summary = out.strip().splitlines()[-1]
    assert re.match(r"SUMMARY: largest accuracy gap to PyTorch \d+\.\d\d pp .* largest epoch-time ratio "
                    r"ours/PyTorch \d+\.\d\dx .* best test accuracy: fashion-mnist \d+\.\d\d%", summary), summary
