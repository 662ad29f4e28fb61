"""Where student code runs while grading, and what it can reach.

Two lines of defence, both always on where the system allows:

1. bubblewrap (`bwrap`, Debian package `bubblewrap`) starts the kernel in new
   mount, PID, network, IPC and user namespaces. Its filesystem holds only
   the Python installation, the visible helper package and the data folders,
   read-only: the reference package, the solutions, the gradebook and other
   students' work do not exist in there. Everything the kernel may write
   (its working folder, home and temporary files) is one size-limited tmpfs,
   and its sockets sit in a small tmpfs of their own that the grader reaches
   through /proc/PID/root: no folder of the grader's disk is writable from
   inside. It has no network but its own loopback and cannot see or signal
   other processes.
2. An audit hook inside the kernel (kernel_side/guard.py) refuses the same
   things at the Python level, and hard resource limits cap memory, CPU time
   and file size (kernel_side/boot.py).

Grading without bubblewrap (the guard alone) is not a security boundary: the
class grader refuses it unless the instructor asks for it explicitly.
Wall-clock limits, output caps and reply caps are enforced from outside by the runner.
"""
import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import dlscratch

KERNEL_SIDE = Path(__file__).with_name("kernel_side")
REPO_ROOT = Path(__file__).resolve().parent.parent
# /proc/self/maps: threadpoolctl lists the loaded libraries there, and the notebooks limit BLAS threads.
GUARD_FILES = ("/etc/mime.types", "/etc/matplotlibrc", "/etc/fonts", "/proc/cpuinfo",
               "/proc/meminfo", "/proc/self/stat", "/proc/self/status", "/proc/self/statm", "/proc/self/maps",
               "/sys/devices/system/cpu", "/sys/fs/cgroup")
ETC_FILES = ("/etc/ld.so.cache", "/etc/fonts", "/etc/mime.types", "/etc/localtime",
             "/etc/ssl/certs", "/etc/nsswitch.conf")


IPC_INSIDE = "/run/grader"      # the kernel's sockets and connection file, inside bubblewrap


@dataclass
class Limits:
    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 1800
    file_bytes: int = 256 * 2**20
    disk_bytes: int = 512 * 2**20  # everything the kernel writes, together (bubblewrap's tmpfs)
    cell_timeout: int = 120        # seconds for one cell or one hidden-test call
    notebook_timeout: int = 900    # seconds for a whole notebook, start-up included
    output_bytes: int = 16 * 2**20  # output kept from one notebook, all cells together
    max_cells: int = 400           # code cells run from one notebook


