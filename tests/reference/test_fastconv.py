"""The numba kernels against the plain float64 reference, in float32 and float64, plus their
dtype, threading, fork and cache-location behaviour."""

import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

from autograder.reference import convolution as cv
from autograder.reference import fastconv as fc

REPO = Path(__file__).resolve().parents[2]

# Worst error allowed, relative to the largest reference value (sums run over up to ~50,000
# products, so float32 keeps about five significant digits)
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}

CONV2D_SHAPES = [
    # (x shape, w shape, stride, padding)
    ((3, 2, 7, 9), (5, 2, 3, 3), 1, 1),            # non-square input, F not a multiple of 8
    ((1, 1, 5, 5), (1, 1, 1, 1), 1, 0),            # 1x1 kernel, single image, one channel
    ((2, 3, 6, 6), (8, 3, 1, 1), 1, 1),            # 1x1 kernel with padding (dx via scatter)
    ((2, 3, 9, 7), (4, 3, 3, 3), 2, 1),            # stride 2 with padding (explicit im2col)
    ((2, 2, 8, 11), (3, 2, 2, 3), (2, 1), (0, 1)),  # per-axis stride and padding
    ((1, 4, 6, 6), (16, 4, 3, 3), 1, 2),           # padding beyond the kernel's reach
    ((2, 3, 5, 5), (8, 3, 5, 5), 1, 0),            # kernel covers the whole input
    ((2, 5, 6, 4), (9, 5, 2, 2), 1, 0),            # even kernel, taps not a multiple of 4
    ((4, 1, 28, 28), (16, 1, 3, 3), 1, 1),         # the course's first layer
    ((3, 16, 14, 14), (32, 16, 3, 3), 1, 1),       # the course's second layer
    ((2, 3, 32, 32), (32, 3, 5, 5), 1, 2),         # CIFAR-sized, 5x5
    ((8, 1, 28, 28), (8, 1, 3, 3), 1, 0),          # the benchmark's small shape
    ((1, 2, 40, 40), (8, 2, 3, 3), 1, 1),          # more pixels than one GEMM block
    ((5, 8, 5, 5), (20, 8, 3, 3), 1, 1),           # dx by flipped kernels, last group partial
    ((2, 9, 6, 7), (3, 9, 2, 3), 1, (3, 0)),       # dx by flipped kernels, padding past reach
]


def assert_close(actual, expected, dtype):
    assert actual.dtype == dtype, f"dtype {actual.dtype}, expected {np.dtype(dtype)}"
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected))))
    error = float(np.max(np.abs(actual.astype(np.float64) - expected))) / scale
    assert error <= TOLERANCE[dtype], f"relative error {error:.2e} > {TOLERANCE[dtype]:.0e}"


def random_inputs(seed, dtype, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV2D_SHAPES)
def test_conv2d_matches_plain(x_shape, w_shape, stride, padding, dtype):
    x, w, b = random_inputs(10, dtype, x_shape, w_shape, w_shape[:1])
    y = fc.conv2d_forward(x, w, b, stride, padding)
    assert_close(y, cv.conv2d_forward(x, w, b, stride, padding), dtype)
    (dy,) = random_inputs(11, dtype, y.shape)
    for fast, plain in zip(fc.conv2d_backward(dy, x, w, stride, padding),
                           cv.conv2d_backward(dy, x, w, stride, padding)):
        assert_close(fast, plain, dtype)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((2, 3, 11), (4, 3, 3), 1, 1),
    ((1, 1, 8), (1, 1, 1), 1, 0),
    ((3, 2, 13), (5, 2, 3), 2, 1),
    ((2, 4, 30), (8, 4, 5), 1, 2),
    ((1, 1, 6), (2, 1, 6), 1, 0),
])
def test_conv1d_matches_plain(x_shape, w_shape, stride, padding, dtype):
    x, w, b = random_inputs(12, dtype, x_shape, w_shape, w_shape[:1])
    y = fc.conv1d_forward(x, w, b, stride, padding)
    assert_close(y, cv.conv1d_forward(x, w, b, stride, padding), dtype)
    (dy,) = random_inputs(13, dtype, y.shape)
    for fast, plain in zip(fc.conv1d_backward(dy, x, w, stride, padding),
                           cv.conv1d_backward(dy, x, w, stride, padding)):
        assert_close(fast, plain, dtype)


