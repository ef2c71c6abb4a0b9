"""The visible half of every test cell: one small fixed case and the reference's answer to it.

Each graded step has one :class:`Case`. :func:`visible_code` writes it as the code of a
test cell, the expected numbers computed here from the reference network (never typed):

    from from_memory.kernel.known import expect

    layer_2_delta = np.array([[0.1],
                              [-0.2]])
    ...
    expect(hidden_delta, (layer_2_delta, synapse_1, layer_1),
           [[0.008, -0.025, 0.0045],
            ...])

The cases are small and unlike the hidden tests' inputs: every array with examples has
2 of them (fresh inputs have 3 to 7, the post's data 4), the other sizes are outside the
fresh ranges too, so a function that returns these numbers scores nothing.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from from_memory.judge import mutants

LINE = 76  # code lines of a test cell stay this short, so they never run off the cell
DIGITS = 8  # significant digits of the stated answers: far finer than the tolerances
IMPORT = "from from_memory.kernel.known import expect"
# Notebook names that a test cell's own variables must not hide.
RENAMED = {"X": "X_small", "y": "y_small"}

X_SMALL = [[0, 1, 1], [1, 1, 1]]
Y_SMALL = [[1], [0]]


@dataclass(frozen=True)
class Case:
    """A step's small case: the function called and its arguments, in the reference's order."""

    function: str
    arguments: dict
    training: bool = False  # results of many iterations: the hidden test's looser tolerances
    plot: dict = field(default_factory=dict)  # for a figure: the axis words, {"x": ..., "y": ...}


def _training(function, **arguments):
    return Case(function, {"X": X_SMALL, "y": Y_SMALL, **arguments}, training=True)


_AXES = {"x": "iteration", "y": "error"}
CASES = {
    "sigmoid": Case("sigmoid", {"x": [[-2.0, 0.0, 0.5], [1.0, -0.25, 3.0]]}),
    "sigmoid_output_to_derivative": Case(
        "sigmoid_output_to_derivative", {"output": [[0.1, 0.5, 0.8], [0.25, 0.9, 0.6]]}),
    "init_synapses": Case("init_synapses", {"n_inputs": 7, "hidden_dim": 2, "seed": 5}),
    "forward_two_layer": Case(
        "forward_two_layer", {"layer_0": [[0, 1, 1], [1, 0, 1]], "synapse_0": [[0.5], [-1.0], [0.25]]}),
    "forward": Case("forward", {
        "layer_0": [[0, 1, 1], [1, 0, 1]],
        "synapse_0": [[0.5, -0.5], [-1.0, 0.75], [0.25, 0.1]],
        "synapse_1": [[1.5], [-2.0]],
    }),
    "output_error": Case("output_error", {"layer_2": [[0.7], [0.2]], "y": [[1], [0]]}),
    "mean_abs_error": Case("mean_abs_error", {"layer_2_error": [[-0.3], [0.2]]}),
    "output_delta": Case("output_delta", {"layer_2_error": [[-0.3], [0.2]], "layer_2": [[0.7], [0.2]]}),
    "hidden_delta": Case("hidden_delta", {
        "layer_2_delta": [[0.1], [-0.2]],
        "synapse_1": [[0.5], [-1.0], [0.25]],
        "layer_1": [[0.2, 0.5, 0.9], [0.7, 0.4, 0.1]],
    }),
    "weight_gradients": Case("weight_gradients", {
        "layer_0": [[0, 1, 1], [1, 0, 1]],
        "layer_1": [[0.2, 0.5], [0.7, 0.4]],
        "layer_1_delta": [[0.01, -0.02], [0.03, 0.05]],
        "layer_2_delta": [[0.1], [-0.2]],
    }),
    "direction_changes": Case("direction_changes", {
        "weight_update": [[0.5, -0.1, 0.0, 0.2], [-0.3, 0.4, 0.1, 0.0]],
        "prev_weight_update": [[0.2, 0.3, -0.1, 0.0], [-0.1, -0.2, 0.5, 0.3]],
    }),
    "train_two_layer": _training("train_two_layer", iterations=3, seed=2),
    "train": _training("train", alpha=0.5, hidden_dim=3, iterations=4, seed=2),
    "train_counting_directions": _training(
        "train_counting_directions", alpha=10.0, hidden_dim=2, iterations=6, seed=2),
    "total_direction_changes": _training("total_direction_changes", alphas=(1, 10), iterations=6),
    "alpha_sweep": _training("alpha_sweep", alphas=(0.5, 5), hidden_dim=2, iterations=3, seed=2),
    "hidden_size_sweep": _training(
        "hidden_size_sweep", alpha=1.0, hidden_sizes=(1, 3), iterations=3, seed=2),
    "iterations_to_reach": Case(
        "iterations_to_reach", {"errors": [0.5, 0.3, 0.2, 0.2, 0.1, 0.05], "target": 0.2}),
    "plot_error_curves": Case(
        "plot_error_curves", {"sweep": {0.5: [0.5, 0.4, 0.3], 5: [0.5, 0.2, 0.1]}}, plot=_AXES),
    "plot_hidden_sizes": Case(
        "plot_hidden_sizes", {"sweep": {1: [0.5, 0.45, 0.4], 3: [0.5, 0.3, 0.2]}}, plot=_AXES),
    # the capstone, one case per side it is graded from
    "thirteen_line_network_runs": _training("thirteen_line_network", alpha=0.5, hidden_dim=2,
                                            iterations=3, seed=2),
    "thirteen_line_network_learns": _training("thirteen_line_network", alpha=10.0, hidden_dim=2,
                                              iterations=300, seed=2),
    "thirteen_line_network_respects_settings": _training("thirteen_line_network", alpha=2.0,
                                                         hidden_dim=3, iterations=2, seed=4),
    "thirteen_line_network": _training("thirteen_line_network", alpha=1.0, hidden_dim=2,
                                       iterations=20, seed=3),
}


# -- values --------------------------------------------------------------------


def _value(argument):
    if isinstance(argument, dict):
        return {key: np.array(value) for key, value in argument.items()}
    if isinstance(argument, list):
        return np.array(argument)
    return argument


def call_values(case: Case) -> list:
    """The case's arguments as the function receives them, in order."""
    expected = parameters(case.function)[: len(case.arguments)]
    if list(case.arguments) != expected:
        raise ValueError(f"{case.function}: the small case must give {expected}, in that order")
    return [_value(case.arguments[name]) for name in case.arguments]


