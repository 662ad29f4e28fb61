"""Modules that hold answers of one notebook and are published to students with a later one.

Each file here is the one copy of its module. Its notebook folder in
solutions/ and every later one link to it (`solutions/07_training_better/
framework.py -> ../../autograder/published/framework.py`), so nbgrader's
release puts a real copy beside each notebook from the publishing one on,
where the notebook imports it by its plain name (`import framework`).
A notebook released earlier has no copy to read, on any route: not in its
folder, not in the helper package, not in the students' repository. The
references and tests import the same file from here.
autograder/registry.py names the notebook that publishes each module.
"""
