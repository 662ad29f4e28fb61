"""The kernel's half of hidden testing: answer the judge's requests.

The judge (a separate, trusted process) asks for a name from the student's
namespace, calls it with inputs it chose, or reads an attribute; the probe
does exactly that and sends back plain data (see wire.py). It never decides
whether an answer is right, so tampering with it can only break the
student's own answers, never pass wrong ones.
"""
import importlib
import traceback

from .wire import WireError, decode, dumps, encode, loads


class Probe:
    def __init__(self, namespace):
        self._namespace = namespace  # a callable returning the student's globals
        self._objects = {}
        self._next_id = 1

    def serve(self, request_text):
        try:
            request = loads(request_text)
            value = self._handle(request)
            return dumps({"ok": encode(value, self._keep)})
        except _Missing as missing:
            return dumps({"missing": str(missing)})
        except WireError as error:
            return dumps({"error": {"type": "WireError", "message": str(error), "traceback": ""}})
        except BaseException as error:  # the student's code may raise anything, even KeyboardInterrupt
            return dumps({"error": {"type": type(error).__name__, "message": str(error),
                                    "traceback": _student_traceback(error)}})

    def _handle(self, request):
        op = request["op"]
        if op == "get":
            namespace = self._namespace()
            if request["name"] not in namespace:
                raise _Missing(request["name"])
            return namespace[request["name"]]
        if op == "names":
            return sorted(name for name in self._namespace() if not name.startswith("_"))
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
        if op == "len":
            return len(target)
        raise WireError(f"unknown request {op!r}")

    def _decode(self, data):
        return decode(data, self._resolve)

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
            return self._objects[int(message["handle"])]
        if "ref" in message:
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


def _student_traceback(error):
    """The traceback without the probe's own frames, as the student would see it."""
    frames = traceback.extract_tb(error.__traceback__)
    own = __file__
    student = [frame for frame in frames if frame.filename != own]
    lines = traceback.format_list(student) + traceback.format_exception_only(type(error), error)
    return "".join(lines)[-4000:]
