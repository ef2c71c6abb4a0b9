"""Correct functions written with explicit Python loops, by function name.

What a student who does not trust numpy's broadcasting yet writes: one element, one row
or one example at a time. Row and example loops keep the training loops that call
these functions fast enough to grade.
"""

from __future__ import annotations

LOOPED = {
    "sigmoid": '''def sigmoid(x):
    flat = np.ravel(x)
    out = np.empty(flat.shape)
    for i in range(flat.size):
        out[i] = 1 / (1 + np.exp(-flat[i]))
    return out.reshape(np.shape(x))
''',
    "init_synapses": '''def init_synapses(n_inputs, hidden_dim, seed=1):
    np.random.seed(seed)
    synapses = []
    for rows, cols in ((n_inputs, hidden_dim), (hidden_dim, 1)):
        synapses.append(random_synapse(rows, cols))
    return synapses[0], synapses[1]
''',
    "forward_two_layer": '''def forward_two_layer(layer_0, synapse_0):
    rows = []
    for example in layer_0:
        rows.append(sigmoid(np.dot(example, synapse_0)))
    return np.array(rows)
''',
    "forward": '''def forward(layer_0, synapse_0, synapse_1):
    layers = [layer_0]
    for synapse in (synapse_0, synapse_1):
        layers.append(sigmoid(np.dot(layers[-1], synapse)))
    return layers[1], layers[2]
''',
    "sigmoid_output_to_derivative": '''def sigmoid_output_to_derivative(output):
    flat = np.ravel(output)
    slope = np.empty(flat.shape)
    for i in range(flat.size):
        slope[i] = flat[i] * (1 - flat[i])
    return slope.reshape(np.shape(output))
''',
    "output_error": '''def output_error(layer_2, y):
    error = np.empty(np.shape(layer_2))
    for example in range(len(layer_2)):
        error[example] = layer_2[example] - y[example]
    return error
''',
    "output_delta": '''def output_delta(layer_2_error, layer_2):
    delta = np.empty(np.shape(layer_2))
    for example in range(len(layer_2)):
        delta[example] = layer_2_error[example] * sigmoid_output_to_derivative(layer_2[example])
    return delta
''',
    "hidden_delta": '''def hidden_delta(layer_2_delta, synapse_1, layer_1):
    layer_1_delta = np.empty(np.shape(layer_1))
    for unit in range(synapse_1.shape[0]):
        share = layer_2_delta[:, 0] * synapse_1[unit, 0]
        layer_1_delta[:, unit] = share * sigmoid_output_to_derivative(layer_1[:, unit])
    return layer_1_delta
''',
    "weight_gradients": '''def weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta):
    synapse_0_derivative = np.zeros((layer_0.shape[1], layer_1_delta.shape[1]))
    synapse_1_derivative = np.zeros((layer_1.shape[1], layer_2_delta.shape[1]))
    for example in range(len(layer_0)):
        synapse_0_derivative += np.outer(layer_0[example], layer_1_delta[example])
        synapse_1_derivative += np.outer(layer_1[example], layer_2_delta[example])
    return synapse_0_derivative, synapse_1_derivative
''',
    "mean_abs_error": '''def mean_abs_error(layer_2_error):
    total = 0.0
    values = np.ravel(layer_2_error)
    for value in values:
        total += abs(value)
    return float(total / values.size)
''',
    "alpha_sweep": '''def alpha_sweep(X, y, alphas=ALPHAS, hidden_dim=4, iterations=ITERATIONS, seed=1):
    sweep = {}
    for alpha in alphas:
        synapse_0, synapse_1, errors = train(X, y, alpha, hidden_dim, iterations, seed)
        sweep[alpha] = errors
    return sweep
''',
    "direction_changes": '''def direction_changes(weight_update, prev_weight_update):
    changes = np.zeros(np.shape(weight_update), dtype=int)
    for row in range(len(weight_update)):
        now = (weight_update[row] > 0).astype(int)
        before = (prev_weight_update[row] > 0).astype(int)
        changes[row] = np.abs(now - before)
    return changes
''',
    "total_direction_changes": '''def total_direction_changes(X, y, alphas, iterations):
    totals = {}
    for alpha in alphas:
        counts = train_counting_directions(X, y, alpha, iterations=iterations)[2:]
        total = 0
        for count in counts:
            for value in np.ravel(count):
                total += int(value)
        totals[alpha] = total
    return totals
''',
    "hidden_size_sweep": '''def hidden_size_sweep(X, y, alpha, hidden_sizes=HIDDEN_SIZES, iterations=ITERATIONS, seed=1):
    sweep = {}
    for size in hidden_sizes:
        sweep[size] = train(X, y, alpha, size, iterations, seed)[2]
    return sweep
''',
    "iterations_to_reach": '''def iterations_to_reach(errors, target):
    for j, error in enumerate(errors):
        if error < target:
            return j
    return None
''',
}
