"""The catalog of misconceptions: realistic wrong versions of the oracle's steps.

Each mutant is a named edit of one oracle function's source (the function as
students write it, decorator removed), compiled into a function of its own.
The checker runs a step's mutants to name the mistake behind a wrong answer;
the kit's tests check that every mutant fails its step's check (mutation score)
and is named correctly (diagnosis rate). Add a mutant by adding one entry.

Slugs read ``<step>__<mistake>``. Hints speak to the student in one sentence.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from dataclasses import dataclass

from solutions import network, plots

MODULES = (network, plots)


@dataclass(frozen=True)
class Mutant:
    slug: str
    hint: str
    edits: tuple  # (old, new) pairs applied to the step's source; each `old` occurs once

    @property
    def step(self) -> str:
        return self.slug.split("__")[0]

    @property
    def source(self) -> str:
        """The mutated function's source, as it would stand in a student's notebook."""
        return mutate(oracle_source(self.step), self.edits, self.slug)

    @functools.cached_property
    def function(self):
        return compile_function(self.step, self.source, f"<mutant {self.slug}>")


def oracle_function(step: str):
    for module in MODULES:
        if hasattr(module, step):
            return getattr(module, step)
    raise KeyError(f"no oracle function named {step!r}")


def oracle_source(step: str) -> str:
    """The oracle's source for ``step`` without decorators: what the solution cell holds."""
    function = inspect.unwrap(oracle_function(step))
    lines = textwrap.dedent(inspect.getsource(function)).splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("@"))


def mutate(source: str, edits, label: str) -> str:
    for old, new in edits:
        if source.count(old) != 1:
            raise ValueError(f"{label}: {old!r} occurs {source.count(old)} times in the oracle's source")
        source = source.replace(old, new)
    return source


