"""Grade a class: every student's notebooks, in parallel, into one gradebook.

    python -m autograder grade SUBMISSIONS --out OUT

SUBMISSIONS is a folder (or a .zip of one) laid out as
STUDENT_ID/NN_topic/NN_topic.ipynb. The result is OUT/grades.csv (one row per
graded test cell), OUT/feedback/STUDENT_ID/NN_topic.html, and nbgrader's
gradebook OUT/gradebook.db with the autograded notebooks beside it.

Each notebook is graded by its own worker process (see worker.py) with time
and memory limits; this process is the only one that writes the gradebook.
"""
import asyncio
import csv
import json
import os
import shutil
import sys
import time
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades

from . import course
from .sandbox import Limits, bwrap_available

# nbgrader's own submission code trips a harmless SQLAlchemy autoflush warning
# ("... not in session ...") when a submission is created; keep it off the instructor's screen
warnings.filterwarnings("ignore", message=".*not in session.*", module="nbgrader")

GRADES_COLUMNS = ["student", "notebook", "exercise", "points", "max_points"]


@dataclass
class Settings:
    jobs: int = max(1, os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)
    db_url: str = ""               # default: sqlite file in OUT
    sandbox: str = "auto"          # "auto" (bubblewrap when it works), "bwrap" (required) or "guard-only"
    denied_modules: tuple = course.DENIED_WHILE_GRADING


@dataclass
class Outcome:
    student: str
    notebook: str
    status: str                     # graded, missing, unreadable, grader-error
    seconds: float = 0.0
    message: str = ""


def grade_class(submissions, out, settings=Settings(), log=print):
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    root = out / "nbgrader"
    db_url = settings.db_url or f"sqlite:///{out / 'gradebook.db'}"
    use_bwrap = _decide_sandbox(settings.sandbox, log)

    submissions = _unpack(Path(submissions), root / "submitted")
    names = course.assignments()
    log(f"Preparing the gradebook from {course.SOLUTIONS} ({len(names)} notebooks) ...")
    course.release(release_directory=root / "release", db_url=db_url)

    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise SystemExit(f"No student folders in {submissions}: expected STUDENT_ID/NN_topic/NN_topic.ipynb")
    jobs, outcomes = [], []
    for student in students:
        for folder in sorted((submissions / student).iterdir()):
            if folder.is_dir() and folder.name not in names:
                log(f"  note: {student}/{folder.name} is not a course notebook; ignored")
        for name in names:
            submitted = submissions / student / name / f"{name}.ipynb"
            if submitted.exists():
                jobs.append(_job(student, name, submitted, root, db_url, settings, use_bwrap, out))
            else:
                outcomes.append(Outcome(student, name, "missing", message=f"{name}.ipynb was not submitted"))

    started = time.monotonic()
    log(f"Grading {len(jobs)} notebooks of {len(students)} students with {settings.jobs} parallel workers "
        f"({'bubblewrap sandbox' if use_bwrap else 'in-kernel guard only'}) ...")
    with Gradebook(db_url) as gb:
        for student in students:
            gb.update_or_create_student(student)
    done = asyncio.run(_run_all(jobs, settings, lambda job, result, seconds:
                                outcomes.append(_record(job, result, seconds, log))))
    for outcome in outcomes:
        if outcome.status != "graded":
            _record_zero(db_url, outcome)
    elapsed = time.monotonic() - started

    _write_feedback(outcomes, root, out, db_url, settings.jobs, log)
    rows = _export_grades(db_url, students, names, out / "grades.csv")
    (out / "outcomes.json").write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    log(score_table(rows, students, names))
    log(f"Graded {done} notebooks in {elapsed:.1f} s. Grades: {out / 'grades.csv'}; "
        f"feedback: {out / 'feedback'}")
    problems = [o for o in outcomes if o.status == "grader-error"]
    for o in problems:
        log(f"GRADER ERROR for {o.student}/{o.notebook}:\n{o.message}")
    return rows, outcomes


