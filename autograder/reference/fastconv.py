"""Fast numba kernels for convolution and pooling, with the signatures of ``convolution``.

They live in this hidden reference package and not in the student-visible ``dlscratch``:
readable, well-optimised numba source that students can open would be a copyable answer to
notebook 09's "write a numba kernel" exercise, so students train their CNN with the kernel
they write themselves, and these serve the grader and the course's own tests.

Inputs of dtype float32 or float64 keep it (mixed inputs promote, anything else becomes
float64); results match ``convolution`` to rounding, including the max-pooling tie rule (the
gradient goes to the first maximum in row-major order within each window).

How the convolution runs. A few images at a time are copied into a zero-padded buffer in
which neighbouring rows share their padding columns and neighbouring images their padding
rows, so the input under kernel tap (c, i, j) for *all* their output pixels is one contiguous
slice of the buffer, starting at c*S + i*row + j. The convolution is then a matrix product
over those shifted slices ("implicit im2col": no patch matrix is built), done by an 8x4
register-blocked micro-kernel that LLVM turns into AVX-512 (or AVX2) FMAs, over blocks of
columns that stay in L1. Outputs that land in padding are computed and dropped (about 12%
extra work), tap lists are padded to a multiple of 4 with zero weights, the bias is the
accumulator's starting value, and accumulator rows are spaced to avoid 4 KiB aliasing. The
weight gradient is the same product with the pixel axis as the reduction (4x4 blocks of dot
products held in registers); the input gradient is the product with the transposed weights,
whose shifted slices are then added back. Strides above 1 use an explicit per-image im2col
buffer with the same micro-kernels. No BLAS call is made.

Threading policy. The kernels are serial, compiled with ``nogil=True``, and each call splits
its batch of images over a small private pool of Python threads (the calling thread does one
share). Pool threads sleep on a queue between calls, so nothing busy-waits: numpy's OpenBLAS
matmuls and these kernels can alternate freely (``bench/conv.py`` measures it). We do not
use numba's ``parallel=True``: its default OpenMP layer spins after every parallel region,
fighting OpenBLAS's threads for the cores (measured 2-5x slowdowns when alternating), its
``workqueue`` layer is not thread-safe, and choosing a layer is process-wide. The pool has
``numba.config.NUMBA_NUM_THREADS`` threads (the ``NUMBA_NUM_THREADS`` environment variable,
default: the usable cores); set it to 1 where a grader already runs one process per core.
Small calls run on the calling thread alone. The pool is re-created after ``fork``.

Cache policy. Kernels compile lazily, once per dtype, with ``cache=True``. The cache goes
where numba would put it: ``$NUMBA_CACHE_DIR`` when set, else ``__pycache__`` beside this
file (a development checkout), else the user cache (``$XDG_CACHE_HOME/numba`` or
``~/.cache/numba``: a read-only site-packages install). When none of these is writable (a
read-only install run by a grader without a usable home) we point only this module's kernels
at ``<tempdir>/autograder-numba-<uid>``, created private (0700) and refused unless it is a
real directory owned by us; cache files are loaded as machine code, so untrusted (student)
code must never be able to write into whichever directory is used.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .convolution import (
    check_conv1d_arrays,
    check_conv2d_arrays,
    patch_geometry,
    pool2d_geometry,
)

__all__ = [
    "im2col", "col2im",
    "conv1d_forward", "conv1d_backward",
    "conv2d_forward", "conv2d_backward",
    "maxpool2d_forward", "maxpool2d_backward",
    "CACHE_DIR_OVERRIDE",
]


# ----------------------------------------------------------------------------------------------
# Cache location (see "Cache policy" above)
# ----------------------------------------------------------------------------------------------

def _writable_dir(path: str) -> bool:
    """Can numba create ``path`` and write a file in it? (numba's own test, done up front.)"""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def _private_tmp_dir() -> str:
    path = os.path.join(tempfile.gettempdir(), f"autograder-numba-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise RuntimeError(f"refusing numba cache directory {path}: not a directory we own")
    os.chmod(path, 0o700)
    return path


def _cache_dir_override() -> str | None:
    """None when numba's own choice of cache directory works, else our private fallback."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    if _writable_dir(os.path.join(here, "__pycache__")):
        return None
    user_cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    if _writable_dir(os.path.join(user_cache, "numba")):
        return None
    return _private_tmp_dir()


CACHE_DIR_OVERRIDE = _cache_dir_override()

# Reassociation lets LLVM vectorise the dot products; no "nnan"/"ninf", so NaN and inf
# propagate exactly as in numpy.
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}


def _kernel(function):
    """numba.njit with this module's options; numba picks a function's cache directory here."""
    saved = numba.config.CACHE_DIR
    if CACHE_DIR_OVERRIDE:
        numba.config.CACHE_DIR = CACHE_DIR_OVERRIDE
    try:
        return numba.njit(nogil=True, cache=True, fastmath=_FASTMATH,
                          boundscheck=False)(function)
    finally:
        numba.config.CACHE_DIR = saved


# ----------------------------------------------------------------------------------------------
# Threads (see "Threading policy" above)
# ----------------------------------------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
MIN_WORK_PER_THREAD = 4_000_000      # multiply-adds; below this, handing work over costs more


def _forget_pool() -> None:
    """In a forked child: none of the parent's threads exist, and the lock may be held."""
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _thread_count() -> int:
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, _thread_count() - 1),
                                       thread_name_prefix="fastconv")
        return _pool