def compile_function(step: str, source: str, filename: str):
    """Define ``step`` from ``source`` in a notebook-like namespace holding the oracle's names."""
    home = inspect.unwrap(oracle_function(step)).__globals__
    namespace = {**home, "__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[step]


M = Mutant
CATALOG = (
    # sigmoid
    M("sigmoid__missing_minus", "The sigmoid is 1/(1+exp(-x)): without the minus sign the curve is mirrored.",
      (("np.exp(-x)", "np.exp(x)"),)),
    M("sigmoid__precedence", "Put 1 + exp(-x) in parentheses: 1 / 1 + exp(-x) divides only by 1.",
      (("1 / (1 + np.exp(-x))", "1 / 1 + np.exp(-x)"),)),
    M("sigmoid__tanh", "The post's nonlinearity is the logistic sigmoid, not tanh.",
      (("1 / (1 + np.exp(-x))", "np.tanh(x)"),)),
    # the sigmoid's slope
    M("sigmoid_output_to_derivative__precedence",
      "Write output * (1 - output): without parentheses, output * 1 - output is always 0.",
      (("output * (1 - output)", "output * 1 - output"),)),
    M("sigmoid_output_to_derivative__reapplies_sigmoid",
      "The argument is already the sigmoid's output: use s*(1-s) on it, not on sigmoid(s).",
      (("output * (1 - output)", "sigmoid(output) * (1 - sigmoid(output))"),)),
    M("sigmoid_output_to_derivative__missing_factor", "The slope is output * (1 - output): the first factor is missing.",
      (("output * (1 - output)", "1 - output"),)),
    M("sigmoid_output_to_derivative__sign", "The slope is output * (1 - output), which is never negative.",
      (("output * (1 - output)", "output * (output - 1)"),)),
    # weights
    M("init_synapses__seed_between_draws", "Seed once, before drawing synapse_0: seeding between draws repeats numbers.",
      (("    np.random.seed(seed)\n    synapse_0 = random_synapse(n_inputs, hidden_dim)\n",
        "    synapse_0 = random_synapse(n_inputs, hidden_dim)\n    np.random.seed(seed)\n"),)),
    M("init_synapses__not_centred", "Weights should start in [-1, 1): use 2*np.random.random(shape) - 1.",
      (("synapse_0 = random_synapse(n_inputs, hidden_dim)",
        "synapse_0 = np.random.random((n_inputs, hidden_dim))"),)),
    M("init_synapses__draw_order", "Draw synapse_0 first, then synapse_1, as the post does.",
      (("    synapse_0 = random_synapse(n_inputs, hidden_dim)\n    synapse_1 = random_synapse(hidden_dim, 1)\n",
        "    synapse_1 = random_synapse(hidden_dim, 1)\n    synapse_0 = random_synapse(n_inputs, hidden_dim)\n"),)),
    M("init_synapses__transposed_draw", "Draw synapse_0 with shape (n_inputs, hidden_dim) directly; a transposed draw orders the numbers differently.",
      (("synapse_0 = random_synapse(n_inputs, hidden_dim)", "synapse_0 = random_synapse(hidden_dim, n_inputs).T"),)),
    # forward pass
    M("forward_two_layer__no_sigmoid", "Apply the sigmoid to the weighted sum: layer_1 = sigmoid(np.dot(layer_0, synapse_0)).",
      (("sigmoid(np.dot(layer_0, synapse_0))", "np.dot(layer_0, synapse_0)"),)),
    M("forward_two_layer__elementwise", "Use the matrix product np.dot(layer_0, synapse_0), not the elementwise *.",
      (("sigmoid(np.dot(layer_0, synapse_0))", "sigmoid(layer_0 * synapse_0.T)"),)),
    M("forward_two_layer__operands_swapped",
      "The examples come first in the product: each row of layer_0 meets the weight column, so layer_0 goes on the left.",
      (("np.dot(layer_0, synapse_0)", "np.dot(synapse_0, layer_0)"),)),
    M("forward_two_layer__inline_sigmoid_sign",
      "Written out by hand, the sigmoid needs the minus sign in its exponent; without it every output is mirrored.",
      (("sigmoid(np.dot(layer_0, synapse_0))", "1 / (1 + np.exp(np.dot(layer_0, synapse_0)))"),)),
    M("forward__no_hidden_sigmoid", "The hidden layer needs its sigmoid too: layer_1 = sigmoid(np.dot(layer_0, synapse_0)).",
      (("layer_1 = sigmoid(np.dot(layer_0, synapse_0))", "layer_1 = np.dot(layer_0, synapse_0)"),)),
    M("forward__no_output_sigmoid", "The output layer needs its sigmoid: layer_2 = sigmoid(np.dot(layer_1, synapse_1)).",
      (("layer_2 = sigmoid(np.dot(layer_1, synapse_1))", "layer_2 = np.dot(layer_1, synapse_1)"),)),
    M("forward__skips_hidden_activation", "Feed layer_1 (after its sigmoid) into synapse_1, not the raw weighted sum.",
      (("layer_2 = sigmoid(np.dot(layer_1, synapse_1))",
        "layer_2 = sigmoid(np.dot(np.dot(layer_0, synapse_0), synapse_1))"),)),
    M("forward__returns_swapped", "Return (layer_1, layer_2) in that order.",
      (("return layer_1, layer_2", "return layer_2, layer_1"),)),
    # errors
    M("output_error__sign", "With `-=` updates the error must be layer_2 - y; y - layer_2 climbs the error instead.",
      (("return layer_2 - y", "return y - layer_2"),)),
    M("output_error__absolute", "Keep the error's sign: the absolute value is only for the printed mean.",
      (("return layer_2 - y", "return np.abs(layer_2 - y)"),)),
    M("output_error__squared", "The error here is the plain difference layer_2 - y, not its square.",
      (("return layer_2 - y", "return (layer_2 - y) ** 2"),)),
    M("mean_abs_error__no_abs", "Take np.abs before the mean, or positive and negative misses cancel out.",
      (("float(np.mean(np.abs(layer_2_error)))", "float(np.mean(layer_2_error))"),)),
    M("mean_abs_error__sum", "The post prints the mean of the absolute errors, not their sum.",
      (("float(np.mean(np.abs(layer_2_error)))", "float(np.sum(np.abs(layer_2_error)))"),)),
    M("mean_abs_error__squared", "The post prints the mean absolute error, not the mean squared error.",
      (("float(np.mean(np.abs(layer_2_error)))", "float(np.mean(layer_2_error ** 2))"),)),
    # deltas
    M("output_delta__slope_of_error", "Take the sigmoid's slope at the output layer_2, not at the error.",
      (("sigmoid_output_to_derivative(layer_2)", "sigmoid_output_to_derivative(layer_2_error)"),)),
    M("output_delta__no_slope", "Scale the miss by the sigmoid's slope at layer_2: layer_2_error * s*(1-s).",
      (("layer_2_error * sigmoid_output_to_derivative(layer_2)", "layer_2_error"),)),
    M("output_delta__sigmoid_of_output",
      "layer_2 is already the sigmoid's output, so its slope comes from layer_2 itself; applying the sigmoid again gives the wrong slope.",
      (("sigmoid_output_to_derivative(layer_2)", "sigmoid(layer_2) * (1 - sigmoid(layer_2))"),)),
    M("output_delta__dot", "Each example's miss is scaled by its own slope: multiply elementwise, not with a matrix product.",
      (("layer_2_error * sigmoid_output_to_derivative(layer_2)",
        "np.dot(layer_2_error, sigmoid_output_to_derivative(layer_2))"),)),
    M("hidden_delta__precedence",
      "Operator precedence: layer_1 * 1 - layer_1 is always 0; the slope is layer_1 * (1 - layer_1).",
      (("sigmoid_output_to_derivative(layer_1)", "(layer_1 * 1 - layer_1)"),)),
    M("hidden_delta__no_transpose", "Send the output delta back through synapse_1.T: layer_2_delta.dot(synapse_1.T).",
      (("layer_2_delta.dot(synapse_1.T)", "layer_2_delta.dot(synapse_1)"),)),
    M("hidden_delta__slope_of_error", "Take the slope at the hidden layer's output layer_1, not at its error.",
      (("sigmoid_output_to_derivative(layer_1)", "sigmoid_output_to_derivative(layer_1_error)"),)),
    M("hidden_delta__no_slope", "Multiply layer_1_error by the hidden layer's slope, layer_1 * (1 - layer_1).",
      (("return layer_1_error * sigmoid_output_to_derivative(layer_1)", "return layer_1_error"),)),
    M("hidden_delta__uses_output", "The hidden delta scales by the hidden layer's slope (layer_1), not the output's.",
      (("sigmoid_output_to_derivative(layer_1)", "sigmoid_output_to_derivative(layer_2_delta)"),)),
    # weight gradients
    M("weight_gradients__transposes_swapped", "The gradient of synapse_0 is layer_0.T.dot(layer_1_delta): transpose the layer, not the delta.",
      (("layer_0.T.dot(layer_1_delta)", "layer_1_delta.T.dot(layer_0)"),)),
    M("weight_gradients__wrong_delta", "synapse_0's gradient uses the hidden layer's delta, layer_1_delta.",
      (("layer_0.T.dot(layer_1_delta)", "layer_0.T.dot(layer_2_delta)"),)),
    M("weight_gradients__returns_swapped", "Return the gradients in order: synapse_0's, then synapse_1's.",
      (("return synapse_0_derivative, synapse_1_derivative", "return synapse_1_derivative, synapse_0_derivative"),)),
    M("weight_gradients__mean_not_sum", "The post sums over the examples (the dot product); it does not divide by their number.",
      (("layer_0.T.dot(layer_1_delta)", "layer_0.T.dot(layer_1_delta) / len(layer_0)"),
       ("layer_1.T.dot(layer_2_delta)", "layer_1.T.dot(layer_2_delta) / len(layer_1)"))),
    # direction counting
    M("direction_changes__no_abs", "A change either way counts as one: take np.abs of the difference.",
      (("return np.abs(((weight_update > 0) + 0) - ((prev_weight_update > 0) + 0))",
        "return ((weight_update > 0) + 0) - ((prev_weight_update > 0) + 0)"),)),
    M("direction_changes__compares_values", "Compare the updates' signs (> 0), not their values.",
      (("return np.abs(((weight_update > 0) + 0) - ((prev_weight_update > 0) + 0))",
        "return (weight_update != prev_weight_update) + 0"),)),
    M("direction_changes__counts_positives", "Count a change when the sign differs from the previous update's, not when it is positive.",
      (("return np.abs(((weight_update > 0) + 0) - ((prev_weight_update > 0) + 0))",
        "return (weight_update > 0) + 0"),)),
    # training loops
    M("train_two_layer__plus_equals", "With error = layer_1 - y, step against the slope: synapse_0 -= derivative.",
      (("synapse_0 -= synapse_0_derivative", "synapse_0 += synapse_0_derivative"),)),
    M("train_two_layer__reinit_in_loop", "Draw the weights once, before the loop; drawing them inside restarts learning every step.",
      (("    synapse_0 = random_synapse(X.shape[1], 1)\n    for _ in range(iterations):\n",
        "    for _ in range(iterations):\n        synapse_0 = random_synapse(X.shape[1], 1)\n"),)),
    M("train_two_layer__no_transpose",
      "Transpose layer_0 in the gradient, so each input's weight sums the deltas of the examples it feeds.",
      (("np.dot(layer_0.T, layer_1_delta)", "np.dot(layer_0, layer_1_delta)"),)),
    M("train_two_layer__no_seed", "Seed numpy's generator with `seed` before drawing synapse_0, so every run starts from the same weights.",
      (("    np.random.seed(seed)\n", ""),)),
    M("train__plus_equals", "With error = layer_2 - y, step against the slope: synapse -= alpha * derivative.",
      (("synapse_1 -= alpha * synapse_1_derivative", "synapse_1 += alpha * synapse_1_derivative"),
       ("synapse_0 -= alpha * synapse_0_derivative", "synapse_0 += alpha * synapse_0_derivative"))),
    M("train__alpha_on_one_synapse", "Scale both weight updates by alpha, synapse_0's as well as synapse_1's.",
      (("synapse_0 -= alpha * synapse_0_derivative", "synapse_0 -= synapse_0_derivative"),)),
    M("train__ignores_seed", "Pass `seed` on to init_synapses, or every run starts from the same weights.",
      (("init_synapses(X.shape[1], hidden_dim, seed)", "init_synapses(X.shape[1], hidden_dim)"),)),
    M("train__ignores_hidden_dim", "Size the hidden layer with `hidden_dim`, not a fixed 4.",
      (("init_synapses(X.shape[1], hidden_dim, seed)", "init_synapses(X.shape[1], 4, seed)"),)),
    M("train__error_after_update", "Record the error before updating the weights, as the post prints it.",
      (("        errors[j] = mean_abs_error(layer_2_error)\n", ""),
       ("        synapse_0 -= alpha * synapse_0_derivative\n",
        "        synapse_0 -= alpha * synapse_0_derivative\n"
        "        errors[j] = mean_abs_error(output_error(forward(layer_0, synapse_0, synapse_1)[1], y))\n"))),
    M("train__updates_before_backprop", "Compute both deltas before changing any weight: layer_1_delta must use the old synapse_1.",
      (("        layer_1_delta = hidden_delta(layer_2_delta, synapse_1, layer_1)\n",
        "        synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)\n"
        "        layer_1_delta = hidden_delta(layer_2_delta, synapse_1, layer_1)\n"),
       ("        synapse_1 -= alpha * synapse_1_derivative\n", ""))),
    M("train_counting_directions__updates_inside_if",
      "Update the weights on every iteration: in the post only the counting sits under `if j > 0`.",
      (("        synapse_1 += alpha * synapse_1_weight_update\n"
        "        synapse_0 += alpha * synapse_0_weight_update\n"
        "        prev_synapse_0_weight_update = synapse_0_weight_update\n"
        "        prev_synapse_1_weight_update = synapse_1_weight_update\n",
        "            synapse_1 += alpha * synapse_1_weight_update\n"
        "            synapse_0 += alpha * synapse_0_weight_update\n"
        "            prev_synapse_0_weight_update = synapse_0_weight_update\n"
        "            prev_synapse_1_weight_update = synapse_1_weight_update\n"),)),
    M("train_counting_directions__counts_first_iteration",
      "Skip the count on the first iteration (`if j > 0`): there is no previous update to compare with yet.",
      (("        if j > 0:\n            synapse_0_direction_count", "        if True:\n            synapse_0_direction_count"),)),
    M("train_counting_directions__prev_not_kept", "Remember this iteration's updates as prev_..._weight_update for the next comparison.",
      (("        prev_synapse_0_weight_update = synapse_0_weight_update\n"
        "        prev_synapse_1_weight_update = synapse_1_weight_update\n", ""),)),
    M("train_counting_directions__error_sign", "This loop adds the update (+=), so its error must be y - layer_2.",
      (("layer_2_error = y - layer_2", "layer_2_error = layer_2 - y"),)),
    M("alpha_sweep__seed_once", "Reseed for every alpha, so each run starts from the same weights and only alpha differs.",
      (("train(X, y, alpha, hidden_dim, iterations, seed)", "train(X, y, alpha, hidden_dim, iterations, seed + alphas.index(alpha))"),)),
    M("alpha_sweep__final_error_only", "Keep each alpha's whole error curve, not just its last value.",
      (("seed)[2] for alpha", "seed)[2][-1] for alpha"),)),
    M("alpha_sweep__string_keys", "Key the results by the alpha values themselves, not their text.",
      (("{alpha: train(", "{str(alpha): train("),)),
    M("hidden_size_sweep__fixed_size", "Pass each hidden size on to train; otherwise every run uses 4 units.",
      (("train(X, y, alpha, h, iterations, seed)", "train(X, y, alpha, 4, iterations, seed)"),)),
    M("hidden_size_sweep__seed_once", "Reseed for every size, so each run starts fresh from the same seed.",
      (("train(X, y, alpha, h, iterations, seed)", "train(X, y, alpha, h, iterations, seed + h)"),)),
    M("hidden_size_sweep__final_error_only", "Keep each size's whole error curve, not just its last value.",
      (("seed)[2] for h", "seed)[2][-1] for h"),)),
    M("hidden_size_sweep__list_not_dict", "Return a dict keyed by the hidden size, so each curve can be found by its size.",
      (("return {h: train(X, y, alpha, h, iterations, seed)[2] for h in hidden_sizes}",
        "return [train(X, y, alpha, h, iterations, seed)[2] for h in hidden_sizes]"),)),
    M("total_direction_changes__one_synapse", "Add the changes of both synapses, synapse_0's and synapse_1's.",
      (("int(synapse_0_direction_count.sum() + synapse_1_direction_count.sum())",
        "int(synapse_0_direction_count.sum())"),)),
    M("total_direction_changes__unpacks_weights",
      "train_counting_directions returns the two weight matrices first and the two counts last: add up the counts.",
      (("_, _, synapse_0_direction_count, synapse_1_direction_count = ",
        "synapse_0_direction_count, synapse_1_direction_count, _, _ = "),)),
    M("total_direction_changes__reset_in_loop",
      "Start the totals once, before the loop over alphas; starting them inside keeps only the last alpha.",
      (("    totals = {}\n    for alpha in alphas:\n", "    for alpha in alphas:\n        totals = {}\n"),)),
    M("iterations_to_reach__at_or_below", "Strictly below the target: use <, not <=.",
      (("np.asarray(errors) < target", "np.asarray(errors) <= target"),)),
    M("iterations_to_reach__last", "Return the first iteration below the target, not the last.",
      (("return int(below[0])", "return int(below[-1])"),)),
    M("iterations_to_reach__counts_from_one", "Iterations count from 0, like the index of `errors`.",
      (("return int(below[0])", "return int(below[0]) + 1"),)),
    M("thirteen_line_network__precedence",
      "Operator precedence: layer_1 * 1 - layer_1 is always 0; write layer_1 * (1 - layer_1).",
      (("(layer_1 * (1 - layer_1))", "(layer_1 * 1 - layer_1)"),)),
    M("thirteen_line_network__plus_equals", "With error = layer_2 - y, step against the slope: use -=.",
      (("synapse_1 -= alpha", "synapse_1 += alpha"), ("synapse_0 -= alpha", "synapse_0 += alpha"))),
    M("thirteen_line_network__no_transpose", "Backpropagate through synapse_1.T, the transpose.",
      (("layer_2_delta.dot(synapse_1.T)", "layer_2_delta.dot(synapse_1)"),)),
    M("thirteen_line_network__no_seed", "Seed numpy's generator with `seed` before drawing the weights.",
      (("    np.random.seed(seed)\n", ""),)),
    M("plot_error_curves__no_labels", "Label each line (label=f\"alpha={alpha}\") so the legend can tell them apart.",
      (('ax.plot(errors, label=f"alpha={alpha}")', "ax.plot(errors)"),)),
    M("plot_error_curves__no_axis_labels", "Name the axes: iteration along x, the error along y.",
      (('    ax.set_xlabel("iteration")\n    ax.set_ylabel("mean absolute error")\n', ""),)),
    M("plot_error_curves__shows_not_returns", "Hand the figure back to the caller with return; showing it is not the same.",
      (("    return fig\n", "    plt.show()\n"),)),
    M("plot_error_curves__no_items",
      "Loop over the sweep's items to get each alpha with its errors: looping over the dict itself gives the keys alone.",
      (("for alpha, errors in sweep.items():", "for alpha, errors in sweep:"),)),
    M("plot_hidden_sizes__plots_final_error", "Draw each size's whole error curve, not only its final value.",
      (('ax.plot(errors, label=f"hidden={size}")', 'ax.plot([errors[-1]], label=f"hidden={size}")'),)),
    M("plot_hidden_sizes__no_f_string", "Make the label an f-string, so it shows each size's number rather than the variable's name.",
      (('label=f"hidden={size}"', 'label="hidden={size}"'),)),
    M("plot_hidden_sizes__shows_not_returns", "Hand the figure back to the caller with return; showing it is not the same.",
      (("    return fig\n", "    plt.show()\n"),)),
)
del M

# Mutants taken out because no input can tell them from the oracle (equivalent mutants):
REMOVED = {
    "sigmoid__one_minus": "exp(-x)/(1+exp(-x)) equals 1/(1+exp(x)): the same function as sigmoid__missing_minus.",
    "hidden_delta__elementwise": "layer_2_delta * synapse_1.T broadcasts (n, 1) by (1, h) into the same (n, h) "
    "product as the dot, because the output layer has one unit.",
}


def for_step(step: str) -> list[Mutant]:
    return [mutant for mutant in CATALOG if mutant.step == step]


def by_slug(slug: str) -> Mutant:
    return _BY_SLUG[slug]


_BY_SLUG = {mutant.slug: mutant for mutant in CATALOG}
