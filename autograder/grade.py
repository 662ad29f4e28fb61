"""Grade a class: every student's notebooks, in parallel, into one gradebook.

    python -m autograder grade SUBMISSIONS --out OUT

SUBMISSIONS is a folder (or a .zip of one) laid out as
STUDENT_ID/NN_topic/NN_topic.ipynb. The result is OUT/grades.csv (one row per
graded test cell), OUT/feedback/STUDENT_ID/NN_topic.html, and nbgrader's
gradebook OUT/gradebook.db (or on a PostgreSQL server: see gradebook.py) with
the autograded notebooks beside it.

Each notebook is graded by its own worker process (see worker.py) with time
and memory limits; this process is the only one that writes the gradebook.
Whatever goes wrong with one student's notebook (in grading, recording or
feedback) becomes that student's verdict; the rest of the class is graded.
"""
import asyncio
import concurrent.futures
import csv
import html
import json
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades
from tqdm import tqdm

from . import cluster, course, feedback, gradebook, intake, judge, late, lms, regrade, registry, review
from .sandbox import Limits, bwrap_available

# nbgrader's own submission code trips a harmless SQLAlchemy autoflush warning
# ("... not in session ...") when a submission is created; keep it off the instructor's screen
warnings.filterwarnings("ignore", message=".*not in session.*", module="nbgrader")

GRADES_COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "seed",
                  "raw_points", "submitted", "late_days", "penalty_percent"]


@dataclass
class Settings:
    jobs: int = max(1, os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)
    db_url: str = ""               # default: sqlite file in OUT
    sandbox: str = "auto"          # "auto"/"bwrap" (bubblewrap, required) or "guard-only" (needs `unsafe`)
    unsafe: bool = False           # the instructor accepts grading without bubblewrap
    scheduler: str = ""            # a Dask scheduler's address: grade on its workers (see cluster.py)
    hints: bool = True             # name a lost exercise's likely mistake in the feedback (hints.py)
    only: tuple = ()               # regrade just these "STUDENT" or "STUDENT/NN_topic" into an existing OUT
    solutions: Path = course.SOLUTIONS  # the instructor's notebooks, hidden tests included
    deadlines: str = ""            # an nbgrader config file with the late policy (late.py); none: no penalties


@dataclass
class Outcome:
    student: str
    notebook: str
    status: str                     # graded, missing, refused, unreadable, grader-error
    seconds: float = 0.0
    message: str = ""
    timings: dict = field(default_factory=dict)   # where a graded notebook's time went (runner.run)
    peak_mb: float = 0.0                          # its worker's peak memory


