"""Open a graded class in nbgrader's formgrader, to read submissions and adjust grades by hand.

    python -m autograder review OUT [JUPYTER_ARGS ...]

OUT is the folder a grading run wrote. Grading leaves an nbgrader_config.py
there that points the formgrader at its gradebook and graded notebooks; this
command starts JupyterLab in OUT, where the formgrader reads that file, and
says which page to open. The graded notebooks it shows were made inert when
they were graded (see inert.py): only text and pictures, never a student's
markup or script, since the formgrader's pages act with the instructor's rights.
"""
import os
import sys
from pathlib import Path

CONFIG = "nbgrader_config.py"


def write_config(out, root, db_url):
    """The nbgrader configuration that lets the formgrader, started in `out`, read this graded class."""
    Path(out, CONFIG).write_text(
        "# Written by `python -m autograder grade`: nbgrader's formgrader, started in this folder\n"
        "# (python -m autograder review THIS_FOLDER), reads the graded class through it.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.db_url = {db_url!r}\n"
        'c.CourseDirectory.course_id = "default_course"  # as autograder/nbgrader_config.py\n')


def review(out, jupyter_args=()):
    out = Path(out).resolve()
    if not (out / CONFIG).exists():
        raise SystemExit(f"{out} holds no graded class (no {CONFIG}); give the --out folder of a grading run")
    arguments = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={out}", *jupyter_args]
    if os.geteuid() == 0 and "--allow-root" not in jupyter_args:
        arguments.append("--allow-root")  # containers often run as root
    print(f"[review] starting JupyterLab in {out}; open the printed address with /formgrader instead of /lab")
    os.chdir(out)  # the formgrader reads nbgrader_config.py from the folder it starts in
    os.execv(sys.executable, arguments)
