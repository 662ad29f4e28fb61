"""Helpers that the course notebooks import and students may read.

Nothing in here solves a graded exercise: it holds data loaders, interactive
explorers (widgets), answer checks with helpful messages and training
conveniences.
"""
