"""Only plain data crosses between the judge and the student's kernel."""
import numpy as np
import pytest

from autograder.judge import LocalBackend, Remote, SourceFunction, StudentCodeError
from autograder.kernel_side import wire


def roundtrip(value):
    kept = []
    text, frames = wire.dumps(wire.encode(value, lambda obj: kept.append(obj) or {"handle": len(kept)}))
    return wire.decode(wire.loads(text), lambda data: ("handle", data["handle"]), wire.Frames(frames)), kept


def ask(probe, request, frames=()):
    """Serve a hand-written request (arrays in it refer to `frames`); the reply's text as data."""
    text, _ = probe.serve(wire.dumps(request)[0], frames)
    return wire.loads(text)


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
    class Thing:
        pass
    back, kept = roundtrip({"layer": Thing(), "f": len, "arr": np.array(["a"], dtype=object)})
    assert back["layer"] == ("handle", 1) and back["f"] == ("handle", 2) and back["arr"] == ("handle", 3)
    assert isinstance(kept[0], Thing)


def test_subclassed_values_do_not_cross_as_themselves():
    class Sneaky(float):
        def __eq__(self, other):
            return True
    back, kept = roundtrip(Sneaky(1.0))
    assert back == ("handle", 1)  # not a float: the judge never compares with the student's __eq__


@pytest.mark.parametrize("message", [
    {"array": 0, "dtype": "|O", "shape": [1]},
    {"array": 0, "dtype": "<f8", "shape": [7]},                   # 8 bytes for 7 values
    {"array": "AAAAAAAAAAA=", "dtype": "<f8", "shape": [1]},     # base64 in the text: not a frame
    {"array": 1, "dtype": "<f8", "shape": [1]},                   # no frame 1
    {"array": True, "dtype": "<f8", "shape": [1]},
    {"array": 0, "dtype": "<f8", "shape": [-1]},
    [{"array": 0, "dtype": "<f8", "shape": [1]}, {"array": 0, "dtype": "<f8", "shape": [1]}],  # one frame, twice
    {"weird": 1},
])
def test_malformed_messages_are_refused(message):
    with pytest.raises((wire.WireError, ValueError)):
        wire.decode(message, lambda data: None, wire.Frames([bytes(8)]))


def test_arrays_travel_as_frames_beside_the_text():
    values = [np.arange(1000.0), np.ones((3, 4), np.float32)]
    text, frames = wire.dumps(wire.encode(values, lambda obj: None))
    assert [len(frame) for frame in frames] == [8000, 48] and len(text) < 200
    back = wire.decode(wire.loads(text), lambda data: None, wire.Frames(frames))
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(back, values))
    assert back[0].flags.writeable          # a copy of its own, not a view of the message


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


def test_live_objects_are_written_in_place():
    """live() gives the kernel's own arrays, so the judge can see whether an object shares them."""
    from autograder.judge import live

    class Holder:
        def __init__(self):
            self.params = [np.zeros((2, 2)), np.zeros((1, 2))]
            self.weight = self.params[0]          # shares the array

        def gen(self):
            yield from self.params

    backend = LocalBackend({"Holder": Holder})
    layer = backend.request({"op": "get", "name": "Holder"}, "Holder")()
    live(layer).params[0][...] = np.full((2, 2), 3.0)
    np.testing.assert_array_equal(layer.weight, np.full((2, 2), 3.0))
    for handle in list(live(layer).gen()):
        handle[:, 0] = 7.0
    np.testing.assert_array_equal(layer.params[1], [[7.0, 0.0]])
    assert [a.shape for a in list(layer.gen())] == [(2, 2), (1, 2)]   # a generator is listed in one request


def test_a_remote_object_admits_no_absurd_length_and_is_no_array():
    class Endless:
        def __len__(self):
            return 10 ** 15

        def __getitem__(self, index):
            return 0.0

    backend = LocalBackend({"make": Endless})
    endless = backend.request({"op": "get", "name": "make"}, "make")()
    with pytest.raises(StudentCodeError, match="not a length"):
        len(endless)
    with pytest.raises(StudentCodeError, match="not a number or a numpy array"):
        np.asarray(endless)


