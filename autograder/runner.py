"""Execute one submitted notebook in the sandbox and judge it from outside.

For each cell, in order: the kernel runs what the student can see (answer
cells, locked cells, the visible part of test cells); then, for a test cell,
its hidden part runs here, in the grader's own interpreter, reaching the
student's functions only through `autograder.judge.student`. A test cell
earns its points when its visible part ran without error in the kernel and
its hidden part passed here. The kernel's own opinion never decides a grade.
"""
import ast
import asyncio
import json
import queue
import subprocess
import time
from dataclasses import dataclass

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbgrader import utils as nbutils

from . import judge
from .sandbox import Sandbox

BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SKIP_TAG = "skip-when-grading"
TIMEOUT_ENAME = "CellTimeoutError"
OUTPUT_CAP = 2_000_000  # characters of output kept per cell
CUT_NOTE = "\n[... more output was cut: a cell may print at most 2 MB while grading ...]\n"


@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    message: str = ""  # why points were lost; empty when full marks


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


class SandboxedKernelManager(AsyncKernelManager):
    """An ipykernel started through the sandbox, talking over Unix sockets in its folder."""

    def __init__(self, sandbox, **kwargs):
        super().__init__(kernel_name="python3", transport="ipc",
                         ip=(sandbox.workdir / "ipc" / "k").as_posix(),
                         connection_file=(sandbox.workdir / "kernel.json").as_posix(), **kwargs)
        (sandbox.workdir / "ipc").mkdir(exist_ok=True)
        self.sandbox = sandbox

    def format_kernel_cmd(self, extra_arguments=None):
        return self.sandbox.kernel_command(self.connection_file)


class CappedNotebookClient(NotebookClient):
    """nbclient, keeping at most OUTPUT_CAP characters of output per cell.

    A cell that prints without end would otherwise fill the grader's memory;
    what is cut is replaced by one line that says so.
    """

    def output(self, outs, msg, display_id, cell_index):
        sizes = self.__dict__.setdefault("_output_sizes", {})
        sizes[cell_index] = sizes.get(cell_index, 0) + len(json.dumps(msg["content"]))
        if sizes[cell_index] > OUTPUT_CAP:
            if not (outs and outs[-1].get("text") == CUT_NOTE):
                outs.append(nbformat.v4.new_output("stream", name="stdout", text=CUT_NOTE))
            return None
        return super().output(outs, msg, display_id, cell_index)


class KernelSession(judge.Backend):
    """The grader's connection to one student's kernel, used by hidden tests from a thread."""

    def __init__(self, client, loop, deadline, call_timeout):
        self.client, self.loop = client, loop
        self.deadline, self.call_timeout = deadline, call_timeout
        self.gone = ""  # why the kernel can no longer be used, once it cannot

    def remaining(self):
        return self.deadline - time.monotonic()

    def send(self, text, label):
        return asyncio.run_coroutine_threadsafe(self.call(text, label), self.loop).result()

    async def call(self, text, label):
        if self.gone:
            raise judge.KernelGone(self.gone)
        kc = self.client.kc
        msg_id = kc.execute("", silent=True, store_history=False, allow_stdin=False,
                            user_expressions={"r": f"__grader_probe__.serve({text!r})"})
        timeout = min(self.call_timeout, max(self.remaining(), 1))
        reply = await self.reply_to(msg_id, timeout)
        if reply is None:
            await self.recover(f"{label} was still running after {timeout:.0f} s")
            raise judge.StudentCodeError(
                f"{label} did not finish within {timeout:.0f} seconds. Look for an endless loop.")
        result = reply["content"].get("user_expressions", {}).get("r", {})
        if result.get("status") != "ok":
            raise judge.StudentCodeError(
                f"The grader could not reach your code to run {label} "
                f"({result.get('ename', 'no reply')}: {result.get('evalue', '')}). "
                "Did your notebook replace or delete grader internals?")
        try:
            return ast.literal_eval(result["data"]["text/plain"])
        except Exception as error:
            raise judge.StudentCodeError(f"The reply to {label} was unreadable ({error}).")

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
                if not await kc.is_alive():
                    self.gone = "Your kernel stopped (it crashed or was killed); nothing after this could be graded."
                    raise judge.KernelGone(self.gone)
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
        if reply is None:
            self.gone = f"{what}, and your kernel did not respond to an interrupt; grading stopped there."
            await km.shutdown_kernel(now=True)


