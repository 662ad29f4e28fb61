"""Grading throughput: one generated class graded by today's code and by the code before it, locally and on a local Dask cluster, in one run.

    .venv/bin/python -m bench.grading             # 8 students x notebooks 01-07 (56 notebooks), about 5 minutes
    .venv/bin/python -m bench.grading --quick     # 2 students x 01-07

The class cycles through each notebook's casebook: the solution, the
alternatives, the mutants and the blank notebook, so its notebooks cost what
a real class's do. Mutants that compute a gradient numerically are left out:
some spend the whole 120-s per-call limit by design, which measures the
limit, not the grader.

Each run is the instructor's whole command (`grade_class`: the release into
the gradebook, grading, recording and the feedback pages), so notebooks per
hour is what an instructor waits for; the grading phase alone is printed too.
"Before" is the same command from the commit BEFORE (main when issue 15
was filed, before any of its speed-ups), unpacked with `git archive` into a
temporary folder and run in a process of its own just before today's code.
It grades the same class as that commit's course makes it (this file's
write_class over that commit's casebook): the same students, exercises and
mistakes, with that commit's import lines, which its own release expects.
The cluster is a Dask scheduler and two one-thread workers, separate
processes on 127.0.0.1 as they would be on separate machines, started here.
Peak memory is that of this process and every process under it (workers,
sandboxed kernels), sampled every 0.1 s. Then the split of a graded
notebook's time, per notebook of the course, from the worker's own clock:
starting the sandbox and its kernel, running the notebook's cells, running
the hidden tests (calls into the student's kernel and judging), and the rest
(reading and sanitising the submission, writing the graded copy).

The last line is the summary:
SUMMARY: local N notebooks/hour (before B, R.RRx), cluster of 2 workers M notebooks/hour, peak memory X GiB
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from autograder import casebook, registry, submissions
from autograder.grade import Settings, grade_class
from autograder.sandbox import Limits

NOTEBOOKS = registry.names()[:7]    # 01-07, the common case
BEFORE = "45417fb"                  # main when issue 15 was filed, before its speed-ups
REPO = Path(__file__).resolve().parent.parent


def write_class(folder: Path, students: int, notebooks=NOTEBOOKS) -> int:
    """students x notebooks submissions under folder; returns how many notebooks."""
    for name in notebooks:
        book = casebook.for_notebook(name)
        kinds = [lambda: submissions.build(name)]
        kinds += [lambda m=m: submissions.build(name, [m.edit]) for m in book.MUTANTS
                  if "numerical gradient" not in m.why]
        kinds += [lambda a=a: submissions.build(name, list(a.edits)) for a in book.ALTERNATIVES]
        kinds += [lambda: submissions.release_notebook(name)]
        step, built = max(1, len(kinds) // students), {}    # spread the class over the casebook
        for index in range(students):
            kind = (index * step) % len(kinds)
            if kind not in built:
                built[kind] = kinds[kind]()
            path = folder / f"student{index:03d}" / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(built[kind], path)
    return students * len(notebooks)


class PeakMemory:
    """The largest total resident memory of this process and all its descendants, sampled in a thread.

    Every sample is kept too, so that a long run can show whether memory grows with the class."""

    def __init__(self, every=0.1):
        self.every, self.peak, self.samples, self._stop = every, 0, [], threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(self.every):
            self.samples.append(tree_rss(os.getpid()))
            self.peak = max(self.peak, self.samples[-1])


def tree_rss(root: int) -> int:
    children, rss = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def timed_run(submitted: Path, out: Path, settings: Settings) -> dict:
    lines = []
    with PeakMemory() as memory:
        began = time.monotonic()
        grade_class(submitted, out, settings, log=lines.append, progress=False)
        seconds = time.monotonic() - began
    outcomes = json.loads((out / "outcomes.json").read_text())
    limit = settings.limits.cell_timeout
    return {"seconds": seconds, "phase": grading_phase(lines), "peak": memory.peak, "memory": memory.samples,
            "outcomes": outcomes,
            "graded": sum(o["status"] == "graded" for o in outcomes),
            "time limits": sum(max(o["timings"].values(), default=0) >= limit for o in outcomes)}


BEFORE_RUNNER = """
import importlib.util, inspect, json, sys, time
from pathlib import Path
from autograder.grade import Settings, grade_class
from autograder.sandbox import Limits

if __name__ == "__main__":
    bench_file, students, submitted, out = sys.argv[1:]
    spec = importlib.util.spec_from_file_location("bench_grading", bench_file)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)           # its imports find this commit's autograder
    bench.write_class(Path(submitted), int(students))
    quiet = {"progress": False} if "progress" in inspect.signature(grade_class).parameters else {}
    lines = []
    began = time.monotonic()
    grade_class(Path(submitted), Path(out), Settings(jobs=2, limits=Limits()), log=lines.append, **quiet)
    print(json.dumps({"seconds": time.monotonic() - began, "lines": lines}))
"""


BEFORE_KERNEL_PATH = """
# Every grader process of the before run reads this (its folder is on PYTHONPATH). The venv's editable
# install of dlscratch points at today's source tree, which that commit's sandbox does not show, so its
# kernels would fail to import the helper package. They get that commit's own copy, which it does show.
import dlscratch
from pathlib import Path
from autograder import sandbox

_environment = sandbox.Sandbox.environment


def environment(self):
    settings = _environment(self)
    settings["PYTHONPATH"] += ":" + Path(dlscratch.__path__[0]).parent.as_posix()
    return settings


