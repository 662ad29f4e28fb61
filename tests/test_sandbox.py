"""Each layer of the grading sandbox, on its own.

The guard is tried in a plain Python process; bubblewrap is tried with the
guard switched off, so that each is shown to stop the attacks by itself.
"""
import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from autograder import course, runner
from autograder.kernel_side import guard
from autograder.sandbox import Limits, Sandbox, bwrap_available, matplotlib_font_list

ATTACKS = {
    "read the solutions": f"open({str(course.SOLUTIONS / '01_derivatives' / '01_derivatives.ipynb')!r}).read()",
    "list the repository": f"__import__('os').listdir({str(course.REPO)!r})",
    "import the reference": "__import__('autograder.reference.derivatives')",
    "start a process": "__import__('subprocess').run(['true'])",
    "fork": "__import__('os').fork()",
    "open a connection": "__import__('socket').create_connection(('127.0.0.1', 9), timeout=1)",
    "signal the parent": "__import__('os').kill(__import__('os').getppid(), 0)",
    "signal the parent with a pid that claims to be ours": "import os; os.kill(type('Pid', (int,), "
                                                           "{'__eq__': lambda a, b: True})(os.getppid()), 0)",
    "write outside": f"open({str(course.REPO / 'pwned.txt')!r}, 'w')",
    "open a database file": "__import__('sqlite3').connect('gradebook.db')",
    "read every thread's frames": "__import__('sys')._current_frames()",
    "spawn through multiprocessing": "import multiprocessing.util as m, os, sys; "
                                     "m.spawnv_passfds(os.fsencode(sys.executable), [sys.executable, '-V'], [])",
    "signal through a pidfd": "import os, signal; signal.pidfd_send_signal(os.pidfd_open(os.getppid()), 0)",
    "queue a signal through ctypes": "import ctypes, os; ctypes.CDLL(None).sigqueue(os.getppid(), 0, 0)",
    "load the process module afresh": "import sys; sys.modules.pop('_posixsubprocess'); import _posixsubprocess",
}


def run_guarded(code, tmp_path):
    """Run `code` in a fresh interpreter after installing the guard; return its output."""
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(course.REPO / 'autograder' / 'kernel_side')!r})
        import guard
        guard.remove_unaudited_process_calls()
        guard.install([sys.prefix, sys.base_prefix, "/usr"], [{str(tmp_path)!r}], ["autograder"],
                      [{str(course.REPO / 'autograder')!r}, {str(course.SOLUTIONS)!r}])
        try:
            exec({code!r})
            print("ALLOWED")
        except BaseException as error:
            print("BLOCKED", type(error).__name__, error)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    return done.stdout.strip() or done.stderr


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_guard_blocks(attack, tmp_path):
    out = run_guarded(ATTACKS[attack], tmp_path)
    assert out.startswith("BLOCKED"), out
    assert "grading sandbox" in out or "has no attribute" in out, out  # the guard's refusal, or a call taken away
    assert not (course.REPO / "pwned.txt").exists()


@pytest.mark.parametrize("allowed", ["open('notes.txt', 'w').write('ok')", "import json, numpy",
                                     "open(__import__('numpy').__file__).read(10)",
                                     "__import__('sqlite3').connect(':memory:').execute('select 1')",
                                     "import subprocess, multiprocessing, signal"])
def test_guard_allows_ordinary_work(allowed, tmp_path):
    assert run_guarded(allowed, tmp_path) == "ALLOWED"


def test_guard_refuses_to_be_introspected(tmp_path):
    out = run_guarded("__import__('gc').get_objects()", tmp_path)
    assert out.startswith("BLOCKED"), out
    out = run_guarded("__import__('sys').settrace(lambda *a: None)", tmp_path)
    assert out.startswith("BLOCKED"), out


def test_guard_normalises_paths_with_only_string_methods():
    assert guard._normalise("a/../../b/./c//d", "/x/y") == "/x/b/c/d"
    assert guard._normalise("/../..", "/") == "/"


PROBE_NOTEBOOK = """
import os
def attempt(what, action):
    try:
        action()
        return f"{what}: reachable"
    except BaseException as error:
        return f"{what}: blocked ({type(error).__name__})"
print(attempt("solutions", lambda: os.listdir(SOLUTIONS)))
print("repository holds:", sorted(os.listdir(REPO)) if os.path.isdir(REPO) else "nothing")
print(attempt("reference", lambda: __import__("autograder.reference")))
print(attempt("network", lambda: __import__("socket").create_connection(("1.1.1.1", 53), timeout=2)))
print("processes in sight:", len([p for p in os.listdir("/proc") if p.isdigit()]))
"""


@pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not usable here")
def test_bubblewrap_alone_hides_the_instructor_files(tmp_path):
    """With the Python guard off, the kernel still cannot see solutions, the reference or the network."""
    source = f"SOLUTIONS, REPO = {str(course.SOLUTIONS)!r}, {str(course.REPO)!r}\n" + PROBE_NOTEBOOK
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    sandbox = Sandbox(tmp_path / "work", use_bwrap=True, python_guard=False)
    asyncio.run(runner.run(nb, sandbox))
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    for what in ("solutions", "reference", "network"):
        assert f"{what}: blocked" in text, text
    visible = text.split("repository holds:")[1].splitlines()[0]
    assert "solutions" not in visible and "autograder" not in visible, visible
    seen = int(text.split("processes in sight:")[1].split()[0])
    assert seen <= 4, f"the kernel sees {seen} processes: the PID namespace is not private"


def _processes_mentioning(text):
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in entry.read_bytes().decode(errors="replace"):
                found.append(entry.parent.name)
        except OSError:
            pass
    return found


@pytest.mark.parametrize("use_bwrap", [True, False], ids=["bubblewrap", "guard-only"])
def test_no_kernel_outlives_its_notebook(use_bwrap, tmp_path):
    """Each graded notebook's kernel is shut down: a class of hundreds must not pile up kernels."""
    if use_bwrap and not bwrap_available():
        pytest.skip("bubblewrap is not usable here")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = sum(range(10))\nprint(x)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    sandbox = Sandbox(tmp_path / "work", use_bwrap=use_bwrap)
    asyncio.run(runner.run(nb, sandbox))
    assert "45" in "".join(o.get("text", "") for o in nb.cells[0].outputs)
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(sandbox.workdir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_mentioning(str(sandbox.workdir)), "the kernel is still running after grading"


@pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not usable here")
def test_bubblewrap_keeps_every_write_in_a_small_tmpfs(tmp_path):
    """Inside bubblewrap the kernel writes only to one size-limited tmpfs; the grader's disk gets nothing."""
    source = """
import os
written = {}
for folder in (os.environ["HOME"], os.environ["TMPDIR"], ".", "/tmp", "/dev/shm", "/", "/dev"):
    written[folder] = 0
    for index in range(8):
        try:
            with open(f"{folder}/fill-{index}", "wb") as handle:
                handle.write(b"0" * 2**22)
            written[folder] += 2**22
        except OSError:
            break
print("WROTE", sum(written.values()), written["/"], written["/dev"])
"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    sandbox = Sandbox(tmp_path / "work", limits=Limits(disk_bytes=12 * 2**20), use_bwrap=True, python_guard=False)
    asyncio.run(runner.run(nb, sandbox))
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    total, root, dev = (int(n) for n in text.split("WROTE")[1].split())
    assert 0 < total <= 12 * 2**20 + 2 * 2**20 and root == dev == 0, text   # 12 MB tmpfs + 1 MB each for /tmp, /dev/shm
    on_host = [p for p in sandbox.workdir.rglob("*") if p.is_file() and "lib" not in p.relative_to(sandbox.workdir).parts
               and p.name != "kernel.json"]
    assert on_host == [], on_host


@pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not usable here")
def test_matplotlib_reads_the_graders_font_list_and_cannot_change_it(tmp_path):
    """Every kernel's home is new, so matplotlib would scan the fonts again; it reads the grader's list instead."""
    source = """
import logging, os
logging.basicConfig(level=logging.DEBUG)
import matplotlib, matplotlib.font_manager as fm
folder = matplotlib.get_cachedir()
try:
    open(os.path.join(folder, sorted(os.listdir(folder))[0]), "a")
    print("WRITABLE")
except OSError:
    print("READ-ONLY")
print("FONTS", sorted(os.listdir(folder)), os.path.basename(fm.findfont("DejaVu Sans")))
"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    shared = matplotlib_font_list()
    assert shared is not None and shared.name.startswith("fontlist-")
    sandbox = Sandbox(tmp_path / "work", use_bwrap=True)
    asyncio.run(runner.run(nb, sandbox))
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "READ-ONLY" in text and f"FONTS ['{shared.name}'] DejaVuSans.ttf" in text, text
    assert f"Using fontManager instance from {sandbox.home}/.matplotlib/{shared.name}" in text, text
