"""Start a grading kernel: limits first, then ipykernel, the probe and the guard.

Run as `python -m grader_kernel.boot -f CONNECTION_FILE` inside the sandbox,
with the sandbox settings as JSON in the GRADER_SANDBOX environment variable.
Everything here happens before the kernel accepts its first cell, so the
student's code always runs limited, probed and guarded.

The judge reaches the probe through a socket of its own beside the kernel's
(PROBE_SOCKET), not through a name in the student's namespace or in builtins:
the student's code cannot shadow it by defining a variable, and nothing in the
namespace announces that a notebook is being graded. The probe answers in the
kernel's main thread, between cells, as ipykernel answers its own requests, but
without a Jupyter message's envelope around each one: a call costs a fraction
of a millisecond, which matters to hidden tests that make thousands.
"""
import json
import os
import resource
import sys

from .guard import install, remove_unaudited_process_calls
from .probe import Probe

PROBE_SOCKET = "probe"   # the probe's socket is the kernel's socket prefix + "-probe"


def set_limits(limits):
    """Hard limits: without privileges a process can lower them, never raise them."""
    for name, value in (("RLIMIT_AS", limits["memory_bytes"]), ("RLIMIT_CPU", limits["cpu_seconds"]),
                        ("RLIMIT_FSIZE", limits["file_bytes"]), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))


def serve_probe(app, probe):
    """Answer the judge on a ROUTER socket in the kernel's main loop.

    A request is [peer, number, JSON text, *array frames]; the reply is [peer, number, reply
    text, *its frames], so the judge can tell a late reply to a request it gave up on. While a
    request runs, Ctrl-C interrupts it (ipykernel ignores SIGINT between its own requests), so a
    student's endless loop ends with an error for that call, not for the whole notebook.
    """
    import zmq
    from zmq.eventloop.zmqstream import ZMQStream

    socket = app.context.socket(zmq.ROUTER)
    socket.bind(f"{app.transport}://{app.ip}-{PROBE_SOCKET}")

    def answer(parts):
        try:
            peer, number, text, *frames = parts
            app.kernel.pre_handler_hook()
            try:
                reply, reply_frames = probe.serve(bytes(text).decode(), frames)
            finally:
                app.kernel.post_handler_hook()
            socket.send_multipart([peer, number, reply.encode(), *reply_frames])
        except (ValueError, UnicodeDecodeError, zmq.ZMQError):
            pass        # not a request from the judge (too few parts, not text): no answer

    ZMQStream(socket).on_recv(answer, copy=False)


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
    serve_probe(app, Probe(lambda: shell.user_ns))
    switch_off(settings.get("switched_off", ()))
    if settings["guard"]:
        remove_unaudited_process_calls()
        install(settings["read_roots"], settings["write_roots"], settings["denied_modules"],
                settings["hidden_roots"])
    return app


if __name__ == "__main__":
    start().start()
