"""The student edition is exactly what nbgrader's release step makes, and it leaks nothing."""
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import course, registry

NAMES = registry.names()


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    target = tmp_path_factory.mktemp("release")
    course.release(release_directory=target / "course", db_url=f"sqlite:///{target / 'gradebook.db'}")
    return target / "course"


def test_a_new_gradebook_carries_the_schema_revision_the_alembic_command_names(fresh_release):
    """The release stamps the gradebook in-process; nbgrader would ask the `alembic` command."""
    from nbgrader.dbutil import _temp_alembic_ini
    with _temp_alembic_ini("sqlite:///unused.db") as ini:
        heads = subprocess.run([str(Path(sys.executable).with_name("alembic")), "-c", ini, "heads"],
                               capture_output=True, text=True, check=True).stdout
    with sqlite3.connect(fresh_release.parent / "gradebook.db") as db:
        stamped = db.execute("select version_num from alembic_version").fetchall()
    assert stamped == [(heads.split()[0],)] == [(course.alembic_head(),)]


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and ".ipynb_checkpoints" not in p.parts)


def test_course_matches_a_fresh_release(fresh_release):
    assert _files(course.COURSE) == _files(fresh_release), "course/ has other files than a fresh release"
    for relative in _files(fresh_release):
        committed, fresh = course.COURSE / relative, fresh_release / relative
        if relative.endswith(".ipynb"):
            assert json.loads(committed.read_text()) == json.loads(fresh.read_text()), (
                f"course/{relative} is stale: run `python -m autograder release`")
        else:
            assert committed.read_bytes() == fresh.read_bytes(), f"course/{relative} is stale"


def solution_regions(name):
    """{answer cell id: the lines between its BEGIN and END SOLUTION markers}: what the release must not show.

    Lines outside the markers (a class statement, a given __init__) are scaffolding the student is
    meant to see.
    """
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    regions = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines, inside = [], False
            for line in cell.source.splitlines():
                if "### BEGIN SOLUTION" in line:
                    inside = True
                elif "### END SOLUTION" in line:
                    inside = False
                elif inside:
                    lines.append(line)
            regions[meta["grade_id"]] = lines
    return regions


@pytest.mark.parametrize("name", NAMES)
def test_course_has_no_solutions_hidden_tests_or_reference(name):
    text = (course.COURSE / name / f"{name}.ipynb").read_text()
    for forbidden in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                      "autograder", "hidden_tests", "student."):
        assert forbidden not in text, f"course/{name} contains {forbidden!r}"
    release = nbformat.read(course.COURSE / name / f"{name}.ipynb", as_version=4)
    answers = solution_regions(name)
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            assert "raise NotImplementedError()" in cell.source
            body = [line.strip() for line in answers[grade_id]
                    if line.strip() and not line.strip().startswith(("def ", "#", '"""'))]
            assert not any(line in cell.source for line in body), f"{name}/{grade_id} leaks solution code"


@pytest.mark.parametrize("name", NAMES)
def test_closing_questions_reach_students_and_their_answers_do_not(name):
    """Each notebook ends with questions to think about; their answers are an instructor-only cell."""
    from autograder.instructor_only import TAG
    solution = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    release = nbformat.read(course.COURSE / name / f"{name}.ipynb", as_version=4)
    only = [cell for cell in solution.cells if TAG in cell.metadata.get("tags", [])]
    assert [cell.id for cell in solution.cells[-2:]] == ["questions", "answers"] and only == solution.cells[-1:]
    assert solution.cells[-2].source.startswith("## Questions to think about")
    assert release.cells[-1].source == solution.cells[-2].source, "the questions must reach the student edition"
    lines = [line.strip() for line in only[0].source.splitlines() if len(line.strip()) > 20]
    text = (course.COURSE / name / f"{name}.ipynb").read_text()
    assert TAG not in text and not any(json.dumps(line)[1:-1] in text for line in lines), "an answer reached students"


@pytest.mark.parametrize("name", NAMES)
def test_every_test_cell_has_hidden_tests_that_use_the_student_proxy(name):
    """A test cell without hidden tests would be judged by the student's own kernel."""
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) >= 5
    for cell in tests:
        hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)
        assert len(hidden) == 2 and "### END HIDDEN TESTS" in hidden[1], cell.metadata.nbgrader["grade_id"]
        assert re.search(r"^from autograder\.judge import [\w, ]*\bstudent\b", hidden[1], re.M), \
            cell.metadata.nbgrader["grade_id"]


@pytest.mark.parametrize("name", NAMES)
def test_every_test_cell_follows_an_answer_or_a_test_cell(name):
    """nbgrader puts a deleted test cell back after the nbgrader cell that came before it in the release, and
    fails (a KeyError in OverwriteCells) when that cell is a locked one: a student who deleted the test cells
    would stop the grader instead of scoring zero. So no locked cell may sit between an answer and its test."""
    from nbgrader import utils as nbutils
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    cells = [c for c in nb.cells if "nbgrader" in c.metadata]
    for before, cell in zip(cells, cells[1:]):
        if nbutils.is_grade(cell):
            assert nbutils.is_solution(before) or nbutils.is_grade(before), (
                f"{cell.metadata.nbgrader['grade_id']} follows the locked cell {before.metadata.nbgrader['grade_id']}")


@pytest.mark.parametrize("name", NAMES)
def test_solutions_are_committed_without_outputs(name):
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    assert len({c.id for c in nb.cells}) == len(nb.cells), "cell ids must be unique and stable"


def test_student_repository_export_leaks_nothing(tmp_path):
    from autograder.export import LEFT_BEHIND, export_student

    target = export_student(tmp_path / "students")
    for name in LEFT_BEHIND:
        assert not (target / name).exists(), name
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".txt", ".yml", ".toml", ".json", ""):
            text = path.read_text(errors="replace")
            for forbidden in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "autograder.reference", "autograder.judge"):
                assert forbidden not in text, f"{path.relative_to(target)} contains {forbidden!r}"
    assert _files(target / "course") == _files(course.COURSE)
    assert (target / "binder" / "postBuild").exists() and (target / "scripts" / "lab").exists()
    assert "Student guide" in (target / "README.md").read_text()


@pytest.mark.parametrize("through", ["01", "06_building_blocks", "07", "10", "11"])
def test_export_through_a_notebook_publishes_it_and_what_it_brings(tmp_path, through):
    from autograder.export import export_student, notebook_named

    name = notebook_named(through)
    target = export_student(tmp_path / "students", through=through)
    released = registry.names()[:registry.names().index(name) + 1]
    assert sorted(p.name for p in (target / "course").iterdir()) == released
    for folder in released:  # each released notebook has beside it the modules published by it or earlier
        assert {p.name for p in (target / "course" / folder).glob("*.py")} \
            == {f"{module}.py" for module in registry.published_through(folder)}, folder
    published = {f"{module}.py" for notebook in registry.NOTEBOOKS for module in notebook.publishes}
    elsewhere = [p for p in target.rglob("*.py") if p.name in published and p.parent.parent != target / "course"]
    assert not elsewhere, f"published modules outside the notebook folders: {elsewhere}"


def test_export_through_an_unknown_notebook_is_a_clear_error(tmp_path):
    from autograder.export import export_student

    with pytest.raises(SystemExit, match="no such notebook"):
        export_student(tmp_path / "students", through="99")
