"""The second line of the grading sandbox: a Python audit hook in the kernel.

The first line is bubblewrap (see autograder/sandbox.py): a private mount,
process and network namespace in which the hidden files simply do not exist.
Where bubblewrap is missing, or if a hole is ever found in it, this hook still
refuses the obvious routes from inside the interpreter: reading files outside
the allowed folders, writing outside the working folder, starting or killing
processes, opening network connections, importing the hidden packages, and
the introspection that could reach the hook's own state.

Audit hooks cannot be removed once added. The hook keeps its settings in
default arguments of a closure built from immutable values, and calls only
functions captured at install time, so that monkeypatching os, posixpath or
builtins later changes nothing here.
"""
import sys

PROCESS_EVENTS = frozenset({
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "pty.spawn", "os.startfile",
})
INTROSPECTION_EVENTS = frozenset({
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
    "sys.settrace", "sys.setprofile", "sys.monitoring.register_callback",
    "resource.setrlimit", "resource.prlimit",
})
NETWORK_EVENTS = frozenset({
    "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
    "socket.gethostbyaddr", "socket.getnameinfo",
})
WRITE_PATH_EVENTS = frozenset({
    "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
    "os.utime", "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr",
    "shutil.rmtree", "shutil.chown",
})
TWO_PATH_EVENTS = frozenset({"os.rename", "shutil.move", "shutil.copyfile", "shutil.copytree"})
LIST_EVENTS = frozenset({"os.listdir", "os.scandir", "glob.glob", "os.walk"})
DENIED_SYMBOLS = frozenset({
    "fork", "vfork", "clone", "clone3", "execve", "execv", "execvp", "execvpe", "execl",
    "execlp", "execle", "fexecve", "system", "popen", "posix_spawn", "posix_spawnp",
    "kill", "killpg", "tgkill", "tkill", "syscall", "ptrace", "socket", "connect", "bind",
    "sendto", "unshare", "setns", "mount", "chroot", "open", "open64", "openat", "openat64",
    "fopen", "fopen64", "creat", "creat64", "opendir", "symlink", "link", "unlink", "rename",
    "dlopen", "dlsym", "prctl", "seccomp", "setrlimit", "prlimit", "prlimit64",
    "sigqueue", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal", "pidfd_getfd",
    "process_vm_readv", "process_vm_writev", "sqlite3_open", "sqlite3_open_v2", "sqlite3_open16",
})
# Modules whose process calls raise no audit event: remove_unaudited_process_calls takes those calls
# away, and the hook refuses loading the modules afresh (which would bring them back).
UNAUDITED_MODULES = ("_posixsubprocess", "posix", "_signal")
UNAUDITED_CALLS = (("_posixsubprocess", "fork_exec"), ("subprocess", "_fork_exec"), ("posix", "pidfd_open"),
                   ("os", "pidfd_open"), ("_signal", "pidfd_send_signal"), ("signal", "pidfd_send_signal"))
O_WRITE = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000  # O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND


class SandboxViolation(PermissionError):
    """What student code sees when it reaches for something grading forbids."""


def remove_unaudited_process_calls():
    """Take away the calls that start or signal processes without an audit event the hook could refuse.

    multiprocessing reaches fork_exec directly, and pidfd_send_signal can
    signal any process the kernel can see; neither is announced to audit hooks.
    """
    import importlib
    modules = {module_name: importlib.import_module(module_name) for module_name, _ in UNAUDITED_CALLS}
    for module_name, name in UNAUDITED_CALLS:  # (all imported first: subprocess imports fork_exec by name)
        if hasattr(modules[module_name], name):
            delattr(modules[module_name], name)


def install(read_roots, write_roots, denied_modules, hidden_roots):
    """Add the audit hook.

    Roots are absolute paths (folders or single files); hidden roots win over
    the others, so a hidden folder inside an allowed one stays hidden.
    Modules are dotted names that cannot be imported.
    """
    import pathlib
    import posix

    hook = _make_hook(
        tuple(_normalise(r, "/") for r in read_roots + write_roots),
        tuple(_normalise(r, "/") for r in write_roots),
        tuple(denied_modules) + UNAUDITED_MODULES,
        tuple(_normalise(r, "/") for r in hidden_roots),
        posix.getcwd,
        posix.getpid(),
        (pathlib.PosixPath, pathlib.PurePosixPath),
        posix.fspath,
    )
    sys.addaudithook(hook)


