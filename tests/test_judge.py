"""Does the judge decide on plain data only, swap helpers only for steps that failed, and never be fooled?"""

import numpy as np
import pytest

from from_memory.judge import checks, mutants
from from_memory.judge.session import Refused, Session
from from_memory.kernel import wire
from solutions import network


def student(step, source=None):
    """``step`` as a student's notebook defines it (the reference's source unless ``source``)."""
    return mutants.compile_function(step, source or mutants.oracle_source(step), "<notebook>")


def compiled(code, name, **namespace):
    scope = {"np": np, "__name__": "__main__", **namespace}
    exec(compile(code, "<notebook>", "exec"), scope)
    return scope[name]


# -- plain data across the boundary -----------------------------------------------------------


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), bool)

    def __sub__(self, other):
        return np.zeros(np.shape(self))

    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(1)


class LyingFloat(float):
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0.0


@pytest.mark.parametrize("value", [
    None, True, 3, 2.5, float("nan"), "text", [1, 2.0], (1, (2, 3)), {0.1: np.arange(3.0), 4: None},
    np.arange(6).reshape(2, 3), np.float64(1.5), np.float32(2.0), np.array([[1.0]], dtype=np.float32),
])
def test_plain_values_cross_unchanged(value):
    back = wire.unpack(wire.pack({"v": value}))["v"]
    assert type(back) is type(value) or isinstance(value, float) and np.isnan(value)
    if isinstance(value, np.ndarray | np.generic):
        assert back.dtype == value.dtype
        assert np.array_equal(back, value)


@pytest.mark.parametrize(("value", "kind"), [
    (np.arange(3.0).view(LyingArray), "a subclass of numpy.ndarray"),
    (LyingFloat(0.5), "a subclass of float"),
    (np.array([1, "a"], dtype=object), "an array of dtype object"),
    (np.array(["a", "b"]), "an array of dtype <U1"),
    (1 + 2j, ""),
    (object(), ""),
])
def test_values_that_are_not_plain_data_arrive_as_a_description(value, kind):
    back = wire.plain(value)
    assert isinstance(back, wire.Foreign)
    assert back.kind == kind


def test_arrays_are_read_without_pickle_and_writable():
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.decode({"$array": 0}, [buffer.getvalue()])
    assert wire.plain(np.zeros(3)).flags.writeable


@pytest.mark.parametrize("tree", [{"$array": 5}, {"$nope": 1}, {"a": 1, "b": 2}, {"$float": "x"}])
def test_malformed_messages_are_refused(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree, [])


# -- results that lie ---------------------------------------------------------------------------


# As a student's notebook would define them (their module is __main__).
LIARS = """
class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), bool)
    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(1)
class LyingFloat(float):
    def __eq__(self, other):
        return True
"""


@pytest.mark.parametrize(("step", "code", "message"), [
    ("sigmoid", "def sigmoid(x):\n    return (1 / (1 + np.exp(-x))).view(LyingArray)\n",
     "`sigmoid`'s result should be a plain numpy array (what numpy operations return), got "
     "LyingArray (a subclass of numpy.ndarray)."),
    ("mean_abs_error", "def mean_abs_error(e):\n    return LyingFloat(0.0)\n",
     "`mean_abs_error`'s result should be a number, got LyingFloat (a subclass of float)."),
    ("sigmoid", "def sigmoid(x):\n    return np.array(1 / (1 + np.exp(-x)), dtype=object)\n",
     "`sigmoid`'s result should hold numbers, got dtype object."),
    ("sigmoid", "def sigmoid(x):\n    return (1 / (1 + np.exp(-x))).astype(np.float32)\n",
     "`sigmoid`'s result is float32: compute in float64"),
    ("mean_abs_error", "def mean_abs_error(e):\n    return np.float32(np.mean(np.abs(e)))\n",
     "`mean_abs_error`'s result is float32: compute in float64"),
])
def test_results_that_are_not_plain_float64_fail_with_a_clear_message(step, code, message):
    verdict = checks.run_step(step, compiled(LIARS + code, step))
    assert not verdict.passed
    assert verdict.message.startswith(message), verdict.message