sandbox.Sandbox.environment = environment
"""


def timed_run_before(commit: str, students: int, out: Path) -> dict | None:
    """The same command on the same class from `commit`, in a process of its own; None where git cannot give
    that commit or its run fails."""
    tree = out.parent / f"before-{commit}"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], capture_output=True)
    if archive.returncode != 0:
        print(f"(before: git cannot give commit {commit}: {archive.stderr.decode()[:200].strip()})")
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    (tree / "run_before.py").write_text(BEFORE_RUNNER)
    (tree / "sitecustomize.py").write_text(BEFORE_KERNEL_PATH)
    command = [sys.executable, "run_before.py", __file__, str(students), str(tree / "class"), str(out)]
    done = subprocess.run(command, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True,
                          text=True)
    if done.returncode != 0:
        print(f"(before: the run from {commit} failed:\n{done.stderr[-2000:]})")
        return None
    points, most = solution_marks(out)
    if points != most:
        print(f"(before: the run from {commit} gave the solutions {points:g} of {most:g} points; it did not grade "
              "as it should, so it is not compared)")
        return None
    run = json.loads(done.stdout.strip().splitlines()[-1])
    return {"seconds": run["seconds"], "phase": grading_phase(run["lines"])}


def solution_marks(out: Path) -> tuple:
    """The points and the most points of student000, who hands in every notebook's solution."""
    with open(out / "grades.csv") as handle:
        rows = [row for row in csv.DictReader(handle)
                if row["student"] == "student000" and row["notebook"] in NOTEBOOKS]
    return sum(float(row["points"]) for row in rows), sum(float(row["max_points"]) for row in rows)


def grading_phase(lines: list) -> float:
    """The seconds of the grading phase, from the command's "Graded N notebooks in X s" line."""
    graded = next(line for line in lines if line.startswith("Graded "))
    return float(graded.split(" in ")[1].split(" s")[0])


def per_hour(count: int, seconds: float) -> float:
    return 3600 * count / seconds


def split_table(outcomes: list) -> str:
    parts = ["kernel start", "cells", "hidden tests", "rest"]
    lines = [f"{'notebook':<24} {'jobs':>4} " + " ".join(f"{p:>13}" for p in parts) + f" {'total':>8} {'peak MB':>8}"]
    for name in NOTEBOOKS:
        graded = [o for o in outcomes if o["notebook"] == name and o["timings"]]
        if not graded:
            continue
        means = [sum(o["timings"].get(p, 0.0) for o in graded) / len(graded) for p in parts]
        total = sum(means)
        cells = " ".join(f"{m:6.2f}s {100 * m / total:4.0f}%" for m in means)
        peak = max(o["peak_mb"] for o in graded)
        lines.append(f"{name:<24} {len(graded):>4} {cells} {total:7.2f}s {peak:8.0f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 students instead of 8")
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--before", default=BEFORE, help=f"the commit to compare with (default {BEFORE})")
    args = parser.parse_args(argv)
    students = args.students or (2 if args.quick else 8)
    from tests.servers import dask_cluster       # the tests' scheduler-and-workers starter

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as folder:
        folder = Path(folder)
        count = write_class(folder / "class", students)
        print(f"A class of {students} students x {len(NOTEBOOKS)} notebooks ({count} notebooks), "
              f"{os.cpu_count()} cores\n")
        limits = Limits()
        before = timed_run_before(args.before, students, folder / "before")
        local = timed_run(folder / "class", folder / "local", Settings(jobs=2, limits=limits))
        with dask_cluster(workers=2) as (address, _):
            remote = timed_run(folder / "class", folder / "cluster",
                               Settings(limits=limits, scheduler=address))
    print(f"{'run':<22} {'graded':>6} {'time limit':>10} {'whole command':>14} {'notebooks/hour':>15} "
          f"{'grading phase':>14} {'notebooks/hour':>15} {'peak memory':>12}")
    if before:
        print(f"{'before, 2 processes':<22} {'':>6} {'':>10} {before['seconds']:13.1f}s "
              f"{per_hour(count, before['seconds']):15.0f} {before['phase']:13.1f}s "
              f"{per_hour(count, before['phase']):15.0f}")
    for label, run in (("local, 2 processes", local), ("cluster of 2 workers", remote)):
        print(f"{label:<22} {run['graded']:>6} {run['time limits']:>10} {run['seconds']:13.1f}s "
              f"{per_hour(count, run['seconds']):15.0f} {run['phase']:13.1f}s {per_hour(count, run['phase']):15.0f} "
              f"{run['peak'] / 2**30:10.2f} GiB")
    print(f"(time limit: notebooks in which one cell or hidden-test call ran into its {limits.cell_timeout} s limit)")
    print("\nWhere one graded notebook's time goes (local run, mean per notebook):")
    print(split_table(local["outcomes"]))
    print("\nThe same on the cluster:")
    print(split_table(remote["outcomes"]))
    peak = max(local["peak"], remote["peak"])
    rate = per_hour(count, local["seconds"])
    compared = (f" (before {per_hour(count, before['seconds']):.0f}, {before['seconds'] / local['seconds']:.2f}x)"
                if before else f" (before: commit {args.before} not measured, see above)")
    print(f"\nSUMMARY: local {rate:.0f} notebooks/hour{compared}, cluster of 2 workers "
          f"{per_hour(count, remote['seconds']):.0f} notebooks/hour, peak memory {peak / 2**30:.1f} GiB")


if __name__ == "__main__":
    main()