def _normalise(path, cwd):
    """Absolute, with '.', '..' and repeated slashes resolved, using only str methods."""
    if not path.startswith("/"):
        path = cwd + "/" + path
    parts = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/" + "/".join(parts)


def _make_hook(read_roots, write_roots, denied_modules, hidden_roots, getcwd, own_pid, path_types, fspath,
               _normalise=_normalise, SandboxViolation=SandboxViolation,
               ModuleNotFoundError=ModuleNotFoundError, str=str, bytes=bytes, int=int,
               tuple=tuple, type=type, len=len, PROCESS_EVENTS=PROCESS_EVENTS,
               INTROSPECTION_EVENTS=INTROSPECTION_EVENTS, NETWORK_EVENTS=NETWORK_EVENTS,
               WRITE_PATH_EVENTS=WRITE_PATH_EVENTS, TWO_PATH_EVENTS=TWO_PATH_EVENTS,
               LIST_EVENTS=LIST_EVENTS, DENIED_SYMBOLS=DENIED_SYMBOLS, O_WRITE=O_WRITE):
    """Build the hook; every name it uses is bound here, none is looked up later."""
    def within(path, roots):
        for root in roots:
            if path == root or path.startswith(root + "/") or root == "/":
                return True
        return False

    def path_of(raw):
        kind = type(raw)
        if kind in path_types:  # pathlib objects, as libraries pass them
            raw = fspath(raw)
            kind = type(raw)
        if kind is bytes:
            raw = raw.decode("utf-8", "surrogateescape")
        elif kind is not str:
            raise SandboxViolation("grading sandbox: give file paths as plain strings")
        return _normalise(raw, getcwd())

    def check(raw, roots, doing):
        if type(raw) is int:  # an already-open file descriptor
            return
        path = path_of(raw)
        if within(path, hidden_roots) or not within(path, roots):
            raise SandboxViolation(f"grading sandbox: {doing} {path} is not allowed while grading")

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (type(mode) is str and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)) \
                or (type(flags) is int and flags & O_WRITE)
            if writing:
                check(path, write_roots, "writing")
            else:
                check(path, read_roots, "reading")
        elif event == "import":
            name = args[0]
            if type(name) is not str:
                raise SandboxViolation("grading sandbox: module names must be strings")
            for denied in denied_modules:
                if name == denied or name.startswith(denied + "."):
                    raise ModuleNotFoundError(
                        f"grading sandbox: '{name}' is not available to your code while grading")
        elif event in PROCESS_EVENTS:
            raise SandboxViolation("grading sandbox: starting processes is not allowed while grading")
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if not (event == "os.kill" and type(args[0]) is int and args[0] == own_pid):
                raise SandboxViolation("grading sandbox: signalling other processes is not allowed")
        elif event == "sqlite3.connect":
            database = args[0]  # only an in-memory database: the gradebook is a SQLite file
            if not (type(database) in (str, bytes) and database in (":memory:", "", b":memory:", b"")):
                raise SandboxViolation("grading sandbox: opening databases is not allowed while grading")
        elif event in INTROSPECTION_EVENTS:
            raise SandboxViolation(f"grading sandbox: {event} is not allowed while grading")
        elif event in NETWORK_EVENTS:
            raise SandboxViolation("grading sandbox: network access is not allowed while grading")
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            address = args[1] if len(args) > 1 else None
            if type(address) in (str, bytes):
                check(address, write_roots, "using the socket")
            else:
                raise SandboxViolation("grading sandbox: network access is not allowed while grading")
        elif event in WRITE_PATH_EVENTS:
            check(args[0], write_roots, "changing")
        elif event in TWO_PATH_EVENTS:
            check(args[0], write_roots, "moving")
            check(args[1], write_roots, "moving")
        elif event in LIST_EVENTS:
            check(args[0] if args[0] is not None else ".", read_roots, "listing")
        elif event in ("os.symlink", "os.link"):
            raise SandboxViolation("grading sandbox: creating links is not allowed while grading")
        elif event == "ctypes.dlsym":
            name = args[1]
            if type(name) is not str or name in DENIED_SYMBOLS:
                raise SandboxViolation(f"grading sandbox: the C function {name!r} is not allowed")

    return hook
