"""Convolution speed: the reference numba kernels against PyTorch, numpy im2col and loops.

    .venv/bin/python -m bench.conv            # about two minutes
    .venv/bin/python -m bench.conv --quick    # a short run with fewer repetitions

For each of the course's four layer shapes it times forward + backward (dx, dw, db) in
float32, side by side in this one process, for:
  - ``fastconv``: the hidden reference's numba kernels (autograder/reference/fastconv.py);
  - PyTorch's CPU conv2d with 2 threads (oneDNN): the faster of autograd and calling
    ``aten.convolution_backward`` directly, so the comparison is against its best;
  - a plain numpy im2col + matmul, float32, written here as a student would;
  - the textbook four loops (``convolution.conv2d_*_loops``), timed on a few images and
    scaled to the batch.
Timings interleave the candidates call by call and keep each one's best call, so a
background load hits all of them alike; the numpy version is timed in a race of its own,
because after each matmul OpenBLAS's threads spin for a while before they sleep and would
hold the cores that fastconv's pool threads wake up to (the alternation check below measures
that cost on its own). It prints ratios to PyTorch, GFLOP/s and the share of the float32
matmul ceiling measured in the same run; then numba's cold-compile and cached-load times (in
fresh processes), and what alternating the kernels with numpy matmuls (OpenBLAS threads)
costs, as in a CNN with dense layers. Then max pooling (2x2, stride 2) forward +
backward on the course's pooled shapes, fastconv against PyTorch's max_pool2d (2 threads).
The last line is the summary: the geometric-mean ratio to PyTorch over the four convolution
shapes, the worst shape's ratio, and the worst max-pooling ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

from autograder.reference import convolution as cv
from autograder.reference import fastconv as fc

# (N, C, H=W, F, k, padding), stride 1
SHAPES = [
    (64, 1, 28, 16, 3, 1),
    (64, 16, 14, 32, 3, 1),
    (32, 3, 32, 32, 5, 2),
    (8, 1, 28, 8, 3, 0),
]

# (N, C, H=W) inputs of max pooling, kernel 2, stride 2: the outputs of the course's layers
POOL_SHAPES = [
    (64, 16, 28),
    (64, 32, 14),
    (32, 32, 32),
]


def label(shape) -> str:
    n, c, size, f, k, pad = shape
    return f"N={n},C={c},{size}x{size},F={f},k={k},pad={pad}"


def conv_flops(shape) -> float:
    """Multiply-adds x 2 of one pass; forward, dx and dw each cost this much."""
    n, c, size, f, k, pad = shape
    out = size + 2 * pad - k + 1
    return 2.0 * n * f * c * k * k * out * out


def race(candidates: dict, seconds: float) -> dict:
    """Best single-call time of each callable, calls interleaved round-robin for ``seconds``.

    The best call is the one least disturbed by other processes; interleaving exposes every
    candidate to the same background load.
    """
    for run in candidates.values():
        run()                                       # warm up (and compile)
    best = dict.fromkeys(candidates, math.inf)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for name, run in candidates.items():
            for _ in range(3):
                start = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - start)
    return best


# ---------------------------------------------------------------------------------------------
# The plain numpy im2col version, in float32
# ---------------------------------------------------------------------------------------------

def numpy_im2col(xpad, k):
    """(N*Ho*Wo, C*k*k) patches of an already padded float32 batch, stride 1."""
    n, c = xpad.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(xpad, (k, k), axis=(2, 3))
    ho, wo = windows.shape[2:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)


def numpy_forward(x, w, b, pad):
    f, _, k, _ = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = numpy_im2col(xpad, k)
    n, ho, wo = x.shape[0], xpad.shape[2] - k + 1, xpad.shape[3] - k + 1
    return (cols @ w.reshape(f, -1).T + b).reshape(n, ho, wo, f).transpose(0, 3, 1, 2)


def numpy_backward(dy, x, w, pad):
    f, c, k, _ = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = numpy_im2col(xpad, k)
    n, _, ho, wo = dy.shape
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, f)
    dw = (dy_rows.T @ cols).reshape(w.shape)
    patches = (dy_rows @ w.reshape(f, -1)).reshape(n, ho, wo, c, k, k)
    dxpad = np.zeros_like(xpad)
    for i in range(k):
        for j in range(k):
            dxpad[:, :, i:i + ho, j:j + wo] += patches[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    dx = dxpad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, dy_rows.sum(axis=0)


# ---------------------------------------------------------------------------------------------
# Sections of the report
# ---------------------------------------------------------------------------------------------

def matmul_ceiling(quick: bool) -> float:
    """GFLOP/s of a large float32 matmul (numpy's OpenBLAS and PyTorch's, the better one)."""
    import torch
    size = 2048
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    at = torch.from_numpy(a)
    best = race({"numpy": lambda: a @ a, "torch": lambda: at @ at}, 2 if quick else 6)
    gflops = {name: 2 * size ** 3 / t / 1e9 for name, t in best.items()}
    print(f"float32 matmul {size}x{size}: numpy/OpenBLAS {gflops['numpy']:.0f} GFLOP/s, "
          f"PyTorch {gflops['torch']:.0f} GFLOP/s; ceiling = the better one")
    return max(gflops.values())


def time_shape(shape, quick: bool, ceiling: float) -> float:
    """Print one shape's table rows; return fastconv's ratio to PyTorch."""
    import torch
    import torch.nn.functional as F
    n, c, size, f, k, pad = shape
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w = rng.standard_normal((f, c, k, k), dtype=np.float32)
    b = rng.standard_normal(f, dtype=np.float32)
    dy = rng.standard_normal(fc.conv2d_forward(x, w, b, 1, pad).shape, dtype=np.float32)
    xt, wt, bt, dyt = (torch.from_numpy(a) for a in (x, w, b, dy))
    xg, wg, bg = (t.clone().requires_grad_() for t in (xt, wt, bt))

    def torch_direct():
        with torch.no_grad():
            torch.conv2d(xt, wt, bt, 1, pad)
            torch.ops.aten.convolution_backward(dyt, xt, wt, [f], [1, 1], [pad, pad], [1, 1],
                                                False, [0, 0], 1, [True, True, True])

    def torch_autograd():
        xg.grad = wg.grad = bg.grad = None
        F.conv2d(xg, wg, bg, 1, pad).backward(dyt)

    best = race({
        "fast fwd": lambda: fc.conv2d_forward(x, w, b, 1, pad),
        "fast bwd": lambda: fc.conv2d_backward(dy, x, w, 1, pad),
        "torch direct": torch_direct,
        "torch autograd": torch_autograd,
    }, 3 if quick else 10)
    best.update(race({                      # apart: see the module docstring
        "numpy fwd": lambda: numpy_forward(x, w, b, pad),
        "numpy bwd": lambda: numpy_backward(dy, x, w, pad),
    }, 1 if quick else 2))

    few = 1 if quick else 2                      # images for the four loops, then scaled
    start = time.perf_counter()
    cv.conv2d_forward_loops(x[:few], w, b, 1, pad)
    cv.conv2d_backward_loops(dy[:few], x[:few], w, 1, pad)
    loops = (time.perf_counter() - start) * n / few

    flops = conv_flops(shape)
    fast = best["fast fwd"] + best["fast bwd"]
    torch_best = min(best["torch direct"], best["torch autograd"])
    numpy_total = best["numpy fwd"] + best["numpy bwd"]

    def row(name, seconds, work=3 * flops):
        gflops = work / seconds / 1e9
        print(f"  {name:<26}{seconds * 1e3:>10.3f} ms{seconds / torch_best:>9.2f}x"
              f"{gflops:>9.1f}{100 * gflops / ceiling:>9.1f}%")

    print(f"\n{label(shape)}  ({3 * flops / 1e6:.0f} MFLOP forward+backward)")
    print(f"  {'':<26}{'time':>13}{'/PyTorch':>10}{'GFLOP/s':>9}{'ceiling':>10}")
    row("fastconv fwd+bwd", fast)
    row("  forward", best["fast fwd"], flops)
    row("  backward (dx, dw, db)", best["fast bwd"], 2 * flops)
    row("PyTorch conv2d (2 threads)", torch_best)
    row("  autograd", best["torch autograd"])
    row("  direct aten calls", best["torch direct"])
    row("numpy im2col (float32)", numpy_total)
    row(f"four loops (x{n}/{few} imgs)", loops)
    return fast / torch_best


def pool_label(shape) -> str:
    n, c, size = shape
    return f"N={n},C={c},{size}x{size}"


def time_pool(shape, quick: bool) -> float:
    """Print one max-pooling shape's table rows; return fastconv's ratio to PyTorch."""
    import torch
    import torch.nn.functional as F
    n, c, size = shape
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    dy = rng.standard_normal((n, c, size // 2, size // 2), dtype=np.float32)
    xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)
    xg = xt.clone().requires_grad_()

    def torch_direct():
        with torch.no_grad():
            _, indices = torch.ops.aten.max_pool2d_with_indices(xt, [2, 2], [2, 2])
            torch.ops.aten.max_pool2d_with_indices_backward(dyt, xt, [2, 2], [2, 2], [0, 0],
                                                            [1, 1], False, indices)

    def torch_autograd():
        xg.grad = None
        F.max_pool2d(xg, 2).backward(dyt)

    best = race({
        "fast fwd": lambda: fc.maxpool2d_forward(x, 2),
        "fast bwd": lambda: fc.maxpool2d_backward(dy, x, 2),
        "torch direct": torch_direct,
        "torch autograd": torch_autograd,
    }, 2 if quick else 6)
    fast = best["fast fwd"] + best["fast bwd"]
    torch_best = min(best["torch direct"], best["torch autograd"])

    def row(name, seconds):
        print(f"  {name:<26}{seconds * 1e3:>10.3f} ms{seconds / torch_best:>9.2f}x")

    print(f"\nmax pool 2x2, stride 2: {pool_label(shape)}")
    print(f"  {'':<26}{'time':>13}{'/PyTorch':>10}")
    row("fastconv fwd+bwd", fast)
    row("  forward", best["fast fwd"])
    row("  backward", best["fast bwd"])
    row("PyTorch max_pool2d", torch_best)
    row("  autograd", best["torch autograd"])
    row("  direct aten calls", best["torch direct"])
    return fast / torch_best


COMPILE_PROBE = textwrap.dedent("""
    import json, time
    import numpy as np
    start = time.perf_counter()
    from autograder.reference import fastconv as fc
    times = {"import": time.perf_counter() - start}
    x = np.ones((2, 3, 8, 8), np.float32)
    w = np.ones((4, 3, 3, 3), np.float32)
    calls = {
        "conv2d_forward": lambda: fc.conv2d_forward(x, w, w[:, 0, 0, 0], 1, 1),
        "conv2d_backward": lambda: fc.conv2d_backward(np.ones((2, 4, 8, 8), np.float32),
                                                      x, w, 1, 1),
        "maxpool2d_forward": lambda: fc.maxpool2d_forward(x, 2),
        "maxpool2d_backward": lambda: fc.maxpool2d_backward(
            np.ones((2, 3, 4, 4), np.float32), x, 2),
        "im2col": lambda: fc.im2col(x, 3, 3, 1, 1),
        "col2im": lambda: fc.col2im(np.ones((128, 27), np.float32), x.shape, 3, 3, 1, 1),
    }
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        times[name] = time.perf_counter() - start
    print(json.dumps(times))
