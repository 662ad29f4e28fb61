"""Execute one submitted notebook in the sandbox and judge it from outside.

For each cell, in order: the kernel runs what the student can see (answer
cells, locked cells, the visible part of test cells); then, for a test cell,
its hidden part runs here, in the grader's own interpreter, reaching the
student's functions only through `autograder.judge.student`. A test cell
earns its points when its visible part ran without error in the kernel and
its hidden part passed here. The kernel's own opinion never decides a grade.

What the kernel sends back is bounded before it is read: messages above
MAX_MESSAGE_BYTES are dropped by the socket itself, output is capped per cell
and per notebook, and every call is refused once the notebook's time is up.
Outputs of cells that ran after the first hidden test are withheld from the
graded notebook, so that nothing the hidden tests told the kernel can be
printed into the student's feedback.
"""
import asyncio
import json
import os
import queue
import socket
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbgrader import utils as nbutils

from . import judge
from .kernel_side.boot import PROBE_SOCKET
from .sandbox import IPC_INSIDE, Sandbox

BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SKIP_TAG = "skip-when-grading"
TIMEOUT_ENAME = "CellTimeoutError"
CELL_OUTPUT_CAP = 2_000_000  # characters of output kept per cell
MAX_MESSAGE_BYTES = 128 * 2**20  # larger messages from the kernel are dropped unread
SEND_TIMEOUT_MS = 5000
# A dropped connection is not re-made for a day, longer than any notebook may run: in effect never.
# (-1, "never", would be the plain way, but then libzmq takes about a second to close the context
# after every kernel, which was most of a short notebook's grading time.)
NO_RECONNECT_MS = 24 * 3600 * 1000
MESSAGE_CAP = 3000  # characters of a verdict's message
WITHHELD = ("(Outputs of the cells after the first hidden test are not kept while grading, so that "
            "no hidden test can show up here. Run the notebook yourself to see them.)\n")


@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    message: str = ""  # why points were lost; empty when full marks
    hidden_message: str = ""  # what the hidden part alone found wrong (the tests check it catches every mutant)
    seed: int = 0  # what the hidden part drew its random inputs from (judge.seed_for)
    hint: str = ""  # the likely mistake, when the answer behaves like a known wrong one (hints.py)


def split_hidden(source):
    """(visible source, hidden source) of a test cell; hidden regions are joined in order."""
    visible, hidden, inside = [], [], False
    for line in source.splitlines():
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        else:
            (hidden if inside else visible).append(line)
    return "\n".join(visible), "\n".join(hidden)


def capped_context():
    """A zmq context whose sockets drop messages above MAX_MESSAGE_BYTES unread, and do not reconnect.

    A kernel whose connection was dropped cannot take messages any more, so
    sending gives up after SEND_TIMEOUT_MS instead of waiting for it forever.
    """
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    context.setsockopt(zmq.RECONNECT_IVL, NO_RECONNECT_MS)
    context.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)
    return context


class CappedKernelClient(AsyncKernelClient):
    """A client on a capped context, without the heartbeat thread.

    Whether the kernel lives is asked of its manager (the process), so the
    heartbeat only added a thread, which could hang for ever in a send to a
    kernel already gone and then block the client's shutdown.
    """

    def _context_default(self):
        self._created_context = True
        return capped_context()

    def start_channels(self, shell=True, iopub=True, stdin=True, hb=True, control=True):
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)

    async def wait_for_ready(self, timeout=None):
        """Ready when the kernel answers kernel_info and its iopub stream has reached us.

        jupyter_client does the same, then waits 0.2 s for more iopub messages
        to discard: a fifth of a kernel start spent idle, in every graded
        notebook. Messages left over here belong to the kernel_info request,
        and nbclient ignores any message whose parent is not its own cell.
        """
        timeout = timeout or 60
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
                if reply["parent_header"].get("msg_id") == request:
                    await self.iopub_channel.get_msg(timeout=1)   # iopub is connected: its status arrived
                    while await self.iopub_channel.msg_ready():
                        await self.iopub_channel.get_msg(timeout=0)
                    return
            except queue.Empty:
                pass
            if not await self.is_alive():
                raise RuntimeError("the kernel died before replying to kernel_info")
        raise RuntimeError(f"the kernel did not answer within {timeout:.0f} s")


