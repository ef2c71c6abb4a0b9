"""What each graded function must do: its contract, in one place.

A contract names the function, its arguments with their shapes and meaning, and what
it returns: *what*, never *how* (no line of code, no formula; the math is in the
notebook's explanation above the task). The same contract is the task of the problem
set that introduces the function and the statement of every recall drill of it.
Shapes come from the reference network's declared signatures (``solutions.network``).
"""

from __future__ import annotations

import ast

from from_memory.judge import mutants
from solutions import network
from solutions.arguments import Slot

# What an argument or a result means, by its name (the post's names, shared by all steps).
MEANINGS = {
    "x": "any numbers",
    "output": "outputs of the sigmoid, numbers between 0 and 1",
    "derivative": "the sigmoid's slope at each entry",
    "n_inputs": "the number of inputs, `k`",
    "hidden_dim": "the number of hidden units",
    "seed": "the seed of numpy's global random generator",
    "X": "the inputs: one row per example, one column per input",
    "layer_0": "the inputs: one row per example, one column per input",
    "synapse_0": "the weights from the inputs to the hidden layer",
    "synapse_1": "the weights from the hidden layer to the output unit",
    "layer_1": "the hidden layer's output, one row per example",
    "layer_2": "the network's output: one prediction per example",
    "y": "the targets, 0 or 1, one per example",
    "layer_2_error": "how much each prediction missed its target",
    "error": "one number for the whole miss",
    "layer_2_delta": "the output unit's delta, one per example",
    "layer_1_delta": "each hidden unit's delta, per example",
    "synapse_0_derivative": "the slope of the error for each weight of `synapse_0`",
    "synapse_1_derivative": "the slope of the error for each weight of `synapse_1`",
    "weight_update": "a synapse's update in this iteration",
    "prev_weight_update": "the same synapse's update in the previous iteration",
    "changes": "1 where the direction changed, 0 elsewhere",
    "alpha": "the learning rate, a positive number",
    "alphas": "learning rates, in the order to try them",
    "hidden_sizes": "numbers of hidden units, in the order to try them",
    "iterations": "how many training iterations to run",
    "errors": "the error of every iteration, in order",
    "synapse_0_direction_count": "per weight of `synapse_0`, how often its update changed direction",
    "synapse_1_direction_count": "per weight of `synapse_1`, how often its update changed direction",
    "target": "the error to get below",
    "sweep": "a sweep: each setting mapped to its run's `errors`",
}
# Meanings that differ in one function.
OVERRIDES = {
    ("forward_two_layer", "synapse_0"): "one weight per input, to the output unit",
    ("forward_two_layer", "layer_1"): "the prediction, one per example",
    ("train_two_layer", "layer_1"): "the prediction of the last forward pass",
    ("train", "synapse_0"): "the trained weights from the inputs to the hidden layer",
    ("train", "synapse_1"): "the trained weights from the hidden layer to the output unit",
    ("thirteen_line_network", "layer_2"): "the output of the last forward pass",
}
KINDS = {
    "array": "any shape",
    "float": "a Python `float`",
    "rate": "a number",
    "rates": "a sequence",
    "count": "a whole number",
    "count0": "a whole number",
    "counts": "a sequence",
}