def answer(case: Case):
    """The reference's result on ``case``: for a plot, ``{label: ydata}`` of its lines."""
    oracle = mutants.oracle_function(case.function)
    result = oracle(*call_values(case))
    if case.plot:
        import matplotlib.pyplot as plt

        lines = {str(line.get_label()): line.get_ydata().tolist() for line in result.axes[0].get_lines()}
        plt.close(result)
        return lines
    return result


def result_names(case: Case) -> list[str]:
    declared = getattr(mutants.oracle_function(case.function), "signature", None)
    outputs = [slot.name for slot in declared.outputs] if declared else []
    return outputs if len(outputs) > 1 else []


# -- writing code --------------------------------------------------------------


def number(value, exact: bool = False) -> str:
    """A number as a literal: integers as they are, floats to :data:`DIGITS` digits."""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if exact:
        return repr(float(value))
    text = f"{float(value):.{DIGITS}g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _key(key) -> str:
    return repr(key) if isinstance(key, str) else number(key, exact=True)


def literal(value, indent: int, exact: bool = False) -> str:
    """Nested lists of numbers, one row per line, continuation lines aligned under ``indent``."""
    if isinstance(value, dict):
        items = [f"{_key(k)}: {literal(v, indent + 1 + len(_key(k)) + 2, exact)}"
                 for k, v in value.items()]
        return "{" + (",\n" + " " * (indent + 1)).join(items) + "}"
    if value is None:
        return "None"
    array = np.asarray(value)
    if array.ndim == 0:
        return number(array.item(), exact)
    if array.ndim == 1:
        return _row([number(v, exact) for v in array.tolist()], indent)
    rows = [literal(row, indent + 1, exact) for row in array]
    return "[" + (",\n" + " " * (indent + 1)).join(rows) + "]"


def _row(items: list[str], indent: int) -> str:
    lines, current = [], []
    for item in items:
        if current and indent + 1 + len(", ".join([*current, item])) + 2 > LINE:
            lines.append(", ".join(current))
            current = []
        current.append(item)
    lines.append(", ".join(current))
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _assignments(case: Case) -> tuple[list[str], list[str]]:
    """Lines that set the case's variables, and the names the call passes."""
    lines, names, scalars = [], [], []
    for argument, value in case.arguments.items():
        name = RENAMED.get(argument, argument)
        names.append(name)
        if isinstance(value, dict):
            head = f"{name} = "
            items = [f"{number(k, True)}: np.array({literal(v, 0, True)})" for k, v in value.items()]
            lines.append(head + "{" + (",\n" + " " * (len(head) + 1)).join(items) + "}")
        elif isinstance(value, list):
            head = f"{name} = np.array("
            lines.append(head + literal(value, len(head), exact=True) + ")")
        elif isinstance(value, tuple):
            items = ", ".join(number(v, True) for v in value)
            lines.append(f"{name} = ({items}{',' if len(value) == 1 else ''})")
        else:
            scalars.append((name, value))
    if scalars:
        lines.append(", ".join(n for n, _ in scalars) + " = " + ", ".join(number(v, True) for _, v in scalars))
    return lines, names


def visible_code(step: str) -> str:
    """The visible part of the test cell of ``step``: the small case and its stated answer."""
    case = CASES[step]
    lines, names = _assignments(case)
    call_args = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
    if case.plot:
        head = "figure = expect_lines("
        code = [IMPORT.replace("expect", "expect_lines"), "", *lines,
                f"{head}{case.function}, {call_args},",
                " " * len(head) + literal(answer(case), len(head)) + ",",
                " " * len(head) + f"{case.plot['x']!r}, {case.plot['y']!r})",
                "plt.close(figure)"]
        return "\n".join(code)
    head = "expect("
    pad = " " * len(head)
    first = f"{head}{case.function}, {call_args}"
    if len(first) + 1 > LINE:
        first = f"{head}{case.function},\n{pad}{call_args}"
    parts = [first]
    result = answer(case)
    outputs = result_names(case)
    if outputs:
        for name, value in zip(outputs, result, strict=True):
            parts.append(f"{pad}{name}=" + literal(value, len(pad) + len(name) + 1))
    else:
        parts.append(pad + literal(result, len(pad)))
    if case.training:
        parts.append(f"{pad}training=True")
    return "\n".join([IMPORT, "", *lines, ",\n".join(parts) + ")"])


def parameters(function: str) -> list[str]:
    return list(inspect.signature(mutants.oracle_function(function)).parameters)
