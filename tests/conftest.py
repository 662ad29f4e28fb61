"""Shared fixtures: one class-grading run holds every case the grading tests look at.

Grading is the slow part (a sandboxed kernel per notebook), so the session
grades all cases of all notebooks at once, in parallel, through the same
`grade_class` the instructor's command uses, and the tests read the results.
"""
import os

import nbformat
import pytest

from autograder import submissions
from autograder.grade import Settings, grade_class

from grading_cases import TEST_LIMITS, GradedClass, class_cases, graded_notebooks


def grade_cases(tmp_path_factory, sandbox, names):
    root = tmp_path_factory.mktemp(f"class-{sandbox}")
    for name in names:
        for student, nb in class_cases(name, root / "out", bwrap=sandbox != "guard-only").items():
            path = root / "submitted" / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
    if "01_derivatives" in names:  # an id a spreadsheet would run, and a file that is no notebook
        for student, content in (("=1+2", nbformat.writes(submissions.release_notebook("01_derivatives"))),
                                 ("not-a-notebook", "root:x:0:0:root:/root:/bin/bash\n")):
            path = root / "submitted" / student / "01_derivatives" / "01_derivatives.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    # The guard-only run grades with --no-hints, so that the tests can see that it turns them off.
    settings = Settings(jobs=max(2, os.cpu_count() or 2), limits=TEST_LIMITS, sandbox=sandbox,
                        unsafe=sandbox == "guard-only", hints=sandbox != "guard-only")
    grade_class(root / "submitted", root / "out", settings, log=lambda *a: None, progress=False)
    return GradedClass(root / "out")


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Every case of every notebook, graded in the default (bubblewrap) sandbox."""
    return grade_cases(tmp_path_factory, "bwrap", graded_notebooks())


@pytest.fixture(scope="session")
def graded_guard_only(tmp_path_factory):
    """The cases of notebook 01 again, with the in-kernel guard as the only protection."""
    return grade_cases(tmp_path_factory, "guard-only", graded_notebooks()[:1])