async def run(nb, sandbox: Sandbox, skip_ids=frozenset(), kernel_log=None):
    """Execute and judge `nb` in place; return a CellResult per autograded test cell.

    `skip_ids` are grade ids of locked cells not run while grading (widgets,
    long demonstrations); `kernel_log` is a binary file for the kernel's own
    stdout and stderr (start-up messages, sandbox errors).
    """
    limits = sandbox.limits
    deadline = time.monotonic() + limits.notebook_timeout
    tests = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and nbutils.is_grade(cell):
            cell.source, hidden = split_hidden(cell.source)
            tests[cell.metadata.nbgrader["grade_id"]] = hidden

    client = CappedNotebookClient(nb, km=SandboxedKernelManager(sandbox), timeout=limits.cell_timeout,
                            shutdown_kernel="immediate",
                            allow_errors=True, interrupt_on_timeout=True, record_timing=False,
                            skip_cells_with_tag="", startup_timeout=120,
                            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "",
                                              "traceback": ["This cell did not finish within the time limit."]})
    session = KernelSession(client, asyncio.get_running_loop(), deadline, limits.cell_timeout)
    hidden_namespace = {"__name__": "__hidden_tests__"}
    results = []
    output = kernel_log if kernel_log is not None else subprocess.DEVNULL
    try:
        # The client did not create the kernel manager, so by default it would leave the kernel
        # running when done: each graded notebook would leave a live kernel behind.
        async with client.async_setup_kernel(env=sandbox.environment(), cwd=sandbox.notebook_dir.as_posix(),
                                             stdout=output, stderr=output, cleanup_kc=True):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in skip_ids and not nbutils.is_grade(cell):
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                           text="(This cell is not run while grading.)\n")]
                    continue
                if not session.gone:
                    await execute_cell(client, session, cell, index)
                if grade_id in tests:
                    results.append(await judge_cell(session, cell, tests[grade_id], hidden_namespace))
    except DeadKernelError:
        session.gone = "Your kernel stopped (it crashed or was killed); nothing after this could be graded."
    except RuntimeError as error:
        if not results and not session.gone:
            raise GradingError(f"could not start a sandboxed kernel: {error}") from error
    judged = {r.grade_id for r in results}
    for cell in nb.cells:  # test cells never reached: the kernel stopped before them
        if cell.cell_type == "code" and nbutils.is_grade(cell) and cell.metadata.nbgrader["grade_id"] not in judged:
            results.append(verdict(cell, session.gone or "This cell was not reached."))
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


async def judge_cell(session, cell, hidden_source, namespace):
    """Run the hidden part of one test cell here and fold the verdict into the cell's outputs."""
    visible_error = next((o for o in cell.outputs if o.output_type == "error"), None)
    message = ""
    if session.gone:
        message = session.gone
    elif visible_error is not None:
        message = visible_failure(visible_error)
    if not session.gone and hidden_source.strip():
        hidden_message = await asyncio.to_thread(run_hidden, session, hidden_source, namespace,
                                                 cell.metadata.nbgrader["grade_id"])
        message = message or hidden_message
    return verdict(cell, message)


def visible_failure(error):
    name, value = error.get("ename", "Error"), error.get("evalue", "")
    if name == "NotImplementedError":
        return ("The visible test failed with NotImplementedError: this exercise is not answered yet. "
                "Replace `raise NotImplementedError()` in its answer cell with your code.")
    return f"The visible test failed: {name}: {value}"


def run_hidden(session, source, namespace, grade_id):
    """Execute hidden tests in this trusted process; return '' or what went wrong."""
    try:
        code = compile(source, f"<hidden tests of {grade_id}>", "exec")
        with judge.use_backend(session):
            exec(code, namespace)
    except AssertionError as error:
        return f"A hidden test failed: {error}"
    except judge.StudentCodeError as error:
        return f"A hidden test could not check your answer: {error}"
    except Exception as error:  # data of an unexpected kind, or a bug in the hidden test itself
        return (f"A hidden test could not use your answer ({type(error).__name__}: {error}). "
                "If your answer looks right, tell your instructor.")
    return ""


def verdict(cell, message):
    """Full points without a message, none with one; the cell's outputs are made to say so."""
    meta = cell.metadata.nbgrader
    points = float(meta["points"])
    result = CellResult(meta["grade_id"], 0.0 if message else points, points, message)
    normalise_outputs(cell, result)
    return result


def normalise_outputs(cell, result):
    """Make nbgrader's reading of the outputs agree with the verdict, whatever the kernel printed.

    nbgrader scores a test cell from its outputs (an error or stderr means zero,
    a number as the last result means partial credit). The kernel's outputs are
    the student's to shape, so they are turned into plain text, and the
    verdict is added as the only error output.
    """
    kept = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            kept.append(nbformat.v4.new_output("stream", name="stdout", text=out.text))
        elif out.output_type in ("display_data", "execute_result"):
            kept.append(nbformat.v4.new_output("display_data", data=out.get("data", {})))
        elif out.output_type == "error" and result.message:
            kept.append(out)
    if result.message and not any(o.output_type == "error" for o in kept):
        kept.append(nbformat.v4.new_output("error", ename="NotPassed", evalue=result.message,
                                           traceback=[result.message]))
    elif result.message:
        kept.append(nbformat.v4.new_output("stream", name="stdout", text=result.message + "\n"))
    cell.outputs = kept
