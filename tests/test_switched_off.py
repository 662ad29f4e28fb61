"""Library functions that would do an exercise's work are replaced in the grading kernel.

Notebook 09 asks for convolutions written by hand; numpy's convolve and
correlate cannot be denied as modules, so the kernel replaces them (and their
internal homes) before any student code runs. The casebook proves it in
grading (a conv1d that calls np.correlate loses its points); these tests pin
down the mechanism: every route a student could take refuses, also from a
name saved earlier and from inside a numba kernel.
"""
import subprocess
import sys
import textwrap

from autograder import registry

SWITCHED_OFF = registry.get("09_convolutional_networks").switched_off


def run_switched_off(code):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, "autograder")
        from kernel_side.boot import switch_off
        switch_off({list(SWITCHED_OFF)!r})
    """) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_every_route_to_numpy_correlate_refuses():
    result = run_switched_off("""
        import numpy as np
        import numpy._core.multiarray as multiarray
        import numpy._core._multiarray_umath as umath
        from numpy import correlate as saved
        routes = [lambda: np.correlate([1.0, 2.0], [1.0]), lambda: np.convolve([1.0, 2.0], [1.0]),
                  lambda: saved([1.0, 2.0], [1.0]), lambda: multiarray.correlate2([1.0, 2.0], [1.0], 0),
                  lambda: umath.correlate([1.0, 2.0], [1.0], 0), lambda: np.core.numeric.convolve([1.0], [1.0])]
        refused = 0
        for route in routes:
            try:
                route()
            except PermissionError as error:
                refused += "switched off while grading" in str(error)
        print(refused, len(routes))
    """)
    assert result.returncode == 0, result.stderr
    refused, total = result.stdout.split()[-2:]
    assert refused == total == "6"


def test_a_numba_kernel_cannot_use_np_convolve_either():
    result = run_switched_off("""
        import numpy as np
        from numba import njit

        @njit
        def smooth(x, w):
            return np.convolve(x, w)

        try:
            smooth(np.ones(5), np.ones(2))
            print("compiled")
        except Exception as error:
            print("refused", type(error).__name__)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "refused"


def test_other_numpy_functions_still_work():
    result = run_switched_off("""
        import numpy as np
        x = np.arange(6.0)
        print(np.sum(x), np.pad(x, 1).shape, np.lib.stride_tricks.sliding_window_view(x, 3).shape)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["15.0", "(8,)", "(4,", "3)"]
