"""Work that is not what it seems: pasted answers, a capstone whose own helpers are wrong, failing visible asserts.

* **Pasted answers**: a function that returns the numbers of the visible known-answer
  check of its test cell. They are read from the release notebook's test cell: its
  expected numbers where the cell shows some, else what the reference gives on the
  cell's visible inputs (the answer a classmate could hand over). The hidden check uses
  fresh inputs of other shapes: 0 for that step.
* **The capstone's own helpers**: the 13-line network written with helpers named like the
  course's steps (``sigmoid``, ``sigmoid_output_to_derivative``, ``hidden_delta``,
  ``init_synapses``), one of them wrong. Everything in the capstone is the student's own,
  so the exact comparison (3 points) fails; the lenient checks score what the student's
  network does (measured once, noted with each case).
* **A failing visible assert**: the test cell stops before its hidden part. The step
  scores 0, and the feedback page shows neither the hidden test's source nor its markers.
"""

from __future__ import annotations

import ast

import numpy as np

from from_memory.examples import submissions
from from_memory.examples.corpus import Case, graded, points_of
from from_memory.examples.hostile.base import with_functions

HIDDEN_MARKER = "### BEGIN HIDDEN TESTS"


def visible_answer(ps: str, step: str) -> np.ndarray:
    """The answer the visible part of ``test_<step>`` states for its small case (as the builder writes it)."""
    from from_memory.course import known_cases

    return np.asarray(known_cases.answer(known_cases.CASES[step]), dtype=float)


def pasted(ps: str, step: str, otherwise: str | None = None) -> str:
    """``step`` returning the visible answer; with ``otherwise``, only for inputs of its shape."""
    answer = visible_answer(ps, step)
    tree = ast.parse(submissions.solution_code(ps)[step])
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == step)
    params = ", ".join(a.arg for a in function.args.args)
    literal = f"np.array({answer.tolist()!r})"
    if otherwise is None:
        return f"def {step}({params}):\n    return {literal}\n"
    first = params.split(", ")[0]
    return (
        f"def {step}({params}):\n"
        f"    if np.shape({first}) == {tuple(answer.shape)!r}:\n"
        f"        return {literal}\n"
        f"    return {otherwise}\n"
    )


PASTED = [
    ("pastes-visible-answer", "ps1_forward", "forward_two_layer", None),
    ("pastes-visible-answer-ps2", "ps2_backprop", "hidden_delta", None),
    # Right shape: the pasted numbers; any other: a guess. train_two_layer, which calls it,
    # is graded on its own.
    ("pastes-visible-answer-for-its-shape-ps2", "ps2_backprop", "output_delta", "layer_2_error * layer_2"),
]

# -- the capstone with helpers named like the course's steps -----------------------------

NETWORK_WITH = '''
def thirteen_line_network(X, y, alpha=0.5, hidden_dim=4, iterations=ITERATIONS, seed=1):
{init}
    for _ in range(iterations):
{step}
        synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
        synapse_0 -= alpha * X.T.dot(layer_1_delta)
    return synapse_0, synapse_1, layer_2
'''
SEEDED = (
    "    np.random.seed(seed)\n"
    "    synapse_0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1\n"
    "    synapse_1 = 2 * np.random.random((hidden_dim, 1)) - 1"
)
SIGMOID = "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n"


def _capstone(helpers: str, init: str, step: str) -> str:
    return helpers + NETWORK_WITH.format(init=init, step=step)