def grade_class(submissions, out, settings=Settings(), log=print, progress=True):
    """Grade every submitted notebook; `progress` shows one bar for the class (count, rate, time left),
    with a line only for a notebook that did not grade, and the score table at the end."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    root = out / "nbgrader"
    db_url = gradebook.database_url(settings.db_url, out)
    gradebook.check_reachable(db_url)
    use_bwrap = decide_sandbox(settings.sandbox, settings.unsafe, log)
    client = cluster.connect(settings.scheduler, log) if settings.scheduler else None

    review.write_config(out, root, db_url)
    names = registry.names()
    before = regrade.read_before(out)
    found = intake.gather(Path(submissions), root / "submitted", names)
    for note in found.notes:
        log(f"  note: {note}")
    chosen = _chosen(settings.only, found, names, before)
    policy = late.load(settings.deadlines, names) if settings.deadlines else None
    # Feedback pages are made in the background: their processes start beside the release, and each
    # graded notebook's page as soon as it is recorded.
    with feedback.Pages(root, out, db_url, settings.jobs, log) as pages:
        log(f"Preparing the gradebook from {settings.solutions} ({len(names)} notebooks) ...")
        course.release(release_directory=root / "release", db_url=db_url, source=settings.solutions)

        students = found.students
        if settings.only:  # everyone graded before stays in grades.csv, with the grades they had
            students = sorted(set(students) | {student for student, _, _ in before.grades})
        submission_roots = sorted({str(path.parent.parent.parent) for path in found.notebooks.values()})
        jobs, outcomes = [], []
        for student in students:
            for name in names:
                if not chosen(student, name):
                    continue
                if student in found.refused:
                    outcomes.append(Outcome(student, name, "refused", message=found.refused[student]))
                elif (student, name) in found.notebooks:
                    jobs.append(_job(student, name, found.notebooks[student, name], root, db_url, settings,
                                     use_bwrap, [str(out), *submission_roots, str(settings.solutions)]))
                else:
                    outcomes.append(Outcome(student, name, "missing", message=f"{name}.ipynb was not submitted"))

        started = time.monotonic()
        workers = "the cluster's workers" if client else f"{settings.jobs} parallel workers"
        log(f"Grading {len(jobs)} notebooks of {len(students)} students with {workers} "
            f"({'bubblewrap sandbox' if use_bwrap else 'in-kernel guard only, NOT a security boundary'}) ...")
        with Gradebook(db_url) as gb:
            for student in students:
                gb.update_or_create_student(student)
        bar = tqdm(total=len(jobs), desc="grading", unit="notebook", disable=not progress, file=sys.stderr,
                   dynamic_ncols=True, smoothing=0.1)
        say = bar.write if progress else log

        def finished(job, result, seconds):
            outcome = _record(job, result, seconds, say)
            if outcome.status == "graded":  # before its feedback page is made, which shows the penalty
                _record_lateness(job, found, policy, say)
            outcomes.append(outcome)
            pages.add(outcome)
            bar.update(1)
        if client:
            done = cluster.run(client, jobs, db_url, root, finished)
            client.close()
        else:
            done = asyncio.run(_run_all(jobs, settings, finished))
        bar.close()
        for outcome in outcomes:
            if outcome.status != "graded":
                _record_zero(db_url, outcome, log)
                pages.add(outcome)
        elapsed = time.monotonic() - started

    rows = _export_grades(db_url, students, names, out / "grades.csv")
    lms.write_canvas(rows, students, names, out / "grades-lms.csv", safe=spreadsheet_safe)
    not_regraded = [o for o in before.outcomes if not chosen(o["student"], o["notebook"])] if settings.only else []
    (out / "outcomes.json").write_text(json.dumps(not_regraded + [asdict(o) for o in outcomes], indent=1))
    graded_now = {key: path for key, path in found.notebooks.items() if chosen(*key)}
    now = {**(before.provenance if settings.only else {}),
           **regrade.provenance(graded_now, names, settings.solutions)}
    (out / "provenance.json").write_text(json.dumps(now, indent=1))
    log(score_table(rows, students, names))
    if before.grades:
        changed = regrade.changes(before, rows, now)
        regrade.write(out / "changes.csv", changed, safe=spreadsheet_safe)
        log(regrade.report(changed, intake.shown) + f" (written to {out / 'changes.csv'})")
    kept = [m for m in gradebook.manual_scores(db_url) if m.student in students]
    if kept:
        log(f"Kept {len(kept)} score(s) set by hand in the formgrader (flagged there for review):")
        for m in kept:
            log(f"  {intake.shown(m.student)}/{m.notebook}/{m.exercise}: {m.manual:g} by hand, "
                f"{m.automatic:g} from this grading")
    log(f"Graded {done} notebooks in {elapsed:.1f} s. Grades: {out / 'grades.csv'}; "
        f"feedback: {out / 'feedback'}")
    for student, message in found.refused.items():
        log(f"REFUSED {intake.shown(student)}: {message}")
    for o in outcomes:
        if o.status == "grader-error":
            log(f"GRADER ERROR for {intake.shown(o.student)}/{o.notebook}:\n{o.message}")
    return rows, outcomes


def _chosen(only, found, names, before):
    """Whether (student, notebook) is graded in this run: all of them, or those `only` names (checked here)."""
    if not only:
        return lambda student, name: True
    if not before.grades:
        raise SystemExit("--only regrades into an OUT graded before, and this one has no grades.csv: "
                         "grade the class into it first (without --only).")
    picked = set()
    for choice in only:
        student, _, name = choice.partition("/")
        if student not in found.students:
            raise SystemExit(f"--only {choice}: SUBMISSIONS has no student {intake.shown(student)!r} "
                             f"({len(found.students)} students found there)")
        if name and name not in names:
            raise SystemExit(f"--only {choice}: no notebook {name!r}; the notebooks are {', '.join(names)}")
        picked |= {(student, name)} if name else {(student, every) for every in names}
    return lambda student, name: (student, name) in picked


UNSAFE_FLAG = "--i-understand-unsafe"


def decide_sandbox(choice, unsafe, log):
    """Whether to grade inside bubblewrap; without it, only when the instructor insists."""
    if choice == "guard-only":
        if not unsafe:
            raise SystemExit(f"--sandbox guard-only runs student code with only an in-kernel guard, which a "
                             f"determined student can get around (to read the reference answers, write the "
                             f"gradebook or stop the grader). Add {UNSAFE_FLAG} to grade that way anyway.")
        log("WARNING: grading without bubblewrap: student code is not isolated from this machine.")
        return False
    if bwrap_available():
        return True
    raise SystemExit(
        "bubblewrap (bwrap) cannot create a sandbox here, so grading stops: without it, student code is not "
        "isolated from this machine. Install it (sudo apt install bubblewrap) and allow unprivileged user "
        "namespaces (Debian: sudo sysctl -w kernel.unprivileged_userns_clone=1; Ubuntu 24.04 and later: "
        "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0), or grade on a machine where it works. "
        f"To grade without isolation anyway: --sandbox guard-only {UNSAFE_FLAG}")


def _job(student, name, submitted, root, db_url, settings, use_bwrap, hidden_paths):
    graded = root / "autograded" / student / name / f"{name}.ipynb"
    graded.parent.mkdir(parents=True, exist_ok=True)
    return {"student": student, "assignment": name, "notebook": name, "submitted": str(submitted),
            "release": str(root / "release" / name / f"{name}.ipynb"), "graded": str(graded),
            "db_url": db_url, "limits": asdict(settings.limits), "use_bwrap": use_bwrap,
            "denied_modules": list(registry.denied_while_grading(name)),
            "switched_off": list(registry.get(name).switched_off),
            "hidden_paths": hidden_paths, "hints": settings.hints, "solutions": str(settings.solutions)}


# A worker that judged hidden tests with the numba kernels keeps numba and LLVM in memory (about 450 MB);
# it is replaced by a fresh one, so that every job starts from a small grader and its peak memory is
# its own.
RECYCLE_WORKER_MB = 400


async def _run_all(jobs, settings, on_result):
    """Feed the jobs to `settings.jobs` worker processes; a worker that dies costs only its job.

    Results are recorded by one thread, the gradebook's single writer, so that a
    worker gets its next job while the last one is being recorded.
    """
    pending = list(jobs)
    recorder, recorded = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="recorder"), []
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
                hang = job_file.with_suffix(".hang.txt")
                where = hang.read_text()[-3000:] if hang.exists() else ""
                result = {"status": "grader-error",
                          "message": "the grading worker stopped or ran past its hard time limit "
                                     "while grading this notebook; it was restarted"
                                     + (f"\nWhere it hung:\n{where}" if where.strip() else "")}
                if worker.returncode is None:
                    worker.kill()
                await worker.wait()
                worker = await start_worker()
            recorded.append(recorder.submit(on_result, job, result, time.monotonic() - began))
            if result.get("worker_rss_mb", 0) > RECYCLE_WORKER_MB and pending:
                worker.stdin.close()
                await worker.wait()
                worker = await start_worker()
        worker.stdin.close()
        await worker.wait()

    try:
        await asyncio.gather(*(lane() for _ in range(min(settings.jobs, len(jobs)) or 1)))
    finally:
        recorder.shutdown(wait=True)
    for future in recorded:
        future.result()     # a recording that raised is the grader's own bug: say so
    return len(jobs)


def _record(job, result, seconds, log):
    """Single writer: store a worker's verdicts in the gradebook with nbgrader's SaveAutoGrades.

    A notebook that cannot be recorded becomes a grader error for that student alone.
    """
    outcome = Outcome(job["student"], job["assignment"], result.get("status", "grader-error"), round(seconds, 2),
                      result.get("message", ""), {k: round(v, 3) for k, v in result.get("timings", {}).items()},
                      result.get("worker_peak_mb", 0.0))
    try:
        with Gradebook(job["db_url"]) as gb:
            gb.update_or_create_submission(job["assignment"], job["student"])
        if outcome.status == "graded":
            _save_grades(job, result)
    except Exception as error:
        outcome.status = "grader-error"
        outcome.message = f"the grades could not be recorded ({type(error).__name__}: {str(error)[:500]})"
    if outcome.status != "graded":
        log(f"  {intake.shown(job['student']):<24} {job['assignment']:<22} {outcome.status:<12} {seconds:5.1f} s")
    return outcome


def _save_grades(job, result):
    nb = nbformat.read(job["graded"], as_version=4)
    resources = {"nbgrader": {"notebook": job["notebook"], "assignment": job["assignment"],
                              "student": job["student"], "db_url": job["db_url"]}}
    SaveAutoGrades().preprocess(nb, resources)
    with Gradebook(job["db_url"]) as gb:  # nbgrader's reading of the outputs must agree with the judge
        for cell in result["cells"]:
            stored = gb.find_grade(cell["grade_id"], job["notebook"], job["assignment"], job["student"]).auto_score
            if stored != cell["points"]:
                raise RuntimeError(f"gradebook disagrees for {cell['grade_id']}: {stored} != {cell['points']}")


def _record_lateness(job, found, policy, log):
    """The submission's time, and its penalty under the late policy, into the gradebook."""
    student, name = job["student"], job["notebook"]
    when, _ = late.submitted_at(job["submitted"], found.zip_times.get((student, name)))
    lateness = late.judge(policy, student, name, when)
    try:
        with Gradebook(job["db_url"]) as gb:
            late.record(gb, student, name, lateness, policy)
    except Exception as error:
        log(f"  could not record the submission time of {intake.shown(student)}/{name}: "
            f"{type(error).__name__}: {str(error)[:300]}")


