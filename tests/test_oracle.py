"""Does the oracle reproduce every number the post prints?

Exact to the printed digits where the computation is numerically stable; where
it is chaotic, a property the post describes plus a test that shows the drift,
so no tolerance gets loosened to hide it.
"""

import blog_printed as blog
import numpy as np
import pytest

from solutions import make_reference, network

STABLE = ["0.001", "0.01", "0.1", "1", "10"]


@pytest.fixture(scope="module")
def reference():
    """Every experiment of the post, run once for this module (about 40 s)."""
    return make_reference.build()


def printed(value: float) -> str:
    """A float as Python 2's ``str`` printed it in the post: 12 significant digits."""
    return "%.12g" % value


def test_two_layer_output_matches_the_post(reference):
    got = np.array(reference["two_layer"]["output"]).ravel()
    assert [f"{v:.8f}" for v in got] == blog.TWO_LAYER_OUTPUT


@pytest.mark.parametrize("alpha", STABLE + ["1000"])
def test_alpha_sweep_errors_match_every_printed_digit(reference, alpha):
    got = reference["alpha_sweep"]["runs"][alpha]["errors"]
    assert [printed(e) for e in got] == blog.ALPHA_SWEEP_ERRORS[alpha]


def test_alpha_100_errors_agree_to_ten_digits_but_not_twelve(reference):
    """With alpha 100 the weights swing hard; the 11th-12th digits depend on rounding."""
    got = np.array(reference["alpha_sweep"]["runs"]["100"]["errors"])
    want = np.array(blog.ALPHA_SWEEP_ERRORS["100"], dtype=float)
    assert np.allclose(got, want, rtol=1e-9, atol=0)
    assert [printed(e) for e in got] != blog.ALPHA_SWEEP_ERRORS["100"]  # the drift is real


@pytest.mark.parametrize("alpha", ["0.001", "0.01", "0.1", "1", "100", "1000"])
def test_32_unit_sweep_matches_every_printed_digit(reference, alpha):
    got = reference["alpha_sweep_32"]["runs"][alpha]["errors"]
    assert [printed(e) for e in got] == blog.ALPHA_SWEEP_32_ERRORS[alpha]


def test_32_units_alpha_10_is_chaotic_so_only_its_shape_is_checked(reference):
    """Summation order changes this run's error in the 3rd significant digit (BLAS vs loop)."""
    got = np.array(reference["alpha_sweep_32"]["runs"]["10"]["errors"])
    want = np.array(blog.ALPHA_SWEEP_32_ERRORS["10"], dtype=float)
    assert printed(got[0]) == blog.ALPHA_SWEEP_32_ERRORS["10"][0]  # the same start...
    assert np.all(np.diff(got) < 0)  # ...falling all the way, as the post shows,
    assert 0.0005 < got[-1] < 0.001  # to its "best error ... 0.0009",
    assert got[-1] < reference["alpha_sweep"]["runs"]["10"]["errors"][-1]  # better than 4 units.
    drift = np.abs(got[1:] - want[1:]) / want[1:]
    assert np.all(drift > 1e-5) and np.all(drift < 1e-2)  # measurably different, same story


@pytest.mark.parametrize("alpha", blog.ALPHAS)
def test_direction_counts_match_the_post_exactly(reference, alpha):
    run = reference["direction_counting"]["runs"][alpha]
    for name in ("synapse_0_direction_count", "synapse_1_direction_count"):
        assert np.array_equal(np.array(run[name]), np.array(blog.DIRECTION_COUNTING[alpha][name], dtype=float))


@pytest.mark.parametrize("alpha", STABLE)
def test_final_synapses_match_the_post_to_eight_decimals(reference, alpha):
    run = reference["direction_counting"]["runs"][alpha]
    for name in ("synapse_0", "synapse_1"):
        got = np.round(np.array(run[name]), 8)
        assert np.array_equal(got, np.array(blog.DIRECTION_COUNTING[alpha][name], dtype=float)), name


