"""Deadlines and late penalties: one nbgrader config file, kept where nbgrader's gradebook keeps them.

The instructor writes them in a config file (given to `grade --deadlines FILE`):

    c = get_config()
    c.LatePolicy.deadlines = {"01_derivatives": "2026-10-05 23:59 UTC", "02_chain_rule": "2026-10-12 23:59 UTC"}
    c.LatePolicy.rule = "per-day"          # or "zero"
    c.LatePolicy.percent_per_day = 10      # per day late, a started day counting as a day
    c.LatePolicy.floor_percent = 50        # per-day: a late notebook keeps at least this share of its points
    c.LatePolicy.cutoff_days = 2           # zero: full points up to this many days late, nothing after
    c.LatePolicy.extensions = {"alice": {"02_chain_rule": "2026-10-15 23:59 UTC"}}

LatePolicy is an nbgrader late-submission plugin, so nbgrader's own autograde
can use the same file (c.AssignLatePenalties.plugin_class =
"autograder.late.LatePolicy"). The grader stores the deadline, the
extension, the submission time and the penalty in the gradebook, where the
formgrader and the feedback page show them, and grades.csv keeps the raw
points beside the points after the penalty.

A submission's time is its nbgrader timestamp.txt (in its notebook folder)
when there is one, else the time its zip entry was written. A notebook with
neither is counted as on time, and grades.csv says its time is unknown.
"""
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Dict, Enum, Float
from traitlets.config import PyFileConfigLoader

DAY = 86400.0


class LatePolicy(LateSubmissionPlugin):
    """A deadline per notebook, extensions per student, and a percentage per day late or zero after a cut-off."""

    deadlines = Dict(help="{notebook: deadline}, e.g. '2026-10-05 23:59 UTC'").tag(config=True)
    rule = Enum(("per-day", "zero"), default_value="per-day").tag(config=True)
    percent_per_day = Float(10.0).tag(config=True)
    floor_percent = Float(0.0).tag(config=True)
    cutoff_days = Float(0.0).tag(config=True)
    extensions = Dict(help="{student: {notebook: later deadline}}").tag(config=True)

    def deadline(self, student, notebook):
        """The student's deadline for `notebook` (an extension wins), as naive UTC, or None."""
        text = self.extensions.get(student, {}).get(notebook) or self.deadlines.get(notebook)
        return parse_utc(text) if text else None

    def percent(self, seconds_late):
        """The share of the points a notebook this late loses, in percent."""
        if seconds_late <= 0:
            return 0.0
        if self.rule == "zero":
            return 100.0 if seconds_late > self.cutoff_days * DAY else 0.0
        return min(math.ceil(seconds_late / DAY) * self.percent_per_day, 100.0 - self.floor_percent)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        """nbgrader's plugin call: the points to take off `score`."""
        return score * self.percent(total_seconds_late) / 100.0


def load(path, names):
    """The policy in the nbgrader config file at `path`, checked: a clear error names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"--deadlines {path}: no such file")
    try:
        config = PyFileConfigLoader(path.name, path=str(path.parent.resolve())).load_config()
        policy = LatePolicy(config=config)
    except Exception as error:
        raise SystemExit(f"--deadlines {path}: cannot be read as an nbgrader config file "
                         f"({type(error).__name__}: {error})")
    choices = [("deadlines", policy.deadlines)] + [(f"extensions[{s!r}]", e) for s, e in policy.extensions.items()]
    for where, table in choices:
        for notebook, text in dict(table).items():
            if notebook not in names:
                raise SystemExit(f"--deadlines {path}: {where} names {notebook!r}, which is not a course "
                                 f"notebook ({', '.join(names)})")
            try:
                parse_utc(text)
            except Exception:
                raise SystemExit(f"--deadlines {path}: {where}[{notebook!r}] = {text!r} is not a date and "
                                 "time nbgrader reads, such as '2026-10-05 23:59 UTC'")
    return policy


@dataclass
class Lateness:
    submitted: datetime = None   # naive UTC, or None when unknown
    deadline: datetime = None
    percent: float = 0.0

    @property
    def seconds_late(self):
        if self.submitted is None or self.deadline is None:
            return 0.0
        return max(0.0, (self.submitted - self.deadline).total_seconds())


def submitted_at(path, zip_time=None):
    """(time, where it came from) of a submitted notebook at `path`: timestamp.txt, the zip entry, or unknown."""
    stamp = Path(path).parent / "timestamp.txt"
    if stamp.is_file():
        try:
            return parse_utc(stamp.read_text(errors="replace").strip()[:100]), "timestamp.txt"
        except Exception:
            pass  # unreadable: fall back on the zip entry's time, as if it were not there
    if zip_time is not None:
        return zip_time, "zip entry"
    return None, "unknown"


def judge(policy, student, notebook, submitted):
    """How late one submission is, and what it costs."""
    lateness = Lateness(submitted, policy.deadline(student, notebook) if policy else None)
    lateness.percent = policy.percent(lateness.seconds_late) if policy else 0.0
    return lateness


def record(gb, student, notebook, lateness, policy):
    """Keep it as nbgrader does: the assignment's due date, the submission's time and extension, the penalty."""
    submission = gb.find_submission(notebook, student)
    submission.timestamp = lateness.submitted
    base = parse_utc(policy.deadlines[notebook]) if policy and notebook in policy.deadlines else None
    if base is not None:
        submission.assignment.duedate = base
        submission.extension = lateness.deadline - base if lateness.deadline and lateness.deadline != base else None
    graded = gb.find_submission_notebook(notebook, notebook, student)
    graded.late_submission_penalty = (graded.score or 0.0) * lateness.percent / 100.0 if lateness.percent else None
    gb.db.commit()
