"""Does every check accept the oracle, reject each catalogued mistake by name, and speak clearly?"""

import matplotlib
import nbformat
import numpy as np
import pytest
from student_code import PASSES, STUDENT_CODE

from from_memory import kernel
from from_memory.judge import checks, mutants, mutation
from from_memory.kernel.compare import StepFailed
from solutions import network

matplotlib.use("Agg")
GRADED = [*checks.STEPS, *checks.PLOTS]


def student_version(step):
    """The oracle's code for ``step`` as a student's notebook would hold it."""
    return mutants.compile_function(step, mutants.oracle_source(step), "<notebook>")


@pytest.mark.parametrize("step", GRADED)
def test_check_accepts_the_oracles_own_code(step, capsys):
    assert getattr(kernel, f"check_{step}")(student_version(step)) is None  # no output for nbgrader to score
    assert capsys.readouterr().out.strip().startswith(f"`{step}`")


@pytest.mark.parametrize("mutant", mutants.CATALOG, ids=lambda m: m.slug)
def test_check_rejects_mutant_and_names_it(mutant):
    outcome = mutation.grade(mutant)
    assert outcome.killed, f"{mutant.slug} survived its check"
    assert "course kit" not in outcome.message  # failed on its behaviour, not on integrity
    assert outcome.named, f"{mutant.slug} was not named: {outcome.message}"
    assert mutant.hint in outcome.message


def test_catalog_covers_every_graded_step_with_unique_slugs():
    slugs = [m.slug for m in mutants.CATALOG]
    assert len(slugs) == len(set(slugs)) >= 40
    assert {m.step for m in mutants.CATALOG} == set(GRADED)
    assert not set(mutants.REMOVED) & set(slugs)


