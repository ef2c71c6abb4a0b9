"""Results that lie about themselves, and steps that change the arrays they are given.

Lying results: an ``ndarray`` subclass whose operators or ufuncs answer "equal" to
anything, a ``float`` (or ``int``) subclass with lying comparisons, an object array, a
string array, float32 numbers where the reference computes in float64. Each fails its
step with a message naming the type or dtype; the steps that call it are graded on
their own.

In-place changes: a step that returns the right values but overwrites one of its input
arrays (``layer_2_error *= ...``, ``np.multiply(a, b, out=a)``, ``x[:] = ...``). It fails
its own check with a message saying so, even where it breaks the student's own training
loop; the loop is graded on its own (with the failed step bound to the reference).
"""

from __future__ import annotations

from from_memory.examples.corpus import Case, graded, points_of
from from_memory.examples.hostile.base import with_functions

AGREEABLE = '''
class Agreeable(np.ndarray):
    """An array every ufunc agrees with."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shape = np.broadcast_shapes(*(np.shape(i) for i in inputs))
        return np.ones(shape, dtype=bool)
'''
MATCHES = '''
class Matches(np.ndarray):
    """An array whose operators say it equals anything."""

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __sub__(self, other):
        return np.zeros(self.shape)

    def __rsub__(self, other):
        return np.zeros(self.shape)

    def __abs__(self):
        return np.zeros(self.shape)
'''
CLOSE_ENOUGH = '''
class CloseEnough(float):
    """A number that compares equal, and close, to any other."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __sub__(self, other):
        return 0.0

    def __rsub__(self, other):
        return 0.0

    def __abs__(self):
        return 0.0

    def __lt__(self, other):
        return True

    def __le__(self, other):
        return True

    __hash__ = float.__hash__
'''
ANY_INDEX = '''
class AnyIndex(int):
    """An index equal to every other."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__
'''

LYING = [
    # (case, assignment, {function: code}, wrong steps, words the failing test cell shows)
    ("result-subclass-with-lying-ufuncs", "ps1_forward", {
        "sigmoid": AGREEABLE + "\n\ndef sigmoid(x):\n    return np.full(np.shape(x), 0.5).view(Agreeable)\n",
    }, ("sigmoid",), ("Agreeable",)),
    ("result-subclass-with-lying-operators", "ps1_forward", {
        "forward": MATCHES + (
            "\n\ndef forward(layer_0, synapse_0, synapse_1):\n"
            "    layer_1 = np.full((len(layer_0), synapse_0.shape[1]), 0.5).view(Matches)\n"
            "    return layer_1, np.full((len(layer_0), 1), 0.5).view(Matches)\n"
        ),
    }, ("forward",), ("Matches",)),
    ("float-subclass-with-lying-comparisons-ps3", "ps3_alpha", {
        "mean_abs_error": CLOSE_ENOUGH + "\n\ndef mean_abs_error(layer_2_error):\n    return CloseEnough(0.25)\n",
    }, ("mean_abs_error",), ("CloseEnough",)),
    ("int-subclass-equal-to-everything-ps5", "ps5_hidden", {
        "iterations_to_reach": ANY_INDEX + "\n\ndef iterations_to_reach(errors, target):\n    return AnyIndex(0)\n",
    }, ("iterations_to_reach",), ("AnyIndex",)),
    ("object-array-of-the-right-values", "ps1_forward", {
        "forward": (
            "def forward(layer_0, synapse_0, synapse_1):\n"
            "    layer_1 = sigmoid(np.dot(layer_0, synapse_0))\n"
            "    layer_2 = sigmoid(np.dot(layer_1, synapse_1))\n"
            "    return layer_1.astype(object), layer_2.astype(object)\n"
        ),
    }, ("forward",), ("object",)),
    ("string-array-of-the-right-values-ps2", "ps2_backprop", {
        "weight_gradients": (
            "def weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta):\n"
            "    synapse_0_derivative = layer_0.T.dot(layer_1_delta)\n"
            "    synapse_1_derivative = layer_1.T.dot(layer_2_delta)\n"
            "    return (np.char.mod('%.17g', synapse_0_derivative),\n"
            "            np.char.mod('%.17g', synapse_1_derivative))\n"
        ),
    }, ("weight_gradients",), ("str", "<U", "dtype", "text")),
    ("float32-step-result", "ps1_forward", {
        "forward_two_layer": (
            "def forward_two_layer(layer_0, synapse_0):\n"
            "    return sigmoid(np.dot(layer_0, synapse_0)).astype(np.float32)\n"
        ),
    }, ("forward_two_layer",), ("float32",)),
    ("float32-errors-of-training-ps3", "ps3_alpha", {
        "train": (
            "def train(X, y, alpha, hidden_dim=4, iterations=ITERATIONS, seed=1):\n"
            "    synapse_0, synapse_1 = init_synapses(X.shape[1], hidden_dim, seed)\n"
            "    errors = np.empty(iterations, dtype=np.float32)\n"
            "    for j in range(iterations):\n"
            "        layer_1, layer_2 = forward(X, synapse_0, synapse_1)\n"
            "        layer_2_error = output_error(layer_2, y)\n"
            "        errors[j] = mean_abs_error(layer_2_error)\n"
            "        layer_2_delta = output_delta(layer_2_error, layer_2)\n"
            "        layer_1_delta = hidden_delta(layer_2_delta, synapse_1, layer_1)\n"
            "        synapse_0_derivative, synapse_1_derivative = weight_gradients(\n"
            "            X, layer_1, layer_1_delta, layer_2_delta)\n"
            "        synapse_1 -= alpha * synapse_1_derivative\n"
            "        synapse_0 -= alpha * synapse_0_derivative\n"
            "    return synapse_0, synapse_1, errors\n"
        ),
    }, ("train",), ("float32",)),
]

