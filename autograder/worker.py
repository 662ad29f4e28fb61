"""Grade students' notebooks in a process apart from the class grader.

The class grader keeps a few of these running and hands them one job at a
time (a JSON file naming the submission). Student code never runs here, it
runs in the sandboxed kernel the worker starts; should a worker die anyway,
only the job in hand is lost, and the parent starts a fresh worker. The
worker only reads the gradebook; the parent is its single writer.

    python -m autograder.worker JOB.json     grade one job (result beside it)
    python -m autograder.worker --serve      read job paths on stdin, answer "done" per job
"""
import asyncio
import faulthandler
import json
import resource
import sys
import tempfile
import time
import traceback
from pathlib import Path

import nbformat
from nbgrader import utils as nbutils
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds,
                                    OverwriteCells, OverwriteKernelspec)

from . import course, hints, inert, runner
from .sandbox import Limits, Sandbox


def sanitise(nb, release_nb, resources):
    """Put back everything the student may not change, as nbgrader's autograde step does.

    The student's copy of nbgrader metadata is not trusted: a cell whose
    grade id the release knows gets the release's metadata back (so a test cell
    cannot be turned into an ungraded one); any other cell loses it. Then
    nbgrader restores locked and test cells (hidden tests included) from the
    gradebook and re-adds test cells the student deleted.
    """
    truth = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader
             for c in release_nb.cells if "nbgrader" in c.metadata}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id in truth and cell.cell_type == release_cell_type(release_nb, grade_id):
            cell.metadata["nbgrader"] = json.loads(json.dumps(truth[grade_id]))
        else:
            cell.metadata.pop("nbgrader", None)
    for preprocessor in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(),
                         OverwriteCells(add_missing_cells=True), CheckCellMetadata()):
        nb, resources = preprocessor.preprocess(nb, resources)
        for cell in nb.cells:  # a pasted copy of a graded cell: DeduplicateIds leaves it an empty dict
            if cell.metadata.get("nbgrader", None) == {}:
                del cell.metadata["nbgrader"]
    return nbformat.from_dict(nb)  # cells nbgrader re-added hold plain dicts


def release_cell_type(release_nb, grade_id):
    return next(c.cell_type for c in release_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def skipped_ids(release_nb):
    return {c.metadata["nbgrader"]["grade_id"] for c in release_nb.cells
            if runner.SKIP_TAG in c.metadata.get("tags", []) and "nbgrader" in c.metadata}


def grade(job):
    """Run one job (a dict, see grade.py) and return a JSON-ready result."""
    release_nb = nbformat.read(job["release"], as_version=4)
    try:
        nb = nbformat.read(job["submitted"], as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # the message never quotes the file: it could be anything
        return {"status": "unreadable",
                "message": f"The submitted file is not a valid notebook ({type(error).__name__}{_where(error)}). "
                           "Open it in JupyterLab, save it again and resubmit."}
    resources = {"nbgrader": {"notebook": job["notebook"], "assignment": job["assignment"],
                              "student": job["student"], "db_url": job["db_url"]}}
    nb = sanitise(nb, release_nb, resources)
    limits = Limits(**job["limits"])
    with tempfile.TemporaryDirectory(prefix="dlg-") as workdir:
        sandbox = Sandbox(Path(workdir), limits=limits, denied_modules=tuple(job["denied_modules"]),
                          switched_off=tuple(job.get("switched_off", ())),
                          hidden_paths=tuple(job["hidden_paths"]), use_bwrap=job["use_bwrap"])
        for extra in Path(job["release"]).parent.iterdir():  # data files shipped with the notebook
            if extra.is_file() and extra.suffix != ".ipynb":
                (sandbox.notebook_dir / extra.name).write_bytes(extra.read_bytes())
        timings, evidence = {}, {}
        try:
            results = asyncio.run(runner.run(nb, sandbox, skipped_ids(release_nb), job["student"], job["notebook"],
                                             timings, evidence))
        finally:
            stop_leftover_children()
    if job.get("hints", True) and evidence:
        began = time.monotonic()
        try:
            diagnosed = hints.diagnose(job["notebook"], Path(job["release"]).parent, evidence,
                                       Path(job.get("solutions", course.SOLUTIONS)))
        except Exception:  # a hint is a help; the grades stand without it
            diagnosed = {}
        cells = {cell.metadata.nbgrader["grade_id"]: cell for cell in nb.cells if nbutils.is_grade(cell)}
        for result in results:
            if result.grade_id in diagnosed:
                runner.add_hint(cells[result.grade_id], result, diagnosed[result.grade_id])
        timings["hints"] = time.monotonic() - began
    nbformat.write(inert.make_inert(nb, release_nb), job["graded"])
    return {"status": "graded", "cells": [r.__dict__ for r in results], "timings": timings}


def _where(error):
    """Where a JSON error is, as line and column: never the text found there."""
    line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
    return f" at line {line}, column {column}" if isinstance(line, int) and isinstance(column, int) else ""


def stop_leftover_children():
    """Kill any process this worker started that outlived its job (a kernel must never pile up)."""
    import os
    import signal
    me = str(os.getpid())
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # the parent's pid is the second field after the command name
            try:
                os.kill(int(entry.parent.name), signal.SIGKILL)
            except OSError:
                pass


def run_job(job_path):
    """Grade one job; the result (with this job's peak memory) goes beside the job file.

    Should the job hang past its notebook time limit plus a minute, every
    thread's stack is written to JOB.hang.txt, so that the class grader,
    which then stops this worker, can say where it hung.
    """
    job_path = Path(job_path)
    job = json.loads(job_path.read_text())
    reset_peak_memory()
    began = time.monotonic()
    with open(job_path.with_suffix(".hang.txt"), "w") as hang:
        faulthandler.dump_traceback_later(job["limits"]["notebook_timeout"] + 60, file=hang)
        try:
            result = grade(job)
        except Exception:
            result = {"status": "grader-error", "message": traceback.format_exc(limit=8)}
        finally:
            faulthandler.cancel_dump_traceback_later()
    if "timings" in result:  # the rest: reading and sanitising the notebook, the sandbox's folder, writing
        result["timings"]["rest"] = time.monotonic() - began - sum(result["timings"].values())
    result["worker_peak_mb"] = peak_memory_mb()
    result["worker_rss_mb"] = memory_mb("VmRSS:")
    job_path.with_suffix(".result.json").write_text(json.dumps(result))


def reset_peak_memory():
    """Start this process's peak-memory count afresh (Linux), so that each job reports its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_memory_mb():
    return memory_mb("VmHWM:") or round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def memory_mb(field):
    """A memory figure of this process from /proc/self/status (Linux), in MB; 0 where there is none."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith(field):
            return round(int(line.split()[1]) / 1024, 1)
    return 0


def serve():
    for line in sys.stdin:
        if line.strip():
            run_job(line.strip())
            print("done", flush=True)


if __name__ == "__main__":
    serve() if sys.argv[1] == "--serve" else run_job(sys.argv[1])