def test_numpy_float64_scalars_are_honest_numbers():
    verdict = checks.run_step("mean_abs_error", compiled(
        "def mean_abs_error(e):\n    return np.mean(np.abs(e))\n", "mean_abs_error"))
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("code", [
    "def output_delta(layer_2_error, layer_2):\n    layer_2_error *= layer_2 * (1 - layer_2)\n    return layer_2_error\n",
    "def output_delta(layer_2_error, layer_2):\n    np.multiply(layer_2_error, layer_2 * (1 - layer_2), out=layer_2_error)\n"
    "    return layer_2_error\n",
    "def output_delta(layer_2_error, layer_2):\n    d = layer_2_error * layer_2 * (1 - layer_2)\n    layer_2[:] = 0\n    return d\n",
])
def test_a_step_that_changes_its_inputs_fails_saying_so(code):
    verdict = checks.run_step("output_delta", compiled(code, "output_delta"))
    assert not verdict.passed
    assert "in place" in verdict.message.splitlines()[0], verdict.message


# -- no double penalty, and nothing more -----------------------------------------------------------


def train_with(**helpers):
    namespace = {name: student(name) for name in (
        "init_synapses", "random_synapse", "forward", "output_error", "mean_abs_error", "output_delta",
        "hidden_delta", "weight_gradients", "sigmoid", "sigmoid_output_to_derivative")}
    namespace.update(helpers)
    train = student("train")
    return type(train)(train.__code__, {**train.__globals__, **namespace}, "train", train.__defaults__)


def test_a_loop_over_a_broken_step_is_retried_only_when_that_step_failed_its_own_check():
    broken = mutants.by_slug("forward__no_output_sigmoid").function
    train = train_with(forward=broken)
    assert not checks.run_step("train", train).passed  # forward not known to have failed: train's own fault
    verdict = checks.run_step("train", train, failed={"forward"})
    assert verdict.passed, verdict.message
    assert "`forward`" in verdict.message
    assert "only `forward` loses points" in verdict.message


def test_a_loop_that_breaks_its_helpers_is_not_saved_by_the_retry():
    """A helper that changes its inputs fails its own check; the loop is graded on its own."""
    mutating = compiled("def output_delta(layer_2_error, layer_2):\n"
                        "    layer_2_error *= layer_2 * (1 - layer_2)\n    return layer_2_error\n", "output_delta")
    assert not checks.run_step("output_delta", mutating).passed
    train = train_with(output_delta=mutating)
    # Swapping it for the reference is allowed now, and the loop itself is right.
    assert checks.run_step("train", train, failed={"output_delta"}).passed


def test_the_function_under_test_is_never_swapped_for_the_reference():
    calls_itself = compiled("def hidden_delta(layer_2_delta, synapse_1, layer_1):\n"
                            "    return hidden_delta(layer_2_delta, synapse_1, layer_1)\n", "hidden_delta")
    verdict = checks.run_step("hidden_delta", calls_itself, failed={"hidden_delta"})
    assert not verdict.passed
    assert "RecursionError" in verdict.message


def test_only_the_steps_a_check_may_lean_on_are_swapped():
    """`sigmoid` may lean on nothing: a failed `forward` it calls is not swapped in for the reference's."""
    broken = mutants.by_slug("forward__no_hidden_sigmoid").function
    leans = compiled("def sigmoid(x):\n    return forward(np.eye(x.size), x.reshape(-1, 1), np.ones((1, 1)))[0]"
                     ".reshape(x.shape)\n", "sigmoid", forward=broken)
    assert checks.STEPS["sigmoid"].helpers == frozenset()
    assert not checks.run_step("sigmoid", leans, failed={"forward"}).passed


