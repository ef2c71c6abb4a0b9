"""The reference network: Trask's "A Neural Network in 13 lines of Python (Part 2)".

One function per idea of the post, named as the post names it. Shapes, for a
dataset of ``n`` examples with ``k`` inputs and a hidden layer of ``h`` units::

    layer_0 = X : (n, k)      synapse_0 : (k, h)      layer_1 : (n, h)
    y           : (n, 1)      synapse_1 : (h, 1)      layer_2 : (n, 1)

Randomness follows the post exactly: ``np.random.seed(seed)`` then
``2*np.random.random(shape) - 1`` for synapse_0 and then synapse_1, so the
numbers the post prints come out again.

This module is the oracle of the course: hidden tests compare students' code
with it, and ``solutions/reference_outputs.json`` is generated from it.
"""

from __future__ import annotations

import numpy as np

from solutions.arguments import signature

# The post's datasets.
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
y = np.array([[0, 1, 1, 0]]).T
X_TWO_LAYER = np.array([[0, 1], [0, 1], [1, 0], [1, 0]])
y_TWO_LAYER = np.array([[0, 0, 1, 1]]).T

ALPHAS = (0.001, 0.01, 0.1, 1, 10, 100, 1000)
HIDDEN_SIZES = (4, 8, 16, 32)
ITERATIONS = 60000
REPORT_EVERY = 10000


# -- the pieces ---------------------------------------------------------------


@signature("x: array -> output: array")
def sigmoid(x):
    """The logistic nonlinearity ``1/(1+exp(-x))``, elementwise."""
    return 1 / (1 + np.exp(-x))


@signature("output: array -> derivative: array")
def sigmoid_output_to_derivative(output):
    """The sigmoid's slope, computed from its *output* ``s``: ``s*(1-s)``."""
    return output * (1 - output)


@signature("rows: count, cols: count -> synapse: rows cols")
def random_synapse(rows, cols):
    """Weights drawn uniformly from [-1, 1) with the global numpy RNG: ``(rows, cols)``."""
    return 2 * np.random.random((rows, cols)) - 1


@signature("n_inputs: count, hidden_dim: count, seed: count0 -> synapse_0: n_inputs hidden_dim, synapse_1: hidden_dim 1")
def init_synapses(n_inputs, hidden_dim, seed=1):
    """Seed, then draw ``synapse_0: (n_inputs, hidden_dim)`` and ``synapse_1: (hidden_dim, 1)``."""
    np.random.seed(seed)
    synapse_0 = random_synapse(n_inputs, hidden_dim)
    synapse_1 = random_synapse(hidden_dim, 1)
    return synapse_0, synapse_1


@signature("layer_0: n k, synapse_0: k 1 -> layer_1: n 1")
def forward_two_layer(layer_0, synapse_0):
    """The network without a hidden layer: ``layer_1 = sigmoid(layer_0 . synapse_0)``."""
    return sigmoid(np.dot(layer_0, synapse_0))


@signature("layer_0: n k, synapse_0: k h, synapse_1: h 1 -> layer_1: n h, layer_2: n 1")
def forward(layer_0, synapse_0, synapse_1):
    """Feed forward through layers 0, 1 and 2; returns ``(layer_1, layer_2)``."""
    layer_1 = sigmoid(np.dot(layer_0, synapse_0))
    layer_2 = sigmoid(np.dot(layer_1, synapse_1))
    return layer_1, layer_2


@signature("layer_2: n 1, y: n 1 -> layer_2_error: n 1")
def output_error(layer_2, y):
    """How much did we miss? ``layer_2 - y`` (the sign the gradient wants)."""
    return layer_2 - y


@signature("layer_2_error: n 1 -> error: float")
def mean_abs_error(layer_2_error):
    """The number the post prints: ``np.mean(np.abs(layer_2_error))``."""
    return float(np.mean(np.abs(layer_2_error)))


@signature("layer_2_error: n 1, layer_2: n 1 -> layer_2_delta: n 1")
def output_delta(layer_2_error, layer_2):
    """The miss scaled by the sigmoid's slope at the output: ``(n, 1)``."""
    return layer_2_error * sigmoid_output_to_derivative(layer_2)


