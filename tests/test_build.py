"""The source builder, the drill schedule, the tasks and the small cases (no nbgrader runs here)."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil

import matplotlib
import numpy as np
import pytest

from from_memory.course import build, contracts, known_cases
from from_memory.examples import submissions
from from_memory.judge import checks, inputs
from from_memory.kernel.compare import StepFailed

matplotlib.use("Agg")
ASSIGNMENTS = build.ASSIGNMENTS
# The steps of the network: the pieces its 13 lines are made of, and the direction count.
NETWORK_STEPS = (
    "sigmoid", "sigmoid_output_to_derivative", "init_synapses", "forward", "output_error",
    "mean_abs_error", "output_delta", "hidden_delta", "weight_gradients", "direction_changes",
)
BLANK_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def cells(nb, **flags):
    return [c for c in nb.cells if all(c.metadata.get("nbgrader", {}).get(k) == v for k, v in flags.items())]


def grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def defined_functions(nb) -> list[str]:
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(build._code_without_markers(cell.source))
            names += [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return names


# -- the builder -------------------------------------------------------------------


def test_source_notebooks_are_up_to_date_with_the_builder():
    assert build.build_all(check=True) == [], "run `make source` and commit source/"


def test_a_stale_source_notebook_is_found_and_rebuilt(tmp_path):
    shutil.copytree(build.REPO / "source", tmp_path / "source")
    path = build.path("ps3_alpha", tmp_path)
    text = path.read_text()
    assert "0.008" in text
    path.write_text(text.replace("0.008", "0.009", 1))  # a stated answer typed over
    assert build.build_all(tmp_path, check=True) == ["ps3_alpha"]
    assert build.build_all(tmp_path) == ["ps3_alpha"]
    assert path.read_text() == text
    assert build.build_all(tmp_path, check=True) == []


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_building_twice_changes_nothing(ps):
    once = build.build(ps, build.read(ps))
    assert build.text(build.build(ps, once)) == build.text(once)


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_hand_written_cells_are_kept_as_they_are(ps):
    nb = build.read(ps)
    hand = [c for c in nb.cells if not build._generated(c) and not c.metadata.get("nbgrader")]
    rebuilt = build.build(ps, nb)
    assert [c for c in rebuilt.cells if c.get("id") in {h.get("id") for h in hand}] == hand


# -- the schedule ------------------------------------------------------------------


def test_every_problem_set_from_ps2_on_opens_with_a_drill():
    assert sorted(build.SCHEDULE) == list(ASSIGNMENTS[1:])
    for ps in ASSIGNMENTS[1:]:
        nb = build.read(ps)
        first_graded = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
        assert grade_id(first_graded).startswith("test_recall_"), ps


@pytest.mark.parametrize("ps", list(build.SCHEDULE))
def test_every_drill_recalls_a_function_of_an_earlier_problem_set(ps):
    for function in build.SCHEDULE[ps]:
        assert ASSIGNMENTS.index(build.introduced_in(function)) < ASSIGNMENTS.index(ps), (ps, function)


@pytest.mark.parametrize("step", NETWORK_STEPS)
def test_every_step_is_recalled_twice_in_later_sets_before_the_capstone_task(step):
    recalled_in = [ps for ps, drills in build.SCHEDULE.items() if step in drills]
    assert len(recalled_in) >= 2, f"{step} is recalled in {recalled_in}"
    assert build.introduced_in(step) not in recalled_in


def test_both_loops_of_the_seed_notebook_bugs_are_recalled():
    drilled = {f for drills in build.SCHEDULE.values() for f in drills}
    assert {"hidden_delta", "train_counting_directions"} <= drilled


@pytest.mark.parametrize("ps", list(build.SCHEDULE))
def test_a_drill_calls_only_the_drills_above_it(ps):
    drills = build.SCHEDULE[ps]
    for index, function in enumerate(drills):
        assert set(build.calls(function)) <= set(drills[:index]) | build.helpers(ps), (ps, function)


@pytest.mark.parametrize("ps", list(build.SCHEDULE))
def test_nothing_but_the_data_is_provided_above_a_drill(ps):
    nb = build.read(ps)
    first = next(i for i, c in enumerate(nb.cells) if grade_id(c).startswith("recall_"))
    above = [c for c in nb.cells[:first] if c.cell_type == "code"]
    assert [grade_id(c) for c in above] == ["setup"]
    defined = [n.name for n in ast.parse(above[0].source).body if isinstance(n, ast.FunctionDef)]
    assert set(defined) <= {"random_synapse"}  # the post's weight draw, never a recalled function


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_each_function_is_defined_once_and_recalled_ones_are_not_provided(ps):
    nb = build.read(ps)
    names = defined_functions(nb)
    assert len(names) == len(set(names)), f"{ps}: defined twice: {names}"
    provided = cells(nb, grade_id="provided")
    if provided:
        tree = ast.parse(provided[0].source)
        shown = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert not shown & set(build.SCHEDULE.get(ps, ())), ps
        assert not shown & set(build.new_functions(nb)), ps


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_provided_code_is_only_what_the_notebook_uses(ps):
    nb = build.read(ps)
    provided = cells(nb, grade_id="provided")
    others = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and c not in provided)
    for cell in provided:
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef):
                assert re.search(rf"\b{node.name}\(", others + cell.source.replace(f"def {node.name}(", "")), (
                    f"{ps}: `{node.name}` is provided but nothing calls it"
                )


@pytest.mark.parametrize("ps", list(build.SCHEDULE))
def test_drills_start_from_a_blank_cell(ps):
    release = submissions.release_notebook(ps)
    drills = [c for c in cells(release, solution=True) if grade_id(c).startswith("recall_")]
    assert [grade_id(c) for c in drills] == [f"recall_{f}" for f in build.SCHEDULE[ps]]
    assert all(c.source == BLANK_STUB for c in drills)


# -- tasks say what, explanations say how -----------------------------------------

SPAN = re.compile(r"`([^`]*)`")
CODE = re.compile(r"return|[=*+]| - |\.dot|\.T\b|np\.")
# The capstone's draw (exact comparison needs it), the plot labels, and each `def` line.
ALLOWED_CODE = {"np.random.random(shape)", "alpha=<alpha>", "hidden=<size>"} | {
    contracts.def_line(f) for f in build.ORACLE_ORDER if f != "random_synapse"
}


def statements(ps: str):
    """The task and drill cells of a notebook: the contracts students read."""
    return [c for c in build.read(ps).cells if c.cell_type == "markdown" and c.get("id", "").startswith(("task-", "recall-"))]


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_tasks_and_drills_state_contracts_never_code(ps):
    for cell in statements(ps):
        spelled = {span for span in SPAN.findall(cell.source) if CODE.search(span)} - ALLOWED_CODE
        assert not spelled, f"{ps}/{cell.id} spells code: {spelled}"
        assert "$" not in cell.source, f"{ps}/{cell.id}: formulas belong to the explanation"


def test_the_lines_the_issue_found_are_no_longer_given():
    ps2 = "\n".join(c.source for c in build.read("ps2_backprop").cells if c.cell_type == "markdown")
    assert "output * (1 - output)" not in ps2
    ps3 = build.read("ps3_alpha")
    task = next(c.source for c in ps3.cells if c.get("id") == "task-train")
    for line_of_the_loop in ("for j in", "-=", "1. "):  # no loop, no update, no numbered steps
        assert line_of_the_loop not in task


@pytest.mark.parametrize("ps", ASSIGNMENTS[:5])
def test_explanations_hold_the_math_as_math(ps):
    text = "\n".join(c.source for c in build.read(ps).cells if c.cell_type == "markdown" and not build._generated(c))
    assert "$$" in text, f"{ps} states no formula"


@pytest.mark.parametrize("function", build.ORACLE_ORDER)
def test_every_graded_function_has_a_contract(function):
    if function == "random_synapse":
        return
    text = contracts.render(function)
    assert f"`{contracts.def_line(function)}`" in text
    assert "Returns" in text


# -- the small cases ---------------------------------------------------------------

TEST_STEPS = sorted({
    build.step_of(grade_id(c)) for ps in ASSIGNMENTS for c in cells(build.read(ps), grade=True, solution=False)
})


def test_every_test_cell_has_a_small_case():
    assert TEST_STEPS == sorted(known_cases.CASES)


def shapes(kwargs: dict) -> tuple:
    return tuple(np.shape(v) if isinstance(v, np.ndarray | list) else v for v in kwargs.values())


@pytest.mark.parametrize("step", TEST_STEPS)
def test_small_cases_differ_in_shape_from_every_hidden_input(step):
    case = known_cases.CASES[step]
    function = checks.function_of(step)
    if function in checks.PLOTS:
        return  # plots are judged on a sweep the check makes itself
    hidden = [case.kwargs for case in checks.STEPS[function].cases()]
    mine = dict(zip(case.arguments, known_cases.call_values(case), strict=True))
    arrays = {k: np.shape(v) for k, v in mine.items() if isinstance(v, np.ndarray)}
    for kwargs in hidden:
        theirs = {k: np.shape(kwargs[k]) for k in arrays if k in kwargs}
        assert theirs != arrays or not arrays, f"{step}: a hidden input has the small case's shapes {arrays}"
    if not arrays:  # counts only: the sizes themselves differ
        sizes = {k: v for k, v in mine.items() if k in ("n_inputs", "hidden_dim")}
        assert any(v not in range(*inputs.SIZES["h"]) for v in sizes.values()), sizes


def stated_answer_function(step: str):
    """A notebook function that returns the small case's stated answer, whatever it is given."""
    case = known_cases.CASES[step]
    namespace = {"np": np, "__name__": "__main__"}
    answer = known_cases.answer(case)
    if case.plot:
        source = (f"def {case.function}(sweep):\n    import matplotlib.pyplot as plt\n    fig, ax = plt.subplots()\n"
                  f"    for label, values in {answer!r}.items():\n        ax.plot(values, label=label)\n"
                  "    ax.set_xlabel('iteration'); ax.set_ylabel('error')\n    return fig\n")
    else:
        parameters = ", ".join(known_cases.parameters(case.function))
        source = f"def {case.function}({parameters}):\n    return ANSWER\n"
        namespace["ANSWER"] = answer
    exec(compile(source, "<notebook>", "exec"), namespace)  # noqa: S102
    return namespace[case.function]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("step", TEST_STEPS)