@pytest.mark.parametrize("x_shape, kh, kw, stride, padding",
                         [(s[0], s[1][2], s[1][3], s[2], s[3]) for s in CONV2D_SHAPES[:8]])
def test_im2col_and_col2im_match_plain(x_shape, kh, kw, stride, padding, dtype):
    (x,) = random_inputs(14, dtype, x_shape)
    cols = fc.im2col(x, kh, kw, stride, padding)
    assert_close(cols, cv.im2col(x, kh, kw, stride, padding), dtype)
    (other,) = random_inputs(15, dtype, cols.shape)
    assert_close(fc.col2im(other, x_shape, kh, kw, stride, padding),
                 cv.col2im(other, x_shape, kh, kw, stride, padding), dtype)


@pytest.mark.parametrize("x_shape, kernel, stride", [
    ((2, 3, 8, 8), 2, None),
    ((1, 1, 7, 7), 3, 2),
    ((2, 2, 6, 9), (2, 3), (2, 3)),
    ((1, 2, 5, 5), 3, 1),            # overlapping windows
    ((3, 4, 28, 28), 2, 2),
])
def test_maxpool_matches_plain(x_shape, kernel, stride, dtype):
    x, = random_inputs(16, dtype, x_shape)
    y = fc.maxpool2d_forward(x, kernel, stride)
    assert_close(y, cv.maxpool2d_forward(x, kernel, stride), dtype)
    (dy,) = random_inputs(17, dtype, y.shape)
    assert_close(fc.maxpool2d_backward(dy, x, kernel, stride),
                 cv.maxpool2d_backward(dy, x, kernel, stride), dtype)



@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV2D_SHAPES)
def test_conv2d_with_relu_is_the_same_bits_as_relu_after_it(x_shape, w_shape, stride, padding, dtype):
    """The ReLU applied as the output is written, and dy gated as it is read, change no bit
    against relu_forward after the convolution and relu_backward before its gradients."""
    x, w, b = random_inputs(12, dtype, x_shape, w_shape, w_shape[:1])
    z = fc.conv2d_forward(x, w, b, stride, padding)
    y = fc.conv2d_forward(x, w, b, stride, padding, relu=True)
    np.testing.assert_array_equal(y, fc.relu_forward(z))
    assert (y == 0).any() and (y > 0).any()
    (dy,) = random_inputs(13, dtype, y.shape)
    fused = fc.conv2d_backward(dy, x, w, stride, padding, relu_output=y)
    for got, expected in zip(fused, fc.conv2d_backward(fc.relu_backward(dy, z), x, w, stride, padding)):
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected)


def test_conv2d_relu_keeps_nan_and_gates_its_gradient():
    x = np.array([[[[1.0, np.nan, -1.0, 0.0]]]])
    y = fc.conv2d_forward(x, np.ones((1, 1, 1, 1)), np.zeros(1), relu=True)
    np.testing.assert_array_equal(y, [[[[1.0, np.nan, 0.0, 0.0]]]])
    dx, dw, db = fc.conv2d_backward(np.full(y.shape, 2.0), x, np.ones((1, 1, 1, 1)), relu_output=y)
    np.testing.assert_array_equal(dx, [[[[2.0, 0.0, 0.0, 0.0]]]])    # as relu_backward: only where y > 0
    np.testing.assert_array_equal(db, [2.0])
    with pytest.raises(ValueError, match="relu_output"):
        fc.conv2d_backward(np.ones(y.shape), x, np.ones((1, 1, 1, 1)), relu_output=np.ones(3))