# Per function: what it is, what it returns (when the signature declares no results),
# and the points of the contract that decide the exact numbers.
PURPOSE = {
    "sigmoid": "the logistic sigmoid of every entry of `x`, the nonlinearity of every layer",
    "sigmoid_output_to_derivative": "the sigmoid's slope, computed from what the sigmoid gave out",
    "init_synapses": "the network's random starting weights, drawn as the post draws them",
    "forward_two_layer": "the prediction of the network without a hidden layer",
    "forward": "the forward pass through the hidden layer to the output",
    "output_error": "how much the network missed, per example, with the sign that descends",
    "mean_abs_error": "the one number the post prints to follow training",
    "output_delta": "the output unit's delta: the miss, weighted by how much the output can still move",
    "hidden_delta": "backpropagation: each hidden unit's share of the output delta, as a delta of its own",
    "weight_gradients": "the slope of the error for every weight, summed over the examples",
    "direction_changes": "which weights' updates changed direction since the previous iteration",
    "train_two_layer": "the post's first network (no hidden layer, no alpha), trained by gradient descent",
    "train": "the 3-layer network, trained by gradient descent with learning rate `alpha`",
    "train_counting_directions": "the post's closer look: training as `train` does, counting how "
    "often each weight's update changes direction",
    "total_direction_changes": "how often a run's updates changed direction, one number per alpha",
    "alpha_sweep": "the post's experiment: the same network trained once per alpha",
    "hidden_size_sweep": "the same network trained once per hidden-layer size",
    "iterations_to_reach": "how many iterations training needed to get good enough",
    "plot_error_curves": "the alpha sweep as a picture",
    "plot_hidden_sizes": "the hidden-size sweep as a picture",
    "thirteen_line_network": "the post's whole network in one function: initialised, then trained "
    "by gradient descent",
}
RETURNS = {
    "alpha_sweep": "a dict `{alpha: errors}` with one entry per alpha, in the given order; "
    "`errors` is what `train` returns for that alpha",
    "hidden_size_sweep": "a dict `{hidden_dim: errors}` with one entry per size, in the given order; "
    "`errors` is what `train` returns for that size",
    "total_direction_changes": "a dict `{alpha: total}`, in the given order; `total` (a Python `int`) "
    "adds up every entry of both direction counts of `train_counting_directions` run with that "
    "alpha and `iterations` (defaults for everything else)",
    "iterations_to_reach": "the first index `j` whose `errors[j]` is strictly below `target`, as an "
    "`int`, or `None` when no error is",
    "plot_error_curves": "the matplotlib `Figure`: one axes with one line per alpha, labelled "
    "`alpha=<alpha>`, showing the error at every iteration; the x axis labelled with the iteration, "
    "the y axis with the error (a log scale helps)",
    "plot_hidden_sizes": "the matplotlib `Figure`: one axes with one line per hidden size, labelled "
    "`hidden=<size>`, showing the error at every iteration; the x axis labelled with the iteration, "
    "the y axis with the error (a log scale helps)",
}
RULES = {
    "init_synapses": [
        ("Seed numpy's global generator with `seed`, then draw `synapse_0` and after it `synapse_1`, "
         "each with `random_synapse` (setup cell): the order of the draws decides the numbers."),
    ],
    "output_error": ["It is positive where the prediction is too high."],
    "mean_abs_error": ["The sign of each miss does not count, only its size."],
    "direction_changes": [
        "A direction is whether the update is positive; an update of exactly 0 counts as not positive.",
    ],
    "train_two_layer": [
        "Seed with `seed`, then draw `synapse_0` with `random_synapse` (one column).",
        "Each iteration moves the weights by their full slope, downhill (no alpha).",
    ],
    "train": [
        "Start from the weights of `init_synapses` with `seed`.",
        "Each iteration moves every weight downhill by `alpha` times its slope.",
        "`errors[j]` is the mean absolute error of iteration `j`, measured before its update.",
    ],
    "train_counting_directions": [
        "Start from the weights of `init_synapses` with `seed`; no update counts as previous at first.",
        ("As in the post, the miss is taken as target minus prediction, and the update (`alpha` times "
         "the slope) is added; every iteration updates the weights, the first one too."),
        ("A count grows by 1 when an update's direction differs from the previous iteration's, "
         "from the second iteration on."),
    ],
    "alpha_sweep": ["Every run starts from the same `seed` and uses the same `hidden_dim` and `iterations`."],
    "hidden_size_sweep": ["Every run starts from the same `seed` and uses the same `alpha` and `iterations`."],
    "thirteen_line_network": [
        ("Seed numpy's global generator with `seed`; then draw `synapse_0` and after it `synapse_1`, "
         "each as 2 × `np.random.random(shape)` − 1: the order of the draws decides the numbers."),
        ("The miss is prediction minus target; each iteration moves every weight downhill by `alpha` "
         "times its slope."),
    ],
}


def def_line(name: str) -> str:
    """``train(X, y, alpha, hidden_dim=4, iterations=ITERATIONS, seed=1)``, as the solution writes it."""
    node = ast.parse(mutants.oracle_source(name)).body[0]
    return f"{name}({ast.unparse(node.args)})"


def _shape(dims) -> str:
    return "`(" + ", ".join(str(d) for d in dims) + (",)`" if len(dims) == 1 else ")`")


def _slot_rows(function: str, slots) -> list[str]:
    rows = []
    for slot in slots:
        shape = _shape(slot.dims) if slot.kind == "matrix" else KINDS[slot.kind]
        meaning = OVERRIDES.get((function, slot.name), MEANINGS[slot.name])
        rows.append(f"| `{slot.name}` | {shape} | {meaning} |")
    return rows


def _signature(function: str):
    return getattr(network, function, None) and getattr(network, function).signature


def _arguments(function: str):
    """Argument slots: declared, or for the plots (which declare none) their one sweep."""
    declared = _signature(function)
    return declared.inputs if declared else (Slot("sweep", "sweep"),)


def render(function: str, *, may_call=(), lead="**Your task.** Write") -> str:
    """The contract of ``function`` as markdown: what it is, its arguments, what it returns."""
    lines = [f"{lead} `{def_line(function)}`: {PURPOSE[function]}.", ""]
    arguments = _arguments(function)
    table = ["| argument | shape | meaning |", "|---|---|---|"]
    for slot in arguments:
        if slot.kind == "sweep":
            table.append(f"| `{slot.name}` | a dict | {MEANINGS[slot.name]} |")
        else:
            table += _slot_rows(function, [slot])
    lines += table + [""]
    declared = _signature(function)
    outputs = declared.outputs if declared else ()
    if function in RETURNS:
        lines.append(f"Returns {RETURNS[function]}.")
    elif len(outputs) == 1:
        slot = outputs[0]
        if slot.kind == "array":
            shape = f"the shape of `{arguments[0].name}`"
        else:
            shape = _shape(slot.dims) if slot.kind == "matrix" else KINDS[slot.kind]
        meaning = OVERRIDES.get((function, slot.name), MEANINGS[slot.name])
        lines.append(f"Returns `{slot.name}`, {shape}: {meaning}.")
    else:
        names = ", ".join(f"`{s.name}`" for s in outputs)
        lines += [f"Returns the tuple ({names}):", "", "| result | shape | meaning |", "|---|---|---|"]
        lines += _slot_rows(function, outputs)
    rules = list(RULES.get(function, []))
    if may_call:
        rules.append("You may call " + ", ".join(f"`{n}`" for n in may_call) + " from above.")
    if rules:
        lines += [""] + [f"- {rule}" for rule in rules]
    return "\n".join(lines)
