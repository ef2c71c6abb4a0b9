"""Layered comparison of a student's result with the oracle's, and the failure students see.

Layers, stopping at the first problem: type -> shape -> numbers (dtype) ->
NaN/inf -> values. Every message names the thing in backticks, says the
problem first, then got/expected.
"""

from __future__ import annotations

import numbers
import re
import textwrap

import numpy as np

from from_memory.kernel.wire import Foreign

# Tolerances. Step functions are a line of numpy each, so equivalent spellings
# (``x @ w`` vs ``np.dot(x, w)``, ``np.exp(-x)`` vs ``1/np.exp(x)``) agree to a few
# units in the last place; training runs a few hundred iterations on fresh data,
# where such differences grow but stay far below a real mistake's.
STEP_RTOL, STEP_ATOL = 1e-7, 1e-10
TRAINING_RTOL, TRAINING_ATOL = 1e-5, 1e-8
# Results are float64, numpy's default: float32 keeps about 7 significant digits, too few for the
# tolerances above after a few hundred iterations. Integers and booleans are fine where counts are.
MIN_FLOAT_BYTES = 8


# Shown lines are at most this long: `nbgrader validate` cuts printed lines at
# ``Validator.width`` (90 by default) minus its 4-space indent and "...".
MESSAGE_WIDTH = 76
CONTINUATION = "    "


class StepFailed(AssertionError):
    """A check's verdict: an AssertionError whose notebook display is only its message.

    IPython calls ``_render_traceback_`` to show an exception, so the student (and
    the feedback HTML) see the message, never the checker's files or source lines.
    Each line of the message is wrapped at spaces to :data:`MESSAGE_WIDTH` characters,
    its continuation lines indented, so no viewer cuts it off.
    """

    def _render_traceback_(self):
        lines = []
        for index, line in enumerate(str(self).splitlines()):
            text = "Check failed: " + line if index == 0 else line
            # a shape or an index, "(4, 1)" or "[0, 0]", is never split over two lines
            text = _SMALL_TUPLE.sub(lambda match: match.group(0).replace(" ", _KEEP), text)
            lines += [part.replace(_KEEP, " ") for part in textwrap.wrap(
                text, MESSAGE_WIDTH, subsequent_indent=CONTINUATION,
                break_long_words=False, break_on_hyphens=False,
            )] or [""]
        return lines


_SMALL_TUPLE = re.compile(r"[(\[][-\d., ]{1,20}[)\]]")
_KEEP = "\u00a0"  # textwrap never breaks at a no-break space


def describe_shape(value) -> str:
    return str(tuple(np.shape(value)))


def compare(name: str, got, expected, rtol: float, atol: float, values: bool = True) -> str | None:
    """Return a message describing how ``got`` differs from ``expected``, or None if it does not.

    With ``values=False`` only the layers above the values are compared (type, shape, numbers, NaN/inf).
    """
    if isinstance(expected, dict):
        return _compare_mapping(name, got, expected, rtol, atol)
    if isinstance(expected, float | numbers.Integral) or expected is None:
        return _compare_scalar(name, got, expected, rtol, atol)
    return _compare_array(name, got, np.asarray(expected), rtol, atol, values)


def _compare_mapping(name, got, expected, rtol, atol):
    if isinstance(got, Foreign):
        return _foreign(name, got, "a dict")
    if not isinstance(got, dict):
        return f"{name} should be a dict, got {type(got).__name__}."
    if set(got) != set(expected):
        missing = sorted(set(expected) - set(got), key=repr)
        extra = sorted(set(got) - set(expected), key=repr)
        parts = [f"missing keys {missing}" if missing else "", f"unexpected keys {extra}" if extra else ""]
        return f"{name} has the wrong keys: " + "; ".join(p for p in parts if p) + "."
    for key in expected:
        problem = compare(f"{name}[{key!r}]", got[key], expected[key], rtol, atol)
        if problem:
            return problem
    return None


def _precision_problem(name, dtype) -> str | None:
    if dtype.kind == "f" and dtype.itemsize < MIN_FLOAT_BYTES:
        return (
            f"{name} is {dtype}: compute in float64, numpy's default (look for `dtype=np.{dtype}` or "
            f"`.astype(np.{dtype})`); {dtype} keeps too few digits to match the reference."
        )
    return None


def _foreign(name, got: Foreign, what: str) -> str:
    if got.type == "numpy.ndarray" and got.kind.startswith("an array of dtype "):
        return f"{name} should hold numbers, got dtype {got.kind.removeprefix('an array of dtype ')}."
    return f"{name} should be {what}, got {got}."


def _compare_scalar(name, got, expected, rtol, atol):
    if expected is None:
        return None if got is None else f"{name} should be None, got {got!r}."
    if got is None:
        return f"{name} should be {expected!r}, got None."
    if isinstance(got, Foreign):
        return _foreign(name, got, "a number")
    if isinstance(got, np.ndarray | np.generic) and got.size == 1:
        problem = _precision_problem(name, got.dtype)
        if problem:
            return problem
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        return f"{name} should be a number, got {type(got).__name__}."
    if not np.isfinite(got):
        return f"{name} is {got}: something overflowed or divided by zero."
    if not np.isclose(got, expected, rtol=rtol, atol=atol):
        return f"{name} has the wrong value: got {got:.6g}, expected {expected:.6g}."
    return None


def _compare_array(name, got, expected, rtol, atol, values=True):
    if isinstance(got, Foreign):
        return _foreign(name, got, "a plain numpy array (what numpy operations return)")
    if not isinstance(got, np.ndarray):
        kind = type(got).__name__
        return f"{name} should be a numpy array, got {kind}."
    if got.shape != expected.shape:
        hint = ""
        if got.size == expected.size:
            hint = " (the same numbers in another shape: check for a missing or extra transpose/reshape)"
        if sorted(got.shape) == sorted(expected.shape) and got.ndim == 2 and got.shape != expected.shape:
            hint = " (transposed?)"
        if got.ndim == 1 and expected.ndim == 2 and expected.shape[1] == 1:
            hint = " (a 1-D array where a column is needed: keep the second axis)"
        return (
            f"{name} has the wrong shape: got {describe_shape(got)}, "
            f"expected {describe_shape(expected)}{hint}."
        )
    if got.dtype.kind not in "biuf":
        return f"{name} should hold numbers, got dtype {got.dtype}."
    problem = _precision_problem(name, got.dtype)
    if problem:
        return problem
    got_values = got.astype(float)
    if not np.all(np.isfinite(got_values)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(got_values))[0])
        return f"{name} contains {got_values[where]} at index {list(where)}: something overflowed or divided by zero."
    if not values:
        return None
    close = np.isclose(got_values, expected, rtol=rtol, atol=atol)
    if not np.all(close):
        where = tuple(int(i) for i in np.argwhere(~close)[0])
        largest = float(np.max(np.abs(got_values - expected)))
        return (
            f"{name} has wrong values: first difference at index {list(where)}: "
            f"got {got_values[where]:.6g}, expected {expected[where]:.6g} "
            f"(largest difference {largest:.3g})."
        )
    return None