@signature("layer_2_delta: n 1, synapse_1: h 1, layer_1: n h -> layer_1_delta: n h")
def hidden_delta(layer_2_delta, synapse_1, layer_1):
    """Backpropagate: each hidden unit's share of the output delta, times its own slope."""
    layer_1_error = layer_2_delta.dot(synapse_1.T)
    return layer_1_error * sigmoid_output_to_derivative(layer_1)


@signature("layer_0: n k, layer_1: n h, layer_1_delta: n h, layer_2_delta: n 1 -> synapse_0_derivative: k h, synapse_1_derivative: h 1")
def weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta):
    """The slopes of the error for each weight: ``(synapse_0_derivative, synapse_1_derivative)``."""
    synapse_0_derivative = layer_0.T.dot(layer_1_delta)
    synapse_1_derivative = layer_1.T.dot(layer_2_delta)
    return synapse_0_derivative, synapse_1_derivative


@signature("weight_update: a b, prev_weight_update: a b -> changes: a b")
def direction_changes(weight_update, prev_weight_update):
    """1 where a weight's update changed sign since the previous iteration, else 0."""
    return np.abs(((weight_update > 0) + 0) - ((prev_weight_update > 0) + 0))


# -- training -----------------------------------------------------------------


@signature("X: n k, y: n 1, iterations: count, seed: count0 -> layer_1: n 1")
def train_two_layer(X, y, iterations=10000, seed=1):
    """The post's first network (no hidden layer, no alpha); returns its last output ``(n, 1)``."""
    np.random.seed(seed)
    synapse_0 = random_synapse(X.shape[1], 1)
    for _ in range(iterations):
        layer_0 = X
        layer_1 = forward_two_layer(layer_0, synapse_0)
        layer_1_error = output_error(layer_1, y)
        layer_1_delta = output_delta(layer_1_error, layer_1)
        synapse_0_derivative = np.dot(layer_0.T, layer_1_delta)
        synapse_0 -= synapse_0_derivative
    return layer_1


@signature("X: n k, y: n 1, alpha: rate, hidden_dim: count, iterations: count, seed: count0 -> synapse_0: k hidden_dim, synapse_1: hidden_dim 1, errors: iterations")
def train(X, y, alpha, hidden_dim=4, iterations=ITERATIONS, seed=1):
    """Train the 3-layer network with learning rate ``alpha`` (the post's alpha sweep loop).

    Returns ``(synapse_0, synapse_1, errors)``; ``errors[j]`` is the mean absolute
    error measured at iteration ``j``, before that iteration's update, so
    ``errors[::10000]`` are the numbers the post prints.
    """
    synapse_0, synapse_1 = init_synapses(X.shape[1], hidden_dim, seed)
    errors = np.empty(iterations)
    for j in range(iterations):
        layer_0 = X
        layer_1, layer_2 = forward(layer_0, synapse_0, synapse_1)
        layer_2_error = output_error(layer_2, y)
        errors[j] = mean_abs_error(layer_2_error)
        layer_2_delta = output_delta(layer_2_error, layer_2)
        layer_1_delta = hidden_delta(layer_2_delta, synapse_1, layer_1)
        synapse_0_derivative, synapse_1_derivative = weight_gradients(
            layer_0, layer_1, layer_1_delta, layer_2_delta
        )
        synapse_1 -= alpha * synapse_1_derivative
        synapse_0 -= alpha * synapse_0_derivative
    return synapse_0, synapse_1, errors


