"""nbgrader configuration for the course.

The instructor's notebooks live in solutions/ (nbgrader's source directory)
and the student edition is generated into course/ (its release directory).
Use it with nbgrader's own CLI from the repository root, for example
`nbgrader generate_assignment --config autograder/nbgrader_config.py 01_derivatives`,
or through `python -m autograder release`, which does the same for every notebook.
"""
import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
c.CourseDirectory.root = repo
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
# The instructor's gradebook lives outside git (see .gitignore); grading runs use their own.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(repo, "grading", "gradebook.db")
# The course every gradebook row belongs to: nbgrader's Gradebook default, which it creates. With nbgrader's
# empty default no course row is made, which SQLite lets pass and PostgreSQL's foreign keys refuse.
c.CourseDirectory.course_id = "default_course"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.egg-info"]

# The release drops the instructor-only cells (the answers to the closing questions) before anything else.
sys.path.insert(0, repo)
from nbgrader.converters import GenerateAssignment  # noqa: E402
from autograder.instructor_only import DropInstructorOnly  # noqa: E402

c.GenerateAssignment.preprocessors = [DropInstructorOnly, *GenerateAssignment.class_traits()["preprocessors"].default()]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True
c.ClearHiddenTests.enforce_metadata = True
