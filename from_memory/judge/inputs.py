"""Fresh, seeded inputs for a step, made from the oracle's declared signature.

Sizes are drawn per letter (``n`` examples, ``k`` inputs, ``h`` hidden units),
values per argument name, so each input looks like what the network really
passes along (sigmoid outputs in (0, 1), targets of 0 and 1, weights in [-1, 1)).
"""

from __future__ import annotations

import numpy as np

from solutions.arguments import Signature

SIZES = {"n": (3, 8), "k": (2, 5), "h": (2, 7), "a": (2, 5), "b": (1, 4)}
# Iterations of a training check's runs, on fresh problems and on the post's own data. Every
# catalogued mistake shows within the first few iterations: with 5, each mutant fails the same
# cases as with 300 on fresh problems and 2000 on the post's data; with 3, some fail fewer.
# 10 keeps a margin of two over that.
TRAINING_ITERATIONS = 10
BLOG_ITERATIONS = 10
ALPHAS = (0.1, 0.5, 1.0, 2.0)  # the well-behaved regime: equivalent code agrees here


def _matrix(name: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    if name in ("X", "layer_0", "y"):
        return rng.integers(0, 2, shape)
    if name in ("layer_1", "layer_2", "output"):
        return rng.uniform(0.05, 0.95, shape)
    if name.startswith("synapse"):
        return rng.uniform(-1, 1, shape)
    if name in ("weight_update", "prev_weight_update"):
        values = rng.normal(0, 1, shape)
        values[rng.random(shape) < 0.2] = 0.0  # updates can be exactly zero
        return values
    if name == "x":
        return rng.normal(0, 3, shape)
    return rng.normal(0, 0.3, shape)  # errors and deltas


def _kind(name: str, kind: str, rng: np.random.Generator):
    if kind == "rate":
        return float(rng.choice(ALPHAS))
    if kind == "rates":
        return tuple(float(a) for a in rng.choice(ALPHAS, size=3, replace=False))
    if kind == "counts":
        return tuple(int(h) for h in sorted(rng.choice(np.arange(2, 9), size=3, replace=False)))
    if kind == "count0":
        return int(rng.integers(0, 1000))
    if name == "iterations":
        return TRAINING_ITERATIONS
    return int(rng.integers(*SIZES["h"]))  # hidden_dim, n_inputs, rows, cols


def fresh(signature: Signature, rng: np.random.Generator) -> dict:
    """Keyword arguments for one call: every declared input, drawn at random."""
    sizes = {letter: int(rng.integers(*bounds)) for letter, bounds in SIZES.items()}
    kwargs = {}
    for slot in signature.inputs:
        if slot.kind == "matrix":
            shape = tuple(d if isinstance(d, int) else sizes[d] for d in slot.dims)
            kwargs[slot.name] = _matrix(slot.name, shape, rng)
        elif slot.kind == "array":
            length = sizes["n"] * 5
            if slot.name == "errors":  # a falling error curve with plateaus
                kwargs[slot.name] = np.sort(rng.choice(rng.uniform(0.001, 0.5, length), length))[::-1]
            else:
                kwargs[slot.name] = _matrix(slot.name, (sizes["n"], sizes["h"]), rng)
        else:
            kwargs[slot.name] = _kind(slot.name, slot.kind, rng)
    return kwargs
