"""Calling a student's own function from an explorer.

An explorer may picture the result of an exercise only once the student has
written it, and only by calling the student's function: the explorers hold no
answer themselves. So the notebook hands the function over, in a cell after
the exercise, and every way that call can fail (no answer yet, an error, a
result of the wrong kind) becomes one sentence that names the exercise,
shown where the picture would be.
"""
import numpy as np


class AnswerNeeded(Exception):
    """The explorer cannot draw until the student's answer to an exercise works."""


class Answer:
    """A student's function, called the way an explorer needs it.

    `returns=False` is for functions that work in place and return nothing
    (notebook 07's momentum_update); `raises` lists the errors that are a
    right answer and pass through unchanged (notebook 03's broadcast_shape
    raises ValueError for shapes that clash).
    """

    def __init__(self, function, name, exercise, returns=True, raises=()):
        self.function, self.name, self.exercise = function, name, exercise
        self.returns, self.raises = returns, tuple(raises)

    def __call__(self, *args, **kwargs):
        if not callable(self.function):
            raise AnswerNeeded(f"{self.name} is missing: answer Exercise {self.exercise}, run its cell, "
                               "then run this cell again.")
        try:
            result = self.function(*args, **kwargs)
        except self.raises:
            raise
        except NotImplementedError:
            raise AnswerNeeded(f"Answer Exercise {self.exercise} ({self.name}) first, run its cell, "
                               "then run this cell again.") from None
        except Exception as error:
            raise self.wrong(f"raised {type(error).__name__}: {error}") from None
        if self.returns and result is None:
            raise self.wrong("returned None: did you forget a `return`?")
        return result

    def array(self, what, value, shape, context, where=""):
        """value as a float array of `shape` with finite numbers, or the error that says why it is not one.

        `what` names the value ("h", "dx"), `context` says what the shape follows from
        ("x of shape (8, 10, 32)"), `where` where in the run it came from, if anywhere.
        """
        try:
            value = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise self.wrong(f"returned {what} of type {type(value).__name__}, not an array") from None
        if value.shape != shape:
            raise self.wrong(f"returned {what} of shape {value.shape} for {context}, not {shape}")
        if not np.all(np.isfinite(value)):
            raise self.wrong(f"returned {what} with inf or nan in it" + (f" {where}" if where else ""))
        return value

    def wrong(self, problem):
        """The error to raise when the result is unusable; `problem` says how, e.g. "returned a list"."""
        return AnswerNeeded(f"Your {self.name} (Exercise {self.exercise}) {problem}. "
                            "Fix it, run its cell, then run this cell again.")


def redraw_into(picture, draw):
    """Put draw()'s PNG into `picture`, or the reason why there is none (a plotting.Picture)."""
    try:
        png_bytes = draw()
    except AnswerNeeded as missing:
        picture.explain(str(missing))
    else:
        picture.show(png_bytes)