class SandboxedKernelManager(AsyncKernelManager):
    """An ipykernel started through the sandbox, talking over Unix sockets.

    Inside bubblewrap the sockets live in the sandbox's own small tmpfs; the
    grader reaches them through /proc/PID/root once the kernel has made them.
    The client's sockets drop oversized messages and do not reconnect, so a
    socket file that student code replaces later is never followed. `probe` is
    the hidden tests' line to the kernel's probe (see kernel_side/boot.py).
    """

    def __init__(self, sandbox, **kwargs):
        super().__init__(kernel_name="python3", transport="ipc", ip=sandbox.ipc_prefix(), context=capped_context(),
                         connection_file=(sandbox.workdir / "kernel.json").as_posix(),
                         client_factory=CappedKernelClient, **kwargs)
        self._created_context = True  # shut the context down with the kernel
        self.sandbox = sandbox

    def format_kernel_cmd(self, extra_arguments=None):
        # Interrupts travel as messages: a signal would reach bubblewrap, not the kernel, and end both.
        self.kernel_spec.interrupt_mode = "message"
        return self.sandbox.kernel_command(self.connection_file)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self.ip = await self._sockets_ready()
        self.probe = self.context.socket(zmq.DEALER)   # closed with the context, after the kernel
        self.probe.connect(f"ipc://{self.ip}-{PROBE_SOCKET}")

    async def _sockets_ready(self, timeout=120):
        """The socket prefix as the grader sees it, once the kernel has bound every socket."""
        launcher = self.provisioner.process
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if launcher.poll() is not None:
                raise RuntimeError(f"the sandboxed kernel exited at start-up with code {launcher.returncode}")
            prefix = self._prefix_seen_from_here(launcher.pid)
            if prefix and all(_listening(f"{prefix}-{port}") for port in self._ports()):
                return prefix
            await asyncio.sleep(0.01)
        raise RuntimeError(f"the sandboxed kernel did not open its sockets within {timeout} s")

    def _prefix_seen_from_here(self, launcher_pid):
        if not self.sandbox.use_bwrap:
            return self.sandbox.ipc_prefix()
        child = _first_child(launcher_pid)  # bubblewrap's process inside the new namespaces
        return f"/proc/{child}/root{IPC_INSIDE}/k" if child else None

    def _ports(self):
        return (self.shell_port, self.iopub_port, self.stdin_port, self.hb_port, self.control_port, PROBE_SOCKET)


def _is_socket(path):
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def _listening(path):
    """True once the Unix socket at `path` accepts connections.

    Its file appears at bind(), a moment before listen(): a client that
    connects in between is refused, and ours never reconnect (capped_context),
    so every later request on that socket would wait out its time limit.
    """
    if not _is_socket(path):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as trial:
        try:
            trial.connect(path)
        except OSError:
            return False
    return True


def _first_child(pid):
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            return int(entry.parent.name)
    return None


class CappedNotebookClient(NotebookClient):
    """nbclient, keeping a bounded amount of output and no display updates or widget state.

    A cell that prints without end would otherwise fill the grader's memory;
    what is cut is replaced by one line that says so. Display updates could
    rewrite the outputs of earlier cells, so they are ignored.
    """

    def __init__(self, nb, notebook_cap, **kwargs):
        super().__init__(nb, store_widget_state=False, **kwargs)
        self.notebook_cap, self.cell_sizes, self.total_size = notebook_cap, {}, 0

    def output(self, outs, msg, display_id, cell_index):
        room = min(CELL_OUTPUT_CAP - self.cell_sizes.get(cell_index, 0), self.notebook_cap - self.total_size)
        size = len(json.dumps(msg["content"]))
        if size > room:
            text = msg["content"].get("text") if msg["msg_type"] == "stream" else None
            if isinstance(text, str) and room > 1000:  # keep the start of what was printed
                msg = {**msg, "content": {**msg["content"], "text": text[:room - 1000]}}
                self._count(cell_index, room)
                super().output(outs, msg, None, cell_index)
            else:
                self._count(cell_index, room)
            note = (f"\n[... more output was cut: while grading, a cell may print at most "
                    f"{CELL_OUTPUT_CAP // 10**6} MB and a notebook {self.notebook_cap // 2**20} MB ...]\n")
            if not (outs and outs[-1].get("text") == note):
                outs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
            return None
        self._count(cell_index, size)
        return super().output(outs, msg, None, cell_index)

    def _count(self, cell_index, size):
        self.cell_sizes[cell_index] = self.cell_sizes.get(cell_index, 0) + max(size, 0)
        self.total_size += max(size, 0)

    def _update_display_id(self, display_id, msg):
        return None

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        """A cell whose reply says it failed shows an error, even if the kernel printed no traceback."""
        content = (exec_reply or {}).get("content", {})
        if content.get("status") == "error" and not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=str(content.get("ename") or "Error")[:100], evalue=str(content.get("evalue") or "")[:500],
                traceback=["The cell failed, but the kernel showed no traceback."]))
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)

    async def _async_handle_timeout(self, timeout, cell=None):
        """Note the time-out in the cell (nbclient only interrupts), so that the runner can act on it."""
        if cell is not None:
            cell.outputs.append(nbformat.v4.new_output("error", ename=TIMEOUT_ENAME, evalue="",
                                                       traceback=[f"This cell did not finish within {timeout} s."]))
        return await super()._async_handle_timeout(timeout, cell)