def _decide_sandbox(choice, log):
    if choice == "guard-only":
        return False
    works = bwrap_available()
    if choice == "bwrap" and not works:
        raise SystemExit("bubblewrap is required but does not work here: install it "
                         "(sudo apt install bubblewrap) or allow user namespaces.")
    if not works:
        log("WARNING: bubblewrap (bwrap) is not available; student code runs with the in-kernel guard "
            "and resource limits only. Install it with: sudo apt install bubblewrap")
    return works


def _unpack(path, into):
    """A folder is used as it is; a zip is extracted safely (no paths outside, bounded size)."""
    if path.is_dir():
        return path.resolve()
    if not zipfile.is_zipfile(path):
        raise SystemExit(f"{path} is neither a folder nor a zip file of submissions")
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    total = 0
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            target = (into / member.filename).resolve()
            if not target.is_relative_to(into.resolve()):
                raise SystemExit(f"{path}: refusing the entry {member.filename!r}, which points outside")
            total += member.file_size
            if total > 2**30:
                raise SystemExit(f"{path}: more than 1 GiB once unpacked; refusing it")
        archive.extractall(into)
    entries = [p for p in into.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    # a zip of one folder that holds the student folders
    if len(entries) == 1 and entries[0].is_dir() and not any(
            (entries[0] / n).is_dir() for n in course.assignments()):
        return entries[0]
    return into


def _job(student, name, submitted, root, db_url, settings, use_bwrap, out):
    graded = root / "autograded" / student / name / f"{name}.ipynb"
    graded.parent.mkdir(parents=True, exist_ok=True)
    return {"student": student, "assignment": name, "notebook": name, "submitted": str(submitted),
            "release": str(root / "release" / name / f"{name}.ipynb"), "graded": str(graded),
            "db_url": db_url, "limits": asdict(settings.limits), "use_bwrap": use_bwrap,
            "denied_modules": list(settings.denied_modules) + list(course.DENIED_FOR_NOTEBOOK.get(name, ())),
            "hidden_paths": [str(out), str(submitted.parent.parent.parent)]}


async def _run_all(jobs, settings, on_result):
    """Feed the jobs to `settings.jobs` worker processes; a worker that dies costs only its job."""
    pending = list(jobs)
    hard_limit = settings.limits.notebook_timeout + 120

    async def start_worker():
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "autograder.worker", "--serve", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)

    async def lane():
        worker = await start_worker()
        while pending:
            job = pending.pop(0)
            job_file = Path(job["graded"]).with_suffix(".job.json")
            job_file.write_text(json.dumps(job))
            result_file = job_file.with_suffix(".result.json")
            result_file.unlink(missing_ok=True)
            began = time.monotonic()
            worker.stdin.write(f"{job_file}\n".encode())
            try:
                await worker.stdin.drain()
                answered = await asyncio.wait_for(worker.stdout.readline(), hard_limit)
            except (asyncio.TimeoutError, ConnectionError):
                answered = b""
            if answered.strip() == b"done" and result_file.exists():
                result = json.loads(result_file.read_text())
            else:
                result = {"status": "grader-error",
                          "message": "the grading worker stopped or ran past its hard time limit "
                                     "while grading this notebook; it was restarted"}
                if worker.returncode is None:
                    worker.kill()
                await worker.wait()
                worker = await start_worker()
            on_result(job, result, time.monotonic() - began)
        worker.stdin.close()
        await worker.wait()

    await asyncio.gather(*(lane() for _ in range(min(settings.jobs, len(jobs)) or 1)))
    return len(jobs)


