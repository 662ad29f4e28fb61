"""Write the students' repository: the student edition and what runs it, nothing else.

    python -m autograder export-student DIR [--through NN]

DIR receives course/, the helper package dlscratch/, binder/, environment.yml,
pyproject.toml, scripts/lab and scripts/setup, and a README made of the
student guide. Solutions, hidden tests, the reference package and the
grading tools stay behind. Push DIR to its own repository and point Binder
at it.

With --through NN only notebooks 01..NN go out: release a notebook when the
one before it is due. A module that holds answers of an earlier notebook
sits in the folders of the notebooks that publish and use it (see
autograder/published), so it goes out with them and not before.
"""
import re
import shutil
from pathlib import Path

from . import course, registry

COPIED = ("course", "dlscratch", "binder", "environment.yml", "pyproject.toml", "scripts/lab", "scripts/setup")
LEFT_BEHIND = ("solutions", "autograder", "tests", "bench", ".ci", "scripts/test")


def export_student(target, through=None):
    """Write the students' repository into the new folder `target`, with notebooks up to `through`."""
    through = notebook_named(through) if through else registry.names()[-1]
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise SystemExit(f"{target} is not empty; choose a new folder")
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
    for relative in COPIED:
        source, destination = course.REPO / relative, target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, ignore=ignore)
        else:
            shutil.copy2(source, destination)
    released = registry.names()[:registry.names().index(through) + 1]
    for folder in (target / "course").iterdir():
        if folder.is_dir() and folder.name not in released:
            shutil.rmtree(folder)
    (target / "README.md").write_text(student_readme())
    (target / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n")
    return target


def notebook_named(text):
    """The notebook that `text` names: its folder name, or just its number ("07")."""
    for name in registry.names():
        if text in (name, name.split("_")[0]):
            return name
    raise SystemExit(f"--through {text}: no such notebook; choose one of {', '.join(registry.names())}")


def student_readme():
    """The course's README, cut down to its introduction and the student guide."""
    text = (course.REPO / "README.md").read_text()
    intro = text.split("\n## ", 1)[0]
    guide = re.search(r"\n## Student guide\n(.*?)(?=\n## )", text, re.S).group(1)
    return (f"{intro.rstrip()}\n\n## Getting started\n\nRun `scripts/lab` (it sets everything up the first time "
            "and opens JupyterLab on `course/`), or open this repository on Binder.\n\n"
            f"## Student guide\n{guide}")