@pytest.mark.parametrize(("alpha", "band"), [("100", 1e-5), ("1000", 1e-2)])
def test_final_synapses_drift_for_huge_alphas(reference, alpha, band):
    """Large steps amplify rounding: the 5th-7th digits of the final weights move."""
    run = reference["direction_counting"]["runs"][alpha]
    got = np.concatenate([np.ravel(run["synapse_0"]), np.ravel(run["synapse_1"])])
    want = np.concatenate([np.ravel(np.array(blog.DIRECTION_COUNTING[alpha][n], dtype=float))
                           for n in ("synapse_0", "synapse_1")])
    difference = np.abs(np.round(got, 8) - want)
    assert difference.max() < band  # still the post's weights...
    assert difference.max() > 1e-8  # ...but not to every printed digit


def test_huge_alpha_gets_stuck_at_one_half(reference):
    for key in ("alpha_sweep", "alpha_sweep_32"):
        assert reference[key]["runs"]["1000"]["errors"][1:] == [0.5] * 5


def test_hidden_size_sweep_matches_the_student_notebooks_correct_cell(reference):
    for size, errors in blog.STUDENT_HIDDEN_SIZE_SWEEP.items():
        got = reference["hidden_size_sweep"]["runs"][size]["errors"][: len(errors)]
        assert [printed(e) for e in got] == errors


def test_reference_file_is_up_to_date_with_the_oracle(reference):
    on_disk = make_reference.load()
    for data in (on_disk, reference):
        data.pop("numpy_version")
    assert on_disk == reference, "run `make reference` to regenerate solutions/reference_outputs.json"


def test_thirteen_lines_agree_with_the_step_by_step_network():
    compact = network.thirteen_line_network(network.X, network.y, 0.5, 4, 3000)
    synapse_0, synapse_1, _ = network.train(network.X, network.y, 0.5, 4, 3000)
    assert np.array_equal(compact[0], synapse_0)
    assert np.array_equal(compact[1], synapse_1)


def test_error_trace_holds_one_error_per_iteration_before_each_update():
    _, _, errors = network.train(network.X, network.y, 1, iterations=5)
    layer_2 = network.forward(network.X, *network.init_synapses(3, 4, 1))[1]
    assert errors.shape == (5,)
    assert errors[0] == network.mean_abs_error(layer_2 - network.y)


BAD_CALLS = [
    (lambda: network.forward(network.X, np.ones((2, 4)), np.ones((4, 1))), "`synapse_0` has 2 along axis 0"),
    (lambda: network.forward(network.X, np.ones((3, 4)), np.ones(4)), "`synapse_1` must be 2-D"),
    (lambda: network.train(network.X, network.y, 1, hidden_dim=0), "`hidden_dim` must be at least 1"),
    (lambda: network.train(network.X, network.y, 1, iterations=-5), "`iterations` must be at least 1"),
    (lambda: network.train(network.X, network.y, 1, iterations=2.5), "`iterations` must be a whole number"),
    (lambda: network.train(network.X, network.y, 0), "`alpha` must be positive"),
    (lambda: network.train(network.X, network.y, float("nan")), "`alpha` must be positive and finite"),
    (lambda: network.train([["a", "b"]], network.y, 1), "`X` must hold numbers"),
    (lambda: network.train([[1, 2], [3]], network.y, 1), "`X` must be a numeric array"),
    (lambda: network.train(network.X, network.y[:3], 1), "`y` has 3 along axis 0"),
    (lambda: network.train(network.X * np.nan, network.y, 1), "`X` must be finite"),
    (lambda: network.alpha_sweep(network.X, network.y, []), "`alphas` must list at least one value"),
    (lambda: network.hidden_size_sweep(network.X, network.y, 1, [4, 0]), "`hidden_sizes` must be at least 1"),
    (lambda: network.init_synapses(3, 4, seed=-1), "`seed` must be at least 0"),
    (lambda: network.sigmoid("x"), "`x` must hold numbers"),
    (lambda: network.iterations_to_reach([0.5, 0.1], 0), "`target` must be positive"),
]


@pytest.mark.parametrize(("bad_call", "message"), BAD_CALLS)
def test_bad_input_raises_a_value_error_naming_the_argument(bad_call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bad_call()
