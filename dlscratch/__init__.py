"""Helpers that the course notebooks import and students may read.

Data loaders, interactive explorers (widgets), answer checks with helpful
messages, plotting and training conveniences.

What is guaranteed about answers, exactly: no module here holds the code of
an answer that any notebook asks for. Where an explorer's picture needs an
answer, the notebook hands the explorer the student's own function, in a
cell after the exercise. Code that does hold answers of an earlier notebook
(the numerical derivative of notebook 01, notebook 06's framework) sits
beside the later notebooks that use it, released with them, never in
this package.
"""