@dataclass
class Sandbox:
    workdir: Path
    limits: Limits = field(default_factory=Limits)
    denied_modules: tuple = ("autograder",)
    switched_off: tuple = ()      # library functions replaced by refusals before student code runs
    hidden_paths: tuple = ()
    use_bwrap: bool = True
    python_guard: bool = True     # off only in tests that check bubblewrap on its own

    def __post_init__(self):
        self.workdir = Path(self.workdir).resolve()
        self.home = self.workdir / "home"
        self.notebook_dir = self.workdir / "notebook"
        self.lib = self.workdir / "lib"
        self.ipc = self.workdir / "ipc"   # the kernel's sockets, when it runs without bubblewrap
        for folder in (self.home, self.notebook_dir, self.lib, self.workdir / "tmp", self.ipc):
            folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(KERNEL_SIDE, self.lib / "grader_kernel", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        fonts = matplotlib_font_list()
        if fonts and not self.use_bwrap:   # bubblewrap shows the grader's copy read-only instead
            (self.home / ".matplotlib").mkdir(exist_ok=True)
            shutil.copyfile(fonts, self.home / ".matplotlib" / fonts.name)

    # -- what the kernel may see -------------------------------------------------
    def python_roots(self):
        roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
        return sorted({Path(r).resolve().as_posix() for r in roots})

    def helper_roots(self):
        """The visible helper package, when it is imported from a source tree."""
        return [Path(dlscratch.__path__[0]).resolve().as_posix()] if _is_editable(dlscratch) else []

    def hidden_roots(self):
        """Folders that must stay invisible even when they sit inside an allowed one."""
        roots = [REPO_ROOT / "autograder", REPO_ROOT / "solutions", *map(Path, self.hidden_paths)]
        for name in self.denied_modules:
            spec_root = _package_folder(name)
            if spec_root:
                roots.append(spec_root)
        return sorted({Path(r).resolve().as_posix() for r in roots})

    def settings(self):
        if getattr(self, "_settings", None) is None:
            self._settings = self._compute_settings()
        return self._settings

    def _compute_settings(self):
        read_roots = self.python_roots() + self.helper_roots() + ["/usr", "/dev/null", "/dev/urandom"] \
            + [p for p in GUARD_FILES if os.path.exists(p)]
        limits = self.limits
        return {
            "read_roots": read_roots,
            "write_roots": [f.as_posix() for f in (self.home, self.notebook_dir, self.workdir / "tmp")],
            "denied_modules": list(self.denied_modules),
            "switched_off": list(self.switched_off),
            "hidden_roots": self.hidden_roots(),
            "guard": self.python_guard,
            "limits": {"memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds,
                       "file_bytes": limits.file_bytes},
        }

    def environment(self):
        import json
        home = self.home.as_posix()
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": home,
            "TMPDIR": (self.workdir / "tmp").as_posix(),
            "PYTHONPATH": self.lib.as_posix(),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": f"{home}/.matplotlib",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "IPYTHONDIR": f"{home}/.ipython",
            "NUMBA_CACHE_DIR": f"{home}/.numba",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NUMBA_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
            "GRADER_SANDBOX": json.dumps(self.settings()),
        }

    # -- how the kernel starts -------------------------------------------------
    def ipc_prefix(self):
        """The socket path prefix written into the kernel's connection file."""
        return f"{IPC_INSIDE}/k" if self.use_bwrap else (self.ipc / "k").as_posix()

    def connection_file_inside(self, connection_file):
        return f"{IPC_INSIDE}/kernel.json" if self.use_bwrap else str(connection_file)

    def kernel_command(self, connection_file):
        python = Path(sys.executable).as_posix()  # the venv's interpreter, so its packages load
        kernel = [python, "-m", "grader_kernel.boot", "-f", self.connection_file_inside(connection_file),
                  "--HistoryManager.hist_file=:memory:"]
        if not self.use_bwrap:
            return kernel
        return self.bwrap_prefix(connection_file) + ["--"] + kernel

    def bwrap_prefix(self, connection_file):
        limits, workdir = self.limits, self.workdir.as_posix()
        args = [shutil.which("bwrap"), "--unshare-all", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--clearenv", "--proc", "/proc", "--dev", "/dev",
                "--size", str(2**20), "--tmpfs", "/dev/shm", "--size", str(2**20), "--tmpfs", "/tmp"]
        for top in ("bin", "lib", "lib32", "lib64", "sbin"):
            path = Path("/") / top
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), path.as_posix()]
            elif path.is_dir():
                args += ["--ro-bind", path.as_posix(), path.as_posix()]
        args += ["--ro-bind", "/usr", "/usr"]
        for path in ETC_FILES:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        for root in self.python_roots() + self.helper_roots():
            args += ["--ro-bind", root, root]
        bound = self.python_roots() + self.helper_roots() + ["/usr"]
        for hidden in self.hidden_roots():  # hidden things that sit inside a folder bound above
            if any(hidden == r or hidden.startswith(r + "/") for r in bound):
                if os.path.isdir(hidden):
                    args += ["--tmpfs", hidden]
                elif os.path.isfile(hidden):
                    args += ["--ro-bind", "/dev/null", hidden]
        # what the kernel may write: one tmpfs of limited size, at the same path as the grader's folder
        args += ["--size", str(limits.disk_bytes), "--tmpfs", workdir]
        for folder in (self.home, self.notebook_dir, self.workdir / "tmp"):
            args += ["--dir", folder.as_posix()]
        for data in sorted(self.notebook_dir.iterdir()):  # data files shipped with the notebook
            if data.is_file():
                args += ["--ro-bind", data.as_posix(), data.as_posix()]
        fonts = matplotlib_font_list()
        if fonts:
            args += ["--dir", (self.home / ".matplotlib").as_posix(),
                     "--ro-bind", fonts.as_posix(), (self.home / ".matplotlib" / fonts.name).as_posix()]
        args += ["--ro-bind", self.lib.as_posix(), self.lib.as_posix(),
                 "--size", str(2**20), "--tmpfs", IPC_INSIDE,
                 "--ro-bind", str(connection_file), self.connection_file_inside(connection_file),
                 "--chdir", self.notebook_dir.as_posix()]
        for key, value in self.environment().items():
            args += ["--setenv", key, value]
        return args + ["--remount-ro", "/dev", "--remount-ro", "/"]


@functools.lru_cache(maxsize=1)
def matplotlib_font_list():
    """matplotlib's list of fonts, made once per grading process and given to every kernel read-only.

    Every kernel starts with a new, empty home, where matplotlib would scan the
    fonts again: 0.1 s of every graded notebook. The list is made by this
    Python with an empty home, so it names only fonts the sandbox shows too
    (/usr and the Python installation). None if it cannot be made; then each
    kernel makes its own, as before.
    """
    folder = Path(tempfile.mkdtemp(prefix="dlg-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    env = {"HOME": folder.as_posix(), "MPLCONFIGDIR": folder.as_posix(), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    try:
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                       capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    made = sorted(folder.glob("fontlist-*.json"))
    return made[0] if made else None


def bwrap_available():
    """True where bubblewrap exists and can create namespaces on this machine."""
    exe = shutil.which("bwrap")
    if not exe:
        return False
    probe = subprocess.run([exe, "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def _is_editable(package):
    """An editable install imports from the source tree, outside site-packages."""
    folder = Path(package.__path__[0]).resolve()
    return not any(folder.is_relative_to(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix))


def _package_folder(name):
    """Where module `name` would load from, found without importing it (importing torch takes seconds)."""
    import importlib.util
    top, _, rest = name.partition(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return Path(spec.origin) if spec is not None and spec.origin and not rest else None
    folder = Path(list(spec.submodule_search_locations)[0]).joinpath(*rest.split(".")) if rest else \
        Path(list(spec.submodule_search_locations)[0])
    if folder.is_dir():
        return folder
    module_file = folder.with_suffix(".py")
    return module_file if module_file.exists() else None
