"""Hand-written student code, not generated from the catalog: does diagnosis work on real-looking code?

Each entry: the step, the code as a student might type it, and the expected outcome
(``"passes"`` or the catalog slug the message should name). Names follow outcomes.
"""

PASSES = "passes"

STUDENT_CODE = {
    "passes-forward-with-matmul-and-prints": ("forward", PASSES, '''
def forward(layer_0, synapse_0, synapse_1):
    hidden = 1.0 / (1.0 + np.exp(-(layer_0 @ synapse_0)))
    print("hidden layer:", hidden.shape)
    out = 1.0 / (1.0 + np.exp(-(hidden @ synapse_1)))
    return (hidden, out)
'''),
    "passes-train-written-inline": ("train", PASSES, '''
def train(X, y, alpha, hidden_dim=4, iterations=60000, seed=1):
    np.random.seed(seed)
    w0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1
    w1 = 2 * np.random.random((hidden_dim, 1)) - 1
    errs = []
    for it in range(iterations):
        l1 = 1 / (1 + np.exp(-np.dot(X, w0)))
        l2 = 1 / (1 + np.exp(-np.dot(l1, w1)))
        miss = l2 - y
        errs.append(np.mean(np.abs(miss)))
        d2 = miss * l2 * (1 - l2)
        d1 = d2.dot(w1.T) * l1 * (1 - l1)
        w1 -= alpha * l1.T.dot(d2)
        w0 -= alpha * X.T.dot(d1)
    return w0, w1, errs
'''),
    "fails-hidden-delta-precedence-as-typed-in-the-seeds": ("hidden_delta", "hidden_delta__precedence", '''
def hidden_delta(layer_2_delta, synapse_1, layer_1):
    return layer_2_delta.dot(synapse_1.T) * (layer_1 * 1-layer_1)
'''),
    "fails-counting-with-updates-inside-if-as-typed-in-the-seeds": (
        "train_counting_directions", "train_counting_directions__updates_inside_if", '''
def train_counting_directions(X, y, alpha, hidden_dim=4, iterations=60000, seed=1):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1
    synapse_1 = 2 * np.random.random((hidden_dim, 1)) - 1
    prev_synapse_0_weight_update = np.zeros_like(synapse_0)
    prev_synapse_1_weight_update = np.zeros_like(synapse_1)
    synapse_0_direction_count = np.zeros_like(synapse_0)
    synapse_1_direction_count = np.zeros_like(synapse_1)
    for iteration in range(iterations):
        layer_0 = X
        layer_1 = sigmoid(np.dot(layer_0, synapse_0))
        layer_2 = sigmoid(np.dot(layer_1, synapse_1))
        layer_2_error = y - layer_2
        layer_2_delta = layer_2_error * sigmoid_output_to_derivative(layer_2)
        layer_1_error = layer_2_delta.dot(synapse_1.T)
        layer_1_delta = layer_1_error * sigmoid_output_to_derivative(layer_1)
        synapse_1_weight_update = (layer_1.T.dot(layer_2_delta))
        synapse_0_weight_update = (layer_0.T.dot(layer_1_delta))
        if iteration > 0:
            synapse_0_direction_count += abs(((synapse_0_weight_update > 0) + 0) - ((prev_synapse_0_weight_update > 0) + 0))
            synapse_1_direction_count += abs(((synapse_1_weight_update > 0) + 0) - ((prev_synapse_1_weight_update > 0) + 0))

            synapse_1 += alpha * synapse_1_weight_update
            synapse_0 += alpha * synapse_0_weight_update

            prev_synapse_0_weight_update = synapse_0_weight_update
            prev_synapse_1_weight_update = synapse_1_weight_update
    return synapse_0, synapse_1, synapse_0_direction_count, synapse_1_direction_count
'''),
    "fails-output-error-with-target-first": ("output_error", "output_error__sign", '''
def output_error(layer_2, y):
    error = y - layer_2   # how much did we miss?
    return error
'''),
    "fails-sigmoid-with-exp-of-x": ("sigmoid", "sigmoid__missing_minus", '''
def sigmoid(x):
    return 1.0/(1.0+np.exp(x))
'''),
    "fails-forward-without-output-sigmoid-using-matmul": ("forward", "forward__no_output_sigmoid", '''
def forward(layer_0, synapse_0, synapse_1):
    l1 = sigmoid(layer_0 @ synapse_0)
    l2 = l1 @ synapse_1
    return l1, l2
'''),
    "fails-inline-train-that-climbs-the-error": ("train", "train__plus_equals", '''
def train(X, y, alpha, hidden_dim=4, iterations=60000, seed=1):
    np.random.seed(seed)
    w0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1
    w1 = 2 * np.random.random((hidden_dim, 1)) - 1
    errs = np.zeros(iterations)
    for it in range(iterations):
        l1 = sigmoid(X.dot(w0))
        l2 = sigmoid(l1.dot(w1))
        errs[it] = np.mean(np.abs(l2 - y))
        d2 = (l2 - y) * l2 * (1 - l2)
        d1 = d2.dot(w1.T) * l1 * (1 - l1)
        w1 += alpha * l1.T.dot(d2)
        w0 += alpha * X.T.dot(d1)
    return w0, w1, errs
'''),
    "fails-derivative-missing-parentheses": ("sigmoid_output_to_derivative",
                                             "sigmoid_output_to_derivative__precedence", '''
def sigmoid_output_to_derivative(output):
    slope = output*1-output
    return slope
'''),
    "fails-first-below-counted-from-one": ("iterations_to_reach", "iterations_to_reach__counts_from_one", '''
def iterations_to_reach(errors, target):
    for count, error in enumerate(errors, start=1):
        if error < target:
            return count
    return None
'''),
}
