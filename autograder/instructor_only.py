"""Cells only the instructor edition holds, such as the answers to a notebook's closing questions.

A cell of solutions/ tagged `instructor-only` is dropped by the release
(nbgrader's generate_assignment runs this first, see nbgrader_config.py), so
the student edition never holds it. Ungraded answers need no nbgrader cell:
nbgrader's own markdown answers must be graded by hand.
"""
from nbgrader.preprocessors import NbGraderPreprocessor

TAG = "instructor-only"


class DropInstructorOnly(NbGraderPreprocessor):
    """Remove every cell tagged `instructor-only` from the notebook being released."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if TAG not in cell.metadata.get("tags", [])]
        return nb, resources
