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
over those shifted slices ("implicit im2col": no patch matrix is built). Its micro-kernel
keeps 8 rows x 32 columns of sums (16 AVX-512 registers) in registers over the whole
reduction, each step one loaded slice feeding 8 FMAs with broadcast weights: about 98% of a
core's FMA peak. numba has no SIMD type, so those registers are LLVM vector values made by
a few intrinsics below (plain numba loops keep such sums in memory). Outputs that land in
padding are computed and dropped (about 13% extra work at 14x14), the bias is where the
sums start, and a ReLU, when asked for, is applied as they are copied out (its gradient gates
dy as the backward pass copies it in). The weight gradient is the same product with the
pixels as the reduction, taken against a pixel-major copy of dy (transposed in 16x16 blocks
in registers). The input
gradient, at stride 1 with 8 channels or more, is the convolution of dy with the flipped
kernels in the same layout; otherwise it is the product with the transposed weights, whose
shifted slices are then added back. Strides above 1 use an explicit per-image im2col buffer
with the same micro-kernel. Short image rows are moved with masked vector loads and stores.
No BLAS call is made. The kernels are tuned for AVX-512; elsewhere they work, more slowly.

Threading policy. The kernels are serial, compiled with ``nogil=True``, and each call splits
its batch of images over a small private pool of Python threads (the calling thread is one
of them): each thread's kernel takes groups of images from a shared counter (one atomic add
each) until none are left, so a thread slowed by another process simply takes fewer, and
sets up its buffers once. Pool threads sleep on a queue between calls, so nothing
busy-waits and numpy's OpenBLAS matmuls and these kernels can alternate (``bench/conv.py``
measures the cost, 1.03-1.10x here: OpenBLAS's own threads spin for a while after a matmul
and delay our pool thread); the price is waking a thread, some 10-30 us per call. We do not
use numba's ``parallel=True``: its default OpenMP layer spins after every parallel
region, fighting OpenBLAS's threads for the cores (measured 2-5x slowdowns when
alternating), its ``workqueue`` layer is not thread-safe, and choosing a layer is
process-wide. The pool has ``numba.config.NUMBA_NUM_THREADS`` threads (the
``NUMBA_NUM_THREADS`` environment variable, default: the usable cores); set it to 1 where a
grader already runs one process per core. Small calls run on the calling thread alone. The
pool is re-created after ``fork``.

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
from llvmlite import ir as llvm_ir
from numba.core import cgutils, types
from numba.extending import intrinsic, models, register_model

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
    "relu_forward", "relu_backward",
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
MIN_WORK_PER_THREAD = 2_000_000      # multiply-adds; below this, handing work over costs more
MIN_VALUES_PER_THREAD = 1_000_000    # the same for kernels that only move values (pooling, ReLU):
# between a network's layers the pool's thread has gone idle, and waking it costs about what
# it saves up to about 2M values (measured after a numpy op: 0.8M values 0.1 ms faster on one
# thread, 3.2M values 0.1-0.2 ms faster on two)


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


