"""Grade a class on a Dask distributed cluster: the same jobs and sandbox, spread over machines.

    python -m autograder grade SUBMISSIONS --out OUT --scheduler tcp://HOST:8786

Start the cluster with Dask's own commands: `dask scheduler` on one machine,
and on every grading machine (this repository set up, bubblewrap working)
`dask worker tcp://HOST:8786 --nthreads 1`, one per core. Anyone who can
reach the scheduler can run code on the workers, so keep it on a private
network (or configure Dask's TLS and use a tls:// address).

No shared filesystem is assumed. Each task carries its submission as bytes
(at most MAX_SUBMISSION_BYTES); the released notebook folders and a SQLite
copy of the gradebook (the hidden tests that nbgrader puts back into each
submission) are sent once, and workers fetch them from each other. A worker grades in a private folder,
in the same sandbox as local grading (worker.run_job), and sends back plain
data: the verdicts, messages and the graded notebook. This process records
them, so it stays the gradebook's one writer. When a worker is lost, Dask
runs its jobs again elsewhere and each job still has one result, recorded
once. A job that kills every worker it runs on is given up after the
scheduler's `distributed.scheduler.allowed-failures` tries (3 by default)
and scores zero with that reason, for its student alone.
"""
import json
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from . import course

MAX_SUBMISSION_BYTES = 32 * 2**20


def connect(address, log):
    """A client of the scheduler at `address`; stops with a clear message when there is none."""
    try:
        from distributed import Client
    except ImportError:
        raise SystemExit("--scheduler needs Dask distributed: .venv/bin/pip install -e '.[cluster]'") from None
    try:
        client = Client(address, timeout="10s")
    except Exception as error:
        raise SystemExit(f"cannot reach the Dask scheduler at {address} ({type(error).__name__}: "
                         f"{str(error)[:200]}). Start one with `dask scheduler` and workers with "
                         f"`dask worker {address} --nthreads 1`.") from None
    workers = len(client.scheduler_info()["workers"])
    log(f"Dask cluster at {address}: {workers} workers; dashboard: {client.dashboard_link}")
    if not workers:
        log("  no worker has joined yet: grading waits for the first one")
    return client


def gradebook_copy(db_url, root):
    """The gradebook as SQLite bytes, for workers to restore locked and test cells from."""
    if db_url.startswith("sqlite:///"):
        source = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    else:  # a server: release once more into a private SQLite file
        path = root / "release-gradebook.db"
        path.unlink(missing_ok=True)
        course.release(release_directory=root / "release-for-workers", db_url=f"sqlite:///{path}")
        source = sqlite3.connect(path)
    with tempfile.TemporaryDirectory() as folder:
        target = sqlite3.connect(Path(folder) / "copy.db")
        source.backup(target)
        target.close()
        source.close()
        return (Path(folder) / "copy.db").read_bytes()


def release_files(release_notebook):
    """{file name: bytes} of a released notebook's folder: the notebook and the files beside it."""
    return {path.name: path.read_bytes() for path in Path(release_notebook).parent.iterdir() if path.is_file()}


def grade_remotely(job, submitted, release, gradebook):
    """On a worker: grade one job in a private folder and return plain data (see the module's docstring)."""
    from . import worker
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dlg-task-") as folder:
        folder = Path(folder)
        (folder / "release").mkdir()
        for name, data in release.items():
            (folder / "release" / name).write_bytes(data)
        (folder / "gradebook.db").write_bytes(gradebook)
        (folder / "submitted.ipynb").write_bytes(submitted)
        here = {**job, "submitted": str(folder / "submitted.ipynb"), "graded": str(folder / "graded.ipynb"),
                "release": str(folder / "release" / f"{job['notebook']}.ipynb"),
                "db_url": f"sqlite:///{folder / 'gradebook.db'}", "hidden_paths": [str(folder)]}
        job_path = folder / "job.json"
        job_path.write_text(json.dumps(here))
        worker.run_job(job_path)
        result = json.loads(job_path.with_suffix(".result.json").read_text())
        graded = folder / "graded.ipynb"
        return {"result": result, "graded": graded.read_bytes() if graded.exists() else None,
                "seconds": time.monotonic() - began}


def _same(value):
    return value


def _shared(client, value):
    """`value` on the cluster for many tasks, as a task that returns it rather than scattered data:
    should every worker holding it be lost, the scheduler makes it again (scattered data would be gone)."""
    return client.submit(_same, value, key=f"shared-{uuid.uuid4().hex}")


def run(client, jobs, db_url, root, on_result, task=grade_remotely):
    """Grade `jobs` (see grade._job) on the cluster, calling on_result(job, result, seconds) once per job."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    gradebook = _shared(client, gradebook_copy(db_url, root))
    releases = {}
    futures = {}
    for job in jobs:
        size = Path(job["submitted"]).stat().st_size
        if size > MAX_SUBMISSION_BYTES:
            on_result(job, {"status": "unreadable", "message": (
                f"The notebook is {size / 2**20:.0f} MiB, more than the {MAX_SUBMISSION_BYTES // 2**20} MiB "
                "a grading task may carry. Clear its outputs (Edit → Clear Outputs of All Cells), save it "
                "and resubmit.")}, 0.0)
            continue
        if job["release"] not in releases:
            releases[job["release"]] = _shared(client, release_files(job["release"]))
        # paths of this machine stay here (a worker hints from its own copy of the solutions)
        remote = {key: value for key, value in job.items()
                  if key not in ("submitted", "graded", "hidden_paths", "solutions")}
        future = client.submit(task, remote, Path(job["submitted"]).read_bytes(), releases[job["release"]],
                               gradebook, key=f"grade-{job['notebook']}-{uuid.uuid4().hex}")
        futures[future] = job
    for future in as_completed(futures) if futures else ():
        job = futures[future]
        try:
            answer = future.result()
        except KilledWorker:
            result, seconds = {"status": "grader-error", "message": (
                "grading this notebook stopped every grading machine it ran on, so it was given up after a "
                "few tries; the rest of the class was graded")}, 0.0
        except Exception as error:
            result, seconds = {"status": "grader-error",
                               "message": f"the cluster could not grade it ({type(error).__name__}: "
                                          f"{str(error)[:300]})"}, 0.0
        else:
            result, seconds = answer["result"], answer["seconds"]
            if answer["graded"] is not None:
                Path(job["graded"]).write_bytes(answer["graded"])
        on_result(job, result, seconds)
        future.release()
    return len(jobs)