class KernelSession(judge.Backend):
    """The grader's connection to one student's kernel, used by hidden tests from a thread."""

    def __init__(self, client, loop, deadline, call_timeout):
        self.client, self.loop = client, loop
        self.deadline, self.call_timeout = deadline, call_timeout
        self.gone = ""  # why the kernel can no longer be used, once it cannot
        self.calls = 0  # numbers the requests, so that a late reply is not taken for the next one's

    def remaining(self):
        return self.deadline - time.monotonic()

    def send(self, text, frames, label):
        return asyncio.run_coroutine_threadsafe(self.call(text, frames, label), self.loop).result()

    async def call(self, text, frames, label):
        if self.gone:
            raise judge.KernelGone(self.gone)
        if self.remaining() <= 0:
            raise judge.StudentCodeError(f"{label} was not called: the notebook's time limit had passed.", "gone")
        self.calls += 1
        number = str(self.calls).encode()
        try:
            await self.client.km.probe.send_multipart([number, text.encode(), *frames])
        except zmq.ZMQError:
            self.gone = "The connection to your kernel was lost (did it send an answer far too large?)."
            raise judge.KernelGone(self.gone) from None
        timeout = min(self.call_timeout, self.remaining())
        reply = await self.probe_reply(number, timeout)
        if reply is None:
            await self.recover(f"{label} was still running after {timeout:.0f} s")
            raise judge.StudentCodeError(
                f"{label} did not finish within {timeout:.0f} seconds. Look for an endless loop.", "timeout")
        try:
            return reply[0].decode(), reply[1:]
        except (IndexError, UnicodeDecodeError):
            raise judge.StudentCodeError(
                f"The grader could not reach your code to run {label}. "
                "Did your notebook replace or delete grader internals?") from None

    async def probe_reply(self, number, timeout):
        """The probe's reply to request `number` (its text and frames), or None after `timeout` s."""
        probe, end = self.client.km.probe, time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            if not await probe.poll(1000 * min(left, 1.0)):
                await self.check_alive()
                continue
            parts = await probe.recv_multipart()
            if parts[0] == number:
                return parts[1:]
        return None

    async def check_alive(self):
        """Raise KernelGone once the kernel's process has ended."""
        if not await self.client.kc.is_alive():
            self.gone = "Your kernel stopped (it crashed or was killed); nothing after this could be graded."
            raise judge.KernelGone(self.gone)

    async def reply_to(self, msg_id, timeout):
        """The shell reply to `msg_id`, or None after `timeout` seconds; older replies are dropped."""
        kc, end = self.client.kc, time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = await kc.get_shell_msg(timeout=min(left, 1.0))
            except queue.Empty:
                await self.check_alive()
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    async def recover(self, what):
        """After a time-out: interrupt, and give up on the kernel if it does not come back."""
        km = self.client.km
        try:
            await km.interrupt_kernel()
            reply = await self.reply_to(self.client.kc.kernel_info(), 15)
        except judge.KernelGone:
            return
        except zmq.ZMQError:
            reply = None
        if reply is None:
            self.gone = f"{what}, and your kernel did not respond to an interrupt; grading stopped there."
            await km.shutdown_kernel(now=True)