def _shares(items: int, work: float, per_thread: float = MIN_WORK_PER_THREAD) -> int:
    return max(1, min(_thread_count(), items, int(work // per_thread)))


@intrinsic
def _take(typingctx, tasks, count):
    """tasks[0] += count in one atomic step; returns the value before: the first of the
    `count` items this thread now owns (see _run_split)."""
    if tasks.ndim != 1 or tasks.dtype != types.int64:
        return None

    def codegen(context, builder, signature, args):
        counter = context.make_array(tasks)(context, builder, args[0]).data
        return builder.atomic_rmw("add", counter, args[1], "monotonic")
    return types.int64(tasks, types.int64), codegen


def _run_split(kernel, items: int, shares: int, *args) -> None:
    """Run kernel(share, tasks, items, *args) on ``shares`` threads at once.

    Each kernel call takes chunks of range(items) from the shared counter ``tasks`` (see
    _take) until none are left: a thread slowed by another process on its core simply takes
    fewer chunks, and each thread sets up its buffers once per call. ``share`` names the
    thread (0: the calling one). No kernel keeps per-thread sums: which thread takes which
    chunk varies from call to call, so sums that must come out the same bits are kept per
    chunk (see _conv2d_backward_images).
    """
    tasks = np.zeros(1, np.int64)
    if shares == 1:
        kernel(0, tasks, items, *args)
        return
    pool = _get_pool()
    futures = [pool.submit(kernel, share, tasks, items, *args) for share in range(1, shares)]
    kernel(0, tasks, items, *args)
    for future in futures:
        future.result()


# ----------------------------------------------------------------------------------------------
# Vectors: numba has no SIMD type, and LLVM keeps a loop's running sums in registers only when
# they are plain values (it cannot prove that arrays do not overlap, so sums kept in an array
# are loaded and stored on every step). These intrinsics give the micro-kernels LLVM vector
# values, which become AVX-512 (or AVX2) registers.
# ----------------------------------------------------------------------------------------------

VECTOR_BYTES = 64    # one AVX-512 register: 16 float32 or 8 float64
BLOCK_BYTES = 128    # GEMM columns per micro-kernel, normally (two registers)


class _Vector(types.Type):
    """``lanes`` values of a float ``dtype``: one LLVM vector, held in one or more registers."""

    def __init__(self, dtype, lanes):
        self.dtype, self.lanes = dtype, lanes
        super().__init__(name=f"Vector({dtype} x {lanes})")


@register_model(_Vector)
class _VectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        element = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, llvm_ir.VectorType(element, fe_type.lanes))


def _llvm_broadcast(builder, value, vector_type):
    lanes = vector_type.count
    undefined = llvm_ir.Constant(vector_type, llvm_ir.Undefined)
    first = builder.insert_element(undefined, value, llvm_ir.Constant(llvm_ir.IntType(32), 0))
    return builder.shuffle_vector(first, undefined, llvm_ir.Constant(
        llvm_ir.VectorType(llvm_ir.IntType(32), lanes), [0] * lanes))


def _llvm_lanes(context, builder, array_type, array, start, vector_type):
    """Pointer to array[start] as a vector pointer (the array must have unit stride)."""
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(builder.gep(data, [start]), vector_type.as_pointer())


@intrinsic
def _splat(typingctx, value, nbytes):
    """A vector of ``nbytes`` (a constant) bytes, every lane holding the float ``value``."""
    if not isinstance(value, types.Float) or not isinstance(nbytes, types.IntegerLiteral):
        return None                     # numba retries with the constant's literal type
    vector = _Vector(value, nbytes.literal_value // (value.bitwidth // 8))

    def codegen(context, builder, signature, args):
        return _llvm_broadcast(builder, args[0], context.get_value_type(vector))
    return vector(value, nbytes), codegen


@intrinsic
def _lanes(typingctx, vector):
    """The vector's lane count, a compile-time constant (an array's itemsize is not one)."""
    if not isinstance(vector, _Vector):
        return None

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, vector.lanes)
    return types.intp(vector), codegen


@intrinsic
def _load(typingctx, array, start, like):
    """array[start : start + lanes] as a vector of like's type; array must have unit stride."""
    if not isinstance(like, _Vector) or array.ndim != 1 or array.dtype != like.dtype:
        return None

    def codegen(context, builder, signature, args):
        pointer = _llvm_lanes(context, builder, array, args[0], args[1],
                              context.get_value_type(like))
        return builder.load(pointer, align=array.dtype.bitwidth // 8)
    return like(array, types.intp, like), codegen


@intrinsic
def _store(typingctx, array, start, vector):
    """array[start : start + lanes] = vector; array must have unit stride."""
    if not isinstance(vector, _Vector) or array.ndim != 1 or array.dtype != vector.dtype:
        return None

    def codegen(context, builder, signature, args):
        pointer = _llvm_lanes(context, builder, array, args[0], args[1], args[2].type)
        builder.store(args[2], pointer, align=array.dtype.bitwidth // 8)
    return types.void(array, types.intp, vector), codegen


def _llvm_first_lanes(builder, count, lanes):
    """The mask selecting lanes 0..count-1."""
    index_type = llvm_ir.IntType(32)
    indices = llvm_ir.Constant(llvm_ir.VectorType(index_type, lanes), list(range(lanes)))
    counts = _llvm_broadcast(builder, builder.trunc(count, index_type),
                             llvm_ir.VectorType(index_type, lanes))
    return builder.icmp_signed("<", indices, counts)


@intrinsic
def _load_first(typingctx, array, start, count, like):
    """_load of only the first `count` lanes (the others are zero): no read beyond them."""
    if not isinstance(like, _Vector) or array.ndim != 1 or array.dtype != like.dtype:
        return None

    def codegen(context, builder, signature, args):
        vector_type = context.get_value_type(like)
        pointer = _llvm_lanes(context, builder, array, args[0], args[1], vector_type)
        mask = _llvm_first_lanes(builder, args[2], like.lanes)
        load = cgutils.get_or_insert_function(builder.module, llvm_ir.FunctionType(
            vector_type, [pointer.type, llvm_ir.IntType(32), mask.type, vector_type]),
            f"llvm.masked.load.v{like.lanes}f{like.dtype.bitwidth}.p0")
        return builder.call(load, [pointer, llvm_ir.Constant(llvm_ir.IntType(32), 1), mask,
                                   llvm_ir.Constant(vector_type, None)])
    return like(array, types.intp, types.intp, like), codegen


@intrinsic
def _store_first(typingctx, array, start, count, vector):
    """_store of only the first `count` lanes: no write beyond them."""
    if not isinstance(vector, _Vector) or array.ndim != 1 or array.dtype != vector.dtype:
        return None

    def codegen(context, builder, signature, args):
        pointer = _llvm_lanes(context, builder, array, args[0], args[1], args[3].type)
        mask = _llvm_first_lanes(builder, args[2], vector.lanes)
        store = cgutils.get_or_insert_function(builder.module, llvm_ir.FunctionType(
            llvm_ir.VoidType(), [args[3].type, pointer.type, llvm_ir.IntType(32), mask.type]),
            f"llvm.masked.store.v{vector.lanes}f{vector.dtype.bitwidth}.p0")
        builder.call(store, [args[3], pointer, llvm_ir.Constant(llvm_ir.IntType(32), 1), mask])
    return types.void(array, types.intp, types.intp, vector), codegen


@intrinsic
def _transpose_square(typingctx, source, source_start, source_stride,
                      target, target_start, target_stride):
    """target[target_start + i*target_stride + j] = source[source_start + j*source_stride + i]
    for i, j < lanes (one 64-byte vector): the block is loaded as rows, transposed in
    registers by log2(lanes) rounds of interleaving shuffles, and stored as rows. Both arrays
    must have unit stride."""
    if source.ndim != 1 or target.ndim != 1 or source.dtype != target.dtype:
        return None
    lanes = VECTOR_BYTES // (source.dtype.bitwidth // 8)
    half = lanes // 2
    low = [i // 2 + (i % 2) * lanes for i in range(lanes)]        # a0 b0 a1 b1 ...
    high = [half + i for i in low]                                  # a8 b8 a9 b9 ...

    def codegen(context, builder, signature, args):
        src, src_start, src_stride, dst, dst_start, dst_stride = args
        vector_type = llvm_ir.VectorType(context.get_value_type(source.dtype), lanes)

        def row(array_type, array, start, stride, r):
            at = builder.add(start, builder.mul(stride, context.get_constant(types.intp, r)))
            return _llvm_lanes(context, builder, array_type, array, at, vector_type)

        rows = [builder.load(row(source, src, src_start, src_stride, r), align=1)
                for r in range(lanes)]
        masks = [llvm_ir.Constant(llvm_ir.VectorType(llvm_ir.IntType(32), lanes), order)
                 for order in (low, high)]
        for _ in range(lanes.bit_length() - 1):
            rows = [builder.shuffle_vector(rows[i // 2], rows[i // 2 + half], masks[i % 2])
                    for i in range(lanes)]
        for r in range(lanes):
            builder.store(rows[r], row(target, dst, dst_start, dst_stride, r), align=1)
    return types.void(source, types.intp, types.intp, target, types.intp, types.intp), codegen


@intrinsic
def _fma(typingctx, a, x, total):
    """total + a * x in one fused multiply-add per lane, the float a broadcast to all lanes."""
    if not isinstance(total, _Vector) or x != total or a != total.dtype:
        return None

    def codegen(context, builder, signature, args):
        vector_type = args[2].type
        fma = cgutils.get_or_insert_function(
            builder.module, llvm_ir.FunctionType(vector_type, [vector_type] * 3),
            f"llvm.fma.v{total.lanes}f{total.dtype.bitwidth}")
        a_lanes = _llvm_broadcast(builder, args[0], vector_type)
        return builder.call(fma, [a_lanes, args[1], args[2]])
    return total(a, x, total), codegen


@intrinsic
def _add(typingctx, x, y):
    """x + y, lane by lane."""
    if not isinstance(x, _Vector) or x != y:
        return None

    def codegen(context, builder, signature, args):
        return builder.fadd(args[0], args[1])
    return x(x, y), codegen


@intrinsic
def _where_greater(typingctx, x, y, a, b):
    """a where x > y, else b, lane by lane (false for NaN, as Python's >)."""
    if not isinstance(x, _Vector) or not (x == y == a == b):
        return None

    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered(">", args[0], args[1]), args[2], args[3])
    return x(x, y, a, b), codegen


@intrinsic
def _deal(typingctx, first, second, parity):
    """The even (parity 0) or odd (parity 1) lanes of first and second laid end to end."""
    if not isinstance(first, _Vector) or first != second \
            or not isinstance(parity, types.IntegerLiteral):
        return None
    order = [parity.literal_value + 2 * i for i in range(first.lanes)]

    def codegen(context, builder, signature, args):
        return builder.shuffle_vector(args[0], args[1], llvm_ir.Constant(
            llvm_ir.VectorType(llvm_ir.IntType(32), first.lanes), order))
    return first(first, second, parity), codegen


@intrinsic
def _weave(typingctx, even, odd, half):
    """even[0], odd[0], even[1], odd[1], ...: the first (half 0) or second (half 1) half of
    the lanes of even and odd interleaved; _deal's inverse."""
    if not isinstance(even, _Vector) or even != odd or not isinstance(half, types.IntegerLiteral):
        return None
    lanes = even.lanes
    order = [half.literal_value * lanes // 2 + i // 2 + (i % 2) * lanes for i in range(lanes)]

    def codegen(context, builder, signature, args):
        return builder.shuffle_vector(args[0], args[1], llvm_ir.Constant(
            llvm_ir.VectorType(llvm_ir.IntType(32), lanes), order))
    return even(even, odd, half), codegen


# ----------------------------------------------------------------------------------------------
# The shifted GEMM: C[m, l] += sum_k A[a_off[m] + k] * B[b_off[k] + l], for l < length
# ----------------------------------------------------------------------------------------------

@_kernel
def _rows8(A, a_off, B, b_off, C, m0, l0, zero):
    """One block of columns (zero's width) of 8 rows. The 8 running sums stay in registers
    over the whole reduction; each step loads one slice of B and feeds it to 8 FMAs, each
    with one value of A broadcast to all lanes."""
    c0, c1 = _load(C[m0], l0, zero), _load(C[m0 + 1], l0, zero)
    c2, c3 = _load(C[m0 + 2], l0, zero), _load(C[m0 + 3], l0, zero)
    c4, c5 = _load(C[m0 + 4], l0, zero), _load(C[m0 + 5], l0, zero)
    c6, c7 = _load(C[m0 + 6], l0, zero), _load(C[m0 + 7], l0, zero)
    a0, a1 = A[a_off[m0]:], A[a_off[m0 + 1]:]
    a2, a3 = A[a_off[m0 + 2]:], A[a_off[m0 + 3]:]
    a4, a5 = A[a_off[m0 + 4]:], A[a_off[m0 + 5]:]
    a6, a7 = A[a_off[m0 + 6]:], A[a_off[m0 + 7]:]
    for k in range(b_off.shape[0]):
        x = _load(B, b_off[k] + l0, zero)
        c0, c1 = _fma(a0[k], x, c0), _fma(a1[k], x, c1)
        c2, c3 = _fma(a2[k], x, c2), _fma(a3[k], x, c3)
        c4, c5 = _fma(a4[k], x, c4), _fma(a5[k], x, c5)
        c6, c7 = _fma(a6[k], x, c6), _fma(a7[k], x, c7)
    _store(C[m0], l0, c0)
    _store(C[m0 + 1], l0, c1)
    _store(C[m0 + 2], l0, c2)
    _store(C[m0 + 3], l0, c3)
    _store(C[m0 + 4], l0, c4)
    _store(C[m0 + 5], l0, c5)
    _store(C[m0 + 6], l0, c6)
    _store(C[m0 + 7], l0, c7)


@_kernel
def _rows1(A, a_off, B, b_off, C, m, l0, zero):
    """_rows8 for one leftover row; four separate sums keep enough FMAs in flight."""
    s0, s1, s2, s3 = _load(C[m], l0, zero), zero, zero, zero
    a = A[a_off[m]:]
    steps = b_off.shape[0]
    for k in range(0, steps - 3, 4):
        s0 = _fma(a[k], _load(B, b_off[k] + l0, zero), s0)
        s1 = _fma(a[k + 1], _load(B, b_off[k + 1] + l0, zero), s1)
        s2 = _fma(a[k + 2], _load(B, b_off[k + 2] + l0, zero), s2)
        s3 = _fma(a[k + 3], _load(B, b_off[k + 3] + l0, zero), s3)
    for k in range(steps - steps % 4, steps):
        s0 = _fma(a[k], _load(B, b_off[k] + l0, zero), s0)
    _store(C[m], l0, _add(_add(s0, s1), _add(s2, s3)))


@_kernel
def _gemm_shifted(A, a_off, B, b_off, C, length, block):
    """C[:, :length] += R @ S, where row m of R is A[a_off[m] : a_off[m] + K] and row k of S
    is B[b_off[k] : b_off[k] + length], K = len(b_off).

    block is a zero vector whose width is the columns each micro-kernel computes (normally
    BLOCK_BYTES); length must be a multiple of it. The rows of C must have unit stride.
    """
    rows = a_off.shape[0]
    for l0 in range(0, length, _lanes(block)):
        for m0 in range(0, rows - 7, 8):
            _rows8(A, a_off, B, b_off, C, m0, l0, block)
        for m in range(rows - rows % 8, rows):
            _rows1(A, a_off, B, b_off, C, m, l0, block)


# ----------------------------------------------------------------------------------------------
# Buffers, the layout of a group of images in the GEMM's input, copying images in and out
# ----------------------------------------------------------------------------------------------

@_kernel
def _copy_rows(target, t0, t_pitch, source, s0, s_pitch, rows, width, relu=False):
    """target[t0 + r*t_pitch + i] = source[s0 + r*s_pitch + i] for r < rows, i < width, on
    unit-stride 1-D arrays; with relu, max(that, 0) (NaN stays NaN). Rows here are short
    (often less than one vector), so each vector's move is masked to the row: no scalar
    remainder loop."""
    zero = _splat(target.dtype.type(0), VECTOR_BYTES)
    lanes = _lanes(zero)
    for r in range(rows):
        t, s = t0 + r * t_pitch, s0 + r * s_pitch
        for i in range(0, width, lanes):
            count = min(lanes, width - i)
            values = _load_first(source, s + i, count, zero)
            if relu:
                values = _where_greater(zero, values, zero, values)
            _store_first(target, t + i, count, values)


@_kernel
def _add_into(target, source):
    for i in range(target.shape[0]):
        target[i] += source[i]


@_kernel
def _gate(values, active, start, count, gated):
    """gated[i] = values[start + i] where active[start + i] > 0, else 0: relu_backward's rule."""
    part, mask = values[start:start + count], active[start:start + count]
    for i in range(count):
        gated[i] = part[i] if mask[i] > 0 else 0.0


@_kernel
def _sum(values, start, count):
    """values[start] + ... + values[start + count - 1]."""
    part = values[start:start + count]      # indices from 0 up: no negative-index checks
    total = values.dtype.type(0)
    for i in range(count):
        total += part[i]
    return total


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


GROUP_LENGTH = 240   # stride 1: small images are stacked into GEMMs of about this many columns
BACKWARD_CHUNKS = 8  # the backward pass's batch is cut into this many fixed chunks (see below)


@_kernel
def _layout(c, h, w, kh, kw, sh, sw, ph, pw, lanes):
    """Where a group of images sits in the GEMM's input buffer.

    Returns (off, row, pitch, channel, group, length, size). Tap k's slice starts at off[k];
    output pixel (oh, ow) of the group's g-th image is GEMM column g*pitch + oh*row + ow;
    `length`, the number of GEMM columns, is a multiple of `lanes`; `size` is the buffer's.

    Stride 1: an image row takes row = W + pw values, so the pw zeros between two rows are
    the right padding of one and the left padding of the next; likewise ph zero rows
    separate stacked images (pitch = (H + ph) * row); each channel holds `group` images.
    Larger strides: one image per group, as an explicit im2col with tap k at k*length.
    """
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    taps = c * kh * kw
    off = np.empty(taps, np.int64)
    if sh == 1 and sw == 1:
        row = max(w + pw, wo)
        pitch = max(h + ph, ho) * row
        group = max(1, GROUP_LENGTH // pitch)
        channel = group * pitch + ph * row + pw
        length = _round_up((group - 1) * pitch + ho * row, lanes)
        for ci in range(c):
            for i in range(kh):
                for j in range(kw):
                    off[(ci * kh + i) * kw + j] = ci * channel + i * row + j
        return off, row, pitch, channel, group, length, max(c * channel, off[-1] + length)
    length = _round_up(ho * wo, lanes)
    for k in range(taps):
        off[k] = k * length
    return off, wo, 0, 0, 1, length, taps * length


@_kernel
def _gather_images(x, first, count, buf, kh, kw, sh, sw, ph, pw, row, pitch, channel, length):
    """Copy images first..first+count-1 of x into buf in _layout's layout (padding stays 0)."""
    _, c, h, w = x.shape
    if sh == 1 and sw == 1:
        pixels = x.reshape(-1)
        for g in range(count):
            for ci in range(c):
                _copy_rows(buf, ci * channel + g * pitch + ph * row + pw, row,
                           pixels, ((first + g) * c + ci) * h * w, w, h, w)
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
        pixels = dx.reshape(-1)
        for g in range(count):
            for ci in range(c):
                _copy_rows(pixels, ((first + g) * c + ci) * h * w, w,
                           work, ci * channel + g * pitch + ph * row + pw, row, h, w)
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
# 2-D convolution: serial kernels, each taking groups of images until none are left
# ----------------------------------------------------------------------------------------------

@_kernel
def _conv2d_forward_images(share, tasks, n, x, w, b, y, sh, sw, ph, pw, relu):
    """y for the images this thread takes (through a ReLU if relu)."""
    _, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    _, _, ho, wo = y.shape
    block = _splat(x.dtype.type(0), BLOCK_BYTES)
    off, row, pitch, channel, group, length, size = _layout(c, h, wd, kh, kw, sh, sw, ph, pw,
                                                            _lanes(block))
    weights = w.reshape(-1)
    weights_off = np.arange(f) * off.shape[0]          # row fi of the (F, taps) weights
    image = _aligned_zeros(size, x)
    acc = _aligned_matrix(f, length, x)
    sums = acc.reshape(-1)                  # acc's rows, as slices of one array (no views)
    outputs = y.reshape(-1)
    first = _take(tasks, group)
    while first < n:
        count = min(group, n - first)
        _gather_images(x, first, count, image, kh, kw, sh, sw, ph, pw, row, pitch, channel,
                       length)
        for fi in range(f):
            acc[fi] = b[fi]                    # the bias is where the sums start
        _gemm_shifted(weights, weights_off, image, off, acc, length, block)
        for g in range(count):
            for fi in range(f):
                _copy_rows(outputs, ((first + g) * f + fi) * ho * wo, wo,
                           sums, fi * acc.shape[1] + g * pitch, row, ho, wo, relu)
        first = _take(tasks, group)


@_kernel
def _conv2d_backward_images(share, tasks, n, dy, x, w, dx, dw_parts, db_parts,
                            sh, sw, ph, pw, active):
    """dx for the images this thread takes, in fixed chunks of consecutive images; chunk q's
    dw (transposed, taps x padded filters) and db go to dw_parts[q] and db_parts[q]. Unless
    ``active`` is empty, dy is gated by it as it is read (see conv2d_backward).

    The chunks, and the order of the sums within each, do not depend on which thread takes
    which chunk or on how many threads there are, so the gradients are the same bits on
    every run."""
    _, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    _, _, ho, wo = dy.shape
    block = _splat(x.dtype.type(0), BLOCK_BYTES)
    vector = _splat(x.dtype.type(0), VECTOR_BYTES)
    lanes = _lanes(block)
    off, row, pitch, channel, group, length, size = _layout(c, h, wd, kh, kw, sh, sw, ph, pw,
                                                            lanes)
    taps = off.shape[0]
    # dx. Stride 1 and 8 channels or more: the convolution of dy with the flipped kernels,
    # run in the same layout: input pixel t = g*pitch + hi*row + wi of channel ci collects
    # w[fi, ci, i, j] * grad[fi, t + (ph - i)*row + (pw - j)]; the layout's zero columns and
    # rows stand for dy's zero padding, and a zero margin before each row of grad for the
    # first image's. Otherwise (fewer channels would leave most of the 8-row micro-kernel
    # idle): the product of the transposed weights with grad, scattered back tap by tap.
    direct = sh == 1 and sw == 1 and c >= 8
    dx_length = _round_up((group - 1) * pitch + (h - 1) * row + wd, lanes)
    margin = _round_up(max(0, (kh - 1 - ph) * row + kw - 1 - pw), lanes) if direct else 0
    reach = dx_length + ph * row + pw if direct else 0
    # dy in the GEMM's columns twice: filter-major (grad) for dx, and pixel-major (grad_t) so
    # that dw is the same kind of product, dw_t[k, fi] += sum_p image[off[k] + p] grad_t[p, fi]
    square = _lanes(vector)
    grad = _aligned_matrix(_round_up(f, square), margin + max(length, reach), x)
    flat_grad = grad.reshape(-1)
    grad_off = np.arange(f) * grad.shape[1] + margin            # row fi of grad in flat_grad
    filters = dw_parts.shape[2]
    grad_t = _aligned_zeros(length * filters, x)                # lanes fi >= f stay 0
    pixel_off = np.arange(length) * filters                     # row p of grad_t
    db = np.zeros(f, x.dtype)      # not db_parts[q]: a cache line shared with other threads
    image = _aligned_zeros(size, x)
    if direct:
        flipped = np.empty((c, f * kh * kw), x.dtype)      # w as (ci, (fi, i, j))
        dx_off = np.empty(f * kh * kw, np.int64)
        for fi in range(f):
            for i in range(kh):
                for j in range(kw):
                    k = (fi * kh + i) * kw + j
                    flipped[:, k] = w[fi, :, i, j]
                    dx_off[k] = grad_off[fi] + (ph - i) * row + (pw - j)
        weights = flipped.reshape(-1)
        weights_off = np.arange(c) * f * kh * kw
        dx_acc = _aligned_matrix(c, dx_length, x)
    else:
        weights = np.ascontiguousarray(w.reshape(f, taps).T).reshape(-1)
        weights_off = np.arange(taps) * f
        dx_off = grad_off
        dx_acc = _aligned_matrix(taps, length, x)
    dx_sums = dx_acc.reshape(-1)
    work = np.empty(0 if direct else size, x.dtype)
    gradients = dy.reshape(-1)
    gated = np.empty(ho * wo if active.shape[0] else 0, x.dtype)
    dx_pixels = dx.reshape(-1)
    groups = -(-n // group)
    per_chunk = -(-groups // dw_parts.shape[0]) * group             # whole groups of images
    chunk = _take(tasks, 1)
    while chunk * per_chunk < n:
        dw_t = dw_parts[chunk]
        db[:] = 0.0
        first, end = chunk * per_chunk, min(n, (chunk + 1) * per_chunk)
        while first < end:
            count = min(group, end - first)
            if count < group:                   # a partial group: no stale images in grad
                grad[:, margin + count * pitch:] = 0.0
            for g in range(count):
                for fi in range(f):
                    source, plane = gradients, ((first + g) * f + fi) * ho * wo
                    if active.shape[0]:
                        _gate(gradients, active, plane, ho * wo, gated)
                        source, plane = gated, 0
                    db[fi] += _sum(source, plane, ho * wo)
                    _copy_rows(flat_grad, grad_off[fi] + g * pitch, row,
                               source, plane, wo, ho, wo)
            for p0 in range(0, length, square):
                for f0 in range(0, f, square):
                    _transpose_square(flat_grad, f0 * grad.shape[1] + margin + p0, grad.shape[1],
                                      grad_t, p0 * filters + f0, filters)
            _gather_images(x, first, count, image, kh, kw, sh, sw, ph, pw, row, pitch, channel,
                           length)
            for g in range(count):       # image g's pixel rows, not the zero rows after them
                pixels = pixel_off[g * pitch:g * pitch + ho * row]
                if filters % lanes == 0:
                    _gemm_shifted(image[g * pitch:], off, grad_t, pixels, dw_t, filters, block)
                else:                           # few filters: blocks of one register
                    _gemm_shifted(image[g * pitch:], off, grad_t, pixels, dw_t, filters, vector)
            dx_sums[:] = 0.0
            if direct:
                _gemm_shifted(weights, weights_off, flat_grad, dx_off, dx_acc, dx_length, block)
                for g in range(count):
                    for ci in range(c):
                        _copy_rows(dx_pixels, ((first + g) * c + ci) * h * wd, wd,
                                   dx_sums, ci * dx_acc.shape[1] + g * pitch, row, h, wd)
            else:
                _gemm_shifted(weights, weights_off, flat_grad, dx_off, dx_acc, length, block)
                _scatter_images(dx_acc, off, dx, first, count, kh, kw, sh, sw, ph, pw,
                                row, pitch, channel, length, work)
            first += group
        db_parts[chunk] = db
        chunk = _take(tasks, 1)


def _float_dtype(*arrays):
    dtype = np.result_type(*arrays)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _contiguous(dtype, *arrays):
    return [np.ascontiguousarray(a, dtype=dtype) for a in arrays]


def conv2d_forward(x, w, b, stride=1, padding=0, relu=False):
    """2-D convolution of x (N, C, H, W) with w (F, C, kh, kw) plus b (F,): (N, F, Ho, Wo).

    With relu, max(that, 0), applied as the sums are written out: the same values as
    relu_forward after it, without a pass of its own over the output."""
    g = check_conv2d_arrays(x, w, b, None, stride, padding)
    x, w, b = _contiguous(_float_dtype(x, w, b), x, w, b)
    y = np.empty((g.n, g.f, g.ho, g.wo), x.dtype)
    work = g.n * g.f * g.c * g.kh * g.kw * g.ho * g.wo
    _run_split(_conv2d_forward_images, g.n, _shares(g.n, work),
               x, w, b, y, g.sh, g.sw, g.ph, g.pw, bool(relu))
    return y


def conv2d_backward(dy, x, w, stride=1, padding=0, relu_output=None):
    """Gradients (dx, dw, db) of conv2d_forward given dy of shape (N, F, Ho, Wo).

    With relu_output, the output of conv2d_forward(..., relu=True), the gradients of that
    ReLU'd convolution: dy counts only where relu_output > 0, as after relu_backward, but
    gated as it is read rather than in a pass of its own."""
    g = check_conv2d_arrays(x, w, None, dy, stride, padding)
    dy, x, w = _contiguous(_float_dtype(dy, x, w), dy, x, w)
    if relu_output is None:
        active = np.empty(0, x.dtype)
    else:
        if np.shape(relu_output) != dy.shape:
            raise ValueError(f"conv2d: relu_output must have dy's shape {dy.shape}, got {np.shape(relu_output)}")
        (active,) = _contiguous(x.dtype, relu_output)
    taps = g.c * g.kh * g.kw
    shares = _shares(g.n, 2 * g.n * g.f * taps * g.ho * g.wo)
    vector, block = VECTOR_BYTES // x.itemsize, BLOCK_BYTES // x.itemsize
    filters = vector if g.f <= vector else -(-g.f // block) * block
    dx = np.empty_like(x)
    chunks = min(BACKWARD_CHUNKS, g.n)
    dw_parts = np.zeros((chunks, taps, filters), x.dtype)      # dw transposed, per chunk
    db_parts = np.zeros((chunks, g.f), x.dtype)
    _run_split(_conv2d_backward_images, g.n, shares,
               dy, x, w, dx, dw_parts, db_parts, g.sh, g.sw, g.ph, g.pw, active.reshape(-1))
    dw = dw_parts.sum(axis=0)[:, :g.f].T.reshape(w.shape)
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
def _im2col_images(share, tasks, items, x, cols, kh, kw, sh, sw, ph, pw):
    _, c, h, w = x.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    n = _take(tasks, 1)
    while n < items:
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
        n = _take(tasks, 1)


@_kernel
def _col2im_images(share, tasks, items, cols, x, kh, kw, sh, sw, ph, pw):
    _, c, h, w = x.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    n = _take(tasks, 1)
    while n < items:
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
        n = _take(tasks, 1)


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
def _maxpool2x2_forward(x, y, n):
    """Kernel 2, stride 2, the usual case: written without branches, so LLVM vectorises it."""
    _, c, ho, wo = y.shape
    for ci in range(c):
        for oh in range(ho):
            for ow in range(wo):
                i, j = 2 * oh, 2 * ow
                best = x[n, ci, i, j]
                value = x[n, ci, i, j + 1]
                best = value if value > best else best
                value = x[n, ci, i + 1, j]
                best = value if value > best else best
                value = x[n, ci, i + 1, j + 1]
                y[n, ci, oh, ow] = value if value > best else best


@_kernel
def _maxpool_forward(x, y, n, kh, kw, sh, sw):
    _, c, ho, wo = y.shape
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
def _maxpool_forward_images(share, tasks, items, x, y, kh, kw, sh, sw):
    n = _take(tasks, 1)
    while n < items:
        if kh == 2 and kw == 2 and sh == 2 and sw == 2:
            _maxpool2x2_forward(x, y, n)
        else:
            _maxpool_forward(x, y, n, kh, kw, sh, sw)
        n = _take(tasks, 1)


@_kernel
def _maxpool2x2_backward(dy, x, dx, n):
    """Kernel 2, stride 2: the windows tile x, so every pixel of dx is written once. A
    vector of windows at a time: a row pair's columns are dealt into each window's four
    inputs (even and odd lanes), the window's gradient goes to one of them by plain
    selects, and the four are woven back into dx's two rows. (Written window by window,
    the rows of 7-16 windows are too short for LLVM to vectorise: 2.2-2.7x slower.)"""
    _, c, h, w = x.shape
    _, _, ho, wo = dy.shape
    zero = _splat(x.dtype.type(0), VECTOR_BYTES)
    lanes = _lanes(zero)
    pixels, grads, targets = x.reshape(-1), dy.reshape(-1), dx.reshape(-1)
    for ci in range(c):
        for oh in range(ho):
            top = ((n * c + ci) * h + 2 * oh) * w
            out = ((n * c + ci) * ho + oh) * wo
            for k0 in range(0, wo, lanes):
                j0 = 2 * k0
                first, second = min(lanes, w - j0), min(lanes, w - j0 - lanes)
                t0 = _load_first(pixels, top + j0, first, zero)
                t1 = _load_first(pixels, top + j0 + lanes, second, zero)
                b0 = _load_first(pixels, top + w + j0, first, zero)
                b1 = _load_first(pixels, top + w + j0 + lanes, second, zero)
                a, b = _deal(t0, t1, 0), _deal(t0, t1, 1)
                c_, d = _deal(b0, b1, 0), _deal(b0, b1, 1)
                g = _load_first(grads, out + k0, min(lanes, wo - k0), zero)
                best_ab = _where_greater(b, a, b, a)
                best_abc = _where_greater(c_, best_ab, c_, best_ab)
                # the first maximum in row-major order: d if it beats a, b, c; else c if
                # it beats a, b; else b if it beats a; else a
                to_d = _where_greater(d, best_abc, g, zero)
                left = _where_greater(d, best_abc, zero, g)
                to_c = _where_greater(c_, best_ab, left, zero)
                left = _where_greater(c_, best_ab, zero, left)
                to_b = _where_greater(b, a, left, zero)
                to_a = _where_greater(b, a, zero, left)
                _store_first(targets, top + j0, first, _weave(to_a, to_b, 0))
                _store_first(targets, top + j0 + lanes, second, _weave(to_a, to_b, 1))
                _store_first(targets, top + w + j0, first, _weave(to_c, to_d, 0))
                _store_first(targets, top + w + j0 + lanes, second, _weave(to_c, to_d, 1))


@_kernel
def _maxpool_backward(dy, x, dx, n, kh, kw, sh, sw):
    _, c, ho, wo = dy.shape
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


@_kernel
def _maxpool_backward_images(share, tasks, items, dy, x, dx, kh, kw, sh, sw):
    n = _take(tasks, 1)
    while n < items:
        if kh == 2 and kw == 2 and sh == 2 and sw == 2:
            _maxpool2x2_backward(dy, x, dx, n)
        else:
            _maxpool_backward(dy, x, dx, n, kh, kw, sh, sw)
        n = _take(tasks, 1)


def maxpool2d_forward(x, kernel_size, stride=None):
    """Maximum of each kh x kw window of x (N, C, H, W); stride defaults to the kernel."""
    g = pool2d_geometry(np.shape(x), kernel_size, stride)
    (x,) = _contiguous(_float_dtype(x), x)
    y = np.empty((g.n, g.c, g.ho, g.wo), x.dtype)
    _run_split(_maxpool_forward_images, g.n, _shares(g.n, x.size, MIN_VALUES_PER_THREAD), x, y,
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
    _run_split(_maxpool_backward_images, g.n, _shares(g.n, x.size, MIN_VALUES_PER_THREAD), dy, x, dx,
               g.kh, g.kw, g.sh, g.sw)
    return dx


# ----------------------------------------------------------------------------------------------
# ReLU: one pass over the values, split over the pool like the rest (np.maximum on float32
# takes longer than two simpler passes, and the backward's product with a boolean mask casts)
# ----------------------------------------------------------------------------------------------

RELU_CHUNK = 16_384     # values per task


@_kernel
def _relu_forward_chunks(share, tasks, items, x, y):
    """y = max(x, 0) on flat arrays, chunk by chunk; NaN stays NaN, as with np.maximum."""
    chunk = _take(tasks, 1)
    while chunk < items:
        start = chunk * RELU_CHUNK
        source, target = x[start:start + RELU_CHUNK], y[start:start + RELU_CHUNK]
        for i in range(source.shape[0]):       # indices from 0 up: no negative-index checks
            value = source[i]
            target[i] = 0.0 if value <= 0 else value
        chunk = _take(tasks, 1)


@_kernel
def _relu_backward_chunks(share, tasks, items, dy, x, dx):
    """dx = dy where x > 0, else 0, on flat arrays, chunk by chunk."""
    chunk = _take(tasks, 1)
    while chunk < items:
        start = chunk * RELU_CHUNK
        grad, source = dy[start:start + RELU_CHUNK], x[start:start + RELU_CHUNK]
        target = dx[start:start + RELU_CHUNK]
        for i in range(source.shape[0]):
            target[i] = grad[i] if source[i] > 0 else 0.0
        chunk = _take(tasks, 1)


def relu_forward(x):
    """max(x, 0) elementwise, any shape; float32 and float64 keep their dtype."""
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        return np.maximum(x, 0)
    (x,) = _contiguous(x.dtype, x)
    y = np.empty_like(x)
    chunks = -(-x.size // RELU_CHUNK)
    _run_split(_relu_forward_chunks, chunks, _shares(chunks, x.size, MIN_VALUES_PER_THREAD),
               x.reshape(-1), y.reshape(-1))
    return y


def relu_backward(dy, x):
    """The gradient of relu_forward: dy where x > 0, 0 elsewhere (0 at x = 0, as PyTorch)."""
    dy, x = np.asarray(dy), np.asarray(x)
    if dy.shape != x.shape:
        raise ValueError(f"relu: dy must have x's shape {x.shape}, got {dy.shape}")
    dtype = np.result_type(dy, x)
    if dtype not in (np.float32, np.float64):
        return dy * (x > 0)
    dy, x = _contiguous(dtype, dy, x)
    dx = np.empty_like(x)
    chunks = -(-x.size // RELU_CHUNK)
    _run_split(_relu_backward_chunks, chunks, _shares(chunks, x.size, MIN_VALUES_PER_THREAD),
               dy.reshape(-1), x.reshape(-1), dx.reshape(-1))
    return dx