def test_stand_ins_are_installed_fresh_and_forgotten_after_each_test():
    from autograder.judge import install, use_backend
    from autograder.stand_ins import building_blocks

    backend = LocalBackend({})
    with use_backend(backend):
        module = install(building_blocks)
    holder = module.ParameterHolder([np.ones(2)], [np.ones(2)])
    assert holder.type_name == "ParameterHolder" and np.array_equal(holder.arrays[0], np.ones(2))
    backend.forget()
    with pytest.raises(StudentCodeError, match="earlier hidden test"):
        holder.arrays


def test_the_kernel_refuses_oversized_answers_and_shortens_messages(monkeypatch):
    from autograder.kernel_side import probe as probe_module
    from autograder.kernel_side.probe import Probe

    def loud():
        raise ValueError("secret " * 1000)

    probe = Probe(lambda: {"big": lambda: np.zeros(1000), "loud": loud, "same": lambda x: x})
    monkeypatch.setattr(wire, "MAX_ARRAY_BYTES", 4000)
    reply = ask(probe, {"op": "call", "target": {"ref": "builtins:len"}, "args": [], "kwargs": {}})
    assert "error" in reply   # len() without arguments: an error, not a crash
    big = ask(probe, {"op": "get", "name": "big"})["ok"]["handle"]
    reply = ask(probe, {"op": "call", "target": {"handle": big}, "args": [], "kwargs": {}})
    assert "too large" in reply["error"]["message"]
    loud_handle = ask(probe, {"op": "get", "name": "loud"})["ok"]["handle"]
    reply = ask(probe, {"op": "call", "target": {"handle": loud_handle}, "args": [], "kwargs": {}})["error"]
    assert len(reply["message"]) < 320 and reply["message"].endswith("[...]")
    same = ask(probe, {"op": "get", "name": "same"})["ok"]["handle"]
    twice = {"op": "call", "target": {"handle": same}, "kwargs": {},
             "args": [[{"array": 0, "dtype": "<f8", "shape": [100]}, {"array": 0, "dtype": "<f8", "shape": [100]}]]}
    assert "frame of its own" in ask(probe, twice, [bytes(800)])["error"]["message"]
    monkeypatch.setattr(probe_module, "MAX_REPLY_BYTES", 1000)
    assert ask(probe, {"op": "names"}) == {"ok": ["big", "loud", "same"]}          # small replies pass
    reply = ask(probe, {"op": "call", "target": {"handle": same}, "kwargs": {},
                        "args": [{"array": 0, "dtype": "<f8", "shape": [200]}]}, [bytes(1600)])
    assert "too large" in reply["error"]["message"]            # the frames count towards the size
    probe._namespace = lambda: {f"name_{i}": i for i in range(200)}
    assert "too large" in ask(probe, {"op": "names"})["error"]["message"]


def test_a_call_after_the_deadline_is_refused_without_reaching_the_kernel():
    import asyncio
    import time

    from autograder.runner import KernelSession

    class Unreachable:
        @property
        def kc(self):
            raise AssertionError("the kernel was reached after the deadline")

    session = KernelSession(Unreachable(), None, time.monotonic() - 1, call_timeout=60)
    with pytest.raises(StudentCodeError, match="time limit had passed"):
        asyncio.run(session.call('{"op": "names"}', [], "names()"))


def test_hidden_tests_draw_from_a_seed_fixed_per_student_notebook_and_exercise():
    from autograder.judge import seed_for, seeded, seeded_rng

    assert seed_for("alice", "01_derivatives", "test_sigmoid") == seed_for("alice", "01_derivatives", "test_sigmoid")
    assert len({seed_for(s, n, e) for s in ("alice", "bob") for n in ("01", "02") for e in ("t1", "t2")}) == 8
    with seeded(seed_for("alice", "01", "t1")):
        first = seeded_rng().normal(size=5)
        again = seeded_rng().normal(size=5)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(seeded_rng().normal(size=3), np.random.default_rng(0).normal(size=3))