def _record_zero(db_url, outcome, log):
    """A notebook that was not submitted, was refused, cannot be read or could not be graded scores zero."""
    try:
        with Gradebook(db_url) as gb:
            submission = gb.update_or_create_submission(outcome.notebook, outcome.student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = outcome.status == "grader-error"
                for comment in notebook.comments:
                    comment.auto_comment = html.escape(outcome.message)  # the formgrader renders it as markdown
            gb.db.commit()
    except Exception as error:
        log(f"  could not record a zero for {intake.shown(outcome.student)}/{outcome.notebook}: "
            f"{type(error).__name__}: {str(error)[:300]}")


def _exercise_order(name):
    """{grade id: its place in the notebook}, so that grades.csv lists exercises as the notebook does."""
    released = nbformat.read(course.COURSE / name / f"{name}.ipynb", as_version=4)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in released.cells]
    return {grade_id: index for index, grade_id in enumerate(ids) if grade_id}


def _export_grades(db_url, students, names, path):
    rows = []
    with Gradebook(db_url) as gb:
        for name in names:
            position = _exercise_order(name)
            cells = sorted(gb.find_notebook(name, name).grade_cells, key=lambda c: position.get(c.name, len(position)))
            for student in students:
                kept, submitted, days_late, percent = _lateness(gb, student, name)
                for cell in cells:
                    try:
                        points = float(gb.find_grade(cell.name, name, name, student).score or 0.0)
                    except Exception:
                        points = 0.0
                    rows.append({"student": student, "notebook": name, "exercise": cell.name,
                                 "points": round(points * kept, 6), "max_points": float(cell.max_score),
                                 "seed": judge.seed_for(student, name, cell.name), "raw_points": points,
                                 "submitted": submitted, "late_days": days_late, "penalty_percent": percent})
    order = {student: index for index, student in enumerate(students)}
    rows.sort(key=lambda row: (order[row["student"]], names.index(row["notebook"])))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, GRADES_COLUMNS)
        writer.writeheader()
        writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    return rows