@pytest.mark.parametrize("shape", [(64, 16, 28, 28), (3, 5), (40_000,), (0, 7)])   # one and several chunks, empty
def test_relu_matches_numpy(shape, dtype, monkeypatch):
    monkeypatch.setattr(fc, "MIN_VALUES_PER_THREAD", 1)      # split even the small ones
    x, dy = random_inputs(30, dtype, shape, shape)
    if x.size:
        x.reshape(-1)[:4] = [0.0, -0.0, np.nan, -np.inf]
    y = fc.relu_forward(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, np.maximum(x, 0))      # NaN stays NaN, -0.0 becomes 0
    assert not np.signbit(y[~np.isnan(y)]).any()
    dx = fc.relu_backward(dy, x)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, np.where(x > 0, dy, 0))    # 0 at x = 0, as in PyTorch


def test_relu_keeps_integers_and_strides_working():
    x = np.arange(-6, 6).reshape(3, 4)
    np.testing.assert_array_equal(fc.relu_forward(x), np.maximum(x, 0))
    wide = np.random.default_rng(31).standard_normal((6, 8))[:, ::2]   # not contiguous
    np.testing.assert_array_equal(fc.relu_backward(np.ones_like(wide), wide), (wide > 0) * 1.0)
    with pytest.raises(ValueError, match="shape"):
        fc.relu_backward(np.ones(3), np.ones(4))

@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1), ((2, 3), (1, 2))])
def test_maxpool_ties_follow_the_same_rule_as_plain(kernel, stride, dtype):
    # values from {0, 1, 2}: most windows hold several copies of their maximum
    x = np.random.default_rng(18).integers(0, 3, size=(2, 3, 6, 7)).astype(dtype)
    if kernel == 2:
        x = x[:, :, :, :6]
    y = fc.maxpool2d_forward(x, kernel, stride)
    dy = np.arange(1, y.size + 1, dtype=dtype).reshape(y.shape)   # tells windows apart
    np.testing.assert_array_equal(fc.maxpool2d_backward(dy, x, kernel, stride),
                                  cv.maxpool2d_backward(dy, x, kernel, stride))


