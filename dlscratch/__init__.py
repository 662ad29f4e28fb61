"""Helpers that the course notebooks import and students may read.

Data loaders, interactive explorers (widgets), answer checks with helpful
messages, gradient checking and training conveniences.

What is guaranteed about answers, exactly:

* No module, as published with a notebook, holds the code of an answer that
  this notebook asks for. Where an explorer's picture needs an answer, the
  notebook hands the explorer the student's own function, in a cell after
  the exercise.
* A module that does hold answers of earlier notebooks (for example the
  numerical derivative that notebook 01 asks for) is published to students
  only from a later notebook on. autograder/registry.py lists each such
  module under that later notebook (its field `publishes`); the students'
  repository is exported without the module until then, and graded answers
  may not import it before then.
"""