def _record(job, result, seconds, log):
    """Single writer: store a worker's verdicts in the gradebook with nbgrader's SaveAutoGrades."""
    outcome = Outcome(job["student"], job["assignment"], result["status"], round(seconds, 2),
                      result.get("message", ""))
    with Gradebook(job["db_url"]) as gb:
        gb.update_or_create_submission(job["assignment"], job["student"])
    if result["status"] == "graded":
        nb = nbformat.read(job["graded"], as_version=4)
        resources = {"nbgrader": {"notebook": job["notebook"], "assignment": job["assignment"],
                                  "student": job["student"], "db_url": job["db_url"]}}
        SaveAutoGrades().preprocess(nb, resources)
        with Gradebook(job["db_url"]) as gb:  # nbgrader's reading of the outputs must agree with the judge
            for cell in result["cells"]:
                stored = gb.find_grade(cell["grade_id"], job["notebook"], job["assignment"],
                                       job["student"]).auto_score
                if stored != cell["points"]:
                    raise RuntimeError(f"gradebook disagrees for {job['student']}/{cell['grade_id']}: "
                                       f"{stored} != {cell['points']}")
    log(f"  {job['student']:<24} {job['assignment']:<22} {result['status']:<12} {seconds:5.1f} s")
    return outcome


def _record_zero(db_url, outcome):
    """A notebook that was not submitted, cannot be read or could not be graded scores zero."""
    with Gradebook(db_url) as gb:
        submission = gb.update_or_create_submission(outcome.notebook, outcome.student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = outcome.status == "grader-error"
            for comment in notebook.comments:
                comment.auto_comment = outcome.message
        gb.db.commit()


def _write_feedback(outcomes, root, out, db_url, jobs, log):
    """Feedback HTML per student and notebook, made by nbgrader's feedback step in parallel."""
    import concurrent.futures
    import multiprocessing

    feedback = out / "feedback"
    graded = []
    for outcome in outcomes:
        target = feedback / outcome.student / f"{outcome.notebook}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        if outcome.status == "graded":
            graded.append((outcome.student, outcome.notebook, str(root), db_url, str(target)))
        else:
            target.write_text(_plain_feedback(outcome))
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max(1, jobs), mp_context=context) as pool:
        for problem in pool.map(_feedback_one, graded, chunksize=8):
            if problem:
                log(problem)


def _feedback_one(task):
    student, notebook, root, db_url, target = task
    api = course.nbgrader_api(root=root, db_url=db_url, source_directory=str(course.SOLUTIONS),
                              release_directory="release")
    result = api.generate_feedback(notebook, student)
    produced = Path(root) / "feedback" / student / notebook / f"{notebook}.html"
    if result["success"] and produced.exists():
        shutil.copyfile(produced, target)
        return ""
    return f"  could not write feedback for {student}/{notebook}: {(result.get('error') or '')[-500:]}"


def _plain_feedback(outcome):
    import html
    return (f"<!doctype html><meta charset='utf-8'><title>{html.escape(outcome.notebook)}</title>"
            f"<h1>{html.escape(outcome.notebook)}: 0 points</h1>"
            f"<p>{html.escape(outcome.message or outcome.status)}</p>")


def _export_grades(db_url, students, names, path):
    rows = []
    with Gradebook(db_url) as gb:
        for student in students:
            for name in names:
                notebook = gb.find_notebook(name, name)
                for cell in sorted(notebook.grade_cells, key=lambda c: c.id):
                    try:
                        grade = gb.find_grade(cell.name, name, name, student)
                        points = grade.score
                    except Exception:
                        points = 0.0
                    rows.append({"student": student, "notebook": name, "exercise": cell.name,
                                 "points": float(points or 0.0), "max_points": float(cell.max_score)})
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, GRADES_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def score_table(rows, students, names):
    """Totals per student and notebook, as text."""
    width = max([7] + [len(s) for s in students])
    header = f"{'student':<{width}} " + " ".join(f"{n[:14]:>14}" for n in names) + f" {'total':>14}"
    lines = [header, "-" * len(header)]
    for student in students:
        cells, total, top = [], 0.0, 0.0
        for name in names:
            got = sum(r["points"] for r in rows if r["student"] == student and r["notebook"] == name)
            most = sum(r["max_points"] for r in rows if r["student"] == student and r["notebook"] == name)
            cells.append(f"{got:6.1f} / {most:5.1f}")
            total, top = total + got, top + most
        lines.append(f"{student:<{width}} " + " ".join(f"{c:>14}" for c in cells) + f" {total:6.1f} / {top:5.1f}")
    return "\n".join(lines)
