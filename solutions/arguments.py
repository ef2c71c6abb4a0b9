"""Argument checks for the oracle's public functions.

Each check raises ``ValueError`` naming the argument, so a caller never has to
decode a numpy broadcasting error.
"""

from __future__ import annotations

import numbers

import numpy as np


def matrix(name: str, value, rows: int | None = None, cols: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite 2-D float array, or raise ValueError about ``name``."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"`{name}` must be a 2-D numeric array ({error})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"`{name}` must hold numbers, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D, got shape {array.shape}")
    if rows is not None and array.shape[0] != rows:
        raise ValueError(f"`{name}` must have {rows} rows, got shape {array.shape}")
    if cols is not None and array.shape[1] != cols:
        raise ValueError(f"`{name}` must have {cols} columns, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite (no NaN or inf)")
    return array


def count(name: str, value, minimum: int = 0) -> int:
    """Return ``value`` as an int of at least ``minimum``, or raise ValueError about ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}, got {value}")
    return int(value)


def rate(name: str, value) -> float:
    """Return ``value`` as a finite, positive float, or raise ValueError about ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"`{name}` must be a finite number, got {value!r}")
    if value <= 0:
        raise ValueError(f"`{name}` must be positive, got {value}")
    return float(value)


def rates(name: str, values) -> tuple[float, ...]:
    """Return a non-empty tuple of learning rates, or raise ValueError about ``name``."""
    values = tuple(values)
    if not values:
        raise ValueError(f"`{name}` must list at least one value")
    return tuple(rate(name, value) for value in values)


def counts(name: str, values, minimum: int = 1) -> tuple[int, ...]:
    """Return a non-empty tuple of whole numbers, or raise ValueError about ``name``."""
    values = tuple(values)
    if not values:
        raise ValueError(f"`{name}` must list at least one value")
    return tuple(count(name, value, minimum) for value in values)
