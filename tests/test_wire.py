"""Only plain data crosses between the judge and the student's kernel."""
import numpy as np
import pytest

from autograder.judge import LocalBackend, Remote, SourceFunction, StudentCodeError
from autograder.kernel_side import wire


def roundtrip(value):
    kept = []
    encoded = wire.loads(wire.dumps(wire.encode(value, lambda obj: kept.append(obj) or {"handle": len(kept)})))
    return wire.decode(encoded, lambda data: ("handle", data["handle"])), kept


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", [1, 2.0, "x"], (1, (2, 3)), {"a": [1, 2], "b": None}, 1 + 2j,
    np.arange(6, dtype=np.int32).reshape(2, 3), np.linspace(0, 1, 5, dtype=np.float32), np.float64(2.5),
    np.array(7.0), np.zeros((0, 3)), np.array([True, False]), np.ones((3, 2), order="F")[:, ::-1],
    np.array([1.5, 2.5], dtype=">f8"),
])
def test_plain_data_round_trips_exactly(value):
    back, kept = roundtrip(value)
    assert not kept
    if isinstance(value, (np.ndarray, np.generic)):
        assert isinstance(back, np.ndarray) and back.shape == np.shape(value)
        assert back.dtype == np.asarray(value).dtype.newbyteorder("=")
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_everything_else_stays_behind_as_a_handle():
    class Layer:
        pass
    back, kept = roundtrip({"layer": Layer(), "f": len, "arr": np.array(["a"], dtype=object)})
    assert back["layer"] == ("handle", 1) and back["f"] == ("handle", 2) and back["arr"] == ("handle", 3)
    assert isinstance(kept[0], Layer)


def test_subclassed_values_do_not_cross_as_themselves():
    class Sneaky(float):
        def __eq__(self, other):
            return True
    back, kept = roundtrip(Sneaky(1.0))
    assert back == ("handle", 1)  # not a float: the judge never compares with the student's __eq__


@pytest.mark.parametrize("message", [
    {"array": "AAAA", "dtype": "|O", "shape": [1]},
    {"array": "AAAA", "dtype": "<f8", "shape": [7]},
    {"array": "not base64!", "dtype": "<f8", "shape": [1]},
    {"array": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [-1]},
    {"weird": 1},
])
def test_malformed_messages_are_refused(message):
    with pytest.raises((wire.WireError, ValueError)):
        wire.decode(message, lambda data: None)


def test_local_backend_calls_functions_and_reads_objects():
    class Counter:
        def __init__(self):
            self.count = 0

        def add(self, n):
            self.count += n
            return self.count

    namespace = {"Counter": Counter, "double": lambda x: 2 * x, "broken": lambda: 1 / 0}
    backend = LocalBackend(namespace)
    double = backend.request({"op": "get", "name": "double"}, "double")
    assert isinstance(double, Remote)
    np.testing.assert_array_equal(double(np.arange(3)), [0, 2, 4])
    counter = backend.request({"op": "get", "name": "Counter"}, "Counter")()
    assert counter.add(5) == 5 and counter.count == 5
    counter.count = 10
    assert counter.add(1) == 11
    with pytest.raises(StudentCodeError, match="ZeroDivisionError"):
        backend.request({"op": "get", "name": "broken"}, "broken")()
    with pytest.raises(StudentCodeError, match="does not define `missing`"):
        backend.request({"op": "get", "name": "missing"}, "missing")


def test_functions_cross_by_name_or_source_never_by_value():
    backend = LocalBackend({"apply": lambda f, x: f(x)})
    apply = backend.request({"op": "get", "name": "apply"}, "apply")
    assert apply(np.sin, 0.0) == 0.0
    assert apply(SourceFunction("lambda x: x * 3"), 2.0) == 6.0
    with pytest.raises(TypeError, match="cannot be sent"):
        apply(lambda x: x, 1.0)


def test_objects_from_separate_lookups_work_together_in_a_notebook():
    """In-kernel (instructor) runs: `student.A()` can be passed to `student.f`."""
    import autograder.judge as judge

    class Box:
        def __init__(self):
            self.value = 21

    namespace = {"Box": Box, "double_box": lambda box: box.value * 2}
    judge._local_backends[id(namespace)] = LocalBackend(namespace)
    original = judge._caller_namespace
    judge._caller_namespace = lambda: namespace
    try:
        assert judge.student.double_box(judge.student.Box()) == 42
    finally:
        judge._caller_namespace = original
        judge._local_backends.pop(id(namespace))
