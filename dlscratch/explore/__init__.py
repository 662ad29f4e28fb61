"""Interactive explorers: sliders that redraw a picture, to see an idea before building it.

The maths of each explorer sits beside its widget as plain functions, so it
can be tested. Your graded answers must not call anything in here: it is not
available to your code while grading.
"""
from .chain_rule import chain_rule_explorer
from .derivatives import derivative_explorer

__all__ = ["derivative_explorer", "chain_rule_explorer"]
