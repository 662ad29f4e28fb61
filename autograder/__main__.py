"""Instructor commands.

    python -m autograder release [NN_topic ...]        regenerate course/ from solutions/
    python -m autograder grade SUBMISSIONS --out OUT    grade a class (folder or .zip)
    python -m autograder grade --demo --out OUT         grade the bundled sample class
    python -m autograder export-student DIR [--through NN]  write the students' repository (for Binder)
    python -m autograder review OUT                      open a graded class in nbgrader's formgrader
    python -m autograder similarity SUBMISSIONS --out OUT  rank pairs of students whose answers look alike
"""
import argparse
import shutil
import sys
from pathlib import Path

from . import course, registry
from .grade import Settings, grade_class
from .sandbox import Limits


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="regenerate the student edition in course/")
    release.add_argument("notebooks", nargs="*", help="notebook folders to release (default: all)")

    export = commands.add_parser("export-student", help="write the students' repository into DIR")
    export.add_argument("target", help="a new, empty folder")
    export.add_argument("--through", metavar="NN", help="publish notebooks 01..NN only (default: all)")

    review = commands.add_parser("review", help="open a graded class in nbgrader's formgrader (JupyterLab)")
    review.add_argument("out", help="the --out folder of a grading run")
    review.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")

    grade = commands.add_parser("grade", help="grade a class of submissions")
    grade.add_argument("submissions", nargs="?", help="folder or .zip laid out as STUDENT/NN_topic/NN_topic.ipynb")
    grade.add_argument("--out", required=True, help="where grades.csv, feedback/ and the gradebook go")
    grade.add_argument("--demo", action="store_true", help="grade the bundled sample class")
    grade.add_argument("--jobs", type=int, default=Settings.jobs, help="notebooks graded at once")
    grade.add_argument("--timeout", type=int, default=Limits.notebook_timeout,
                       help="seconds allowed for one whole notebook")
    grade.add_argument("--cell-timeout", type=int, default=Limits.cell_timeout,
                       help="seconds allowed for one cell or one hidden-test call")
    grade.add_argument("--memory", type=float, default=Limits.memory_bytes / 2**30,
                       help="GiB of memory for one student's kernel")
    grade.add_argument("--db", default="", help="gradebook URL: sqlite:///PATH (default: OUT/gradebook.db) "
                       "or postgresql://USER:PASSWORD@HOST:PORT/DATABASE (needs the [cluster] extra)")
    grade.add_argument("--scheduler", default="", metavar="tcp://HOST:PORT",
                       help="grade on the workers of this Dask scheduler (needs the [cluster] extra)")
    grade.add_argument("--sandbox", choices=["auto", "bwrap", "guard-only"], default="auto",
                       help="bubblewrap isolation (auto and bwrap: required) or none (guard-only)")
    grade.add_argument("--no-hints", action="store_false", dest="hints",
                       help="do not name likely mistakes in the feedback (see autograder/hints.py)")
    grade.add_argument("--only", action="append", default=[], metavar="STUDENT[/NN_topic]",
                       help="regrade just this student (or one notebook of theirs) into an OUT graded before; "
                            "repeat it for more. Every regrade writes OUT/changes.csv")
    grade.add_argument("--deadlines", default="", metavar="FILE",
                       help="an nbgrader config file with deadlines, extensions and the late penalty "
                            "(see autograder/late.py)")
    grade.add_argument("--i-understand-unsafe", action="store_true", dest="unsafe",
                       help="allow --sandbox guard-only, where student code is not isolated")

    similar = commands.add_parser("similarity", help="rank pairs of students whose answers look alike")
    similar.add_argument("submissions", help="folder or .zip laid out as STUDENT/NN_topic/NN_topic.ipynb")
    similar.add_argument("--out", required=True, help="where similarity.csv and similarity.html go")

    args = parser.parse_args(argv)
    if args.command == "similarity":
        try:
            from .similarity import run
        except ImportError:
            parser.error("the similarity check needs copydetect: .venv/bin/pip install -e '.[similarity]'")
        if not Path(args.submissions).exists():
            parser.error(f"{args.submissions} does not exist")
        run(args.submissions, args.out)
        return 0
    if args.command == "release":
        names = args.notebooks or registry.names()
        course.release(names=names)
        print(f"Released {', '.join(names)} into {course.COURSE}")
        return 0

    if args.command == "review":
        from .review import review
        review(args.out, args.jupyter_args)
        return 0

    if args.command == "export-student":
        from .export import export_student
        print(f"Wrote the students' repository to {export_student(args.target, args.through)}")
        return 0

    out = Path(args.out)
    if args.demo:
        from . import demo
        submissions = out / "demo-submissions"
        shutil.rmtree(submissions, ignore_errors=True)
        demo.write_class(submissions)
        print(f"Wrote the sample class to {submissions}")
    elif not args.submissions:
        parser.error("give a SUBMISSIONS folder or zip, or --demo")
    else:
        submissions = Path(args.submissions)
        if not submissions.exists():
            parser.error(f"{submissions} does not exist")
    limits = Limits(memory_bytes=int(args.memory * 2**30), cell_timeout=args.cell_timeout,
                    notebook_timeout=args.timeout)
    settings = Settings(jobs=max(1, args.jobs), limits=limits, db_url=args.db, sandbox=args.sandbox,
                        unsafe=args.unsafe, scheduler=args.scheduler, hints=args.hints,
                        only=tuple(args.only), deadlines=args.deadlines)
    _, outcomes = grade_class(submissions, out, settings)
    return 1 if any(o.status == "grader-error" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
