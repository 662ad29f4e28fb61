"""Random convolution shapes for notebook 09's hidden tests: odd sizes, strides 1-2, padding 0-2, 1-4 channels."""
import numpy as np


def random_geometry(rng, max_out=6, kernels=(1, 2, 3, 5), stride=None):
    """(N, C, H, W, F, kh, kw, stride, pad) whose output size is a whole number of at least 1.

    A test that cycles `stride` through 1 and 2 sees both on every seed; drawn, ten cases all have
    stride 1 for one student in 1,024, who would then keep the points of code that ignores it. With
    stride 2 the output has at least two rows and two columns, where a stride shows.
    """
    stride = int(rng.integers(1, 3)) if stride is None else stride
    pad = int(rng.integers(0, 3))
    kh, kw = (int(rng.choice(kernels)) for _ in range(2))
    least = 2 if stride > 1 else 1
    sizes = []
    for kernel in (kh, kw):
        size = 0
        while size < 1:  # the smallest output that needs at least one real row or column of image
            size = (int(rng.integers(least, max_out + 1)) - 1) * stride + kernel - 2 * pad
        sizes.append(size)
    N, C, F = (int(rng.integers(1, 5)) for _ in range(3))
    return N, C, sizes[0], sizes[1], F, kh, kw, stride, pad


def random_case(rng, dtype, **options):
    """Inputs of a random convolution: x, w, b drawn in float64 then cast to dtype, with stride and pad."""
    N, C, H, W, F, kh, kw, stride, pad = random_geometry(rng, **options)
    x = rng.normal(size=(N, C, H, W)).astype(dtype)
    w = rng.normal(size=(F, C, kh, kw)).astype(dtype)
    b = rng.normal(size=F).astype(dtype)
    return x, w, b, stride, pad


def tolerance(dtype):
    """check_close tolerances: float32 sums of a few hundred products, or float64 ones."""
    return dict(rtol=2e-4, atol=2e-4) if np.dtype(dtype) == np.float32 else dict(rtol=1e-9, atol=1e-10)