CAPSTONES = [
    # (case, cell, checks it fails: measured on the student's network alone)
    ("capstone-helper-derivative-of-wrong-quantity", _capstone(
        SIGMOID + "def sigmoid_output_to_derivative(output):\n"
        "    return sigmoid(output) * (1 - sigmoid(output))\n",
        SEEDED,
        "        layer_1 = sigmoid(np.dot(X, synapse_0))\n"
        "        layer_2 = sigmoid(np.dot(layer_1, synapse_1))\n"
        "        layer_2_delta = (layer_2 - y) * sigmoid_output_to_derivative(layer_2)\n"
        "        layer_1_delta = layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1)",
    ), ("thirteen_line_network_learns", "thirteen_line_network")),
    ("capstone-helper-hidden-delta-precedence", _capstone(
        SIGMOID + "def forward(layer_0, synapse_0, synapse_1):\n"
        "    layer_1 = sigmoid(np.dot(layer_0, synapse_0))\n"
        "    return layer_1, sigmoid(np.dot(layer_1, synapse_1))\n\n"
        "def output_delta(layer_2_error, layer_2):\n"
        "    return layer_2_error * (layer_2 * (1 - layer_2))\n\n"
        "def hidden_delta(layer_2_delta, synapse_1, layer_1):\n"
        "    return layer_2_delta.dot(synapse_1.T) * (layer_1 * 1 - layer_1)\n",
        SEEDED,
        "        layer_1, layer_2 = forward(X, synapse_0, synapse_1)\n"
        "        layer_2_delta = output_delta(layer_2 - y, layer_2)\n"
        "        layer_1_delta = hidden_delta(layer_2_delta, synapse_1, layer_1)",
    ), ("thirteen_line_network_respects_settings", "thirteen_line_network")),
    ("capstone-helper-init-draws-swapped", _capstone(
        "def random_synapse(rows, cols):\n    return 2 * np.random.random((rows, cols)) - 1\n\n"
        "def init_synapses(n_inputs, hidden_dim, seed=1):\n"
        "    np.random.seed(seed)\n"
        "    synapse_1 = random_synapse(hidden_dim, 1)\n"
        "    synapse_0 = random_synapse(n_inputs, hidden_dim)\n"
        "    return synapse_0, synapse_1\n\n" + SIGMOID,
        "    synapse_0, synapse_1 = init_synapses(X.shape[1], hidden_dim, seed)",
        "        layer_1 = sigmoid(np.dot(X, synapse_0))\n"
        "        layer_2 = sigmoid(np.dot(layer_1, synapse_1))\n"
        "        layer_2_delta = (layer_2 - y) * (layer_2 * (1 - layer_2))\n"
        "        layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1 - layer_1))",
    ), ("thirteen_line_network",)),
    ("capstone-in-float32", _capstone(
        "",
        SEEDED + "\n    X, synapse_0, synapse_1 = (a.astype(np.float32) for a in (X, synapse_0, synapse_1))",
        "        layer_1 = 1 / (1 + np.exp(-np.dot(X, synapse_0)))\n"
        "        layer_2 = 1 / (1 + np.exp(-np.dot(layer_1, synapse_1)))\n"
        "        layer_2_delta = (layer_2 - y) * (layer_2 * (1 - layer_2))\n"
        "        layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1 - layer_1))",
    # float32 results are refused by every check, as the notebook says, each saying why
    ), ("thirteen_line_network_runs", "thirteen_line_network_learns",
        "thirteen_line_network_respects_settings", "thirteen_line_network")),
]

# -- failing visible asserts -------------------------------------------------------------

VISIBLE_FAILS = [
    # (case, assignment, {function: code}, steps whose visible assert fails)
    ("visible-assert-fails-synapse-transposed", "ps1_forward", {
        "init_synapses": (
            "def init_synapses(n_inputs, hidden_dim, seed=1):\n"
            "    np.random.seed(seed)\n"
            "    synapse_0 = random_synapse(n_inputs, hidden_dim)\n"
            "    return synapse_0, random_synapse(hidden_dim, 1).T\n"
        ),
    }, ("init_synapses",)),
    ("visible-assert-fails-gradient-transposed-ps2", "ps2_backprop", {
        "weight_gradients": (
            "def weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta):\n"
            "    return layer_1_delta.T.dot(layer_0), layer_1.T.dot(layer_2_delta)\n"
        ),
    }, ("weight_gradients",)),
    # Renamed: every test cell of the capstone stops on a NameError in its visible line.
    ("visible-line-fails-function-renamed-ps6", "ps6_capstone", {
        "thirteen_line_network": submissions.solution_code("ps6_capstone")["thirteen_line_network"].replace(
            "def thirteen_line_network(", "def thirteen_line_net("
        ),
    }, ("thirteen_line_network_runs", "thirteen_line_network_learns",
        "thirteen_line_network_respects_settings", "thirteen_line_network")),
]


def _cases() -> list[Case]:
    cases = [
        Case(name, graded(ps, points_of(ps, step)),
             lambda ctx, ps=ps, step=step, o=otherwise: with_functions(ps, {step: pasted(ps, step, o)}),
             assignment=ps)
        for name, ps, step, otherwise in PASTED
    ]
    ps = "ps6_capstone"
    for name, cell, fails in CAPSTONES:
        says = tuple((f"test_{check}", ("float32",)) for check in fails) if "float32" in name else ()
        cases.append(Case(name, graded(ps, points_of(ps, *fails)),
                          lambda ctx, c=cell: with_functions(ps, {"thirteen_line_network": c}),
                          assignment=ps, says=says))
    for name, ps, functions, steps in VISIBLE_FAILS:
        cases.append(Case(name, graded(ps, points_of(ps, *steps)),
                          lambda ctx, ps=ps, f=functions: with_functions(ps, f),
                          assignment=ps, feedback_hides_tests=True))
    return cases


CASES = _cases()