@pytest.mark.parametrize("width", [8, 28, 40, 66])
def test_maxpool_2x2_path_matches_the_general_loops(dtype, width):
    # kernel 2, stride 2 has its own vectorised loops; NaN, inf and ties must come out as in
    # the general ones (the first strict maximum in row-major order wins). The widths give
    # rows shorter than one vector of windows, one and a part, and several.
    rng = np.random.default_rng(26)
    x = rng.integers(0, 3, size=(2, 3, 6, width)).astype(dtype)
    u = rng.random(x.shape)
    x[u < 0.1], x[(u > 0.1) & (u < 0.15)], x[(u > 0.15) & (u < 0.2)] = np.nan, np.inf, -np.inf
    dy = rng.standard_normal((2, 3, 3, width // 2)).astype(dtype)
    fast = np.full_like(dy, 7.0), np.full_like(x, 7.0)      # every value must be written
    general = np.empty_like(dy), np.empty_like(x)
    for n in range(2):
        fc._maxpool2x2_forward(x, fast[0], n)
        fc._maxpool2x2_backward(dy, x, fast[1], n)
        fc._maxpool_forward(x, general[0], n, 2, 2, 2, 2)
        fc._maxpool_backward(dy, x, general[1], n, 2, 2, 2, 2)
    np.testing.assert_array_equal(fast[0], general[0])
    np.testing.assert_array_equal(fast[1], general[1])


def test_maxpool_tie_by_hand():
    x = np.array([[[[1.0, 3.0, 2.0, 2.0], [3.0, 2.0, 2.0, 2.0]]]], np.float32)
    dx = fc.maxpool2d_backward(np.array([[[[10.0, 20.0]]]], np.float32), x, 2)
    np.testing.assert_array_equal(dx, [[[[0, 10, 20, 0], [0, 0, 0, 0]]]])


def test_infinities_and_nan_propagate_like_numpy():
    x, w, b = random_inputs(19, np.float32, (1, 1, 4, 4), (1, 1, 3, 3), (1,))
    x[0, 0, 0, 0] = np.inf
    y = fc.conv2d_forward(x, w, b, 1, 1)
    np.testing.assert_array_equal(np.isfinite(y), np.isfinite(cv.conv2d_forward(x, w, b, 1, 1)))
    x[0, 0, 3, 3] = np.nan
    assert np.isnan(fc.conv2d_forward(x, w, b, 1, 1)[0, 0, 3, 3])
    assert fc.maxpool2d_forward(x, 2)[0, 0, 0, 0] == np.inf


# ---------------------------------------------------------------------------------------------
# dtypes and memory layout
# ---------------------------------------------------------------------------------------------

def test_dtypes_are_kept_promoted_or_made_float():
    x, w, b = random_inputs(20, np.float32, (2, 2, 5, 5), (3, 2, 3, 3), (3,))
    assert fc.conv2d_forward(x, w, b).dtype == np.float32
    assert fc.conv2d_forward(x, w.astype(np.float64), b).dtype == np.float64
    ints = np.arange(50).reshape(2, 1, 5, 5)
    y = fc.conv2d_forward(ints, np.ones((1, 1, 2, 2), int), np.zeros(1, int))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, cv.conv2d_forward(ints, np.ones((1, 1, 2, 2)), np.zeros(1)))
    assert fc.maxpool2d_forward(ints, 5).dtype == np.float64


def test_non_contiguous_inputs_give_the_same_results():
    x, w, b = random_inputs(21, np.float64, (3, 4, 6, 10), (4, 3, 3, 3), (4,))
    x_view = x.transpose(0, 1, 3, 2)[:, ::2]                 # (3, 2, 10, 6), strided
    w_view = w.transpose(1, 0, 2, 3)[:, :2]                  # (3, 2, 3, 3), transposed
    y = fc.conv2d_forward(x_view, w_view, b[:3], 1, 1)
    assert_close(y, cv.conv2d_forward(x_view, w_view, b[:3], 1, 1), np.float64)
    (dy,) = random_inputs(22, np.float64, (3, 3, 6, 10))
    dy_view = dy.transpose(0, 1, 3, 2)[:, ::-1]                # (3, 3, 10, 6), reversed
    grads = fc.conv2d_backward(dy_view, x_view, w_view, 1, 1)
    for fast, plain in zip(grads, cv.conv2d_backward(dy_view, x_view, w_view, 1, 1)):
        assert_close(fast, plain, np.float64)


def test_bad_arguments_raise_the_plain_versions_errors():
    x, w, b = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)
    for call in (lambda: fc.conv2d_forward(x[0], w, b),
                 lambda: fc.conv2d_forward(x, w[:, :2], b),
                 lambda: fc.conv2d_forward(x, np.zeros((4, 3, 7, 7)), b),
                 lambda: fc.conv2d_forward(x, np.zeros((4, 3, 2, 2)), b, stride=2),
                 lambda: fc.conv2d_backward(np.zeros((2, 4, 2, 2)), x, w),
                 lambda: fc.conv1d_forward(x, w, b),
                 lambda: fc.maxpool2d_forward(x, 2),
                 lambda: fc.maxpool2d_backward(np.zeros((2, 3, 2, 2)), x, 5),
                 lambda: fc.col2im(np.zeros((3, 27)), x.shape, 3, 3)):
        with pytest.raises(ValueError):
            call()


# ---------------------------------------------------------------------------------------------
# Threads and fork
# ---------------------------------------------------------------------------------------------

def test_splitting_the_batch_over_threads_changes_no_bit(monkeypatch):
    """Results are the same bits with one thread or three, and on every repeat: the weight
    gradient is summed in fixed chunks of the batch, whichever thread takes each chunk."""
    x, w, b = random_inputs(22, np.float64, (19, 3, 8, 8), (4, 3, 3, 3), (4,))
    dy = random_inputs(23, np.float64, (19, 4, 8, 8))[0]
    pooled_dy = dy[:, :3, ::2, ::2]

    def run():
        return [fc.conv2d_forward(x, w, b, 1, 1), *fc.conv2d_backward(dy, x, w, 1, 1),
                fc.maxpool2d_backward(pooled_dy, x, 2)]

    serial = run()
    monkeypatch.setattr(fc, "MIN_WORK_PER_THREAD", 1)
    monkeypatch.setattr(fc, "_thread_count", lambda: 3)      # more shares than pool threads
    assert fc._shares(19, 1e9) == 3
    for _ in range(5):
        for one, many in zip(serial, run()):
            np.testing.assert_array_equal(many, one)


