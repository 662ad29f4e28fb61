"""Which students' answers look alike: a reason to look, never a verdict.

    python -m autograder similarity SUBMISSIONS --out OUT

Each answer cell is compared with the same cell of every other student, one
exercise at a time, with copydetect's winnowing: the code is tokenised,
names and strings become placeholders (so renamed variables do not hide a
copy), and the overlap of the k-gram fingerprints is the share of each
answer found in the other. The starter code of the cell is left out, and an
answer still equal to it is not compared. Short answers that everyone writes
alike (a one-line formula) score high for everyone: the ranking is read
against the class, and the pages side by side show what is shared.

Writes OUT/similarity.csv (ranked pairs) and OUT/similarity.html (the top
pairs' answers side by side, shared code marked). Student code is shown as
escaped text only.
"""
import csv
import html
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import nbformat
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap
from nbgrader import utils as nbutils

from . import course, intake, registry
from .grade import spreadsheet_safe

NOISE = 25        # copydetect's k: k-grams shorter than this (in filtered characters) are noise
WINDOW = 1        # winnow window: every k-gram is kept (answers are short)
SHOWN = 50        # pairs shown side by side in the HTML page
COLUMNS = ["rank", "similarity", "student_a", "student_b", "notebook", "exercise", "share_a", "share_b"]


@dataclass
class Pair:
    student_a: str
    student_b: str
    notebook: str
    exercise: str
    share_a: float   # of a's answer, the part found in b's
    share_b: float
    marked_a: str    # a's answer as escaped HTML, shared code marked
    marked_b: str

    @property
    def similarity(self):
        """The smaller share: both answers must be mostly the same code, not one a snippet of the other."""
        return min(self.share_a, self.share_b)


def answers(found, names, release=course.COURSE):
    """{(notebook, grade id): {student: answer source}}, with the starter code in `starters`."""
    by_cell, starters = {}, {}
    for name in names:
        released = nbformat.read(release / name / f"{name}.ipynb", as_version=4)
        for cell in released.cells:
            if nbutils.is_solution(cell) and cell.cell_type == "code":
                starters[name, cell.metadata.nbgrader["grade_id"]] = cell.source
    for (student, name), path in sorted(found.notebooks.items()):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # a broken notebook is graded (as zero) elsewhere; here it has nothing to compare
            continue
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            starter = starters.get((name, grade_id))
            source = cell.get("source", "")
            if starter is not None and isinstance(source, str) and source.strip() and source != starter:
                by_cell.setdefault((name, grade_id), {}).setdefault(student, source)
    return by_cell, starters


def fingerprint(source, boilerplate=()):
    return CodeFingerprint("answer.py", NOISE, WINDOW, boilerplate=list(boilerplate), language="python",
                           fp=io.StringIO(source))


def compare(by_cell, starters):
    """Every pair of students who answered the same cell, ranked from the most alike."""
    pairs = []
    for (name, grade_id), sources in by_cell.items():
        starter = fingerprint(starters[name, grade_id]).hashes
        prints = {student: fingerprint(source, starter) for student, source in sources.items()}
        for a, b in itertools.combinations(sorted(prints), 2):
            overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
            if not overlap:
                continue
            marked_a = highlight_overlap(prints[a].raw_code, slices_a, "<mark>", "</mark>", escape_html=True)[0]
            marked_b = highlight_overlap(prints[b].raw_code, slices_b, "<mark>", "</mark>", escape_html=True)[0]
            pairs.append(Pair(a, b, name, grade_id, float(share_a), float(share_b), marked_a, marked_b))
    pairs.sort(key=lambda pair: (-pair.similarity, -max(pair.share_a, pair.share_b), pair.student_a,
                                 pair.student_b, pair.notebook, pair.exercise))
    return pairs


def write_csv(pairs, path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for rank, pair in enumerate(pairs, 1):
            writer.writerow([rank, f"{pair.similarity:.3f}", spreadsheet_safe(pair.student_a),
                             spreadsheet_safe(pair.student_b), pair.notebook, pair.exercise,
                             f"{pair.share_a:.3f}", f"{pair.share_b:.3f}"])


def write_html(pairs, path, shown=SHOWN):
    """The top pairs side by side; nothing from a submission is anything but escaped text."""
    parts = [PAGE_HEAD, f"<p>{len(pairs)} pairs of answers share code; the {min(shown, len(pairs))} most alike "
             "are shown. Similarity is a reason to look, not a verdict: short answers everyone writes the "
             "same way score high too.</p>"]
    for rank, pair in enumerate(pairs[:shown], 1):
        a, b = html.escape(intake.shown(pair.student_a)), html.escape(intake.shown(pair.student_b))
        parts.append(f"<h2>{rank}. {a} and {b}: {html.escape(pair.notebook)} / {html.escape(pair.exercise)} "
                     f"({pair.similarity:.0%})</h2><div class=pair>"
                     f"<div><h3>{a} ({pair.share_a:.0%} shared)</h3><pre>{pair.marked_a}</pre></div>"
                     f"<div><h3>{b} ({pair.share_b:.0%} shared)</h3><pre>{pair.marked_b}</pre></div></div>")
    parts.append("</body></html>\n")
    path.write_text("\n".join(parts))


PAGE_HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Similar answers</title><style>
body { font-family: sans-serif; margin: 2em; } .pair { display: flex; gap: 1em; }
.pair > div { flex: 1; min-width: 0; } pre { background: #f6f6f6; padding: .5em; overflow-x: auto; }
mark { background: #ffd54f; }
</style></head><body><h1>Similar answers</h1>"""


def run(submissions, out, log=print):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = registry.names()
    found = intake.gather(Path(submissions), out / "similarity-submitted", names)
    for student, why in found.refused.items():
        log(f"  {intake.shown(student)} left out: {why}")
    by_cell, starters = answers(found, names)
    pairs = compare(by_cell, starters)
    write_csv(pairs, out / "similarity.csv")
    write_html(pairs, out / "similarity.html")
    log(f"Compared {sum(len(s) for s in by_cell.values())} answers in {len(by_cell)} answer cells of "
        f"{len(found.students)} students: {len(pairs)} pairs share code.")
    for rank, pair in enumerate(pairs[:10], 1):
        log(f"  {rank:2d}. {pair.similarity:4.0%}  {intake.shown(pair.student_a)} and "
            f"{intake.shown(pair.student_b)}  {pair.notebook}/{pair.exercise}")
    log(f"Ranked pairs: {out / 'similarity.csv'}; side by side: {out / 'similarity.html'}")
    return pairs
