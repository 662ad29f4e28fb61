"""Start a grading kernel: limits first, then ipykernel, the probe and the guard.

Run as `python -m grader_kernel.boot -f CONNECTION_FILE` inside the sandbox,
with the sandbox settings as JSON in the GRADER_SANDBOX environment variable.
Everything here happens before the kernel accepts its first cell, so the
student's code always runs limited, probed and guarded.

The judge reaches the probe through a message type of its own on the shell
channel (REQUEST), not through a name in the student's namespace or in
builtins: the student's code cannot shadow it by defining a variable, and
nothing in the namespace announces that a notebook is being graded.
"""
import json
import os
import resource
import sys

from .guard import install, remove_unaudited_process_calls
from .probe import Probe

REQUEST, REPLY = "grader_request", "grader_reply"


def set_limits(limits):
    """Hard limits: without privileges a process can lower them, never raise them."""
    for name, value in (("RLIMIT_AS", limits["memory_bytes"]), ("RLIMIT_CPU", limits["cpu_seconds"]),
                        ("RLIMIT_FSIZE", limits["file_bytes"]), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))


def serve_probe(kernel, probe):
    """Answer REQUEST messages on the shell channel with the probe's reply; the arrays of both
    travel as the messages' buffers."""
    def handle(stream, idents, parent):
        request = parent.get("content", {}).get("request")
        reply, frames = probe.serve(request, parent.get("buffers") or ())
        kernel.session.send(stream, REPLY, {"reply": reply}, parent, idents, buffers=frames)

    kernel.shell_handlers[REQUEST] = handle


def switch_off(functions):
    """Replace library functions that would do an exercise's work by ones that refuse to.

    Done before the first cell, so a name the student saves or imports later
    is already the refusal; functions that an @njit kernel calls are looked up
    while compiling, so numba cannot use the originals either.
    """
    import importlib
    if functions:
        try:  # numba registers its own versions under the functions it finds at import: let it find the originals
            importlib.import_module("numba.np.arraymath")
        except ImportError:
            pass
    for dotted in functions:
        module_name, name = dotted.rsplit(".", 1)
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name):
            setattr(module, name, _refusal(dotted.replace("numpy.", "np.", 1)))


def _refusal(name):
    def refuse(*args, **kwargs):
        raise PermissionError(f"{name} does this exercise's work, so it is switched off while grading: "
                              "write the loops yourself")
    refuse.__name__ = refuse.__qualname__ = name.rsplit(".", 1)[-1]
    return refuse


def start():
    """Set the kernel up; the settings stay in this frame, which is gone before student code runs."""
    settings = json.loads(os.environ.pop("GRADER_SANDBOX"))
    set_limits(settings["limits"])

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    shell = app.shell
    serve_probe(app.kernel, Probe(lambda: shell.user_ns))
    switch_off(settings.get("switched_off", ()))
    if settings["guard"]:
        remove_unaudited_process_calls()
        install(settings["read_roots"], settings["write_roots"], settings["denied_modules"],
                settings["hidden_roots"])
    return app


if __name__ == "__main__":
    start().start()
