"""Name a student's likely mistake: the known wrong answer that theirs behaves like.

When a hidden test fails, the grader runs it again, with the student's seed,
on each mutant of that exercise in the casebook: the solution notebook with
one realistic mistake, trusted code. If the student's code gave the hidden
test the same replies as a mutant did, request by request and within a
tolerance, the feedback names that mistake in the casebook's words for
students and the section to reread. It shows nothing else: no hidden test,
no expected value.

A hint is given only where the student's code returned a value the solution
does not: an answer that merely raised could be any answer that raises there.

The mutants run in a forked child of the grader, each on a fork of its own
and with its own time budget; whatever they do there cannot change the
grades, which are decided before.
"""
import functools
import json
import os
import select
import signal
import sys
import time

import nbformat
import numpy as np

from . import casebook, course, judge, runner, submissions

MUTANT_SECONDS = 5    # at most, for one mutant: running its notebook's cells and the hidden test
SLOWER = 3, 1         # (times, plus s): a mutant slower than this next to the student's code behaves otherwise
NOTEBOOK_SECONDS = 30  # for all the mutants tried on one graded notebook
RTOL, ATOL = 1e-5, 1e-8
# A record with one of these says nothing about how the answer computes: it was not written, or never ran.
UNDIAGNOSABLE = ("NotImplementedError", "missing", "gone")


def diagnose(notebook, release_dir, evidence, solutions=course.SOLUTIONS):
    """{grade id: the hint} for the failures in `evidence` (runner.Failure by grade id) that match mutants."""
    known = [mutant for mutant in casebook.for_notebook(notebook).MUTANTS if not mutant.unseeded]
    mutants = {grade_id: [mutant for mutant in known if mutant.exercise == grade_id]
               for grade_id, failure in evidence.items() if diagnosable(failure.record)}
    mutants = {grade_id: found for grade_id, found in mutants.items() if found}
    if not mutants or not (solutions / notebook).is_dir():
        return {}

    def work(emit):
        os.chdir(release_dir)  # as the student's kernel: the files shipped with the notebook beside it
        sys.path.insert(0, str(release_dir))
        search(notebook, release_dir, evidence, mutants, solutions, emit)

    matched = {}
    for grade_id, index in in_child(work, NOTEBOOK_SECONDS):
        matched.setdefault(grade_id, []).append(mutants[grade_id][index])
    release = submissions.release_notebook(notebook, release_dir.parent)
    return {grade_id: sentence(found, release) for grade_id, found in matched.items()}


def search(notebook, release_dir, evidence, mutants, solutions, emit):
    """Run the solution notebook's cells once, branching off (by fork) at each exercise's answer cell.

    There a branch of the solution itself runs on to the exercise's test cell
    and replays the hidden test: unless the student's code returned a value
    the solution does not, the mistake is not in what the answer computes (it
    only raised, say), and no hint is sought. Otherwise each mutant gets a
    branch that runs its mutated cell and the cells up to the test cell,
    replays the hidden test, and is emitted as [grade id, mutant index] when
    its replies are the student's. Running the shared cells once keeps a
    notebook that loads a data set from paying for it per mutant.
    """
    import matplotlib
    matplotlib.use("Agg")
    cells = submissions.build(notebook, release=release_dir.parent, solutions=solutions).cells
    answers = submissions.solution_answers(notebook, solutions)
    where = {cell.metadata.get("nbgrader", {}).get("grade_id"): position for position, cell in enumerate(cells)}

    def mutated(mutant, start, stop):
        """cells[start:stop + 1] with the mutant's edit made, as submissions.build makes it (without reading files)."""
        tail = list(cells[start:stop + 1])
        edited = where[mutant.edit.cell] - start
        tail[edited] = nbformat.from_dict({**tail[edited], "source": mutant.edit.apply(answers[mutant.edit.cell])})
        return tail

    namespace = {"__name__": "__main__", "display": lambda *args, **kwargs: None}

    def returns_other_values(grade_id, tail):
        run_cells(tail, namespace)
        return wrong_values(evidence[grade_id].record, replay(evidence[grade_id], namespace)[1])

    def behaves_alike(grade_id, tail):
        run_cells(tail, namespace)
        failure = evidence[grade_id]
        passed, replies = replay(failure, namespace, Following(failure.record))
        return not passed and same_record(replies, failure.record)

    def budget(failure):
        """A student whose code ran out of time may match a slow mutant; one whose code answered, only a quick one."""
        if timed_out(failure):
            return MUTANT_SECONDS
        times, plus = SLOWER
        return min(MUTANT_SECONDS, times * failure.seconds + plus)

    edited = {grade_id: [where.get(mutant.edit.cell) for mutant in found] for grade_id, found in mutants.items()}
    edited = {grade_id: at for grade_id, at in edited.items() if grade_id in where and None not in at}
    for position, cell in enumerate(cells[:max(map(where.get, edited), default=-1) + 1]):
        for grade_id, at in edited.items():
            test = where[grade_id]
            if min(at) != position or not branch(MUTANT_SECONDS, returns_other_values, grade_id,
                                                 cells[position:test + 1]):
                continue
            for index, mutant in enumerate(mutants[grade_id]):
                if mutant.slow and not timed_out(evidence[grade_id]):
                    continue  # it would only use up its budget: its hidden test cannot finish in time
                if branch(budget(evidence[grade_id]), behaves_alike, grade_id, mutated(mutant, position, test)):
                    emit([grade_id, index])
        run_cells([cell], namespace)