@numba.njit(nogil=True)
def _mark_items(share, tasks, items, marks, failing_share):
    if share == failing_share:
        raise ValueError("this share fails")
    item = fc._take(tasks, 1)
    while item < items:
        marks[item] += 1
        item = fc._take(tasks, 1)


def test_an_error_in_a_pool_thread_is_raised_by_the_caller_and_the_next_call_works():
    marks = np.zeros(40, np.int64)
    with pytest.raises(ValueError, match="this share fails"):
        fc._run_split(_mark_items, 40, 2, marks, 1)
    marks[:] = 0
    fc._run_split(_mark_items, 40, 2, marks, -1)
    assert (marks == 1).all(), "every item taken exactly once"


def _forward_in_child(queue):
    x, w, b = random_inputs(24, np.float32, (4, 2, 8, 8), (4, 2, 3, 3), (4,))
    queue.put(float(fc.conv2d_forward(x, w, b, 1, 1).sum()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_kernels_work_in_a_forked_child_after_the_pool_started(monkeypatch):
    monkeypatch.setattr(fc, "MIN_WORK_PER_THREAD", 1)
    x, w, b = random_inputs(24, np.float32, (4, 2, 8, 8), (4, 2, 3, 3), (4,))
    expected = float(fc.conv2d_forward(x, w, b, 1, 1).sum())   # starts the thread pool here
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_forward_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0, "the forked child hung or crashed"
    assert queue.get(timeout=5) == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Cache location
# ---------------------------------------------------------------------------------------------

CACHE_PROBE = textwrap.dedent("""
    import json, numpy as np
    from autograder.reference import fastconv
    fastconv.maxpool2d_forward(np.ones((1, 1, 2, 2)), 2)
    stats = fastconv._maxpool_forward_images.stats
    print(json.dumps({"file": fastconv.__file__, "override": fastconv.CACHE_DIR_OVERRIDE,
                      "hits": sum(stats.cache_hits.values()),
                      "misses": sum(stats.cache_misses.values())}))
""")


def run_probe(package_root, env):
    result = subprocess.run([sys.executable, "-c", CACHE_PROBE], cwd=package_root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import json
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_unwritable_install_and_home_fall_back_to_a_private_temp_dir(tmp_path):
    # A copy of the package where numba's two usual places cannot be written: __pycache__
    # is a file (so the package directory looks read-only, even to root) and so is the home.
    package = tmp_path / "install" / "autograder" / "reference"
    package.mkdir(parents=True)
    for name in ("__init__.py", "reference/__init__.py"):
        (tmp_path / "install" / "autograder" / name).write_text("")
    for name in ("convolution.py", "fastconv.py"):
        (package / name).write_text((REPO / "autograder" / "reference" / name).read_text())
    (package / "__pycache__").write_text("not a directory")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, so nothing can be created below it")
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(HOME=str(blocked), XDG_CACHE_HOME=str(blocked / "cache"), TMPDIR=str(temp),
               PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(tmp_path / "install"))

    first = run_probe(tmp_path / "install", env)
    assert first["file"] == str(package / "fastconv.py")
    expected = temp / f"autograder-numba-{os.getuid()}"
    assert first["override"] == str(expected)
    assert first["misses"] >= 1
    assert any(expected.rglob("*.nbi")), "no numba index file in the fallback directory"
    assert oct(expected.stat().st_mode & 0o777) == oct(0o700)

    second = run_probe(tmp_path / "install", env)
    assert second["hits"] >= 1 and second["misses"] == 0, second


def test_numba_cache_dir_setting_is_respected(monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/chosen")
    assert fc._cache_dir_override() is None


def test_fallback_refuses_a_directory_it_does_not_own(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"autograder-numba-{os.getuid()}").symlink_to(elsewhere)
    monkeypatch.setattr(fc.tempfile, "gettempdir", lambda: str(tmp_path))
    with pytest.raises(RuntimeError, match="refusing numba cache directory"):
        fc._private_tmp_dir()
