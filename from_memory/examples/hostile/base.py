"""The notebooks hostile cases start from: right ones, and wrong ones that pass every visible check.

A trick is judged against what the same notebook scores without it: a cheat built on
:func:`wrong` must score what :func:`wrong` scores (0 in problem set 1), whatever it tries.
"""

from __future__ import annotations

import ast
import textwrap

from from_memory.examples import submissions

PS = "ps1_forward"
MAX = 5  # points of problem set 1: sigmoid 1, init_synapses 1, forward_two_layer 1, forward 2

# Wrong answers that pass every visible assert (right types and shapes, wrong numbers),
# by function name: whatever a cheat adds to them, the honest grade of the step is 0.
WRONG = {
    # problem set 1
    "sigmoid": "def sigmoid(x):\n    return 0.5 + 0.0 * x\n",
    "init_synapses": (
        "def init_synapses(n_inputs, hidden_dim, seed=1):\n"
        "    return np.zeros((n_inputs, hidden_dim)), np.zeros((hidden_dim, 1))\n"
    ),
    "forward_two_layer": (
        "def forward_two_layer(layer_0, synapse_0):\n"
        "    return np.full((len(layer_0), synapse_0.shape[1]), 0.5)\n"
    ),
    "forward": (
        "def forward(layer_0, synapse_0, synapse_1):\n"
        "    return (np.full((len(layer_0), synapse_0.shape[1]), 0.5),\n"
        "            np.full((len(layer_0), 1), 0.5))\n"
    ),
    # problem set 2
    "output_delta": "def output_delta(layer_2_error, layer_2):\n    return layer_2_error * layer_2\n",
    "hidden_delta": (
        "def hidden_delta(layer_2_delta, synapse_1, layer_1):\n"
        "    return layer_2_delta.dot(synapse_1.T) * layer_1\n"
    ),
    "weight_gradients": (
        "def weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta):\n"
        "    return layer_0.T.dot(layer_1_delta) * 0, layer_1.T.dot(layer_2_delta) * 0\n"
    ),
    "train_two_layer": (
        "def train_two_layer(X, y, iterations=10000, seed=1):\n"
        "    return np.full((len(X), 1), 0.5)\n"
    ),
    # problem set 3
    "mean_abs_error": (
        "def mean_abs_error(layer_2_error):\n    return float(np.mean(layer_2_error))\n"
    ),
    "train": (
        "def train(X, y, alpha, hidden_dim=4, iterations=ITERATIONS, seed=1):\n"
        "    synapse_0, synapse_1 = init_synapses(X.shape[1], hidden_dim, seed)\n"
        "    return synapse_0, synapse_1, np.full(iterations, 0.5)\n"
    ),
    # problem set 5
    "iterations_to_reach": "def iterations_to_reach(errors, target):\n    return 0\n",
    # problem set 6: the right shapes, never trained
    "thirteen_line_network": (
        "def thirteen_line_network(X, y, alpha=0.5, hidden_dim=4, iterations=ITERATIONS, seed=1):\n"
        "    np.random.seed(seed)\n"
        "    synapse_0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1\n"
        "    synapse_1 = 2 * np.random.random((hidden_dim, 1)) - 1\n"
        "    layer_1 = 1 / (1 + np.exp(-np.dot(X, synapse_0)))\n"
        "    layer_2 = 1 / (1 + np.exp(-np.dot(layer_1, synapse_1)))\n"
        "    return synapse_0, synapse_1, layer_2\n"
    ),
}
PS1_STEPS = ("sigmoid", "init_synapses", "forward_two_layer", "forward")


def _pasted(function: str) -> str:
    """``function`` returning the answer its test cell states for the small case, whatever it is given."""
    import numpy as np

    from from_memory.course import known_cases

    def code(value):
        if isinstance(value, tuple):
            return "(" + ", ".join(code(v) for v in value) + ")"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {code(v)}" for k, v in value.items()) + "}"
        if isinstance(value, np.ndarray):
            return f"np.array({known_cases.literal(value, 8, exact=True)})"
        return known_cases.literal(value, 8, exact=True)

    answer = code(known_cases.answer(known_cases.CASES[function]))
    return f"def {function}({', '.join(known_cases.parameters(function))}):\n    return {answer}\n"


# The visible half of each test cell checks one small case by its values: a wrong answer that
# passes it returns those numbers, pasted, and is wrong on every other input. So each cheat
# built on these reaches the hidden check, and an honest grade of the step is still 0.
WRONG = {name: _pasted(name) for name in WRONG}


def correct(ps: str = PS):
    return submissions.passes_all(ps)


def wrong():
    """Problem set 1 with every function wrong, every visible assert passing: honestly 0/5."""
    return submissions.fill(submissions.release_notebook(PS), {s: WRONG[s] for s in PS1_STEPS})


def with_functions(ps: str, functions: dict[str, str]):
    """The reference notebook of ``ps`` whose solution cells ``functions`` hold the given code."""
    return submissions.fill(submissions.release_notebook(ps), {**submissions.solution_code(ps), **functions})


def prelude(function_code: str, lines: str) -> str:
    """``function_code`` (one ``def``) with ``lines`` as the first statements of its body.

    In ``lines``, ``{name}`` is the function's name and ``{args}`` its parameters, in order.
    """
    tree = ast.parse(function_code)
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef))
    args = ", ".join(a.arg for a in function.args.args)
    function.body[:0] = ast.parse(textwrap.dedent(lines.format(name=function.name, args=args))).body
    return ast.unparse(tree) + "\n"
