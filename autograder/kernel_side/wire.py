"""How values cross between the trusted judge and the student's kernel.

Only plain data crosses: None, booleans, numbers, strings, lists, tuples,
dicts with string keys, slices and the Ellipsis (for indexing), and numeric
numpy arrays. A message is JSON text plus frames: each array's raw bytes
travel in a frame of their own beside the text, which gives its dtype, shape
and frame number, so no base64 and no JSON encoder ever touch the numbers.
Nothing is ever pickled, so whatever the student's code did to its own
interpreter, the judge receives inert data and judges it with its own,
untouched numpy.

Anything else (a function, a class instance) stays in the kernel and crosses
as a numbered handle; the judge may call it or read its attributes, which
again returns plain data or handles.

This module runs on both sides and imports nothing but the standard library
and numpy, so the grader can ship it into the sandbox as a single file.
"""
import json
import math

import numpy as np

# dtype kinds that carry numbers: bool, signed, unsigned, float, complex
NUMERIC_KINDS = frozenset("biufc")
MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_ARRAY_BYTES = 64 * 2**20


class WireError(ValueError):
    """A message that is not plain data of the agreed shape."""


def encode(value, store_handle, depth=0):
    """Turn `value` into data for `dumps`; `store_handle(obj)` keeps what cannot cross."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply to send")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is complex:
        return {"complex": [value.real, value.imag]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if type(value) is slice and all(v is None or type(v) is int for v in (value.start, value.stop, value.step)):
        return {"slice": [value.start, value.stop, value.step]}
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in NUMERIC_KINDS:
        array = np.asarray(value)
        if array.nbytes > MAX_ARRAY_BYTES:
            raise WireError(f"an array of {array.nbytes / 2**20:.0f} MB is too large to send")
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        raw = array.astype(dtype, copy=False).tobytes(order="C")
        return {"array": raw, "dtype": dtype.str, "shape": list(array.shape)}
    if type(value) in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise WireError("sequence too long to send")
        items = [encode(item, store_handle, depth + 1) for item in value]
        return items if type(value) is list else {"tuple": items}
    if type(value) is dict and all(type(key) is str for key in value):
        if len(value) > MAX_ITEMS:
            raise WireError("dict too large to send")
        return {"dict": {key: encode(item, store_handle, depth + 1) for key, item in value.items()}}
    return store_handle(value)


def decode(data, resolve_handle, frames, depth=0):
    """Inverse of `encode`; `resolve_handle(message)` turns a handle message into an object, and
    `frames` (a Frames) holds the message's array bytes."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(item, resolve_handle, frames, depth + 1) for item in data]
    if type(data) is not dict or len(data) == 0:
        raise WireError(f"unexpected message part {type(data).__name__}")
    if "array" in data:
        return _decode_array(data, frames)
    if "tuple" in data:
        return tuple(decode(item, resolve_handle, frames, depth + 1) for item in _list(data["tuple"]))
    if "dict" in data and type(data["dict"]) is dict:
        return {str(key): decode(item, resolve_handle, frames, depth + 1) for key, item in data["dict"].items()}
    if "complex" in data:
        real, imag = _list(data["complex"])
        return complex(float(real), float(imag))
    if "ellipsis" in data:
        return Ellipsis
    if "slice" in data:
        parts = _list(data["slice"])
        if len(parts) != 3 or not all(p is None or type(p) is int for p in parts):
            raise WireError("a slice is three integers or None")
        return slice(*parts)
    if "handle" in data or "ref" in data or "source" in data:
        return resolve_handle(data)
    raise WireError(f"unknown message part with keys {sorted(data)[:5]}")


def _list(value):
    if type(value) is not list:
        raise WireError("expected a list")
    return value


def _decode_array(data, frames):
    dtype = np.dtype(str(data["dtype"]))
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject:
        raise WireError(f"arrays of dtype {dtype} cannot be sent")
    shape = tuple(int(n) for n in _list(data["shape"]))
    if any(n < 0 for n in shape):
        raise WireError("negative array dimension")
    expected = dtype.itemsize * math.prod(shape)
    if expected > MAX_ARRAY_BYTES:
        raise WireError(f"an array of {expected / 2**20:.0f} MB is too large to receive")
    raw = frames.take(data["array"])
    if raw.nbytes != expected:
        raise WireError(f"array data has {raw.nbytes} bytes, expected {expected}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


class Frames:
    """The array bytes that came with one message. Each frame backs one array at most, so a
    message can never make its reader copy a frame many times over."""

    def __init__(self, frames=()):
        self._frames = [memoryview(frame).cast("B") for frame in frames]
        self._taken = set()

    def take(self, index):
        if type(index) is not int or not 0 <= index < len(self._frames) or index in self._taken:
            raise WireError("an array's data is not a frame of its own in the message")
        self._taken.add(index)
        return self._frames[index]


def dumps(message):
    """`message` (from `encode`) as (JSON text, frames): each array's bytes become a frame."""
    frames = []

    def frame(raw):
        if type(raw) is not bytes:
            raise TypeError(f"{type(raw).__name__} is not plain data; encode the value first")
        frames.append(raw)
        return len(frames) - 1
    return json.dumps(message, allow_nan=True, separators=(",", ":"), default=frame), frames


def loads(text):
    if type(text) is not str:
        raise WireError("a message must be text")
    return json.loads(text)
