"""What each hidden test checks: the reference function, the inputs, and the tolerances.

A graded step is a function of the reference network (:mod:`solutions.network`). Its
inputs are four fresh, seeded random cases of varied shapes, made from the reference's
declared signature (:mod:`from_memory.judge.inputs`), then the post's own data. Each
step may lean on the steps the reference builds it from (its *helpers*, found in the
reference's own code): those are the only names a retry may bind to the reference.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from from_memory.judge import inputs
from from_memory.kernel.compare import STEP_ATOL, STEP_RTOL, TRAINING_ATOL, TRAINING_RTOL
from from_memory.kernel.probe import global_names
from solutions import network

FRESH_CASES = 4


@dataclass(frozen=True)
class Raised:
    """The outcome of a call that raised: compared by exception type."""

    type: str
    message: str = ""

    def __str__(self):
        return f"{self.type}: {self.message}".rstrip(": ")


def value_of(outcome: dict):
    """What a call gave: its value, or :class:`Raised` for an exception."""
    if "raised" in outcome:
        raised = outcome["raised"]
        return Raised(str(raised.get("type", "Exception")), str(raised.get("message", "")))
    return outcome.get("value")


@dataclass(frozen=True)
class Case:
    """One call of a check: the keyword arguments, and whether they are the post's own data."""

    kwargs: dict
    blog: bool = False

    def describe(self) -> str:
        if self.blog:
            return "on the post's own data"
        shapes = [f"`{k}` {tuple(np.shape(v))}" for k, v in self.kwargs.items() if isinstance(v, np.ndarray)]
        others = [f"`{k}`={v!r}" for k, v in self.kwargs.items() if not isinstance(v, np.ndarray | dict)]
        return "on a fresh input (" + ", ".join(shapes + others) + ")"


@dataclass(frozen=True)
class Step:
    """A graded step: the oracle function it must match and how to compare."""

    name: str
    oracle: Callable
    training: bool = False  # looser tolerances for results of many iterations
    blog_cases: Callable[[], list] = list
    tweak: Callable[[dict], dict] = lambda kwargs: kwargs  # adjust fresh inputs

    kind = "step"
    plot = False

    @property
    def function(self) -> str:
        """The name of the student's function this step checks."""
        return self.name

    @property
    def parameters(self) -> list[str]:
        return list(inspect.signature(self.oracle).parameters)

    @property
    def outputs(self) -> list[str]:
        return [slot.name for slot in self.oracle.signature.outputs]

    @property
    def tolerances(self) -> tuple[float, float]:
        return (TRAINING_RTOL, TRAINING_ATOL) if self.training else (STEP_RTOL, STEP_ATOL)

    @property
    def helpers(self) -> frozenset:
        return helpers_of(self.name)

    def cases(self) -> list[Case]:
        return _cases(self.name)


@functools.cache
def _cases(name: str) -> list[Case]:
    step = STEPS[name]
    fresh = [
        Case(step.tweak(inputs.fresh(step.oracle.signature, np.random.default_rng(seed))))
        for seed in range(FRESH_CASES)
    ]
    return fresh + [Case(kwargs, blog=True) for kwargs in step.blog_cases()]


@functools.cache
def helpers_of(name: str) -> frozenset:
    """The graded steps the reference's ``name`` calls, directly or through each other."""
    found: set = set()
    todo = [name]
    while todo:
        oracle = getattr(network, todo.pop(), None)
        if oracle is None:
            continue
        for called in global_names(inspect.unwrap(oracle).__code__):
            if called != name and called not in found and hasattr(network, called) and callable(
                getattr(network, called)
            ):
                found.add(called)
                todo.append(called)
    return frozenset(found & set(STEPS))


# -- the post's own data, as each step sees it ---------------------------------


def _blog_synapses(hidden_dim=4):
    return network.init_synapses(3, hidden_dim, 1)


def _blog_forward():
    synapse_0, synapse_1 = _blog_synapses()
    layer_1, layer_2 = network.forward(network.X, synapse_0, synapse_1)
    layer_2_error = network.output_error(layer_2, network.y)
    layer_2_delta = network.output_delta(layer_2_error, layer_2)
    layer_1_delta = network.hidden_delta(layer_2_delta, synapse_1, layer_1)
    return locals()


