"""What each attack on the grader aims at, checked in the class the grading tests graded.

test_grading.py proves that no attack gains a point; these check the harm
each one was after: hidden paths found, hidden tests read back, disk and
memory filled, a worker killed, markup passed on to the instructor.
"""
import json
import re

import nbformat
import pytest

from autograder import inert

from grading_cases import TEST_LIMITS, graded_notebooks, slug

FIRST = "01_derivatives"
pytestmark = pytest.mark.skipif(FIRST not in graded_notebooks(), reason="the attacks are tried on notebook 01")


def student(name):
    return f"cheat-{slug(name)}"


def graded_notebook(graded, name, notebook=FIRST):
    path = graded.out / "nbgrader" / "autograded" / student(name) / notebook / f"{notebook}.ipynb"
    return nbformat.read(path, as_version=4)


def printed(nb):
    """Every line the graded notebook's outputs hold, as text."""
    lines = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            lines += (output.get("text") or output.get("data", {}).get("text/plain", "")
                      or output.get("evalue", "")).splitlines()
    return lines


def result(graded, name, notebook=FIRST):
    path = graded.out / "nbgrader" / "autograded" / student(name) / notebook / f"{notebook}.job.result.json"
    return json.loads(path.read_text())


@pytest.mark.parametrize("fixture", ["graded", "graded_guard_only"])
def test_no_hidden_path_is_found_in_the_interpreter(request, fixture):
    lines = printed(graded_notebook(request.getfixturevalue(fixture), "find hidden paths in the interpreter's frames"))
    assert "FOUND-HIDDEN-PATHS: 0" in lines, lines


@pytest.mark.parametrize("notebook", ["01_derivatives", "06_building_blocks"])
def test_hidden_tests_do_not_reach_the_feedback(graded, notebook):
    if notebook not in graded_notebooks():
        pytest.skip(f"{notebook} is not graded in this run")
    name = "spy on the hidden tests' requests and print them"
    nb = graded_notebook(graded, name, notebook)
    leaks = [line for line in printed(nb) if line.startswith("LEAKED-REQUESTS:")]
    assert leaks and all(line == "LEAKED-REQUESTS: []" for line in leaks), leaks
    feedback = (graded.out / "feedback" / student(name) / f"{notebook}.html").read_text()
    assert not re.search(r'LEAKED-REQUESTS: \[[^\]]', feedback)
    assert "&quot;op&quot;" not in feedback and '"op"' not in feedback


def test_disk_flood_stops_at_the_sandbox_size(graded):
    lines = [line for line in printed(graded_notebook(graded, "fill the disk")) if line.startswith("DISK-FLOOD-WROTE")]
    written = int(lines[0].split()[-1])
    assert 0 < written <= TEST_LIMITS.disk_bytes + 2 * 2**20, written


def test_output_flood_is_capped_per_notebook(graded):
    name = "print without end in many cells"
    path = graded.out / "nbgrader" / "autograded" / student(name) / FIRST / f"{FIRST}.ipynb"
    assert path.stat().st_size < TEST_LIMITS.output_bytes * 1.2, path.stat().st_size
    assert any("more output was cut" in line for line in printed(graded_notebook(graded, name)))
    feedback = graded.out / "feedback" / student(name) / f"{FIRST}.html"
    assert feedback.stat().st_size < TEST_LIMITS.output_bytes * 1.5, feedback.stat().st_size
    assert result(graded, name)["worker_peak_mb"] < 600


@pytest.mark.parametrize("name", ["return huge arrays", "flood the reply", "claim a huge length",
                                  "print without end in many cells"])
def test_floods_leave_the_grader_small_and_working(graded, name):
    """The grading worker's peak memory stays near its size without any attack (about 150 MB)."""
    outcome = result(graded, name)
    assert outcome["status"] == "graded", outcome
    assert outcome["worker_peak_mb"] < 600, outcome["worker_peak_mb"]


@pytest.mark.parametrize("fixture", ["graded", "graded_guard_only"])
def test_the_grader_survives_signals(request, fixture):
    graded = request.getfixturevalue(fixture)
    name = "signal the grader through a pidfd"
    assert graded.outcomes[(student(name), FIRST)]["status"] == "graded"
    assert not any(line.startswith("cheat: killed") for line in printed(graded_notebook(graded, name)))


@pytest.mark.parametrize("fixture", ["graded", "graded_guard_only"])
def test_the_gradebook_and_the_reference_stay_out_of_reach(request, fixture):
    graded = request.getfixturevalue(fixture)
    for name in ("open the gradebook with sqlite", "spawn a process through multiprocessing"):
        lines = printed(graded_notebook(graded, name))
        assert not any(line.startswith(("cheat: rewrote", "cheat: spawned")) for line in lines), lines
    assert graded.total("perfect", FIRST) == graded.maximum(FIRST)
    for exercises in graded.rows.values():  # a rewritten gradebook would show as points above the maximum
        for points, top in exercises.values():
            assert points <= top


def test_the_graded_notebook_keeps_only_text_and_pictures(graded):
    nb = graded_notebook(graded, "script in every place a page renders")
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    for cell in nb.cells:
        assert cell.cell_type in ("code", "markdown")
        assert set(cell.metadata) <= {"nbgrader", "tags"} and "attachments" not in cell
        assert all(inert.SAFE_TAG.match(tag) for tag in cell.metadata.get("tags", []))
        if cell.cell_type == "markdown" and "pwned" in cell.source:
            assert cell.source.startswith(inert.STUDENT_TEXT)
        for output in cell.get("outputs", []):
            assert output.output_type in ("stream", "display_data", "error"), output.output_type
            assert set(output.get("data", {})) <= {"text/plain", "image/png", "image/jpeg"}
            assert not output.get("metadata")


def test_a_csv_cell_that_looks_like_a_formula_is_quoted(graded):
    text = (graded.out / "grades.csv").read_text()
    assert "\n'=1+2," in text and "\n=1+2," not in text


def test_an_unreadable_notebook_is_not_quoted_back(graded):
    outcome = graded.outcomes[("not-a-notebook", FIRST)]
    assert outcome["status"] == "unreadable"
    assert "root:x" not in outcome["message"] and "bin/bash" not in outcome["message"], outcome["message"]
    feedback = (graded.out / "feedback" / "not-a-notebook" / f"{FIRST}.html").read_text()
    assert "root:x" not in feedback


def test_a_module_published_later_cannot_be_read_earlier(graded):
    """autograder.published.framework holds notebook 06's answers: while 06 is graded it is neither importable nor readable."""
    if "06_building_blocks" not in graded_notebooks():
        pytest.skip("06_building_blocks is not graded in this run")
    lines = printed(graded_notebook(graded, "read a module that a later notebook publishes", "06_building_blocks"))
    assert any(line.startswith("cheat: ") for line in lines), lines
    assert not any(line.startswith("cheat: took") and not line.startswith("cheat: took 0 ") for line in lines), lines
