"""What hidden tests use to reach the student's code: the `student` object.

Hidden tests are written as ordinary Python, but every name that belongs to
the student is reached through `student`::

    from autograder.judge import student
    got = student.central_difference(np.sin, x, 1e-5)   # plain data comes back
    check_close(got, np.cos(x), "central_difference(np.sin, x)")

While grading, the hidden test runs in the trusted grader process and
`student` forwards each access to the sandboxed kernel, where only the
student's function runs; its result comes back as plain data (see
kernel_side/wire.py) and is judged here, by numpy and checks the student's
code never touched. When an instructor runs a solution notebook in
JupyterLab, `student` reads the notebook's own namespace through the very
same encoding, so hidden tests behave the same in both places.
"""
import contextlib
import hashlib
import inspect
from dataclasses import dataclass

import numpy as np

from .kernel_side import wire
from .kernel_side.probe import Probe


class StudentCodeError(Exception):
    """The student's code raised, or is missing: the answer cannot be judged."""

    def __init__(self, message, kind=""):
        super().__init__(message)
        self.kind = kind  # the name of the exception the student's code raised, if it raised one


class KernelGone(StudentCodeError):
    """The student's kernel died or stopped answering."""

    def __init__(self, message):
        super().__init__(message, "gone")


class SourceFunction:
    """A small function that exists on both sides, built from its source text.

    Judge-side functions cannot cross to the kernel (nothing is pickled), but
    ``SourceFunction("lambda x: x**3 - 2*x")`` can: the kernel builds its own
    copy with eval(), with ``np`` available, and the judge calls its own.
    """

    def __init__(self, source):
        self.source = source
        self._function = eval(source, {"np": np})

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)

    def __repr__(self):
        return self.source


MAX_REMOTE_LENGTH = 10_000  # a student's object may claim at most this many items


class Remote:
    """An object that lives in the student's kernel: call it, read attributes, index it.

    Reading gives plain data (or another Remote for what cannot cross);
    `live(remote)` gives Remotes instead, for writing into the kernel's own
    arrays and lists in place.
    """

    def __init__(self, backend, handle, label, info, keep=False):
        object.__setattr__(self, "_backend", backend)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_info", info)
        object.__setattr__(self, "_keep", keep)

    @property
    def type_name(self):
        return self._info.get("type", "?")

    @property
    def base_names(self):
        return list(self._info.get("mro", []))

    def _request(self, message, label):
        return self._backend.request({**message, "target": {"handle": self._handle}, "keep": self._keep}, label,
                                     self._keep)

    def __call__(self, *args, **kwargs):
        label = f"{self._label}({_describe_args(args, kwargs)})"
        return self._request({"op": "call", "args": [_send(a) for a in args],
                              "kwargs": {k: _send(v) for k, v in kwargs.items()}}, label)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._request({"op": "getattr", "name": name}, f"{self._label}.{name}")

    def __setattr__(self, name, value):
        self._request({"op": "setattr", "name": name, "value": _send(value)}, f"{self._label}.{name} = ...")

    def __getitem__(self, key):
        return self._request({"op": "getitem", "key": _send(key)}, f"{self._label}[{describe(key)}]")

    def __setitem__(self, key, value):
        self._request({"op": "setitem", "key": _send(key), "value": _send(value)},
                      f"{self._label}[{describe(key)}] = ...")

    def __len__(self):
        try:
            length = self._backend.request({"op": "len", "target": {"handle": self._handle}}, f"len({self._label})")
        except StudentCodeError as error:
            if error.kind == "TypeError":  # no length at all (a generator): list() and numpy then iterate
                raise TypeError(str(error)) from None
            raise
        if type(length) is not int or not 0 <= length <= MAX_REMOTE_LENGTH:
            raise StudentCodeError(f"len({self._label}) is {describe(length)}, not a length up to "
                                   f"{MAX_REMOTE_LENGTH}")
        return length

    def __iter__(self):
        """The items, fetched in one request (a generator is run to its end in the kernel)."""
        return iter(self._request({"op": "list"}, f"the items of {self._label}"))

    def __array__(self, *args, **kwargs):
        raise StudentCodeError(f"{self._label} is a {self.type_name}, not a number or a numpy array")

    def __repr__(self):
        return f"<student's {self._label}: {self.type_name}>"


def live(remote):
    """The same kernel object, but what it gives back stays in the kernel as Remotes.

        W = live(layer).params[0]    # the layer's own weight array, not a copy
        W[...] = new_weights         # written in place, in the kernel
        items = list(live(net).params())   # Remotes for what the generator yields
    """
    get = lambda attribute: object.__getattribute__(remote, attribute)  # noqa: E731
    return Remote(get("_backend"), get("_handle"), get("_label"), get("_info"), keep=True)


def renamed(remote, label):
    """The same kernel object under a readable name, for the messages a student reads."""
    get = lambda attribute: object.__getattribute__(remote, attribute)  # noqa: E731
    return Remote(get("_backend"), get("_handle"), label, get("_info"), get("_keep"))


def install(module):
    """Run a trusted helper module (stand-ins for hidden tests) in the kernel; return it as a Remote.

    The module must import nothing but numpy and the standard library. It is
    installed afresh for each hidden test and dropped when the test ends.
    """
    import inspect
    source = inspect.getsource(module)
    name = module.__name__.rpartition(".")[2]
    return _backend().request({"op": "install", "name": name, "source": source}, f"the stand-ins {name}")