""")


def compile_times() -> None:
    """First-call times of every float32 kernel in a fresh process: empty cache, then warm."""
    import json
    with tempfile.TemporaryDirectory(prefix="bench-conv-numba-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = []
        for _ in ("cold", "cached"):
            result = subprocess.run([sys.executable, "-c", COMPILE_PROBE], env=env,
                                    capture_output=True, text=True, check=True)
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    cold, cached = runs
    print("\nnumba compile (float32, first call in a fresh process; NUMBA_CACHE_DIR empty, "
          "then filled):")
    print(f"  {'kernel':<22}{'cold compile':>14}{'cached load':>14}")
    for name in cold:
        print(f"  {name:<22}{cold[name]:>12.2f} s{cached[name]:>12.3f} s")
    kernels = [name for name in cold if name != "import"]
    print(f"  {'all kernels':<22}{sum(cold[k] for k in kernels):>12.2f} s"
          f"{sum(cached[k] for k in kernels):>12.3f} s")


def alternation_check(quick: bool) -> None:
    """A CNN step runs numba kernels and BLAS matmuls back to back: is either slowed?"""
    n, c, size, f, k, pad = SHAPES[1]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w = rng.standard_normal((f, c, k, k), dtype=np.float32)
    b = np.zeros(f, np.float32)
    dy = rng.standard_normal((n, f, size, size), dtype=np.float32)
    hidden = rng.standard_normal((n, f * size * size), dtype=np.float32)
    dense = rng.standard_normal((f * size * size, 128), dtype=np.float32)
    grad_out = rng.standard_normal((n, 128), dtype=np.float32)

    def kernels():
        fc.conv2d_forward(x, w, b, 1, pad)
        fc.conv2d_backward(dy, x, w, 1, pad)

    def matmuls():                          # a dense layer's forward and backward
        hidden @ dense
        hidden.T @ grad_out
        grad_out @ dense.T

    def alternating():
        kernels()
        matmuls()

    seconds = 1 if quick else 3             # separate races: "alone" means not after the other
    best = {name: race({name: run}, seconds)[name] for name, run in
            (("kernels", kernels), ("matmuls", matmuls), ("alternating", alternating))}
    apart = best["kernels"] + best["matmuls"]
    print(f"\nalternating numba kernels and numpy matmuls ({label(SHAPES[1])} conv fwd+bwd, "
          f"then a {f * size * size}x128 dense layer fwd+bwd):")
    print(f"  kernels alone {best['kernels'] * 1e3:.3f} ms + matmuls alone "
          f"{best['matmuls'] * 1e3:.3f} ms = {apart * 1e3:.3f} ms; alternating "
          f"{best['alternating'] * 1e3:.3f} ms -> {best['alternating'] / apart:.2f}x "
          f"(1.00 = no interference)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions")
    args = parser.parse_args(argv)

    import numba
    import torch
    torch.set_num_threads(2)
    load = os.getloadavg()
    print(f"bench.conv: float32, stride 1; fastconv threads {fc._thread_count()} "
          f"(NUMBA_NUM_THREADS), PyTorch {torch.__version__} threads "
          f"{torch.get_num_threads()}, numpy {np.__version__}, numba {numba.__version__}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    ceiling = matmul_ceiling(args.quick)
    ratios = {label(shape): time_shape(shape, args.quick, ceiling) for shape in SHAPES}
    compile_times()
    alternation_check(args.quick)
    pools = {pool_label(shape): time_pool(shape, args.quick) for shape in POOL_SHAPES}
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    worst = max(ratios, key=ratios.get)
    worst_pool = max(pools, key=pools.get)
    geomean = math.exp(sum(math.log(r) for r in ratios.values()) / len(ratios))
    print(f"summary: fastconv fwd+bwd / PyTorch conv2d: geometric mean {geomean:.2f} over "
          f"{len(ratios)} shapes; worst {ratios[worst]:.2f} at {worst}; max pool fwd+bwd / "
          f"PyTorch worst {pools[worst_pool]:.2f} at {worst_pool}")


if __name__ == "__main__":
    main()
