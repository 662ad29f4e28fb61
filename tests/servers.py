"""Throwaway servers on 127.0.0.1 for the tests, started here and stopped after them."""
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(workers=2, nanny=False):
    """A Dask scheduler and `workers` one-thread workers, each its own process as on separate machines.

    Yields (scheduler address, {worker name: its process}); a test may kill a worker's process. With
    `nanny`, each worker has Dask's nanny, which starts it again when it dies.
    """
    dask = str(Path(sys.executable).with_name("dask"))
    port, folder = free_port(), Path(tempfile.mkdtemp(prefix="dlg-dask-"))
    address = f"tcp://127.0.0.1:{port}"
    # the tests' own modules importable on the workers, for tasks that a test defines
    tests = str(Path(__file__).parent)
    # the README's worker set-up: no statistical profiler, whose sample history grows a grading worker
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2",
           "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
           "PYTHONPATH": os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))}
    processes = []

    def start(*arguments, name):
        with open(folder / f"{name}.log", "w") as log:  # the process keeps its own copy of the handle
            processes.append(subprocess.Popen([dask, *arguments], stdout=log, stderr=subprocess.STDOUT, env=env,
                                              cwd=folder, start_new_session=True))
        return processes[-1]

    def stop():
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address",
              f"127.0.0.1:{free_port()}", name="scheduler")
        started = {f"worker-{i}": start("worker", address, "--nthreads", "1", "--nanny" if nanny else "--no-nanny",
                                        "--name", f"worker-{i}", "--local-directory", str(folder), name=f"worker-{i}")
                   for i in range(1, workers + 1)}
        from distributed import Client
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
    except Exception as error:
        logs = "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(folder.glob("*.log")))
        stop()
        pytest.fail(f"the Dask cluster did not start ({error}):\n{logs}")
    try:
        yield address, started
    finally:
        stop()


def postgres_tool(name):
    """initdb or pg_ctl: on PATH, or in Debian's versioned folder (newest first)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is not installed: scripts/setup --for-tests installs the postgresql package")
    return found


@contextlib.contextmanager
def postgres_server(database="gradebook"):
    """A fresh PostgreSQL cluster in a temporary folder; yields the URL of an empty database on it.

    PostgreSQL refuses to run as root, so when the tests run as root the
    cluster belongs to the unprivileged user `nobody`.
    """
    folder = Path(tempfile.mkdtemp(prefix="dlg-postgres-"))
    owner = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        owner = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    data, port = folder / "data", free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(folder)}

    def run(*command):
        subprocess.run(command, check=True, env=env, cwd=folder, capture_output=True, timeout=120, **owner)

    def stop():
        if (data / "postmaster.pid").exists():
            subprocess.run([postgres_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], env=env,
                           cwd=folder, capture_output=True, timeout=60, **owner)
        shutil.rmtree(folder, ignore_errors=True)

    try:
        run(postgres_tool("initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "--no-sync",
            "--encoding=UTF8", "--locale=C")
        run(postgres_tool("pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off", "start")
        import psycopg
        with psycopg.connect(f"postgresql://grader@127.0.0.1:{port}/postgres", autocommit=True) as connection:
            connection.execute(f"create database {database}")
    except subprocess.CalledProcessError as error:
        log = (folder / "server.log").read_text()[-2000:] if (folder / "server.log").exists() else ""
        stop()
        pytest.fail(f"could not start PostgreSQL: {error.stderr.decode(errors='replace')[-2000:]}\n{log}")
    try:
        yield f"postgresql://grader@127.0.0.1:{port}/{database}"
    finally:
        stop()