class _Student:
    """The student's namespace, seen from a hidden test."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _backend().request({"op": "get", "name": name}, name)

    def names(self):
        return _backend().request({"op": "names"}, "the notebook's names")


student = _Student()


class Backend:
    """Sends one request to wherever the student's code lives and decodes the reply.

    While `record` is a list, it receives what every request about the
    student's code gave back, in order (hints.py compares it with known
    wrong answers).
    """
    record = None

    def send(self, text, frames, label):
        """Deliver one request (JSON text and array frames); return the reply's (text, frames)."""
        raise NotImplementedError

    def forget(self):
        """Drop every object the kernel keeps for the judge (at the end of each hidden test)."""
        try:
            self.request({"op": "forget"}, "releasing the hidden test's objects")
        except StudentCodeError:
            pass

    def request(self, message, label, keep=False):
        """Send one request; plain data comes back, or Remotes (made `live` when `keep`)."""
        if self.record is None or message["op"] in UNRECORDED:
            return self._request(message, label, keep)
        try:
            value = self._request(message, label, keep)
        except StudentCodeError as error:
            self.record.append(Raised(error.kind))
            raise
        self.record.append(_copied(value))
        return value

    def _request(self, message, label, keep):
        text, frames = self.send(*wire.dumps(message), label)
        reply = wire.loads(text)
        if type(reply) is not dict:
            raise StudentCodeError(f"The reply to {label} was not a message the grader sends.")
        if "missing" in reply:
            raise StudentCodeError(
                f"Your notebook does not define `{str(reply['missing'])[:100]}`. Run the cell that defines it, "
                "and keep the name exactly as the exercise gives it.", "missing")
        if "error" in reply:
            error = reply["error"] if type(reply["error"]) is dict else {}
            kind, text = str(error.get("type", "Error"))[:100], str(error.get("message", ""))[:500]
            detail = f"\n\n{str(error['traceback'])[-2500:]}" if error.get("traceback") else ""
            raise StudentCodeError(f"{label} raised {kind}: {text}{detail}", kind)
        return wire.decode(reply.get("ok"), lambda data: self._remote(data, label, keep), wire.Frames(frames))

    def _remote(self, data, label, keep):
        if type(data.get("handle")) is not int:
            raise wire.WireError("the kernel sent an object reference it may not send")
        mro = data.get("mro") if type(data.get("mro")) is list else []
        info = {"type": str(data.get("type", "?"))[:200], "mro": [str(name)[:200] for name in mro[:50]]}
        return Remote(self, data["handle"], label, info, keep)


# Requests whose replies say nothing about the answer: the namespace's names, and the grader's housekeeping.
UNRECORDED = ("names", "install", "forget")


@dataclass(frozen=True)
class Raised:
    """In a record: the request raised instead of giving a value (`kind` as StudentCodeError has it)."""
    kind: str


def _copied(value):
    """A copy of a reply for the record, so that a hidden test writing into an array does not change it."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(item) for item in value)
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    return value


class LocalBackend(Backend):
    """The notebook's own namespace, for running solutions and hidden tests in JupyterLab."""

    def __init__(self, namespace):
        self._probe = Probe(lambda: namespace)

    def send(self, text, frames, label):
        return self._probe.serve(text, frames)


_active = None
_local_backends = {}
_seed = None


def seed_for(student, notebook, exercise):
    """The seed of one student's hidden test: the same at every regrade, another for every student."""
    digest = hashlib.sha256(f"{student}\0{notebook}\0{exercise}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@contextlib.contextmanager
def seeded(seed):
    """Make `seeded_rng` draw from `seed` for a while (the runner does this for each hidden test)."""
    global _seed
    previous, _seed = _seed, seed
    try:
        yield seed
    finally:
        _seed = previous


def seeded_rng():
    """The generator a hidden test draws its random inputs from.

    While grading, it is seeded from the student, the notebook and the
    exercise; in a solution notebook run by hand, from 0.
    """
    return np.random.default_rng(0 if _seed is None else _seed)


def _backend():
    """The grader's connection while grading; otherwise this notebook's own namespace.

    One local backend per namespace, so that objects fetched by different
    `student.<name>` lookups can be passed to each other.
    """
    if _active is not None:
        return _active
    namespace = _caller_namespace()
    if id(namespace) not in _local_backends:
        _local_backends[id(namespace)] = LocalBackend(namespace)
    return _local_backends[id(namespace)]


@contextlib.contextmanager
def use_backend(backend):
    """Route `student` to `backend` (the grader's kernel connection) for a while."""
    global _active
    previous, _active = _active, backend
    try:
        yield backend
    finally:
        _active = previous


def _caller_namespace():
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    return inspect.stack()[-1].frame.f_globals


def _send(value):
    return wire.encode(value, _reference)


def _reference(value):
    """How a judge-side object that is not plain data crosses: by handle, name or source."""
    if isinstance(value, Remote):
        return {"handle": object.__getattribute__(value, "_handle")}
    if isinstance(value, SourceFunction):
        return {"source": value.source}
    if isinstance(value, np.ufunc):
        return {"ref": f"numpy:{value.__name__}"}
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
    if module and qualname and "<" not in qualname and not module.startswith("autograder"):
        return {"ref": f"{module}:{qualname}"}
    raise TypeError(f"{value!r} cannot be sent to the student's kernel; wrap a small function "
                    "in SourceFunction('lambda x: ...') instead")


def _describe_args(args, kwargs):
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def describe(value):
    """A short readable name for a test input, for messages."""
    if isinstance(value, np.ndarray):
        return f"<array {value.shape} {value.dtype}>" if value.size > 4 else np.array2string(
            value, precision=4, separator=", ")
    if isinstance(value, np.ufunc):
        return f"np.{value.__name__}"
    if isinstance(value, Remote):
        return object.__getattribute__(value, "_label")
    if isinstance(value, (list, tuple)) and len(value) > 4:
        return f"<{type(value).__name__} of {len(value)}>"
    text = getattr(value, "__name__", None) or repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