def test_the_capstone_is_never_swapped():
    assert checks.STEPS["thirteen_line_network"].helpers == frozenset()
    wrong_sigmoid = compiled("def sigmoid(x):\n    return 1 / (1 + np.exp(x))\n", "sigmoid")
    capstone = compiled(
        "def thirteen_line_network(X, y, alpha=0.5, hidden_dim=4, iterations=60000, seed=1):\n"
        "    np.random.seed(seed)\n"
        "    s0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1\n"
        "    s1 = 2 * np.random.random((hidden_dim, 1)) - 1\n"
        "    for _ in range(iterations):\n"
        "        l1 = sigmoid(np.dot(X, s0))\n"
        "        l2 = sigmoid(np.dot(l1, s1))\n"
        "        d2 = (l2 - y) * (l2 * (1 - l2))\n"
        "        d1 = d2.dot(s1.T) * (l1 * (1 - l1))\n"
        "        s1 -= alpha * l1.T.dot(d2)\n"
        "        s0 -= alpha * X.T.dot(d1)\n"
        "    return s0, s1, l2\n", "thirteen_line_network", sigmoid=wrong_sigmoid)
    verdict = checks.run_step("thirteen_line_network", capstone, failed={"sigmoid"})
    assert not verdict.passed
    assert "your forward pass (`layer_2` of the first iteration) differs" in verdict.message


@pytest.mark.parametrize(("slug", "located"), [
    ("thirteen_line_network__no_seed", "your initial weights (the seed, the order of the draws) differ."),
    ("thirteen_line_network__plus_equals", "your `layer_2_delta` (the update of `synapse_1`) differs "
     "(it has the opposite sign"),
    ("thirteen_line_network__precedence", "your `layer_2_delta` (the update of `synapse_1`) matches; "
     "your `layer_1_delta` (the update of `synapse_0`) differs."),
])
def test_a_wrong_capstone_is_located_step_by_step(slug, located):
    verdict = checks.run_step("thirteen_line_network", mutants.by_slug(slug).function)
    assert not verdict.passed
    assert located in verdict.message, verdict.message


# -- the session: who may ask for what --------------------------------------------------------


def test_under_the_engine_a_check_runs_only_in_its_own_test_cell():
    session = Session(enforce=True)
    with pytest.raises(Refused):
        session.spec("forward")
    session.expect({"forward"})
    assert session.spec("forward")["function"] == "forward"
    with pytest.raises(Refused):
        session.spec("sigmoid")


def test_reference_helpers_are_served_only_for_failed_steps_the_check_leans_on():
    session = Session(enforce=True)
    session.expect({"train"})
    assert session.spec("train")["swap"] == []
    with pytest.raises(Refused):
        session.helper("train", "forward", [network.X, np.zeros((3, 4)), np.zeros((4, 1))])
    session.verdicts["forward"] = checks.Verdict("forward", False)
    session.verdicts["hidden_delta"] = checks.Verdict("hidden_delta", False)
    assert session.spec("train")["swap"] == ["forward", "hidden_delta"]
    layer_1, layer_2 = session.helper("train", "forward", [network.X, np.zeros((3, 4)), np.zeros((4, 1))])
    assert np.allclose(layer_2, 0.5)
    with pytest.raises(Refused):
        session.helper("train", "train", [network.X, network.y, 1.0])


def test_the_first_record_of_a_test_cell_counts():
    session = Session(enforce=True)
    session.expect({"sigmoid"})
    spec = session.spec("sigmoid")
    wrong = {"runs": [[{"value": np.zeros(np.shape(c["x"])), "mutated": []} for c in spec["calls"]]]}
    assert not session.record("sigmoid", wrong).passed
    right = {"runs": [[{"value": network.sigmoid(c["x"]), "mutated": []} for c in spec["calls"]]]}
    assert not session.record("sigmoid", right).passed
