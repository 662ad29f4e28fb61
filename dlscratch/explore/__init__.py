"""Interactive explorers: sliders that redraw a picture, to see an idea before or after building it.

The maths of each explorer sits beside its widget as plain functions, so it
can be tested. None of it is an exercise's answer: where a picture needs one,
the notebook hands the explorer your own function, after the exercise. Your
graded answers must not call anything in here: it is not available to your
code while grading.
"""
from .chain_rule import chain_rule_explorer
from .derivatives import derivative_explorer, error_explorer

__all__ = ["derivative_explorer", "error_explorer", "chain_rule_explorer"]