def _from_blog(*names, **extra):
    def cases():
        values = {**_blog_forward(), "layer_0": network.X, "y": network.y, **extra}
        return [{name: values[name] for name in names}]

    return cases


def _blog_training(**kwargs):
    return lambda: [{"X": network.X, "y": network.y, "seed": 1, "iterations": inputs.BLOG_ITERATIONS, **kwargs}]


def _weight_updates():
    synapse_0_update, _ = network.weight_gradients(**_from_blog(
        "layer_0", "layer_1", "layer_1_delta", "layer_2_delta")()[0])
    flipped = synapse_0_update.copy()
    flipped[0] *= -1
    return [{"weight_update": flipped, "prev_weight_update": synapse_0_update}]


def _small_training(kwargs):
    return {**kwargs, "iterations": inputs.TRAINING_ITERATIONS}


STEPS = {
    step.name: step
    for step in [
        Step("sigmoid", network.sigmoid, blog_cases=lambda: [{"x": np.dot(network.X, _blog_synapses()[0])}]),
        Step("init_synapses", network.init_synapses,
             blog_cases=lambda: [{"n_inputs": 3, "hidden_dim": 4, "seed": 1}]),
        Step("forward_two_layer", network.forward_two_layer,
             blog_cases=lambda: [{"layer_0": network.X_TWO_LAYER, "synapse_0": network.init_synapses(2, 1, 1)[0]}]),
        Step("forward", network.forward,
             blog_cases=lambda: [dict(zip(("synapse_0", "synapse_1"), _blog_synapses(), strict=True), layer_0=network.X)]),
        Step("sigmoid_output_to_derivative", network.sigmoid_output_to_derivative,
             blog_cases=lambda: [{"output": _blog_forward()["layer_1"]}]),
        Step("output_error", network.output_error, blog_cases=_from_blog("layer_2", "y")),
        Step("mean_abs_error", network.mean_abs_error, blog_cases=_from_blog("layer_2_error")),
        Step("output_delta", network.output_delta, blog_cases=_from_blog("layer_2_error", "layer_2")),
        Step("hidden_delta", network.hidden_delta,
             blog_cases=_from_blog("layer_2_delta", "synapse_1", "layer_1")),
        Step("weight_gradients", network.weight_gradients,
             blog_cases=_from_blog("layer_0", "layer_1", "layer_1_delta", "layer_2_delta")),
        Step("direction_changes", network.direction_changes, blog_cases=_weight_updates),
        Step("train_two_layer", network.train_two_layer, training=True,
             blog_cases=lambda: [{"X": network.X_TWO_LAYER, "y": network.y_TWO_LAYER,
                                  "iterations": inputs.BLOG_ITERATIONS, "seed": 1}]),
        Step("train", network.train, training=True, tweak=_small_training,
             blog_cases=_blog_training(alpha=10, hidden_dim=4)),
        Step("train_counting_directions", network.train_counting_directions, training=True,
             tweak=_small_training, blog_cases=_blog_training(alpha=10, hidden_dim=4)),
        Step("alpha_sweep", network.alpha_sweep, training=True, tweak=_small_training,
             blog_cases=_blog_training(alphas=(0.1, 1, 10), hidden_dim=4)),
        Step("hidden_size_sweep", network.hidden_size_sweep, training=True, tweak=_small_training,
             blog_cases=_blog_training(alpha=1, hidden_sizes=(4, 32))),
        Step("total_direction_changes", network.total_direction_changes, training=True,
             tweak=_small_training,
             blog_cases=lambda: [{"X": network.X, "y": network.y, "alphas": (1, 10),
                                  "iterations": inputs.BLOG_ITERATIONS}]),
        Step("iterations_to_reach", network.iterations_to_reach,
             blog_cases=lambda: [{"errors": network.train(network.X, network.y, 10, iterations=2000)[2],
                                  "target": 0.01},
                                 {"errors": np.array([0.5, 0.4, 0.4]), "target": 0.4}]),
        Step("thirteen_line_network", network.thirteen_line_network, training=True,
             tweak=_small_training, blog_cases=_blog_training(alpha=0.5, hidden_dim=4)),
    ]
}