class LogTail:
    """A pipe for the kernel's own stdout and stderr that keeps only their last few kilobytes."""

    def __init__(self, keep=16_000):
        self.keep, self.data = keep, b""
        self._read, self.write_end = os.pipe()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self):
        with os.fdopen(self._read, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                self.data = (self.data + chunk)[-self.keep:]

    def close_write_end(self):
        if self.write_end is not None:
            os.close(self.write_end)
            self.write_end = None

    def text(self):
        return self.data.decode("utf-8", "replace")


async def run(nb, sandbox: Sandbox, skip_ids=frozenset(), student="", notebook="", timings=None, evidence=None):
    """Execute and judge `nb` in place; return a CellResult per autograded test cell.

    `skip_ids` are grade ids of locked cells not run while grading (widgets,
    long demonstrations); `student` and `notebook` seed the hidden tests.
    `timings`, a dict, receives the seconds spent starting the sandboxed
    kernel, running the notebook's cells and running the hidden tests.
    `evidence`, a dict, receives for each failed hidden part a Failure: what
    the student's code gave it (hints.py diagnoses from it).
    """
    timings = {} if timings is None else timings
    evidence = {} if evidence is None else evidence
    timings.update({"kernel start": 0.0, "cells": 0.0, "hidden tests": 0.0})
    began = time.monotonic()
    limits = sandbox.limits
    deadline = time.monotonic() + limits.notebook_timeout
    tests = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and nbutils.is_grade(cell):
            cell.source, hidden = split_hidden(cell.source)
            tests[cell.metadata.nbgrader["grade_id"]] = hidden

    client = CappedNotebookClient(nb, limits.output_bytes, km=SandboxedKernelManager(sandbox),
                                  timeout=limits.cell_timeout, shutdown_kernel="immediate",
                                  allow_errors=True, interrupt_on_timeout=True, record_timing=False,
                                  skip_cells_with_tag="", startup_timeout=120,
                                  error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "",
                                                    "traceback": ["This cell did not finish within the time limit."]})
    session = KernelSession(client, asyncio.get_running_loop(), deadline, limits.cell_timeout)
    results, ran, hidden_ran = [], 0, False
    log = LogTail()
    try:
        # The client did not create the kernel manager, so by default it would leave the kernel
        # running when done: each graded notebook would leave a live kernel behind.
        async with client.async_setup_kernel(env=sandbox.environment(), cwd=sandbox.notebook_dir.as_posix(),
                                             stdout=log.write_end, stderr=log.write_end, cleanup_kc=True):
            log.close_write_end()
            timings["kernel start"] = time.monotonic() - began
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in skip_ids and not nbutils.is_grade(cell):
                    cell.outputs = [_note("(This cell is not run while grading.)\n")]
                    continue
                if ran == limits.max_cells and not session.gone:
                    session.gone = (f"Your notebook has more than {limits.max_cells} code cells; "
                                    "grading stopped there.")
                if not session.gone:
                    began = time.monotonic()
                    await execute_cell(client, session, cell, index)
                    timings["cells"] += time.monotonic() - began
                    ran += 1
                if grade_id in tests:
                    seed = judge.seed_for(student, notebook, grade_id)
                    began = time.monotonic()
                    results.append(await judge_cell(session, cell, tests[grade_id], hidden_ran, seed, evidence))
                    timings["hidden tests"] += time.monotonic() - began
                    hidden_ran = hidden_ran or bool(tests[grade_id].strip())
                elif hidden_ran:
                    cell.outputs = [_note(WITHHELD)]
    except DeadKernelError:
        session.gone = "Your kernel stopped (it crashed or was killed); nothing after this could be graded."
    except RuntimeError as error:
        if not results and not session.gone:
            raise GradingError(f"could not start a sandboxed kernel: {error}\n{log.text()[-3000:]}") from error
    finally:
        log.close_write_end()
    judged = {r.grade_id for r in results}
    for cell in nb.cells:  # test cells never reached: the kernel stopped before them
        if cell.cell_type == "code" and nbutils.is_grade(cell) and cell.metadata.nbgrader["grade_id"] not in judged:
            results.append(verdict(cell, session.gone or "This cell was not reached.", withhold=hidden_ran))
    return results


class GradingError(RuntimeError):
    """The grader itself could not do its job (not the student's fault)."""


async def execute_cell(client, session, cell, index):
    client.timeout = int(max(1, min(session.call_timeout, session.remaining())))
    if session.remaining() <= 0:
        session.gone = f"The notebook ran past its time limit of {client.timeout} s; grading stopped here."
        await client.km.shutdown_kernel(now=True)
        return
    try:
        await client.async_execute_cell(cell, index, store_history=True)
    except DeadKernelError:
        session.gone = "Your kernel stopped (it crashed or was killed) while running this cell."
        return
    if any(out.get("ename") == TIMEOUT_ENAME for out in cell.get("outputs", [])):
        await session.recover("This cell ran past its time limit")


