"""Instructor-only tooling: release, sandboxed grading and the hidden reference package."""
