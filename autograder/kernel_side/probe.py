"""The kernel's half of hidden testing: answer the judge's requests.

The judge (a separate, trusted process) asks for a name from the student's
namespace, calls it with inputs it chose, reads or writes an attribute; the
probe does exactly that and sends back plain data (see wire.py). It never
decides whether an answer is right, so tampering with it can only break the
student's own answers, never pass wrong ones.

Objects that cannot cross stay here under numbered handles until the judge
says `forget` (at the end of every hidden test), so nothing the judge handed
over stays within reach of the student's later code.
"""
import traceback
import types

from .wire import MAX_ITEMS, Frames, WireError, decode, dumps, encode, loads

MAX_REPLY_BYTES = 96 * 2**20  # a reply (text and frames) is refused here, before it is sent, above this size


class Probe:
    def __init__(self, namespace):
        self._namespace = namespace  # a callable returning the student's globals
        self._frames = Frames()      # the array bytes of the request being served
        self._objects = {}
        self._next_id = 1

    def serve(self, request_text, frames=()):
        """Answer one request (JSON text and its array frames) with (text, frames)."""
        try:
            request = loads(request_text)
            self._frames = Frames(frames)
            value = self._handle(request)
            text, reply_frames = dumps({"ok": self._kept(value, request["op"])
                                        if request.get("keep") and value is not None else encode(value, self._keep)})
        except _Missing as missing:
            return dumps({"missing": str(missing)})
        except WireError as error:
            return dumps({"error": {"type": "WireError", "message": str(error), "traceback": ""}})
        except BaseException as error:  # the student's code may raise anything, even KeyboardInterrupt
            return dumps({"error": {"type": type(error).__name__, "message": _short(error),
                                    "traceback": _student_traceback(error)}})
        size = len(text) + sum(len(frame) for frame in reply_frames)
        if size > MAX_REPLY_BYTES:
            return dumps({"error": {"type": "WireError", "traceback": "",
                                    "message": f"the answer is too large to send ({size / 2**20:.0f} MB)"}})
        return text, reply_frames

    def _handle(self, request):
        op = request["op"]
        if op == "get":
            namespace = self._namespace()
            if request["name"] not in namespace:
                raise _Missing(request["name"])
            return namespace[request["name"]]
        if op == "names":
            return sorted(name for name in self._namespace() if not name.startswith("_"))
        if op == "install":
            return self._install(str(request["name"]), str(request["source"]))
        if op == "forget":
            self._objects.clear()
            return None
        target = self._resolve(request["target"])
        if op == "call":
            args = [self._decode(arg) for arg in request["args"]]
            kwargs = {str(key): self._decode(arg) for key, arg in request["kwargs"].items()}
            return target(*args, **kwargs)
        if op == "getattr":
            return getattr(target, str(request["name"]))
        if op == "setattr":
            setattr(target, str(request["name"]), self._decode(request["value"]))
            return None
        if op == "getitem":
            return target[self._decode(request["key"])]
        if op == "setitem":
            target[self._decode(request["key"])] = self._decode(request["value"])
            return None
        if op == "len":
            return len(target)
        if op == "list":
            return self._take(target)
        raise WireError(f"unknown request {op!r}")

    def _install(self, name, source):
        """Run trusted helper code (stand-ins for hidden tests) as a fresh module; return it."""
        module = types.ModuleType(name)
        exec(compile(source, f"<{name}>", "exec"), module.__dict__)
        return module

    def _kept(self, value, op):
        """Handles instead of data: for each item of a listed iterable, else for the value itself."""
        return [self._keep(item) for item in value] if op == "list" else self._keep(value)

    @staticmethod
    def _take(iterable):
        """The items of an iterable (a generator, say), at most MAX_ITEMS of them."""
        items = []
        for item in iterable:
            if len(items) == MAX_ITEMS:
                raise WireError(f"more than {MAX_ITEMS} items")
            items.append(item)
        return items

    def _decode(self, data):
        return decode(data, self._resolve, self._frames)

    def _keep(self, obj):
        handle = self._next_id
        self._next_id += 1
        self._objects[handle] = obj
        kind = type(obj)
        return {"handle": handle, "type": getattr(kind, "__qualname__", "?"),
                "mro": [getattr(k, "__qualname__", "?") for k in getattr(kind, "__mro__", ())],
                "callable": callable(obj)}

    def _resolve(self, message):
        if "handle" in message:
            handle = int(message["handle"])
            if handle not in self._objects:
                raise WireError("an object of an earlier hidden test was used after it was released")
            return self._objects[handle]
        if "ref" in message:
            import importlib
            module_name, _, qualname = str(message["ref"]).partition(":")
            obj = importlib.import_module(module_name)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            return obj
        if "source" in message:
            import numpy
            return eval(str(message["source"]), {"np": numpy, "__builtins__": __builtins__})
        raise WireError("not an object reference")


class _Missing(Exception):
    pass


def _short(error, limit=300):
    """The start of an exception's message: enough to explain it, too little to carry data out."""
    try:
        text = str(error)
    except BaseException:
        text = "(the message could not be read)"
    return text if len(text) <= limit else text[:limit] + " [...]"


def _student_traceback(error):
    """Where the student's code failed, frame by frame, without the probe's own frames.

    Only file names, line numbers and source lines: the exception's message
    travels apart, shortened, so that a traceback cannot carry hidden inputs.
    """
    try:
        frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != __file__]
        return "".join(traceback.format_list(frames[-8:]))[-2000:] + f"{type(error).__name__}: {_short(error)}"
    except BaseException:
        return ""