@dataclass
class Failure:
    """A hidden part that failed, and every reply the student's code gave it (judge.Backend.record)."""
    hidden_source: str
    seed: int
    record: list
    seconds: float = 0.0  # how long it ran: hints.py gives up on a known wrong answer far slower than this


async def judge_cell(session, cell, hidden_source, withhold, seed, evidence):
    """Run the hidden part of one test cell here and fold the verdict into the cell's outputs."""
    visible_error = next((o for o in cell.outputs if o.output_type == "error"), None)
    message, hidden_message = "", ""
    if session.gone:
        message = session.gone
    elif visible_error is not None:
        message = visible_failure(visible_error)
    if not session.gone and hidden_source.strip():
        grade_id, session.record, began = cell.metadata.nbgrader["grade_id"], [], time.monotonic()
        hidden_message = await asyncio.to_thread(run_hidden, session, hidden_source, grade_id, seed)
        record, session.record = session.record, None
        if hidden_message:
            evidence[grade_id] = Failure(hidden_source, seed, record, time.monotonic() - began)
            hidden_message += f"\n(The hidden tests drew their inputs with seed {seed}.)"
        message = message or hidden_message
    result = verdict(cell, message, withhold)
    result.hidden_message, result.seed = hidden_message[:MESSAGE_CAP], seed
    return result


def visible_failure(error):
    name, value = str(error.get("ename", "Error"))[:100], str(error.get("evalue", ""))
    if name == "NotImplementedError":
        return ("The visible test failed with NotImplementedError: this exercise is not answered yet. "
                "Replace `raise NotImplementedError()` in its answer cell with your code.")
    if name == TIMEOUT_ENAME:
        return "The visible test did not finish within the time limit. Look for an endless loop."
    return f"The visible test failed: {name}: {value[:500]}"


def run_hidden(session, source, grade_id, seed=0):
    """Execute hidden tests in this trusted process; return '' or what went wrong.

    Each test cell's hidden part gets a namespace of its own and draws its
    random inputs from `seed`, and the kernel drops every object it handed
    over once the part is done.
    """
    namespace = {"__name__": "__hidden_tests__"}
    try:
        code = compile(source, f"<hidden tests of {grade_id}>", "exec")
        with judge.use_backend(session), judge.seeded(seed):
            exec(code, namespace)
    except AssertionError as error:
        return f"A hidden test failed: {error}"
    except judge.StudentCodeError as error:
        return f"A hidden test could not check your answer: {error}"
    except Exception as error:  # data of an unexpected kind, or a bug in the hidden test itself
        return (f"A hidden test could not use your answer ({type(error).__name__}: {error}). "
                "If your answer looks right, tell your instructor.")
    finally:
        session.forget()
    return ""


def verdict(cell, message, withhold=False):
    """Full points without a message, none with one; the cell's outputs are made to say so."""
    meta = cell.metadata.nbgrader
    points = float(meta["points"])
    if len(message) > MESSAGE_CAP:
        message = message[:MESSAGE_CAP] + " [...]"
    result = CellResult(meta["grade_id"], 0.0 if message else points, points, message)
    normalise_outputs(cell, result, withhold)
    return result


def normalise_outputs(cell, result, withhold=False):
    """Make nbgrader's reading of the outputs agree with the verdict, whatever the kernel printed.

    nbgrader scores a test cell from its outputs (an error or stderr means zero,
    a number as the last result means partial credit). The kernel's outputs are
    the student's to shape, so they are turned into plain text (or withheld),
    and the verdict is added as the only error output.
    """
    kept = [_note(WITHHELD)] if withhold else []
    for out in [] if withhold else cell.get("outputs", []):
        if out.output_type == "stream":
            kept.append(nbformat.v4.new_output("stream", name="stdout", text=out.text))
        elif out.output_type in ("display_data", "execute_result"):
            kept.append(nbformat.v4.new_output("display_data", data=out.get("data", {})))
    if result.message:
        kept.append(nbformat.v4.new_output("error", ename="NotPassed", evalue=result.message,
                                           traceback=[result.message]))
    cell.outputs = kept


def add_hint(cell, result, hint):
    """Add `hint` to a lost test cell's verdict and to the error output that shows it."""
    result.hint, result.message = hint, f"{result.message}\n\n{hint}"
    for out in cell.outputs:
        if out.output_type == "error" and out.ename == "NotPassed":
            out.evalue, out.traceback = result.message, [result.message]


def _note(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)
