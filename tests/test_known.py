"""Does the small case of a test cell speak as the hidden test does, and stay out of grading?"""

import matplotlib
import numpy as np
import pytest

from from_memory.course.report import message_kind
from from_memory.judge import checks, mutants
from from_memory.kernel import compare, known
from from_memory.kernel.compare import StepFailed
from from_memory.kernel.known import expect, expect_lines
from solutions import network

matplotlib.use("Agg")
SEED_PRECEDENCE = next(m for m in mutants.CATALOG if m.slug == "hidden_delta__precedence")
SMALL = (np.array([[0.1], [-0.2]]), np.array([[0.5], [-1.0], [0.25]]), np.array([[0.2, 0.5, 0.9], [0.7, 0.4, 0.1]]))


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def failure(*args, **kwargs) -> str:
    with pytest.raises(StepFailed) as raised:
        expect(*args, **kwargs)
    return str(raised.value)


def test_a_right_answer_prints_one_line(capsys):
    expect(network.hidden_delta, SMALL, network.hidden_delta(*SMALL).tolist())
    assert capsys.readouterr().out == "`hidden_delta` gives the stated answer on the small case.\n"


def test_the_seed_notebooks_precedence_bug_gets_the_hidden_tests_message():
    message = failure(SEED_PRECEDENCE.function, SMALL, network.hidden_delta(*SMALL).tolist())
    first, second = message.splitlines()
    assert first == (
        "`hidden_delta`'s result has wrong values: first difference at index [0, 0]: "
        "got 0, expected 0.008 (largest difference 0.048)."
    )
    assert second == known.SMALL_CASE
    hidden = checks.run_step("hidden_delta", SEED_PRECEDENCE.function).message.splitlines()[0]
    assert message_kind(first) == message_kind(hidden)


def test_several_results_are_named_as_the_hidden_test_names_them():
    layer_0, synapse_0, synapse_1 = np.array([[0, 1, 1], [1, 0, 1]]), np.full((3, 2), 0.5), np.ones((2, 1))
    layer_1, layer_2 = network.forward(layer_0, synapse_0, synapse_1)
    swapped = next(m for m in mutants.CATALOG if m.slug == "forward__returns_swapped").function
    message = failure(swapped, (layer_0, synapse_0, synapse_1), layer_1=layer_1.tolist(), layer_2=layer_2.tolist())
    assert message.startswith("`forward`'s `layer_1` has the wrong shape: got (2, 1), expected (2, 2)")
    one = failure(lambda *a: layer_2, (layer_0, synapse_0, synapse_1), layer_1=[[0]], layer_2=[[0]])
    assert one.startswith("`<lambda>` should return 2 values (layer_1, layer_2), got ndarray.")


@pytest.mark.parametrize(("got", "expected", "start"), [
    (None, 4, "`f`'s result should be 4, got None."),
    (3, 4, "`f`'s result has the wrong value: got 3, expected 4."),
    ({0.5: np.zeros(2)}, {0.5: [0.0, 1.0]}, "`f`'s result[0.5] has wrong values: first difference at index [1]"),
    ([0.5, 0.4], [0.5, 0.4], None),  # an error trace kept in a list, as the hidden test allows
    (np.zeros(3), [[0.0], [0.0], [0.0]], "`f`'s result has the wrong shape: got (3,), expected (3, 1) (a 1-D"),
])
def test_every_kind_of_result_is_compared_by_the_hidden_tests_compare(got, expected, start):
    def f():
        return got

    if start is None:
        expect(f, (), expected)
        return
    assert failure(f, (), expected).startswith(start)


def test_under_the_autograder_the_small_case_is_not_even_run(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def broken(*args):
        raise NameError("name 'sigmoid' is not defined")  # a recalled helper left blank

    assert expect(broken, SMALL, [[0.0]]) is None
    assert expect_lines(broken, ({},), {}, "iteration", "error") is None
    assert capsys.readouterr().out == ""


def test_validate_runs_the_small_case(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    with pytest.raises(StepFailed):
        expect(SEED_PRECEDENCE.function, SMALL, network.hidden_delta(*SMALL).tolist())


def test_a_function_that_raises_shows_its_own_error():
    def hidden_delta(*args):
        return undefined_helper(*args)  # noqa: F821

    with pytest.raises(NameError):
        expect(hidden_delta, SMALL, [[0.0]])


def test_expect_takes_one_answer():
    with pytest.raises(TypeError):
        expect(network.sigmoid, (np.zeros(2),), [0.5, 0.5], output=[0.5, 0.5])


@pytest.mark.filterwarnings("ignore:No artists with labels:UserWarning")  # the unlabelled mutant's legend
def test_figures_are_checked_by_their_lines_and_axis_labels():
    import matplotlib.pyplot as plt

    from solutions import plots

    sweep = {0.5: np.array([0.5, 0.4]), 5: np.array([0.5, 0.1])}
    lines = {"alpha=0.5": [0.5, 0.4], "alpha=5": [0.5, 0.1]}
    plt.close(expect_lines(plots.plot_error_curves, (sweep,), lines, "iteration", "error"))
    unlabelled = next(m for m in mutants.CATALOG if m.slug == "plot_error_curves__no_labels").function
    with pytest.raises(StepFailed, match="draws no line labelled `alpha=0.5`"):
        expect_lines(unlabelled, (sweep,), lines, "iteration", "error")
    with pytest.raises(StepFailed, match="The line `alpha=5` has wrong values"):
        expect_lines(plots.plot_error_curves, (sweep,), {**lines, "alpha=5": [0.5, 0.2]}, "iteration", "error")
    with pytest.raises(StepFailed, match="should return the matplotlib Figure"):
        expect_lines(lambda s: None, (sweep,), lines, "iteration", "error")
    plt.close("all")


# -- how a failure is shown --------------------------------------------------------


def rendered(message: str) -> list[str]:
    return StepFailed(message)._render_traceback_()


def test_shown_lines_are_wrapped_so_validate_never_cuts_them():
    message = checks.run_step("hidden_delta", SEED_PRECEDENCE.function).message
    lines = rendered(message)
    assert max(map(len, lines)) <= compare.MESSAGE_WIDTH
    assert lines[0].startswith("Check failed: `hidden_delta`'s result has wrong values:")
    # nothing is lost: the same words, in the same order
    assert " ".join(" ".join(lines).split()) == " ".join(("Check failed: " + message).split())
    # each line of the message starts a shown line; its continuations are indented
    starts = [line for line in lines if not line.startswith(compare.CONTINUATION)]
    assert len(starts) == len(message.splitlines())


def test_a_short_message_is_shown_as_it_is():
    assert rendered("`sigmoid` is not defined: run the cell that defines it.") == [
        "Check failed: `sigmoid` is not defined: run the cell that defines it."
    ]
