"""The capstone, judged on behaviour, and located step by step when it differs.

``thirteen_line_network`` is written from a blank cell, so it is graded as a whole:
it runs, it learns the post's data, it responds to its settings (each a
:class:`Property`), and it matches the reference exactly on fresh problems (the
``thirteen_line_network`` step of :mod:`from_memory.judge.steps`). Nothing in it is
ever swapped for the reference. When the exact comparison fails, :func:`locate`
reads two extra one-iteration runs on the post's data and says which part of the
network is the first to differ: the initial weights, the forward pass, the update
of ``synapse_1`` (from ``layer_2_delta``) or of ``synapse_0`` (from ``layer_1_delta``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from from_memory.judge.inputs import BLOG_ITERATIONS
from from_memory.judge.steps import Case, Raised
from from_memory.kernel.compare import compare
from solutions import network

NAME = "thirteen_line_network"
OUTPUTS = ("synapse_0", "synapse_1", "layer_2")
DEFAULTS = {"alpha": 0.5, "hidden_dim": 4, "iterations": BLOG_ITERATIONS, "seed": 1}
TINY_ALPHA = 1e-9  # one step this small leaves the weights where they started, to 1e-8
LOCATING_CASES = (
    Case({"X": network.X, "y": network.y, "alpha": TINY_ALPHA, "hidden_dim": 4, "iterations": 1, "seed": 1}),
    Case({"X": network.X, "y": network.y, "alpha": 1.0, "hidden_dim": 4, "iterations": 1, "seed": 1}),
)


def _call(**settings) -> Case:
    return Case({"X": network.X, "y": network.y, **DEFAULTS, **settings})


def shape_problem(result, hidden_dim, n=4, k=3) -> str | None:
    name = f"`{NAME}`"
    if isinstance(result, Raised):
        return f"{name} raised {result}"
    if not isinstance(result, tuple | list) or len(result) != 3:
        return f"{name} should return 3 values (synapse_0, synapse_1, layer_2)."
    for label, value, shape in zip(OUTPUTS, result, ((k, hidden_dim), (hidden_dim, 1), (n, 1)), strict=True):
        problem = compare(f"{name}'s `{label}`", value, np.zeros(shape), 0, 0, values=False)
        if problem:
            return problem
    return None


def runs(results) -> str | None:
    """runs on the post's data and returns arrays of the right shapes."""
    return shape_problem(results[0], 4)


def learns(results) -> str | None:
    """learns the post's data: with alpha 10 its output rounds to the targets after 10 000 iterations."""
    problem = shape_problem(results[0], 4)
    if problem:
        return problem
    layer_2 = np.asarray(results[0][2], float)
    if not np.array_equal(np.round(layer_2), network.y):
        shown = np.round(layer_2.ravel(), 3).tolist()
        return (f"`{NAME}` does not learn the post's data: after 10 000 iterations with alpha 10 "
                f"its output is {shown}, expected close to {network.y.ravel().tolist()}.")
    return None


SETTINGS = (("seed", 2), ("alpha", 5.0), ("iterations", 60))


def respects_settings(results) -> str | None:
    """responds to each of `hidden_dim`, `seed`, `alpha` and `iterations`."""
    base, wider, *others = results
    problem = shape_problem(base, 4) or shape_problem(wider, 7)
    if problem:
        return problem
    for (setting, value), other in zip(SETTINGS, others, strict=True):
        if shape_problem(other, 4) is None and np.array_equal(other[0], base[0]):
            return f"`{NAME}` ignores `{setting}`: changing it to {value} left `synapse_0` the same."
    return None


@dataclass(frozen=True)
class Property:
    """One graded property of the capstone: the calls it makes and what must hold of their results."""

    name: str
    judge: Callable  # results (one per call, values or Raised) -> problem or None
    calls: tuple

    kind = "property"
    plot = False
    helpers = frozenset()
    function = NAME

    @property
    def parameters(self) -> list[str]:
        return list(inspect.signature(network.thirteen_line_network).parameters)

    def cases(self) -> list[Case]:
        return list(self.calls)

    @property
    def passed(self) -> str:
        return f"`{NAME}` {self.judge.__doc__.strip()}"


PROPERTIES = {
    prop.name: prop
    for prop in [
        Property(f"{NAME}_runs", runs, (_call(),)),
        # the capstone notebook promises these settings: alpha 10 and 10 000 iterations
        Property(f"{NAME}_learns", learns, (_call(alpha=10, iterations=10000),)),
        Property(f"{NAME}_respects_settings", respects_settings,
                 (_call(iterations=50), _call(iterations=50, hidden_dim=7),
                  *(_call(**{"iterations": 50, setting: value}) for setting, value in SETTINGS))),
    ]
}


# -- where the capstone first differs ---------------------------------------------------


@functools.cache
def _reference_first_iteration():
    synapse_0, synapse_1 = network.init_synapses(3, 4, 1)
    layer_1, layer_2 = network.forward(network.X, synapse_0, synapse_1)
    layer_2_delta = network.output_delta(network.output_error(layer_2, network.y), layer_2)
    layer_1_delta = network.hidden_delta(layer_2_delta, synapse_1, layer_1)
    return {
        "synapse_0": synapse_0, "synapse_1": synapse_1, "layer_2": layer_2,
        "synapse_1_update": layer_1.T.dot(layer_2_delta), "synapse_0_update": network.X.T.dot(layer_1_delta),
    }


def _close(got, expected, atol=1e-7) -> bool:
    return (isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype.kind in "biuf"
            and bool(np.all(np.isfinite(got))) and bool(np.allclose(got, expected, rtol=1e-6, atol=atol)))


def locate(tiny, unit) -> str | None:
    """Which part of the network differs first, from one iteration with a tiny alpha and with alpha 1.

    ``tiny`` and ``unit`` are the student's results of :data:`LOCATING_CASES`.
    """
    if shape_problem(tiny, 4) or shape_problem(unit, 4):
        return None
    ref = _reference_first_iteration()
    found = []

    def verdict(part, ok, plural=False, hint=""):
        word = ("match" if plural else "matches") if ok else ("differ" if plural else "differs") + hint
        found.append(f"your {part} {word}")
        return ok

    init_ok = verdict("initial weights (the seed, the order of the draws)",
                      _close(tiny[0], ref["synapse_0"], 1e-6) and _close(tiny[1], ref["synapse_1"], 1e-6),
                      plural=True)
    if init_ok and verdict("forward pass (`layer_2` of the first iteration)", _close(tiny[2], ref["layer_2"])):
        for synapse, delta in (("synapse_1", "layer_2_delta"), ("synapse_0", "layer_1_delta")):
            update = ref[synapse] - unit[0 if synapse == "synapse_0" else 1]
            want = ref[f"{synapse}_update"]
            flipped = _close(-update, want) and not _close(update, want)
            hint = " (it has the opposite sign: with error = layer_2 - y, subtract)" if flipped else ""
            if not verdict(f"`{delta}` (the update of `{synapse}`)", _close(update, want), hint=hint):
                break
        else:
            found.append("so the difference appears in a later iteration")
    return "Step by step on the post's data: " + "; ".join(found) + "."
