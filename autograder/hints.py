"""Name a student's likely mistake: the known wrong answer that theirs behaves like.

When a hidden test fails, the grader runs it again, with the student's seed,
on each mutant of that exercise in the casebook: the solution notebook with
one realistic mistake, trusted code. If the student's code gave the hidden
test the same replies as a mutant did, request by request and within a
tolerance, the feedback names that mistake in the casebook's words for
students and the section to reread. It shows nothing else: no hidden test,
no expected value.

The mutants run in a forked child of the grader, one after another, each in
a namespace of its own and with its own time budget; whatever they do there
cannot change the grades, which are decided before.
"""
import json
import os
import select
import signal
import sys
import time

import numpy as np

from . import casebook, course, judge, runner, submissions

MUTANT_SECONDS = 10   # for one mutant: running its notebook's cells and the hidden test
NOTEBOOK_SECONDS = 30  # for all the mutants tried on one graded notebook
RTOL, ATOL = 1e-5, 1e-8
# A record with one of these says nothing about how the answer computes: it was not written, or never ran.
UNDIAGNOSABLE = ("NotImplementedError", "missing", "gone")


def diagnose(notebook, release_dir, evidence, solutions=course.SOLUTIONS):
    """{grade id: the hint} for the failures in `evidence` (runner.Failure by grade id) that match mutants."""
    mutants = {grade_id: [m for m in casebook.for_notebook(notebook).MUTANTS if m.exercise == grade_id]
               for grade_id, failure in evidence.items() if diagnosable(failure.record)}
    mutants = {grade_id: found for grade_id, found in mutants.items() if found}
    if not mutants or not (solutions / notebook).is_dir():
        return {}

    def work(emit):
        os.chdir(release_dir)  # as the student's kernel: the files shipped with the notebook beside it
        sys.path.insert(0, str(release_dir))
        for grade_id, found in mutants.items():
            for index, mutant in enumerate(found):
                if matches(evidence[grade_id], mutant, notebook, release_dir, solutions):
                    emit([grade_id, index])

    matched = {}
    for grade_id, index in in_child(work, NOTEBOOK_SECONDS):
        matched.setdefault(grade_id, []).append(mutants[grade_id][index])
    release = submissions.release_notebook(notebook, release_dir.parent)
    return {grade_id: sentence(found, release) for grade_id, found in matched.items()}


def sentence(mutants, release):
    """What the feedback says for the mutants a failure matched (several when they cannot be told apart)."""
    hints = list(dict.fromkeys(mutant.hint for mutant in mutants))
    sections = list(dict.fromkeys(filter(None, (section_of(release, mutant.edit.cell) for mutant in mutants))))
    reread = "".join(f' Reread the section "{section}".' for section in sections)
    return f"Likely mistake: your answer behaves like one that {', or like one that '.join(hints)}.{reread}"


def section_of(nb, cell_id):
    """The title of the last heading above answer cell `cell_id`, or ''."""
    title = ""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == cell_id:
            return title
        if cell.cell_type == "markdown":
            headings = [line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")]
            title = headings[-1] if headings else title
    return ""


def diagnosable(record):
    """Whether a record tells how the answer computes: at least one reply is data, none says it was not run.

    An answer that only raised (or only handed over its function) could be
    any answer that raises there: a guess from it would be a wrong hint as
    often as a right one.
    """
    data = [item for item in record if not isinstance(item, (judge.Raised, judge.Remote))]
    return bool(data) and not any(isinstance(item, judge.Raised) and item.kind in UNDIAGNOSABLE for item in record)


def matches(failure, mutant, notebook, release_dir, solutions):
    """Whether `mutant`, given the same hidden test and seed, fails it with the same replies as the student."""
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.setitimer(signal.ITIMER_REAL, MUTANT_SECONDS)
    backend, passed = judge.LocalBackend({}), False
    backend.record = []
    try:
        nb = submissions.build(notebook, [mutant.edit], release=release_dir.parent, solutions=solutions)
        backend = judge.LocalBackend(namespace_of(nb))
        backend.record = []
        with judge.use_backend(backend), judge.seeded(failure.seed):
            exec(compile(failure.hidden_source, "<hidden tests>", "exec"), {"__name__": "__hidden_tests__"})
        passed = True
    except TimedOut:
        backend.record.append(judge.Raised("timeout"))
    except BaseException:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    mine = [judge.Raised("timeout") if isinstance(item, judge.Raised) and item.kind == "TimedOut" else item
            for item in backend.record]
    return not passed and len(mine) == len(failure.record) and all(map(same, failure.record, mine))


def namespace_of(nb):
    """Run what a graded kernel runs (the visible part of test cells included) in a fresh namespace here."""
    import matplotlib
    matplotlib.use("Agg")
    namespace = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
    for cell in nb.cells:
        if cell.cell_type != "code" or runner.SKIP_TAG in cell.metadata.get("tags", []):
            continue
        visible = runner.split_hidden(cell.source)[0]
        source = "\n".join(line for line in visible.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            exec(compile(source, "<cell>", "exec"), namespace)
        except Exception:  # as in the student's kernel, a failing cell does not stop the next
            pass
    import matplotlib.pyplot as plt
    plt.close("all")
    return namespace


def same(mine, theirs):
    """Whether two replies agree: numbers within the tolerance, kernel objects by type, the rest exactly."""
    if isinstance(mine, judge.Raised) or isinstance(theirs, judge.Raised):
        return isinstance(mine, judge.Raised) and isinstance(theirs, judge.Raised) and mine == theirs
    if isinstance(mine, judge.Remote) or isinstance(theirs, judge.Remote):
        return (isinstance(mine, judge.Remote) and isinstance(theirs, judge.Remote)
                and mine.type_name == theirs.type_name)
    if isinstance(mine, dict) or isinstance(theirs, dict):
        return (isinstance(mine, dict) and isinstance(theirs, dict) and mine.keys() == theirs.keys()
                and all(same(mine[key], theirs[key]) for key in mine))
    if isinstance(mine, (list, tuple)) and isinstance(theirs, (list, tuple)):
        return len(mine) == len(theirs) and all(map(same, mine, theirs))
    if _numeric(mine) and _numeric(theirs):
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        return mine.shape == theirs.shape and bool(np.allclose(mine, theirs, RTOL, ATOL, equal_nan=True))
    return type(mine) is type(theirs) and mine == theirs


def _numeric(value):
    """Numbers, arrays, and lists of numbers (a reply may be a list where another is an array)."""
    if not isinstance(value, (bool, int, float, complex, list, tuple, np.ndarray, np.generic)):
        return False
    try:
        return np.asarray(value).dtype.kind in "biufc"
    except ValueError:  # ragged lists
        return False


class TimedOut(BaseException):
    """A mutant ran past MUTANT_SECONDS (a BaseException, so that nothing on its way swallows it)."""


def _out_of_time(signum, frame):
    raise TimedOut()


def in_child(work, timeout):
    """Run `work(emit)` in a forked child; return what it emitted (as JSON) before it ended or `timeout` s."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing it prints may reach the worker's own output, which talks to the grader
        try:
            os.close(read)
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            with os.fdopen(write, "w", buffering=1) as pipe:
                work(lambda item: pipe.write(json.dumps(item) + "\n"))
        finally:
            os._exit(0)
    os.close(write)
    data, deadline = b"", time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0 and select.select([read], [], [], left)[0]:
            chunk = os.read(read, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return [json.loads(line) for line in data.split(b"\n")[:-1]]