def graded_functions_of_the_course() -> dict[str, set]:
    """``{function: the course's cells grading it}``, read from the test cells of the source notebooks."""
    graded: dict[str, set] = {}
    for path in sorted(mutation.SOURCE.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for name in checks.test_cell_checks(cell):
                graded.setdefault(checks.function_of(name), set()).add(
                    f"{path.stem}/{cell.metadata.nbgrader.grade_id}")
    return graded


def test_every_graded_function_of_the_course_has_at_least_three_mutants():
    graded = graded_functions_of_the_course()
    drills = {cell for cells in graded.values() for cell in cells if "/test_recall_" in cell}
    assert graded, "no hidden test found in the course's notebooks"
    assert drills, "no recall drill found among them"
    counts = {function: len(mutants.for_step(function)) for function in graded}
    thin = {function: count for function, count in counts.items() if count < 3}
    assert thin == {}, f"graded functions with fewer than 3 catalogued mistakes: {thin}"


@pytest.mark.parametrize("name", checks.PROPERTIES)
def test_capstone_property_accepts_the_oracle(name, capsys):
    getattr(kernel, f"check_{name}")(student_version("thirteen_line_network"))
    assert capsys.readouterr().out.startswith("`thirteen_line_network` ")


@pytest.mark.parametrize(("slug", "name", "message"), [
    ("thirteen_line_network__no_transpose", "thirteen_line_network_runs", "`thirteen_line_network` raised ValueError"),
    ("thirteen_line_network__plus_equals", "thirteen_line_network_learns",
     "`thirteen_line_network` does not learn the post's data"),
    ("thirteen_line_network__no_seed", "thirteen_line_network_respects_settings",
     "`thirteen_line_network` ignores `seed`"),
    ("thirteen_line_network__precedence", "thirteen_line_network_respects_settings",
     "`thirteen_line_network` ignores `alpha`"),
])
def test_capstone_properties_catch_whole_network_mistakes(slug, name, message):
    mutant = next(m for m in mutants.CATALOG if m.slug == slug)
    verdict = checks.run_step(name, mutant.function)
    assert not verdict.passed
    assert verdict.message.startswith(message)
    assert verdict.mistake == slug


def test_catalog_includes_both_real_bugs_of_the_seed_notebook():
    slugs = {m.slug for m in mutants.CATALOG}
    assert {"hidden_delta__precedence", "train_counting_directions__updates_inside_if"} <= slugs


def test_updates_inside_if_mutant_reproduces_what_the_seed_student_printed():
    import blog_printed as blog

    mutant = next(m for m in mutants.CATALOG if m.slug == "train_counting_directions__updates_inside_if")
    synapse_0, _, count_0, _ = mutant.function(network.X, network.y, 0.001, 4, 60000, 1)
    want = blog.STUDENT_UPDATES_INSIDE_IF
    assert np.array_equal(np.round(synapse_0, 8), np.array(want["synapse_0"], dtype=float))
    assert np.array_equal(count_0, np.array(want["synapse_0_direction_count"], dtype=float))


def test_mutants_are_edits_of_the_oracle_source():
    for mutant in mutants.CATALOG:
        assert mutant.source != mutants.oracle_source(mutant.step)


def test_diagnosis_names_at_least_80_percent_of_the_catalog():
    outcomes = mutation.score()
    named = sum(o.named for o in outcomes)
    print(f"diagnosed: {named}/{len(outcomes)} named")
    assert named / len(outcomes) >= 0.8


def _compile_student(code, extra=None):
    namespace = {"np": np, "__name__": "__main__", **(extra or {})}
    for step in ("sigmoid", "sigmoid_output_to_derivative"):
        namespace.setdefault(step, student_version(step))
    exec(compile(code, "<student notebook>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name", STUDENT_CODE)
def test_hand_written_student_code_gets_the_expected_diagnosis(name):
    step, expected, code = STUDENT_CODE[name]
    verdict = checks.run_step(step, _compile_student(code)[step])
    if expected == PASSES:
        assert verdict.passed, verdict.message
    else:
        assert not verdict.passed
        assert verdict.mistake == expected, verdict.message


def test_a_wrong_earlier_step_costs_only_its_own_points():
    """`train` calling a broken `forward` still passes: forward loses points once, in its own check."""
    broken_forward = next(m for m in mutants.CATALOG if m.slug == "forward__no_output_sigmoid").function
    namespace = _compile_student("", {"forward": broken_forward})
    namespace.update({name: student_version(name) for name in
                      ("init_synapses", "output_error", "mean_abs_error", "output_delta", "hidden_delta",
                       "weight_gradients", "random_synapse")})
    train = mutants.compile_function("train", mutants.oracle_source("train"), "<notebook>")
    train = type(train)(train.__code__, namespace, "train", train.__defaults__)
    assert not checks.run_step("forward", broken_forward).passed
    assert checks.run_step("train", train, failed={"forward"}).passed


WORDING = [
    ("forward", '''
def forward(layer_0, synapse_0, synapse_1):
    layer_1 = sigmoid(np.dot(layer_0, synapse_0))
    return layer_1, sigmoid(np.dot(layer_1, synapse_1)).ravel()
''', "`forward`'s `layer_2` has the wrong shape: got (7,), expected (7, 1) "
     "(a 1-D array where a column is needed: keep the second axis)."),
    ("sigmoid", '''
def sigmoid(x):
    return (1 / (1 + np.exp(-x))).tolist()
''', "`sigmoid`'s result should be a numpy array, got list."),
    ("forward", '''
def forward(layer_0, synapse_0, synapse_1):
    return sigmoid(np.dot(layer_0, synapse_0))
''', "`forward` should return 2 values (layer_1, layer_2), got ndarray."),
    ("output_delta", '''
def output_delta(layer_2_error, layer_2):
    return layer_2_error / (layer_2 - layer_2)
''', "`output_delta`'s result contains "),
    ("weight_gradients", '''
def weight_gradients(layer_0, layer_1, layer_1_delta, layer_2_delta):
    raise NotImplementedError()
''', "`weight_gradients` raised NotImplementedError"),
    ("mean_abs_error", '''
def mean_abs_error(layer_2_error):
    return "0.5"
''', "`mean_abs_error`'s result should be a number, got str."),
    ("alpha_sweep", '''
def alpha_sweep(X, y, alphas, hidden_dim=4, iterations=60000, seed=1):
    return [train(X, y, a, hidden_dim, iterations, seed)[2] for a in alphas]
''', "`alpha_sweep`'s result should be a dict, got list."),
]


@pytest.mark.parametrize(("step", "code", "message"), WORDING, ids=[w[2][:40] for w in WORDING])
def test_student_facing_wording(step, code, message):
    namespace = _compile_student(code, {"train": network.train})
    verdict = checks.run_step(step, namespace[step])
    assert not verdict.passed
    assert verdict.message.startswith(message), verdict.message


def test_imported_oracle_functions_are_refused():
    verdict = checks.run_step("forward", network.forward)
    assert not verdict.passed
    assert "your own function written in this notebook" in verdict.message


@pytest.mark.parametrize("thing", [None, np.sum, 3])
def test_things_that_are_not_notebook_functions_are_refused(thing):
    verdict = checks.run_step("sigmoid", thing)
    assert not verdict.passed
    assert verdict.message.startswith("`sigmoid`")


def test_failure_shows_only_the_message_not_the_checker_source():
    with pytest.raises(StepFailed) as failure:
        kernel.check_sigmoid(mutants.CATALOG[0].function)
    shown = "\n".join(failure.value._render_traceback_())
    assert shown.startswith("Check failed: `sigmoid`")
    assert "checks.py" not in shown
    assert "Traceback" not in shown


def test_checks_leave_the_global_random_state_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    checks.run_step("init_synapses", student_version("init_synapses"))
    checks.run_step("train", student_version("train"))
    assert np.array_equal(np.random.get_state()[1], before)


def test_plot_checks_close_the_figures_they_draw():
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    checks.run_step("plot_error_curves", student_version("plot_error_curves"))
    assert plt.get_fignums() == open_before


def test_a_step_that_changes_its_input_in_place_fails_saying_so():
    def sigmoid(x):
        result = 1 / (1 + np.exp(-x))
        x[...] = 0  # vandalises its argument
        return result

    sigmoid.__module__ = "__main__"
    verdict = checks.run_step("sigmoid", sigmoid)
    assert not verdict.passed
    assert verdict.message.startswith("`sigmoid` changes its argument `x` in place."), verdict.message


def test_graded_code_never_writes_to_the_test_cell(capfd):
    """nbgrader scores a test cell 0 if it writes to stderr: only the verdict may show."""

    def sigmoid(x):
        import sys
        import warnings

        print("debugging", x.shape)
        print("oops", file=sys.stderr)
        warnings.warn("a warning from the student's code", RuntimeWarning, stacklevel=1)
        return 1 / (1 + np.exp(-x))

    sigmoid.__module__ = "__main__"
    kernel.check_sigmoid(sigmoid)
    out, err = capfd.readouterr()
    assert out == "`sigmoid` matches the reference on 5 inputs.\n"
    assert err == ""


def test_a_failing_check_writes_nothing_to_stderr_either(capfd):
    mutant = next(m for m in mutants.CATALOG if m.slug == "plot_error_curves__no_labels")
    with pytest.raises(StepFailed):
        kernel.check_plot_error_curves(mutant.function)  # matplotlib warns about the empty legend
    assert capfd.readouterr().err == ""
