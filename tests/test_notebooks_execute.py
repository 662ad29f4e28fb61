"""Every solution notebook runs top to bottom in a plain kernel, hidden tests included.

Here the hidden tests run inside the notebook's own kernel (as when an
instructor runs a solution in JupyterLab), reaching the answers through the
same `student` proxy the grader uses.
"""
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import course, registry


@pytest.mark.parametrize("name", registry.names())
def test_solution_notebook_executes_top_to_bottom(name, tmp_path):
    nb = nbformat.read(course.SOLUTIONS / name / f"{name}.ipynb", as_version=4)
    started = time.monotonic()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(course.SOLUTIONS / name)}}).execute()
    errors = [(c.id, o.ename, o.evalue) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors
    print(f"{name} executed in {time.monotonic() - started:.1f} s")
