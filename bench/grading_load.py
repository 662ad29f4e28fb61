"""A large class through a local Dask cluster: nothing lost, nothing duplicated, memory bounded, and the rate.

    .venv/bin/python -m bench.grading_load                  # 500 students x notebooks 01-02, about 12 minutes
    .venv/bin/python -m bench.grading_load --students 20    # a short run

The class is bench.grading's (each notebook's casebook, spread over the
students), graded by the instructor's whole command on a Dask scheduler and
two one-thread workers started here on 127.0.0.1. Afterwards every
(student, notebook) is counted in outcomes.json, every (student, notebook,
exercise) in grades.csv and in the gradebook: a lost grade is one that is
missing from any of them, a duplicate one that appears twice. Memory is that
of this process and everything under it, sampled every 0.1 s; it is bounded
when the second half of the run peaks no higher than the first half by more
than a tenth, so that nothing grows with the number of notebooks graded.

The last line is the summary:
SUMMARY: load S students x 2 notebooks on a cluster of 2 workers: N graded, L lost, D duplicated, R notebooks/hour, peak memory X GiB (first half A GiB, second half B GiB)
"""
from __future__ import annotations

import argparse
import csv
import json
import tempfile
from collections import Counter
from pathlib import Path

from nbgrader.api import Grade, Gradebook

from autograder import registry
from autograder.grade import Settings
from autograder.sandbox import Limits
from bench.grading import per_hour, timed_run, write_class

NOTEBOOKS = registry.names()[:2]    # 01-02, the load test


def account(out: Path, students: list, notebooks: list) -> dict:
    """How many of the expected grades each record lacks, and how many it holds more than once."""
    graded = [(o["student"], o["notebook"]) for o in json.loads((out / "outcomes.json").read_text())
              if o["status"] == "graded"]
    with open(out / "grades.csv") as handle:
        exported = [(row["student"], row["notebook"], row["exercise"]) for row in csv.DictReader(handle)]
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        stored = [(g.student.id, g.notebook.name, g.name) for g in gradebook.db.query(Grade).all()]
        exercises = {n: {cell.name for cell in gradebook.find_notebook(n, n).grade_cells} for n in notebooks}
    expected_notebooks = {(s, n) for s in students for n in notebooks}
    expected_grades = {(s, n, e) for s, n in expected_notebooks for e in exercises[n]}
    lost = (len(expected_notebooks - set(graded)) + len(expected_grades - set(exported))
            + len(expected_grades - set(stored)))
    duplicated = sum(count - 1 for record in (graded, exported, stored)
                     for count in Counter(record).values() if count > 1)
    return {"graded": len(set(graded) & expected_notebooks), "lost": lost, "duplicated": duplicated}


def halves(samples: list) -> tuple:
    """The peak of the first and of the second half of a run's memory samples."""
    middle = len(samples) // 2
    return max(samples[:middle], default=0), max(samples[middle:], default=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=500)
    args = parser.parse_args(argv)
    from tests.servers import dask_cluster       # the tests' scheduler-and-workers starter

    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        folder = Path(folder)
        count = write_class(folder / "class", args.students, NOTEBOOKS)
        print(f"A class of {args.students} students x {len(NOTEBOOKS)} notebooks ({count} notebooks) "
              f"on a Dask scheduler and 2 workers\n")
        with dask_cluster(workers=2) as (address, _):
            run = timed_run(folder / "class", folder / "out", Settings(limits=Limits(), scheduler=address))
        students = sorted(path.name for path in (folder / "class").iterdir())
        counted = account(folder / "out", students, NOTEBOOKS)
    first, second = halves(run["memory"])
    bounded = "bounded" if second <= 1.1 * first else "GROWING"
    print(f"whole command {run['seconds']:.1f} s, grading phase {run['phase']:.1f} s "
          f"({per_hour(count, run['phase']):.0f} notebooks/hour)")
    print(f"graded {counted['graded']} of {count}, lost {counted['lost']}, duplicated {counted['duplicated']} "
          "(outcomes, grades.csv and the gradebook, each counted)")
    print(f"memory {bounded}: peak {first / 2**30:.2f} GiB in the first half, {second / 2**30:.2f} GiB in the second")
    print(f"\nSUMMARY: load {args.students} students x {len(NOTEBOOKS)} notebooks on a cluster of 2 workers: "
          f"{counted['graded']} graded, {counted['lost']} lost, {counted['duplicated']} duplicated, "
          f"{per_hour(count, run['seconds']):.0f} notebooks/hour, peak memory {run['peak'] / 2**30:.1f} GiB "
          f"(first half {first / 2**30:.1f} GiB, second half {second / 2**30:.1f} GiB)")


if __name__ == "__main__":
    main()