@signature("X: n k, y: n 1, alpha: rate, hidden_dim: count, iterations: count, seed: count0 -> synapse_0: k hidden_dim, synapse_1: hidden_dim 1, synapse_0_direction_count: k hidden_dim, synapse_1_direction_count: hidden_dim 1")
def train_counting_directions(X, y, alpha, hidden_dim=4, iterations=ITERATIONS, seed=1):
    """The post's "closer look": train as :func:`train`, counting update direction changes.

    As in the post, the error is taken as ``y - layer_2`` so each weight update is
    *added*; its sign is the direction of the step. Returns ``(synapse_0, synapse_1,
    synapse_0_direction_count, synapse_1_direction_count)``.
    """
    synapse_0, synapse_1 = init_synapses(X.shape[1], hidden_dim, seed)
    prev_synapse_0_weight_update = np.zeros_like(synapse_0)
    prev_synapse_1_weight_update = np.zeros_like(synapse_1)
    synapse_0_direction_count = np.zeros_like(synapse_0)
    synapse_1_direction_count = np.zeros_like(synapse_1)
    for j in range(iterations):
        layer_0 = X
        layer_1, layer_2 = forward(layer_0, synapse_0, synapse_1)
        layer_2_error = y - layer_2
        layer_2_delta = output_delta(layer_2_error, layer_2)
        layer_1_delta = hidden_delta(layer_2_delta, synapse_1, layer_1)
        synapse_0_weight_update, synapse_1_weight_update = weight_gradients(
            layer_0, layer_1, layer_1_delta, layer_2_delta
        )
        if j > 0:
            synapse_0_direction_count += direction_changes(
                synapse_0_weight_update, prev_synapse_0_weight_update
            )
            synapse_1_direction_count += direction_changes(
                synapse_1_weight_update, prev_synapse_1_weight_update
            )
        synapse_1 += alpha * synapse_1_weight_update
        synapse_0 += alpha * synapse_0_weight_update
        prev_synapse_0_weight_update = synapse_0_weight_update
        prev_synapse_1_weight_update = synapse_1_weight_update
    return synapse_0, synapse_1, synapse_0_direction_count, synapse_1_direction_count


@signature("X: n k, y: n 1, alphas: rates, hidden_dim: count, iterations: count, seed: count0")
def alpha_sweep(X, y, alphas=ALPHAS, hidden_dim=4, iterations=ITERATIONS, seed=1):
    """Train once per alpha, each from the same seed: ``{alpha: errors}``."""
    return {alpha: train(X, y, alpha, hidden_dim, iterations, seed)[2] for alpha in alphas}


@signature("X: n k, y: n 1, alpha: rate, hidden_sizes: counts, iterations: count, seed: count0")
def hidden_size_sweep(X, y, alpha, hidden_sizes=HIDDEN_SIZES, iterations=ITERATIONS, seed=1):
    """Train once per hidden-layer size, each from the same seed: ``{hidden_dim: errors}``."""
    return {h: train(X, y, alpha, h, iterations, seed)[2] for h in hidden_sizes}


@signature("X: n k, y: n 1, alphas: rates, iterations: count")
def total_direction_changes(X, y, alphas, iterations):
    """How often the updates changed direction, over both synapses: ``{alpha: total}``."""
    totals = {}
    for alpha in alphas:
        _, _, synapse_0_direction_count, synapse_1_direction_count = train_counting_directions(
            X, y, alpha, iterations=iterations
        )
        totals[alpha] = int(synapse_0_direction_count.sum() + synapse_1_direction_count.sum())
    return totals


@signature("errors: array, target: rate")
def iterations_to_reach(errors, target):
    """The first iteration whose error is below ``target``, or None if none is."""
    below = np.flatnonzero(np.asarray(errors) < target)
    if below.size == 0:
        return None
    return int(below[0])

@signature("X: n k, y: n 1, alpha: rate, hidden_dim: count, iterations: count, seed: count0 -> synapse_0: k hidden_dim, synapse_1: hidden_dim 1, layer_2: n 1")
def thirteen_line_network(X, y, alpha=0.5, hidden_dim=4, iterations=ITERATIONS, seed=1):
    """The post's opening 13 lines, written as compactly as it does (and seeded).

    An independent transcription of :func:`train`; the tests check they agree.
    Returns ``(synapse_0, synapse_1, layer_2)``, ``layer_2`` from the last forward pass.
    """
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1
    synapse_1 = 2 * np.random.random((hidden_dim, 1)) - 1
    for _ in range(iterations):
        layer_1 = 1 / (1 + np.exp(-(np.dot(X, synapse_0))))
        layer_2 = 1 / (1 + np.exp(-(np.dot(layer_1, synapse_1))))
        layer_2_delta = (layer_2 - y) * (layer_2 * (1 - layer_2))
        layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1 - layer_1))
        synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
        synapse_0 -= alpha * X.T.dot(layer_1_delta)
    return synapse_0, synapse_1, layer_2