def test_returning_the_stated_answer_scores_nothing(step):
    import matplotlib.pyplot as plt

    verdict = checks.run_step(step, stated_answer_function(step))
    plt.close("all")
    assert not verdict.passed, f"{step}: the small case's answer passed the hidden test"


def run_visible(code: str, namespace: dict) -> str | None:
    """Run a test cell's visible code; return the failure message, or None when it passes."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "<test cell>", "exec"), namespace)  # noqa: S102
    except StepFailed as failure:
        return str(failure)
    return None


def notebook_namespace(nb) -> list[tuple[str, str | None]]:
    """Run a filled release notebook's code cells in order; ``[(test cell, failure or None)]``."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    results = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.metadata.get("nbgrader", {}).get("grade"):
            results.append((grade_id(cell), run_visible(cell.source, namespace)))
        else:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(Exception):
                exec(compile(cell.source, "<cell>", "exec"), namespace)  # noqa: S102
    plt.close("all")
    return results


@pytest.fixture
def small_budget(monkeypatch):
    monkeypatch.setenv("FROM_MEMORY_ITERATIONS", "30")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


@pytest.mark.usefixtures("small_budget")
@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_the_reference_passes_every_small_case(ps):
    assert all(message is None for _, message in notebook_namespace(submissions.passes_all(ps)))


def graded_cells(ps):
    return [(grade_id(c), c) for c in cells(submissions.release_notebook(ps), grade=True, solution=False)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.usefixtures("small_budget")
@pytest.mark.parametrize(("ps", "test_id"), [(ps, t) for ps in ASSIGNMENTS for t, _ in graded_cells(ps)])
def test_a_wrong_value_fails_its_small_case_with_the_hidden_tests_message(ps, test_id):
    function = checks.function_of(build.step_of(test_id))
    solution = test_id.removeprefix("test_") if test_id.startswith("test_recall_") else function
    results = dict(notebook_namespace(submissions.with_wrong_values(ps, [solution])))
    message = results[test_id]
    assert message is not None, f"{ps}/{test_id} passed a wrong value"
    assert message.startswith((f"`{function}`", "The line `")), message
    assert "wrong value" in message.splitlines()[0], message


def test_the_readme_shows_the_schedule_as_it_is():
    readme = (build.REPO / "README.md").read_text()
    assert build.schedule_table() in readme, "paste build.schedule_table() into README's course section"


def test_the_readme_shows_the_problem_sets_as_they_are():
    readme = (build.REPO / "README.md").read_text()
    assert build.course_table() in readme, "paste build.course_table() into README's course section"
