"""What grading again changed: each exercise whose points moved, from what to what, and why.

Every grading run leaves OUT/provenance.json: for each graded notebook, a
hash of the submitted file and of each test cell (its hidden part included).
The next run into the same OUT compares its grades with the ones before and
writes OUT/changes.csv, one row per exercise whose points changed, with the
reason read from what differs: a new submission, changed tests, or a
changed seed policy (the seed of the hidden tests' inputs, in grades.csv).
"""
import csv
import hashlib
import json
from dataclasses import dataclass, field

import nbformat
from nbgrader import utils as nbutils

CHANGES_COLUMNS = ["student", "notebook", "exercise", "old_points", "new_points", "reason"]
UNEXPLAINED = "graded again with the same submission, tests and seed"


@dataclass
class Before:
    """A previous grading of OUT: {(student, notebook, exercise): (points, seed)}, and its provenance."""
    grades: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)   # {"student/notebook": {"submission": hash, "tests": {...}}}
    outcomes: list = field(default_factory=list)     # outcomes.json's entries


def read_before(out):
    """What OUT holds from the last grading (empty when there was none)."""
    before = Before()
    if (out / "grades.csv").exists():
        with open(out / "grades.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                before.grades[row["student"], row["notebook"], row["exercise"]] = (float(row["points"]),
                                                                                  int(row["seed"]))
    for name, attribute in (("provenance.json", "provenance"), ("outcomes.json", "outcomes")):
        if (out / name).exists():
            setattr(before, attribute, json.loads((out / name).read_text()))
    return before


def file_hash(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hashes(name, solutions):
    """{grade id: hash of its test cell's source} in the instructor's notebook `name`."""
    nb = nbformat.read(solutions / name / f"{name}.ipynb", as_version=4)
    return {cell.metadata.nbgrader["grade_id"]: hashlib.sha256(cell.source.encode()).hexdigest()
            for cell in nb.cells if nbutils.is_grade(cell)}


def provenance(notebooks, names, solutions):
    """{"student/notebook": {"submission": hash, "tests": {grade id: hash}}} for the notebooks graded now."""
    tests = {name: test_hashes(name, solutions) for name in names}
    return {f"{student}/{name}": {"submission": file_hash(path), "tests": tests[name]}
            for (student, name), path in notebooks.items() if name in tests}


def changes(before, rows, now):
    """The rows of changes.csv: every exercise in `rows` (grades.csv's) whose points differ from `before`."""
    found = []
    for row in rows:
        key = (row["student"], row["notebook"], row["exercise"])
        old_points, old_seed = before.grades.get(key, (None, None))
        if old_points is not None and old_points == row["points"]:
            continue
        found.append({"student": key[0], "notebook": key[1], "exercise": key[2],
                      "old_points": "" if old_points is None else old_points, "new_points": row["points"],
                      "reason": reason(before, now, key, old_seed, row["seed"])})
    return found


def reason(before, now, key, old_seed, new_seed):
    """Why one exercise's points moved, from what differs between the two gradings."""
    student, name, exercise = key
    old, new = before.provenance.get(f"{student}/{name}", {}), now.get(f"{student}/{name}", {})
    if old_seed is None:
        return "first graded"
    why = []
    if old.get("submission") != new.get("submission"):
        why.append("new submission")
    if old.get("tests", {}).get(exercise) != new.get("tests", {}).get(exercise):
        why.append("changed tests")
    if old_seed != new_seed:
        why.append("changed seed policy")
    return "; ".join(why) or UNEXPLAINED


def write(path, found, safe=str):
    """changes.csv; `safe` writes a student id so that a spreadsheet never runs it as a formula."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, CHANGES_COLUMNS)
        writer.writeheader()
        writer.writerows({**row, "student": safe(row["student"])} for row in found)


def report(found, shown):
    """changes.csv as text for the instructor's screen (`shown` makes a student id printable)."""
    if not found:
        return "No grade changed."
    lines = [f"{len(found)} grade(s) changed:"]
    for row in found:
        old = "-" if row["old_points"] == "" else f"{row['old_points']:g}"
        lines.append(f"  {shown(row['student'])}/{row['notebook']}/{row['exercise']}: {old} -> "
                     f"{row['new_points']:g} ({row['reason']})")
    return "\n".join(lines)
