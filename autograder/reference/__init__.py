"""Reference implementations that hidden tests compare student answers against.

One module per notebook. This package never reaches students: the student
edition does not mention it and the grading sandbox cannot import it.
"""