# Where a changed input breaks the student's own loop, the note says which.
# Words of a message about a changed input (not words of the steps' names: `direction_changes`).
CHANGES_INPUT = ("in place", "in-place", "modifies", "modified", "overwrites", "overwrote", "its input",
                 "input array")
MUTATING = [
    ("mutates-input-with-augmented-assignment-ps2", "ps2_backprop", {
        "output_delta": (
            "def output_delta(layer_2_error, layer_2):\n"
            "    layer_2_error *= sigmoid_output_to_derivative(layer_2)\n"
            "    return layer_2_error\n"
        ),
    }, ("output_delta",), CHANGES_INPUT),
    # Overwrites layer_2, which train_two_layer returns: the student's loop is broken.
    ("mutates-input-with-out-argument-breaking-the-loop-ps2", "ps2_backprop", {
        "output_delta": (
            "def output_delta(layer_2_error, layer_2):\n"
            "    np.multiply(layer_2, 1 - layer_2, out=layer_2)\n"
            "    return layer_2_error * layer_2\n"
        ),
    }, ("output_delta",), CHANGES_INPUT),
    ("mutates-input-with-slice-assignment", "ps1_forward", {
        "sigmoid": "def sigmoid(x):\n    x[:] = 1 / (1 + np.exp(-x))\n    return x\n",
    }, ("sigmoid",), CHANGES_INPUT),
    # Takes the absolute value of the error before train's deltas use it; alpha_sweep calls
    # the student's train, which calls it: the sweep is graded on its own only if the
    # failed step is bound to the reference wherever the notebook calls it.
    ("mutates-input-breaking-train-and-sweep-ps3", "ps3_alpha", {
        "mean_abs_error": (
            "def mean_abs_error(layer_2_error):\n"
            "    np.abs(layer_2_error, out=layer_2_error)\n"
            "    return float(np.mean(layer_2_error))\n"
        ),
    }, ("mean_abs_error",), CHANGES_INPUT),
    # Overwrites the update train_counting_directions then applies (and counts with).
    ("mutates-input-breaking-counting-ps4", "ps4_directions", {
        "direction_changes": (
            "def direction_changes(weight_update, prev_weight_update):\n"
            "    weight_update[:] = weight_update > 0\n"
            "    return np.abs(weight_update - (prev_weight_update > 0))\n"
        ),
    }, ("direction_changes",), CHANGES_INPUT),
    ("mutates-input-with-subtract-out-ps5", "ps5_hidden", {
        "iterations_to_reach": (
            "def iterations_to_reach(errors, target):\n"
            "    np.subtract(errors, target, out=errors)\n"
            "    below = np.flatnonzero(errors < 0)\n"
            "    return int(below[0]) if below.size else None\n"
        ),
    }, ("iterations_to_reach",), CHANGES_INPUT),
]


def _case(name, ps, functions, wrong_steps, words) -> Case:
    return Case(
        name,
        graded(ps, points_of(ps, *wrong_steps)),
        lambda ctx: with_functions(ps, functions),
        assignment=ps,
        says=tuple((f"test_{step}", words) for step in wrong_steps),
    )


CASES = [_case(*row) for row in LYING + MUTATING]
