"""Instructor-only tooling: release, sandboxed grading and the hidden reference package."""
import sys

# jsonschema loads rfc3987_syntax when it is installed (Jupyter's event schemas ask for it), and that
# compiles 39 grammars on import: 0.8 s in every process that reads a notebook with nbformat, which
# never checks string formats. The grader's processes (this one, each worker, each feedback process)
# do without it; jsonschema skips a checker whose module is missing.
sys.modules.setdefault("rfc3987_syntax", None)