def _shares(items: int, work: float) -> int:
    return max(1, min(_thread_count(), items, int(work // MIN_WORK_PER_THREAD)))


TASKS_PER_THREAD = 4   # batch slices per thread, handed out on demand


def _run_split(kernel, items: int, shares: int, *args) -> None:
    """Run kernel(share, start, stop, *args) over range(items) on ``shares`` threads.

    The range is cut into a few slices per thread (multiples of 4 images, which keeps small
    images' GEMM groups whole) that the threads take in turn, so a thread slowed by another
    process on its core simply ends up doing fewer slices. ``share`` names the thread, for
    kernels that accumulate into per-thread buffers.
    """
    if shares == 1:
        kernel(0, 0, items, *args)
        return
    step = max(1, -(-items // (shares * TASKS_PER_THREAD)))
    step = -(-step // 4) * 4 if step > 4 else step
    starts = iter(range(0, items, step))
    lock = threading.Lock()

    def work(share):
        while True:
            with lock:
                start = next(starts, None)
            if start is None:
                return
            kernel(share, start, min(start + step, items), *args)

    pool = _get_pool()
    futures = [pool.submit(work, share) for share in range(1, shares)]
    work(0)
    for future in futures:
        future.result()


# ----------------------------------------------------------------------------------------------
# Micro-kernels: C[m, l0:l0+n] += sum_k A[m, k] * B[off[k] + l0 : off[k] + l0 + n]
# ----------------------------------------------------------------------------------------------

VECTOR = 16        # GEMM lengths are multiples of this many lanes: no scalar remainder loops
TAPS = 4           # taps per micro-kernel pass; tap lists are padded to a multiple of it
L_BLOCK = 640      # GEMM columns per block, so a block of 8 accumulator rows stays in L1


@_kernel
def _chunk_length(length):
    """Split length into equal chunks of at most L_BLOCK columns (multiples of VECTOR)."""
    chunks = (length + L_BLOCK - 1) // L_BLOCK
    return (length + chunks * VECTOR - 1) // (chunks * VECTOR) * VECTOR


@_kernel
def _madd_8x4(A, B, off, C, m0, k0, l0, n):
    """8 output rows x 4 taps per pass: each loaded input vector feeds 8 FMAs."""
    a00, a01, a02, a03 = A[m0, k0], A[m0, k0 + 1], A[m0, k0 + 2], A[m0, k0 + 3]
    a10, a11, a12, a13 = A[m0 + 1, k0], A[m0 + 1, k0 + 1], A[m0 + 1, k0 + 2], A[m0 + 1, k0 + 3]
    a20, a21, a22, a23 = A[m0 + 2, k0], A[m0 + 2, k0 + 1], A[m0 + 2, k0 + 2], A[m0 + 2, k0 + 3]
    a30, a31, a32, a33 = A[m0 + 3, k0], A[m0 + 3, k0 + 1], A[m0 + 3, k0 + 2], A[m0 + 3, k0 + 3]
    a40, a41, a42, a43 = A[m0 + 4, k0], A[m0 + 4, k0 + 1], A[m0 + 4, k0 + 2], A[m0 + 4, k0 + 3]
    a50, a51, a52, a53 = A[m0 + 5, k0], A[m0 + 5, k0 + 1], A[m0 + 5, k0 + 2], A[m0 + 5, k0 + 3]
    a60, a61, a62, a63 = A[m0 + 6, k0], A[m0 + 6, k0 + 1], A[m0 + 6, k0 + 2], A[m0 + 6, k0 + 3]
    a70, a71, a72, a73 = A[m0 + 7, k0], A[m0 + 7, k0 + 1], A[m0 + 7, k0 + 2], A[m0 + 7, k0 + 3]
    b0 = B[off[k0] + l0:off[k0] + l0 + n]
    b1 = B[off[k0 + 1] + l0:off[k0 + 1] + l0 + n]
    b2 = B[off[k0 + 2] + l0:off[k0 + 2] + l0 + n]
    b3 = B[off[k0 + 3] + l0:off[k0 + 3] + l0 + n]
    c0, c1 = C[m0, l0:l0 + n], C[m0 + 1, l0:l0 + n]
    c2, c3 = C[m0 + 2, l0:l0 + n], C[m0 + 3, l0:l0 + n]
    c4, c5 = C[m0 + 4, l0:l0 + n], C[m0 + 5, l0:l0 + n]
    c6, c7 = C[m0 + 6, l0:l0 + n], C[m0 + 7, l0:l0 + n]
    for l in range(n):
        x0, x1, x2, x3 = b0[l], b1[l], b2[l], b3[l]
        c0[l] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
        c1[l] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
        c2[l] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3
        c3[l] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3
        c4[l] += a40 * x0 + a41 * x1 + a42 * x2 + a43 * x3
        c5[l] += a50 * x0 + a51 * x1 + a52 * x2 + a53 * x3
        c6[l] += a60 * x0 + a61 * x1 + a62 * x2 + a63 * x3
        c7[l] += a70 * x0 + a71 * x1 + a72 * x2 + a73 * x3


@_kernel
def _madd_4x4(A, B, off, C, m0, k0, l0, n):
    """The 8x4 pass for 4 leftover rows."""
    a00, a01, a02, a03 = A[m0, k0], A[m0, k0 + 1], A[m0, k0 + 2], A[m0, k0 + 3]
    a10, a11, a12, a13 = A[m0 + 1, k0], A[m0 + 1, k0 + 1], A[m0 + 1, k0 + 2], A[m0 + 1, k0 + 3]
    a20, a21, a22, a23 = A[m0 + 2, k0], A[m0 + 2, k0 + 1], A[m0 + 2, k0 + 2], A[m0 + 2, k0 + 3]
    a30, a31, a32, a33 = A[m0 + 3, k0], A[m0 + 3, k0 + 1], A[m0 + 3, k0 + 2], A[m0 + 3, k0 + 3]
    b0 = B[off[k0] + l0:off[k0] + l0 + n]
    b1 = B[off[k0 + 1] + l0:off[k0 + 1] + l0 + n]
    b2 = B[off[k0 + 2] + l0:off[k0 + 2] + l0 + n]
    b3 = B[off[k0 + 3] + l0:off[k0 + 3] + l0 + n]
    c0, c1 = C[m0, l0:l0 + n], C[m0 + 1, l0:l0 + n]
    c2, c3 = C[m0 + 2, l0:l0 + n], C[m0 + 3, l0:l0 + n]
    for l in range(n):
        x0, x1, x2, x3 = b0[l], b1[l], b2[l], b3[l]
        c0[l] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
        c1[l] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
        c2[l] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3
        c3[l] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3


@_kernel
def _madd_1x4(A, B, off, C, m, k0, l0, n):
    """The 8x4 pass for a single leftover row."""
    a0, a1, a2, a3 = A[m, k0], A[m, k0 + 1], A[m, k0 + 2], A[m, k0 + 3]
    b0 = B[off[k0] + l0:off[k0] + l0 + n]
    b1 = B[off[k0 + 1] + l0:off[k0 + 1] + l0 + n]
    b2 = B[off[k0 + 2] + l0:off[k0 + 2] + l0 + n]
    b3 = B[off[k0 + 3] + l0:off[k0 + 3] + l0 + n]
    c = C[m, l0:l0 + n]
    for l in range(n):
        c[l] += a0 * b0[l] + a1 * b1[l] + a2 * b2[l] + a3 * b3[l]


@_kernel
def _gemm_shifted(A, B, off, C, length):
    """C[:, :length] += A @ S, where row k of S is B[off[k] : off[k] + length].

    A's column count (the taps) must be a multiple of TAPS; pad with zero weights.
    """
    rows, taps = A.shape
    rows8 = rows - rows % 8
    rows4 = rows - rows % 4
    chunk = _chunk_length(length)
    for l0 in range(0, length, chunk):
        n = min(chunk, length - l0)
        for m0 in range(0, rows8, 8):
            for k0 in range(0, taps, TAPS):
                _madd_8x4(A, B, off, C, m0, k0, l0, n)
        for m0 in range(rows8, rows4, 4):
            for k0 in range(0, taps, TAPS):
                _madd_4x4(A, B, off, C, m0, k0, l0, n)
        for m in range(rows4, rows):
            for k0 in range(0, taps, TAPS):
                _madd_1x4(A, B, off, C, m, k0, l0, n)


# C[m, k] += sum_l A[m, l0 + l] * B[off[k] + l0 + l]: the weight gradient's dot products.

@_kernel
def _dot_4x4(A, B, off, C, m0, k0, l0, n):
    """16 dot products at once: each loaded vector feeds 4 FMAs, sums stay in registers."""
    a0, a1 = A[m0, l0:l0 + n], A[m0 + 1, l0:l0 + n]
    a2, a3 = A[m0 + 2, l0:l0 + n], A[m0 + 3, l0:l0 + n]
    b0 = B[off[k0] + l0:off[k0] + l0 + n]
    b1 = B[off[k0 + 1] + l0:off[k0 + 1] + l0 + n]
    b2 = B[off[k0 + 2] + l0:off[k0 + 2] + l0 + n]
    b3 = B[off[k0 + 3] + l0:off[k0 + 3] + l0 + n]
    zero = C.dtype.type(0)
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
    for l in range(n):
        x0, x1, x2, x3 = b0[l], b1[l], b2[l], b3[l]
        y0, y1, y2, y3 = a0[l], a1[l], a2[l], a3[l]
        s00 += y0 * x0
        s01 += y0 * x1
        s02 += y0 * x2
        s03 += y0 * x3
        s10 += y1 * x0
        s11 += y1 * x1
        s12 += y1 * x2
        s13 += y1 * x3
        s20 += y2 * x0
        s21 += y2 * x1
        s22 += y2 * x2
        s23 += y2 * x3
        s30 += y3 * x0
        s31 += y3 * x1
        s32 += y3 * x2
        s33 += y3 * x3
    C[m0, k0] += s00
    C[m0, k0 + 1] += s01
    C[m0, k0 + 2] += s02
    C[m0, k0 + 3] += s03
    C[m0 + 1, k0] += s10
    C[m0 + 1, k0 + 1] += s11
    C[m0 + 1, k0 + 2] += s12
    C[m0 + 1, k0 + 3] += s13
    C[m0 + 2, k0] += s20
    C[m0 + 2, k0 + 1] += s21
    C[m0 + 2, k0 + 2] += s22
    C[m0 + 2, k0 + 3] += s23
    C[m0 + 3, k0] += s30
    C[m0 + 3, k0 + 1] += s31
    C[m0 + 3, k0 + 2] += s32
    C[m0 + 3, k0 + 3] += s33


@_kernel
def _dot_1x4(A, B, off, C, m, k0, l0, n):
    """The 4x4 dot products for a single leftover row."""
    a = A[m, l0:l0 + n]
    b0 = B[off[k0] + l0:off[k0] + l0 + n]
    b1 = B[off[k0 + 1] + l0:off[k0 + 1] + l0 + n]
    b2 = B[off[k0 + 2] + l0:off[k0 + 2] + l0 + n]
    b3 = B[off[k0 + 3] + l0:off[k0 + 3] + l0 + n]
    zero = C.dtype.type(0)
    s0 = s1 = s2 = s3 = zero
    for l in range(n):
        y = a[l]
        s0 += y * b0[l]
        s1 += y * b1[l]
        s2 += y * b2[l]
        s3 += y * b3[l]
    C[m, k0] += s0
    C[m, k0 + 1] += s1
    C[m, k0 + 2] += s2
    C[m, k0 + 3] += s3


@_kernel
def _gemm_shifted_nt(A, B, off, C, length):
    """C += A[:, :length] @ S.T, where row k of S is B[off[k] : off[k] + length].

    C's column count (the taps) must be a multiple of TAPS.
    """
    rows, taps = C.shape
    rows4 = rows - rows % 4
    chunk = _chunk_length(length)
    for l0 in range(0, length, chunk):
        n = min(chunk, length - l0)
        for m0 in range(0, rows4, 4):
            for k0 in range(0, taps, TAPS):
                _dot_4x4(A, B, off, C, m0, k0, l0, n)
        for m in range(rows4, rows):
            for k0 in range(0, taps, TAPS):
                _dot_1x4(A, B, off, C, m, k0, l0, n)


# ----------------------------------------------------------------------------------------------
# Buffers, the layout of a group of images in the GEMM's input, copying images in and out
# ----------------------------------------------------------------------------------------------

@_kernel
def _copy_into(target, source):
    """target[:] = source for 1-D views (an explicit loop compiles far faster in numba)."""
    for i in range(target.shape[0]):
        target[i] = source[i]


@_kernel
def _copy_and_sum(target, source):
    """_copy_into that also returns the sum of the values copied (the bias gradient)."""
    total = source.dtype.type(0)
    for i in range(target.shape[0]):
        target[i] = source[i]
        total += source[i]
    return total


@_kernel
def _add_into(target, source):
    for i in range(target.shape[0]):
        target[i] += source[i]


@_kernel
def _round_up(value, multiple):
    return (value + multiple - 1) // multiple * multiple


@_kernel
def _aligned_zeros(size, like):
    """Zeros of like's dtype starting on a 64-byte cache line (vector loads never straddle
    one more often than the data forces)."""
    lanes = 64 // like.itemsize
    raw = np.zeros(size + lanes, like.dtype)
    start = (-raw.ctypes.data) % 64 // like.itemsize
    return raw[start:start + size]


@_kernel
def _aligned_matrix(rows, length, like):
    """A zeroed (rows, stride) matrix, stride >= length an odd number of 64-byte lines, so
    the 8 rows a micro-kernel stores never sit a multiple of 4 KiB apart (that stalls loads)."""
    lanes = 64 // like.itemsize
    stride = ((length + lanes - 1) // lanes | 1) * lanes
    return _aligned_zeros(rows * stride, like).reshape(rows, stride)


GROUP_LENGTH = 480   # stride 1: small images are stacked into GEMMs of about this many columns


@_kernel
def _layout(c, h, w, kh, kw, sh, sw, ph, pw):
    """Where a group of images sits in the GEMM's input buffer.

    Returns (off, row, pitch, channel, group, length, size). Tap k's slice starts at off[k];
    output pixel (oh, ow) of the group's g-th image is GEMM column g*pitch + oh*row + ow;
    `length` is the number of GEMM columns and `size` the buffer's. The tap list is padded
    to a multiple of TAPS with taps that read an all-zero stretch at the end of the buffer.

    Stride 1: an image row takes row = W + pw values, so the pw zeros between two rows are
    the right padding of one and the left padding of the next; likewise ph zero rows
    separate stacked images (pitch = (H + ph) * row); each channel holds `group` images.
    Larger strides: one image per group, as an explicit im2col with tap k at k*length.
    """
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    taps = c * kh * kw
    off = np.empty(_round_up(taps, TAPS), np.int64)
    if sh == 1 and sw == 1:
        row = max(w + pw, wo)
        pitch = max(h + ph, ho) * row
        group = max(1, GROUP_LENGTH // pitch)
        channel = group * pitch + ph * row + pw
        length = _round_up((group - 1) * pitch + ho * row, VECTOR)
        for ci in range(c):
            for i in range(kh):
                for j in range(kw):
                    off[(ci * kh + i) * kw + j] = ci * channel + i * row + j
        zeros = off[taps - 1] + length          # the zero stretch read by the padding taps
        off[taps:] = zeros
        return off, row, pitch, channel, group, length, zeros + length
    length = _round_up(ho * wo, VECTOR)
    for k in range(off.shape[0]):
        off[k] = k * length
    return off, wo, 0, 0, 1, length, off.shape[0] * length


@_kernel
def _gather_images(x, first, count, buf, kh, kw, sh, sw, ph, pw, row, pitch, channel, length):
    """Copy images first..first+count-1 of x into buf in _layout's layout (padding stays 0)."""
    _, c, h, w = x.shape
    if sh == 1 and sw == 1:
        for g in range(count):
            for ci in range(c):
                for hi in range(h):
                    start = ci * channel + g * pitch + (hi + ph) * row + pw
                    _copy_into(buf[start:start + w], x[first + g, ci, hi])
        return
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    for ci in range(c):
        for i in range(kh):
            for j in range(kw):
                tap = buf[((ci * kh + i) * kw + j) * length:]
                for oh in range(ho):
                    hi = oh * sh + i - ph
                    for ow in range(wo):
                        wi = ow * sw + j - pw
                        inside = 0 <= hi < h and 0 <= wi < w
                        tap[oh * wo + ow] = x[first, ci, hi, wi] if inside else 0.0


@_kernel
def _scatter_images(cols, off, dx, first, count, kh, kw, sh, sw, ph, pw,
                    row, pitch, channel, length, work):
    """The adjoint of _gather_images: each tap's row of cols added back where it was read."""
    _, c, h, w = dx.shape
    taps = c * kh * kw
    if sh == 1 and sw == 1:
        work[:] = 0.0
        for k in range(taps):
            _add_into(work[off[k]:off[k] + length], cols[k, :length])
        for g in range(count):
            for ci in range(c):
                for hi in range(h):
                    start = ci * channel + g * pitch + (hi + ph) * row + pw
                    _copy_into(dx[first + g, ci, hi], work[start:start + w])
        return
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    dx[first] = 0.0
    for ci in range(c):
        for i in range(kh):
            for j in range(kw):
                tap = cols[(ci * kh + i) * kw + j]
                for oh in range(ho):
                    hi = oh * sh + i - ph
                    if 0 <= hi < h:
                        for ow in range(wo):
                            wi = ow * sw + j - pw
                            if 0 <= wi < w:
                                dx[first, ci, hi, wi] += tap[oh * wo + ow]


# ----------------------------------------------------------------------------------------------
# 2-D convolution: serial kernels over a slice [start, stop) of the batch
# ----------------------------------------------------------------------------------------------

@_kernel
def _conv2d_forward_images(share, start, stop, x, w, b, y, sh, sw, ph, pw):
    _, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    _, _, ho, wo = y.shape
    off, row, pitch, channel, group, length, size = _layout(c, h, wd, kh, kw, sh, sw, ph, pw)
    weights = _aligned_matrix(f, off.shape[0], x)[:, :off.shape[0]]    # zero padding taps
    weights[:, :c * kh * kw] = w.reshape(f, c * kh * kw)
    image = _aligned_zeros(size, x)
    acc = _aligned_matrix(f, length, x)
    for first in range(start, stop, group):
        count = min(group, stop - first)
        _gather_images(x, first, count, image, kh, kw, sh, sw, ph, pw, row, pitch, channel,
                       length)
        for fi in range(f):
            acc[fi] = b[fi]                    # the bias is where the sums start
        _gemm_shifted(weights, image, off, acc, length)
        for g in range(count):
            for fi in range(f):
                for oh in range(ho):
                    column = g * pitch + oh * row
                    _copy_into(y[first + g, fi, oh], acc[fi, column:column + wo])


@_kernel
def _conv2d_backward_images(share, start, stop, dy, x, w, dx, dw_parts, db_parts,
                            sh, sw, ph, pw):
    _, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    _, _, ho, wo = dy.shape
    off, row, pitch, channel, group, length, size = _layout(c, h, wd, kh, kw, sh, sw, ph, pw)
    taps = off.shape[0]
    filters = _round_up(f, TAPS)            # filters are the taps of the input-gradient GEMM
    weights_t = _aligned_matrix(taps, filters, x)[:, :filters]       # zero padding both ways
    weights_t[:c * kh * kw, :f] = w.reshape(f, c * kh * kw).T
    dw = dw_parts[share]
    db = db_parts[share]
    image = _aligned_zeros(size, x)
    grad = _aligned_matrix(filters, length, x)   # dy in the GEMM's column layout, zeros between
    flat_grad = grad.reshape(-1)
    grad_off = np.arange(filters) * grad.shape[1]      # row fi of grad as a slice of flat_grad
    dcols = _aligned_matrix(taps, length, x)
    work = _aligned_zeros(size, x)
    for first in range(start, stop, group):
        count = min(group, stop - first)
        if count < group:                   # a last, partial group: no stale images in grad
            grad[:, count * pitch:] = 0.0
        for g in range(count):
            for fi in range(f):
                for oh in range(ho):
                    column = g * pitch + oh * row
                    db[fi] += _copy_and_sum(grad[fi, column:column + wo], dy[first + g, fi, oh])
        _gather_images(x, first, count, image, kh, kw, sh, sw, ph, pw, row, pitch, channel,
                       length)
        _gemm_shifted_nt(grad, image, off, dw, length)
        dcols[:] = 0.0
        _gemm_shifted(weights_t, flat_grad, grad_off, dcols, length)
        _scatter_images(dcols, off, dx, first, count, kh, kw, sh, sw, ph, pw,
                        row, pitch, channel, length, work)


def _float_dtype(*arrays):
    dtype = np.result_type(*arrays)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _contiguous(dtype, *arrays):
    return [np.ascontiguousarray(a, dtype=dtype) for a in arrays]


def conv2d_forward(x, w, b, stride=1, padding=0):
    """2-D convolution of x (N, C, H, W) with w (F, C, kh, kw) plus b (F,): (N, F, Ho, Wo)."""
    g = check_conv2d_arrays(x, w, b, None, stride, padding)
    x, w, b = _contiguous(_float_dtype(x, w, b), x, w, b)
    y = np.empty((g.n, g.f, g.ho, g.wo), x.dtype)
    work = g.n * g.f * g.c * g.kh * g.kw * g.ho * g.wo
    _run_split(_conv2d_forward_images, g.n, _shares(g.n, work),
               x, w, b, y, g.sh, g.sw, g.ph, g.pw)
    return y


def conv2d_backward(dy, x, w, stride=1, padding=0):
    """Gradients (dx, dw, db) of conv2d_forward given dy of shape (N, F, Ho, Wo)."""
    g = check_conv2d_arrays(x, w, None, dy, stride, padding)
    dy, x, w = _contiguous(_float_dtype(dy, x, w), dy, x, w)
    taps = g.c * g.kh * g.kw
    shares = _shares(g.n, 2 * g.n * g.f * taps * g.ho * g.wo)
    dx = np.empty_like(x)
    dw_parts = np.zeros((shares, g.f, -(-taps // TAPS) * TAPS), x.dtype)
    db_parts = np.zeros((shares, g.f), x.dtype)
    _run_split(_conv2d_backward_images, g.n, shares,
               dy, x, w, dx, dw_parts, db_parts, g.sh, g.sw, g.ph, g.pw)
    dw = dw_parts.sum(axis=0)[:, :taps].reshape(w.shape)
    return dx, dw, db_parts.sum(axis=0)


# ----------------------------------------------------------------------------------------------
# 1-D convolution: a 2-D convolution of height 1
# ----------------------------------------------------------------------------------------------

def conv1d_forward(x, w, b, stride=1, padding=0):
    """1-D convolution of x (N, C, W) with w (F, C, k) plus b (F,): (N, F, Wo)."""
    g = check_conv1d_arrays(x, w, b, None, stride, padding)
    y = conv2d_forward(np.asarray(x)[:, :, None, :], np.asarray(w)[:, :, None, :], b,
                       (1, g.stride), (0, g.pad))
    return y[:, :, 0, :]


def conv1d_backward(dy, x, w, stride=1, padding=0):
    """Gradients (dx, dw, db) of conv1d_forward given dy of shape (N, F, Wo)."""
    g = check_conv1d_arrays(x, w, None, dy, stride, padding)
    dx, dw, db = conv2d_backward(np.asarray(dy)[:, :, None, :], np.asarray(x)[:, :, None, :],
                                 np.asarray(w)[:, :, None, :], (1, g.stride), (0, g.pad))
    return dx[:, :, 0, :], dw[:, :, 0, :], db


# ----------------------------------------------------------------------------------------------
# im2col / col2im (same layout as convolution.im2col: rows (n, oh, ow), columns (c, i, j))
# ----------------------------------------------------------------------------------------------

@_kernel
def _im2col_images(share, start, stop, x, cols, kh, kw, sh, sw, ph, pw):
    _, c, h, w = x.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    for n in range(start, stop):
        for oh in range(ho):
            for ow in range(wo):
                patch = cols[(n * ho + oh) * wo + ow]
                for ci in range(c):
                    for i in range(kh):
                        hi = oh * sh + i - ph
                        for j in range(kw):
                            wi = ow * sw + j - pw
                            inside = 0 <= hi < h and 0 <= wi < w
                            patch[(ci * kh + i) * kw + j] = x[n, ci, hi, wi] if inside else 0.0


@_kernel
def _col2im_images(share, start, stop, cols, x, kh, kw, sh, sw, ph, pw):
    _, c, h, w = x.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    for n in range(start, stop):
        x[n] = 0.0
        for oh in range(ho):
            for ow in range(wo):
                patch = cols[(n * ho + oh) * wo + ow]
                for ci in range(c):
                    for i in range(kh):
                        hi = oh * sh + i - ph
                        for j in range(kw):
                            wi = ow * sw + j - pw
                            if 0 <= hi < h and 0 <= wi < w:
                                x[n, ci, hi, wi] += patch[(ci * kh + i) * kw + j]


def im2col(x, kh, kw, stride=1, padding=0):
    """Patches of x (N, C, H, W) as rows: shape (N*Ho*Wo, C*kh*kw), like convolution.im2col."""
    g = patch_geometry(np.shape(x), kh, kw, stride, padding)
    (x,) = _contiguous(_float_dtype(x), x)
    cols = np.empty((g.n * g.ho * g.wo, g.c * g.kh * g.kw), x.dtype)
    _run_split(_im2col_images, g.n, _shares(g.n, cols.size), x, cols,
               g.kh, g.kw, g.sh, g.sw, g.ph, g.pw)
    return cols


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    """The adjoint of im2col: every patch row added back where it came from."""
    g = patch_geometry(x_shape, kh, kw, stride, padding)
    expected = (g.n * g.ho * g.wo, g.c * g.kh * g.kw)
    if np.shape(cols) != expected:
        raise ValueError(f"col2im: cols must have shape {expected} for x of shape "
                         f"{tuple(x_shape)}, got {np.shape(cols)}")
    (cols,) = _contiguous(_float_dtype(cols), cols)
    x = np.empty((g.n, g.c, g.h, g.w), cols.dtype)
    _run_split(_col2im_images, g.n, _shares(g.n, cols.size), cols, x,
               g.kh, g.kw, g.sh, g.sw, g.ph, g.pw)
    return x


# ----------------------------------------------------------------------------------------------
# Max pooling: each window scanned in row-major order, keeping the first strict maximum
# ----------------------------------------------------------------------------------------------

@_kernel
def _maxpool_forward_images(share, start, stop, x, y, kh, kw, sh, sw):
    _, c, ho, wo = y.shape
    for n in range(start, stop):
        for ci in range(c):
            for oh in range(ho):
                for ow in range(wo):
                    best = x[n, ci, oh * sh, ow * sw]
                    for i in range(kh):
                        for j in range(kw):
                            value = x[n, ci, oh * sh + i, ow * sw + j]
                            if value > best:
                                best = value
                    y[n, ci, oh, ow] = best


@_kernel
def _maxpool_backward_images(share, start, stop, dy, x, dx, kh, kw, sh, sw):
    _, c, ho, wo = dy.shape
    for n in range(start, stop):
        dx[n] = 0.0
        for ci in range(c):
            for oh in range(ho):
                for ow in range(wo):
                    best_i, best_j = oh * sh, ow * sw
                    best = x[n, ci, best_i, best_j]
                    for i in range(kh):
                        for j in range(kw):
                            value = x[n, ci, oh * sh + i, ow * sw + j]
                            if value > best:          # strict: ties keep the first maximum
                                best, best_i, best_j = value, oh * sh + i, ow * sw + j
                    dx[n, ci, best_i, best_j] += dy[n, ci, oh, ow]


def maxpool2d_forward(x, kernel_size, stride=None):
    """Maximum of each kh x kw window of x (N, C, H, W); stride defaults to the kernel."""
    g = pool2d_geometry(np.shape(x), kernel_size, stride)
    (x,) = _contiguous(_float_dtype(x), x)
    y = np.empty((g.n, g.c, g.ho, g.wo), x.dtype)
    _run_split(_maxpool_forward_images, g.n, _shares(g.n, x.size), x, y,
               g.kh, g.kw, g.sh, g.sw)
    return y


def maxpool2d_backward(dy, x, kernel_size, stride=None):
    """Gradient of maxpool2d_forward: each window's dy goes to its first maximum (row-major)."""
    g = pool2d_geometry(np.shape(x), kernel_size, stride)
    if np.shape(dy) != (g.n, g.c, g.ho, g.wo):
        raise ValueError(f"maxpool2d: dy must have the output's shape "
                         f"{(g.n, g.c, g.ho, g.wo)}, got {np.shape(dy)}")
    dy, x = _contiguous(_float_dtype(dy, x), dy, x)
    dx = np.empty_like(x)
    _run_split(_maxpool_backward_images, g.n, _shares(g.n, x.size), dy, x, dx,
               g.kh, g.kw, g.sh, g.sw)
    return dx
