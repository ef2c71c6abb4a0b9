"""Declared signatures for the oracle's public functions.

Each public function of :mod:`solutions.network` carries a signature such as::

    @signature("layer_0: n k, synapse_0: k h, synapse_1: h 1 -> layer_1: n h, layer_2: n 1")

Letters are dimensions shared across arguments, digits are fixed sizes. Kinds
other than arrays are named: ``array`` (any numeric array), ``rate`` (a
positive finite number), ``count`` / ``count0`` (a whole number >= 1 / >= 0),
``rates`` / ``counts`` (non-empty sequences of those).

Calls from outside the module are checked and a bad argument raises
``ValueError`` naming it (never a numpy broadcasting error); the module's own
calls are trusted, so the training loops run at full speed. The checker of the
course reads the same signatures to make fresh inputs and to check the shapes
of students' outputs.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import sys
from dataclasses import dataclass

import numpy as np

KINDS = ("array", "float", "rate", "count", "count0", "rates", "counts")


@dataclass(frozen=True)
class Slot:
    """One argument or result: its name, and either a kind or array dimensions."""

    name: str
    kind: str  # "matrix" or one of KINDS
    dims: tuple = ()  # for matrices: letters (shared sizes) or ints (fixed sizes)


@dataclass(frozen=True)
class Signature:
    inputs: tuple
    outputs: tuple

    @classmethod
    def parse(cls, text: str) -> Signature:
        left, _, right = text.partition("->")
        return cls(_slots(left), _slots(right))


def _slots(text: str) -> tuple:
    slots = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, spec = (s.strip() for s in part.partition(":"))
        words = spec.split()
        if len(words) == 1 and words[0] in KINDS:
            slots.append(Slot(name, words[0]))
        else:
            dims = tuple(int(w) if w.isdigit() else w for w in words)
            slots.append(Slot(name, "matrix", dims))
    return tuple(slots)


def signature(text: str):
    """Declare a public function's arguments and results (see the module docstring)."""
    declared = Signature.parse(text)

    def decorate(function):
        parameters = inspect.signature(function)
        home = function.__globals__

        @functools.wraps(function)
        def checked(*args, **kwargs):
            if sys._getframe(1).f_globals is not home:
                bound = parameters.bind(*args, **kwargs)
                bound.apply_defaults()
                check_inputs(declared, bound.arguments)
            return function(*args, **kwargs)

        checked.signature = declared
        return checked

    return decorate


def check_inputs(declared: Signature, values: dict) -> dict:
    """Validate ``values`` against ``declared.inputs``; return the sizes bound to letters."""
    sizes: dict = {}
    for slot in declared.inputs:
        if slot.name in values:
            _check(slot, values[slot.name], sizes)
    return sizes


def _check(slot: Slot, value, sizes: dict) -> None:
    name = f"`{slot.name}`"
    if slot.kind in ("rates", "counts"):
        try:
            items = list(value)
        except TypeError:
            raise ValueError(f"{name} must be a sequence, got {value!r}") from None
        if not items:
            raise ValueError(f"{name} must list at least one value")
        for item in items:
            _check(Slot(slot.name, slot.kind[:-1]), item, sizes)
        return
    if slot.kind in ("rate", "count", "count0"):
        integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if slot.kind == "rate":
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be positive and finite, got {value!r}")
        elif not integral:
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        elif value < (1 if slot.kind == "count" else 0):
            least = 1 if slot.kind == "count" else 0
            raise ValueError(f"{name} must be at least {least}, got {value}")
        else:
            sizes[slot.name] = int(value)  # a count can size an array: "synapse_0: k hidden_dim"
        return
    array = _numeric(name, value)
    if slot.kind == "array":
        return
    if array.ndim != len(slot.dims):
        want = "(" + ", ".join(map(str, slot.dims)) + ")"
        raise ValueError(f"{name} must be {len(slot.dims)}-D with shape {want}, got {array.shape}")
    for axis, (dim, size) in enumerate(zip(slot.dims, array.shape, strict=True)):
        expected = dim if isinstance(dim, int) else sizes.setdefault(dim, size)
        if size != expected:
            raise ValueError(
                f"{name} has {size} along axis {axis}, but {expected} is needed to match "
                f"the other arguments (shape {array.shape})"
            )
        if size == 0:
            raise ValueError(f"{name} must not be empty, got shape {array.shape}")


def _numeric(name: str, value) -> np.ndarray:
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a numeric array ({error})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return array