def _lateness(gb, student, name):
    """(share of the points kept, submission time, days late, penalty in percent) as the gradebook has them."""
    try:
        submission = gb.find_submission(name, student)
        graded = gb.find_submission_notebook(name, name, student)
    except Exception:  # never handed in
        return 1.0, "", "", ""
    submitted = f"{submission.timestamp:%Y-%m-%d %H:%M:%S} UTC" if submission.timestamp else "unknown"
    days = round(submission.total_seconds_late / late.DAY, 2)
    score, penalty = graded.score or 0.0, graded.late_submission_penalty or 0.0
    percent = round(100.0 * penalty / score, 2) if score else 0.0
    return 1.0 - percent / 100.0, submitted, days, percent


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula (it starts with = + - @), quoted as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def score_table(rows, students, names):
    """Totals per student and notebook, as text."""
    shown = {student: intake.shown(student) for student in students}
    width = max([7] + [len(s) for s in shown.values()])
    header = f"{'student':<{width}} " + " ".join(f"{n[:14]:>14}" for n in names) + f" {'total':>14}"
    lines = [header, "-" * len(header)]
    for student in students:
        cells, total, top = [], 0.0, 0.0
        for name in names:
            got = sum(r["points"] for r in rows if r["student"] == student and r["notebook"] == name)
            most = sum(r["max_points"] for r in rows if r["student"] == student and r["notebook"] == name)
            cells.append(f"{got:6.1f} / {most:5.1f}")
            total, top = total + got, top + most
        lines.append(f"{shown[student]:<{width}} " + " ".join(f"{c:>14}" for c in cells)
                     + f" {total:6.1f} / {top:5.1f}")
    return "\n".join(lines)
