"""The visible half of a test cell: one small case, and the answer the reference gives.

Students run it with *Validate* (or by running the cell) while they work::

    from from_memory.kernel.known import expect

    expect(hidden_delta, (layer_2_delta, synapse_1, layer_1),
           [[0.0082, -0.0251, 0.0012],
            [0.0427, 0.0480, -0.0045]])
    expect(forward, (layer_0, synapse_0, synapse_1),    # several results, by name
           layer_1=[[...]], layer_2=[[...]])

The numbers are written into the notebook by the course's builder from the reference
network. The case is small and fixed, unlike the hidden test's fresh inputs, so a
function that returns these numbers scores nothing. A difference raises
:class:`StepFailed` with the message the hidden test gives (made by the same
:func:`~from_memory.kernel.compare.compare`); a match prints one line.

Under the autograder (nbgrader sets ``NBGRADER_EXECUTION=autograde``) the small case is
not run at all: grading is the hidden test's alone, which grades each step on its own,
while the small case runs the student's earlier functions as they are.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from from_memory.kernel.compare import (
    STEP_ATOL,
    STEP_RTOL,
    TRAINING_ATOL,
    TRAINING_RTOL,
    StepFailed,
    compare,
)

SMALL_CASE = "That was on this cell's small case, run with your functions above."


def grading() -> bool:
    """Is this kernel run by the autograder?"""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def expect(function, args, *expected, training: bool = False, **outputs) -> None:
    """Call ``function(*args)`` and compare its result with the stated answer.

    Give the answer positionally when the function returns one value, or by the
    names of its results, in order, when it returns several. ``training=True``
    uses the looser tolerances of results of many iterations, as the hidden test does.
    """
    if len(expected) + bool(outputs) != 1:
        raise TypeError("expect() takes one expected value, or one per result by name")
    if grading():
        return
    name = _name(function)
    with warnings.catch_warnings():  # a wrong function's overflow is its value's story, not a warning's
        warnings.simplefilter("ignore")
        got = function(*args)
    rtol, atol = (TRAINING_RTOL, TRAINING_ATOL) if training else (STEP_RTOL, STEP_ATOL)
    if outputs:
        problem = _several(name, got, outputs, rtol, atol)
    else:
        problem = _one(f"`{name}`'s result", got, expected[0], rtol, atol)
    if problem:
        raise StepFailed(f"{problem}\n{SMALL_CASE}")
    print(f"`{name}` gives the stated answer on the small case.")


def expect_lines(function, args, lines: dict, xlabel: str, ylabel: str):
    """Call a plot function and check its figure by its data; return the figure (None when grading).

    ``lines`` maps each line's label to its values; the axis labels must contain
    ``xlabel`` and ``ylabel``.
    """
    if grading():
        return None
    name = _name(function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figure = function(*args)
    axes = list(getattr(figure, "axes", None) or [])
    if not axes:
        kind = type(figure).__name__
        problem = f"`{name}` should return the matplotlib Figure (`return fig`), got {kind}."
    else:
        problem = _figure_problem(name, axes, lines, xlabel, ylabel)
    if problem:
        raise StepFailed(f"{problem}\n{SMALL_CASE}")
    print(f"`{name}` draws the stated lines on the small case.")
    return figure


def _name(function) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _figure_problem(name, axes, lines, xlabel, ylabel):
    drawn = {str(line.get_label()): line for ax in axes for line in ax.get_lines()}
    for label, values in lines.items():
        if label not in drawn:
            shown = ", ".join(f"`{k}`" for k in drawn if not k.startswith("_")) or "none"
            return f"`{name}` draws no line labelled `{label}` (its labels: {shown})."
        ydata = np.asarray(drawn[label].get_ydata(), dtype=float)
        problem = compare(f"The line `{label}`", ydata, np.asarray(values), STEP_RTOL, STEP_ATOL)
        if problem:
            return problem
    for axis, word in (("x", xlabel), ("y", ylabel)):
        if not any(word in getattr(ax, f"get_{axis}label")().lower() for ax in axes):
            return f"`{name}`: label the {axis} axis with the {word}."
    return None


def _several(name, got, outputs, rtol, atol):
    names = list(outputs)
    if not isinstance(got, tuple | list) or len(got) != len(names):
        shown = f"{len(got)} values" if isinstance(got, tuple | list) else type(got).__name__
        return f"`{name}` should return {len(names)} values ({', '.join(names)}), got {shown}."
    for label, value in zip(names, got, strict=True):
        problem = _one(f"`{name}`'s `{label}`", value, outputs[label], rtol, atol)
        if problem:
            return problem
    return None


def _one(label, got, expected, rtol, atol):
    if isinstance(expected, list | tuple):
        expected = np.asarray(expected, dtype=float)
        if isinstance(got, list) and expected.ndim == 1:
            got = np.asarray(got)  # an error trace kept in a list is fine, as in the hidden test
    return compare(label, got, expected, rtol, atol)
