"""Start a grading kernel: limits first, then ipykernel, the probe and the guard.

Run as `python -m grader_kernel.boot -f CONNECTION_FILE` inside the sandbox,
with the sandbox settings as JSON in the GRADER_SANDBOX environment variable.
Everything here happens before the kernel accepts its first cell, so the
student's code always runs limited, probed and guarded.
"""
import builtins
import json
import os
import resource
import sys

from .guard import install
from .probe import Probe


def set_limits(limits):
    """Hard limits: without privileges a process can lower them, never raise them."""
    for name, value in (("RLIMIT_AS", limits["memory_bytes"]), ("RLIMIT_CPU", limits["cpu_seconds"]),
                        ("RLIMIT_FSIZE", limits["file_bytes"]), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))


def main():
    settings = json.loads(os.environ.pop("GRADER_SANDBOX"))
    set_limits(settings["limits"])

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    shell = app.shell
    builtins.__grader_probe__ = Probe(lambda: shell.user_ns)
    if settings["guard"]:
        install(settings["read_roots"], settings["write_roots"], settings["denied_modules"],
                settings["hidden_roots"])
    app.start()


if __name__ == "__main__":
    main()