def timed_out(failure):
    return any(isinstance(reply, judge.Raised) and reply.kind == "timeout" for reply in failure.record)


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
    unrun = any(isinstance(reply, judge.Raised) and reply.kind in UNDIAGNOSABLE for reply in record)
    return any(map(_data, record)) and not unrun


def replay(failure, namespace, record=None):
    """(passed, replies): how the code in `namespace` does on the failed hidden test, run with the student's seed."""
    backend = judge.LocalBackend(namespace)
    backend.record, passed = [] if record is None else record, False
    try:
        with judge.use_backend(backend), judge.seeded(failure.seed):
            exec(compile(failure.hidden_source, "<hidden tests>", "exec"), {"__name__": "__hidden_tests__"})
        passed = True
    except TimedOut:
        list.append(backend.record, judge.Raised("timeout"))
    except BaseException:
        pass
    return passed, [_timeout(reply) for reply in backend.record]


def _timeout(reply):
    return judge.Raised("timeout") if isinstance(reply, judge.Raised) and reply.kind == "TimedOut" else reply


class Following(list):
    """A mutant's record that stops its hidden test at the first reply unlike the student's: it cannot match."""

    def __init__(self, theirs):
        super().__init__()
        self.theirs = theirs

    def append(self, reply):
        if len(self) >= len(self.theirs) or not same(_timeout(reply), self.theirs[len(self)]):
            raise Diverged()
        super().append(reply)


class Diverged(BaseException):
    """Raised through the hidden test (past its `except Exception`) when a mutant's reply differs."""


def same_record(mine, theirs):
    return len(mine) == len(theirs) and all(map(same, mine, theirs))


def wrong_values(record, solutions_record):
    """Whether the student's code answered where the solution answered otherwise, or did otherwise where it raised.

    Code that raised where the solution returned a value shows only that it
    raised, as any answer that raises there would.
    """
    return any((_answered(reply) or isinstance(expected, judge.Raised)) and not same(reply, expected, 1e-12, 0)
               for reply, expected in zip(record, solutions_record))


def run_cells(cells, namespace):
    """Run what a graded kernel runs of `cells` (the visible part of test cells included) in `namespace`."""
    for cell in cells:
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


def branch(seconds, task, *args):
    """Whether `task(*args)`, run in a forked child on its own copy of everything, said yes within `seconds`."""
    pid = os.fork()
    if pid == 0:
        said = False
        try:
            signal.signal(signal.SIGALRM, _out_of_time)
            signal.setitimer(signal.ITIMER_REAL, seconds)
            said = bool(task(*args))
        finally:
            os._exit(1 if said else 0)
    deadline = time.monotonic() + seconds + 1
    while (status := os.waitpid(pid, os.WNOHANG)) == (0, 0):
        if time.monotonic() > deadline:  # stuck where the alarm cannot reach it (inside compiled code)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return False
        time.sleep(0.005)
    return os.waitstatus_to_exitcode(status[1]) == 1


def same(mine, theirs, rtol=RTOL, atol=ATOL):
    """Whether two replies agree: numbers within the tolerance, kernel objects by type, the rest exactly."""
    if isinstance(mine, judge.Raised) or isinstance(theirs, judge.Raised):
        return isinstance(mine, judge.Raised) and isinstance(theirs, judge.Raised) and mine == theirs
    if isinstance(mine, judge.Remote) or isinstance(theirs, judge.Remote):
        return (isinstance(mine, judge.Remote) and isinstance(theirs, judge.Remote)
                and mine.type_name == theirs.type_name)
    alike = functools.partial(same, rtol=rtol, atol=atol)
    if isinstance(mine, dict) or isinstance(theirs, dict):
        return (isinstance(mine, dict) and isinstance(theirs, dict) and mine.keys() == theirs.keys()
                and all(alike(mine[key], theirs[key]) for key in mine))
    if isinstance(mine, (list, tuple)) and isinstance(theirs, (list, tuple)):
        return len(mine) == len(theirs) and all(map(alike, mine, theirs))
    if _numeric(mine) and _numeric(theirs):
        arrays = isinstance(mine, (np.ndarray, np.generic)) and isinstance(theirs, (np.ndarray, np.generic))
        if arrays and mine.dtype != theirs.dtype:  # float64 where float32 is due is a mistake of its own
            return False
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        return mine.shape == theirs.shape and bool(np.allclose(mine, theirs, rtol, atol, equal_nan=True))
    return type(mine) is type(theirs) and mine == theirs


def _data(reply):
    return not isinstance(reply, (judge.Raised, judge.Remote))


def _answered(reply):
    """A value, a kernel object, or the end of a generator: StopIteration is how one says "no more"."""
    return not isinstance(reply, judge.Raised) or reply.kind == "StopIteration"


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
            os.setpgid(0, 0)  # its branches go with it when it is stopped
            os.close(read)
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            work(lambda item: os.write(write, (json.dumps(item) + "\n").encode()))
        finally:
            os._exit(0)
    os.close(write)
    try:
        os.setpgid(pid, pid)
    except OSError:  # it did so itself, or has already ended
        pass
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
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
    return [json.loads(line) for line in data.split(b"\n")[:-1]]
