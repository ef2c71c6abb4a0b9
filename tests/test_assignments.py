"""The six assignments through real nbgrader: generate, validate, autograde, feedback.

Everything runs in one temporary copy of the course (config, source/, release/).
Example submissions are made at test time by :mod:`from_memory.examples.submissions` and
named by their expected outcome: ``passes-all``, ``blank-release``, ``fails-<step>``,
the reference notebook with one realistic mistake planted in one step, and
``fails-recall_<function>``, one planted in a recall drill. One ``nbgrader autograde <ps>``
grades all students of an assignment, and one ``nbgrader validate`` runs every
notebook that should fail validation, so the module costs a few nbgrader commands per
assignment.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from from_memory.course import SLOW_UNUSED_MODULES, build, environment
from from_memory.examples import submissions
from from_memory.judge import checks, mutants
from from_memory.kernel import known
from from_memory.kernel.compare import MESSAGE_WIDTH

pytestmark = pytest.mark.nbgrader

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = submissions.ASSIGNMENTS

# One realistic mistake per assignment: (step, text of the reference solution, replacement).
PLANTED = {
    "ps1_forward": (
        "forward",
        "layer_2 = sigmoid(np.dot(layer_1, synapse_1))",
        "layer_2 = np.dot(layer_1, synapse_1)",  # the output's sigmoid forgotten
    ),
    "ps2_backprop": (
        "hidden_delta",
        "return layer_1_error * sigmoid_output_to_derivative(layer_1)",
        "return layer_1_error * (layer_1 * 1 - layer_1)",  # the re-typed notebook's missing brackets
    ),
    "ps3_alpha": (
        "train",
        "synapse_0 -= alpha * synapse_0_derivative",
        "synapse_0 -= synapse_0_derivative",  # alpha applied to one synapse only
    ),
    "ps4_directions": (
        "train_counting_directions",
        # the re-typed notebook's bug: the weight updates indented into `if j > 0:`
        (
            "        synapse_1 += alpha * synapse_1_weight_update\n"
            "        synapse_0 += alpha * synapse_0_weight_update\n"
            "        prev_synapse_0_weight_update = synapse_0_weight_update\n"
            "        prev_synapse_1_weight_update = synapse_1_weight_update"
        ),
        (
            "            synapse_1 += alpha * synapse_1_weight_update\n"
            "            synapse_0 += alpha * synapse_0_weight_update\n"
            "            prev_synapse_0_weight_update = synapse_0_weight_update\n"
            "            prev_synapse_1_weight_update = synapse_1_weight_update"
        ),
    ),
    "ps5_hidden": (
        "hidden_size_sweep",
        "train(X, y, alpha, h, iterations, seed)",
        "train(X, y, alpha, 4, iterations, seed)",  # the hidden size never passed on
    ),
    "ps6_capstone": (
        "thirteen_line_network",
        "(layer_1 * (1 - layer_1))",
        "(layer_1 * 1 - layer_1)",  # the re-typed notebook's missing brackets
    ),
}
# The capstone's function is graded from several sides: its planted bug (a hidden layer that
# never learns) also makes `alpha` change nothing in `synapse_0`, which the settings check sees.
ALSO_LOST = {"ps6_capstone": {"test_thirteen_line_network_respects_settings"}}
# One catalog mistake per problem set planted in a recall drill, among them both bugs of the
# seed notebook: each costs only its drill's point, though later steps call the function.
RECALL_PLANTED = {
    "ps2_backprop": ("recall_sigmoid", "sigmoid__missing_minus"),  # forward and train_two_layer call it
    "ps3_alpha": ("recall_hidden_delta", "hidden_delta__precedence"),  # train calls it
    "ps4_directions": ("recall_forward", "forward__no_output_sigmoid"),  # the counting loop calls it
    "ps5_hidden": ("recall_train_counting_directions", "train_counting_directions__updates_inside_if"),
    "ps6_capstone": ("recall_output_error", "output_error__sign"),
}
SEED_BUGS = {  # (problem set, solution cell, the seed notebook's bug), in the set and in its drill
    ("ps2_backprop", "hidden_delta", "hidden_delta__precedence"),
    ("ps3_alpha", "recall_hidden_delta", "hidden_delta__precedence"),
    ("ps4_directions", "train_counting_directions", "train_counting_directions__updates_inside_if"),
    ("ps5_hidden", "recall_train_counting_directions", "train_counting_directions__updates_inside_if"),
}
STUDENTS = ("passes-all", "blank-release")  # plus fails-<step> per assignment
# What a released notebook must never show: solutions, hidden tests, the checker, the reference.
LEAKS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "from_memory.kernel import", "from_memory.judge",
         "solutions", "check_")
CATALOG = {m.slug: m for m in mutants.CATALOG}


def planted_student(ps: str) -> str:
    return f"fails-{PLANTED[ps][0]}"


def recall_student(ps: str) -> str:
    return f"fails-{RECALL_PLANTED[ps][0]}"


def planted_code(ps: str) -> str:
    step, old, new = PLANTED[ps]
    code = submissions.solution_code(ps)[step]
    assert code.count(old) == 1, (
        f"{ps}: the planted mistake no longer matches the solution of {step}"
    )
    return code.replace(old, new)


# nbgrader's own entry point, minus an import it never needs (1.9 s per command, see course.py)
NBGRADER_MAIN = (
    "import sys\n"
    "for name in sys.argv.pop(1).split(','):\n"
    "    sys.modules.setdefault(name, None)\n"
    "from nbgrader.apps.nbgraderapp import main\n"
    "sys.exit(main())\n"
)


def nbgrader(root: Path, *args: str) -> str:
    """Run ``nbgrader <args>`` in ``root``; return its log, stdout and stderr interleaved in order."""
    env = {**environment(root), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", NBGRADER_MAIN, ",".join(SLOW_UNUSED_MODULES), *args]
    done = subprocess.run(
        command,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"`nbgrader {' '.join(args)}` failed:\n{done.stdout}"
    return done.stdout


def validate_results(log: str) -> dict[str, str]:
    """``{notebook file name: verdict line}`` from one ``nbgrader validate`` log of several notebooks."""
    results = {}
    for chunk in re.split(r"\[ValidateApp \| INFO\] Validating '", log)[1:]:
        path, _, rest = chunk.partition("'")
        verdicts = re.findall(
            r"^(Success!.*|VALIDATION FAILED.*|NOTEBOOK PASSED.*)$", rest, re.MULTILINE
        )
        results[Path(path).name] = verdicts[0] if verdicts else "no verdict:\n" + rest[-2000:]
    return results


def cell_summary(nb) -> list[tuple]:
    return [(cell.cell_type, cell.source, dict(cell.metadata)) for cell in nb.cells]


# -- the temporary course ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course whose release/ was regenerated by nbgrader from source/."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "release", root / "release")
    for ps in ASSIGNMENTS:
        nbgrader(root, "generate_assignment", ps, "--force")
    return root


@pytest.fixture(scope="module")
def graded(course):
    """Autograde passes-all, blank-release and fails-<step> of every assignment; feedback too.

    Returns ``{ps: seconds of wall time per submission}`` of the autograde commands.
    """
    seconds = {}
    for ps in ASSIGNMENTS:
        step = PLANTED[ps][0]
        made = {
            "passes-all": submissions.passes_all(ps),
            "blank-release": submissions.blank(ps),
            planted_student(ps): submissions.with_function(ps, step, planted_code(ps)),
        }
        if ps in RECALL_PLANTED:
            cell, slug = RECALL_PLANTED[ps]
            made[recall_student(ps)] = submissions.with_function(ps, cell, CATALOG[slug].source)
        for student, nb in made.items():
            submissions.write_submission(nb, course, student, ps)
        start = time.perf_counter()
        nbgrader(course, "autograde", ps)
        seconds[ps] = (time.perf_counter() - start) / len(made)
        nbgrader(course, "generate_feedback", ps)
    return seconds


@pytest.fixture(scope="module")
def stock_graded(course, graded, tmp_path_factory):
    """The same submissions graded by nbgrader's own serial autograde (checks judged in the kernel)."""
    root = tmp_path_factory.mktemp("stock") / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("autograded", "feedback", "reports"))
    for ps in ASSIGNMENTS:
        env_nbgrader(root, {"FROM_MEMORY_STOCK_AUTOGRADE": "1"}, "autograde", ps, "--force")
    return root


def env_nbgrader(root: Path, extra_env: dict, *args: str) -> str:
    env = {**environment(root), "PYTHONUNBUFFERED": "1", **extra_env}
    command = [sys.executable, "-c", NBGRADER_MAIN, ",".join(SLOW_UNUSED_MODULES), *args]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"`nbgrader {' '.join(args)}` failed:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def auto_grades(course: Path, ps: str, student: str) -> dict[str, tuple[float, float]]:
    """``{test cell: (auto score, max score)}`` of the autograded code cells, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(ps, ps, student)
        return {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.cell_type == "code"}


# -- generate ------------------------------------------------------------------------------------


def test_every_source_notebook_has_a_committed_release():
    sources = sorted(p.parent.name for p in (REPO / "source").glob("*/*.ipynb"))
    assert sources == sorted(ASSIGNMENTS)
    for ps in ASSIGNMENTS:
        assert (REPO / "release" / ps / f"{ps}.ipynb").is_file(), f"release/{ps} is missing"


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_generate_assignment_reproduces_the_committed_release(course, ps):
    regenerated = nbformat.read(course / "release" / ps / f"{ps}.ipynb", as_version=4)
    committed = submissions.release_notebook(ps)
    assert regenerated.metadata == committed.metadata
    assert cell_summary(regenerated) == cell_summary(committed), (
        f"release/{ps} is stale: run `nbgrader generate_assignment {ps} --force`"
    )


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_release_notebook_hides_solutions_and_checks(ps):
    text = (REPO / "release" / ps / f"{ps}.ipynb").read_text()
    for leak in LEAKS:
        assert leak not in text, f"release/{ps} contains {leak!r}"
    release = submissions.release_notebook(ps)
    stubs = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs
    assert all("YOUR CODE HERE" in c.source or "YOUR ANSWER HERE" in c.source for c in stubs)


# -- validate ------------------------------------------------------------------------------------


def test_source_notebooks_pass_validate(course):
    log = nbgrader(course, "validate", *[f"source/{ps}/{ps}.ipynb" for ps in ASSIGNMENTS])
    results = validate_results(log)
    assert sorted(results) == sorted(f"{ps}.ipynb" for ps in ASSIGNMENTS)
    for name, verdict in results.items():
        assert verdict.startswith("Success! Your notebook passes all the tests."), (
            f"{name}: {verdict}"
        )


def test_release_notebooks_fail_validate_and_pass_it_inverted(course):
    notebooks = [f"release/{ps}/{ps}.ipynb" for ps in ASSIGNMENTS]
    plain = validate_results(nbgrader(course, "validate", *notebooks))
    inverted = validate_results(nbgrader(course, "validate", "--invert", *notebooks))
    for ps in ASSIGNMENTS:
        name = f"{ps}.ipynb"
        assert plain[name].startswith("VALIDATION FAILED"), f"{name}: {plain[name]}"
        assert inverted[name].startswith("Success! The notebook does not pass any tests."), (
            f"{name} --invert: {inverted[name]}"
        )


VALIDATED = "validated"  # the folder of the course holding the notebooks validate should fail


def wrong_value_notebooks() -> dict[str, tuple]:
    """``{name: (problem set, notebook)}``: every function of a set returning a wrong value; the seed bugs."""
    made = {}
    for ps in ASSIGNMENTS:
        functions = [cell for cell in submissions.solution_code(ps) if not cell.endswith("_answer")]
        made[f"{ps}-wrong-values"] = (ps, submissions.with_wrong_values(ps, functions))
    for ps, cell, slug in sorted(SEED_BUGS):
        made[f"{ps}-{cell}-{slug}"] = (ps, submissions.with_function(ps, cell, CATALOG[slug].source))
    return made


def failed_cells(log: str) -> dict[str, list[tuple[str, str]]]:
    """``{notebook file name: [(failed cell's source, its error)]}`` from one validate log."""
    found = {}
    for chunk in re.split(r"\[ValidateApp \| INFO\] Validating '", log)[1:]:
        path, _, rest = chunk.partition("'")
        cells = []
        for block in re.split(r"\n={20,}\n", rest)[1:]:
            source, _, error = block.partition("The error was:")
            cells.append((source.removeprefix("The following cell failed:"), error))
        found[Path(path).name] = cells
    return found


@pytest.fixture(scope="module")
def validated(course):
    """One ``nbgrader validate`` of every notebook of :func:`wrong_value_notebooks`; its log per notebook."""
    made = wrong_value_notebooks()
    paths = []
    for name, (_, nb) in made.items():
        path = course / VALIDATED / f"{name}.ipynb"
        path.parent.mkdir(exist_ok=True)
        nbformat.write(nb, path)
        paths.append(str(path.relative_to(course)))
    log = nbgrader(course, "validate", *paths)
    return validate_results(log), failed_cells(log)


CHECKED = re.compile(r"(?:expect|expect_lines)\((\w+),")


def checked_function(shown_source: str) -> str:
    """The function whose small case a failed cell (as validate printed it) checks."""
    return CHECKED.search(shown_source).group(1)


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_validate_fails_every_wrong_value_with_the_hidden_tests_kind_of_message(validated, ps):
    verdicts, failures = validated
    name = f"{ps}-wrong-values.ipynb"
    tests = [c for c in submissions.release_notebook(ps).cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert verdicts[name].startswith(f"VALIDATION FAILED ON {len(tests)} CELL(S)!"), verdicts[name]
    expected = [checks.function_of(build.step_of(c.metadata.nbgrader.grade_id)) for c in tests]
    assert [checked_function(source) for source, _ in failures[name]] == expected
    for (_, error), function in zip(failures[name], expected, strict=True):
        shown = " ".join(error.split())
        # a wrong earlier value may make numpy warn first (overflow in exp): the message follows
        assert "Check failed:" in shown, shown
        shown = shown[shown.index("Check failed:"):]
        assert shown.startswith((f"Check failed: `{function}`", "Check failed: The line `")), shown
        assert "wrong value" in shown, shown
        assert known.SMALL_CASE in shown


def test_validate_cuts_no_message(validated):
    _, failures = validated
    assert failures
    for name, cells in failures.items():
        for _, error in cells:
            for line in error.strip("\n").splitlines():
                assert not line.endswith("..."), f"{name}: validate cut {line!r}"
                assert len(line) <= len("    ") + MESSAGE_WIDTH


@pytest.mark.parametrize(("ps", "cell", "slug"), sorted(SEED_BUGS))
def test_validate_catches_the_seed_notebooks_bugs_in_the_sets_and_their_drills(validated, ps, cell, slug):
    verdicts, failures = validated
    name = f"{ps}-{cell}-{slug}.ipynb"
    assert verdicts[name].startswith("VALIDATION FAILED"), verdicts[name]
    function = cell.removeprefix("recall_")
    # the first failure is the bug's own cell; later ones are steps that call it, right on their own
    source, error = failures[name][0]
    assert checked_function(source) == function
    assert " ".join(error.split()).startswith(f"Check failed: `{function}`'s"), error


# -- autograde and feedback ----------------------------------------------------------------------


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_autograde_gives_passes_all_full_marks(course, graded, ps):
    grades = auto_grades(course, ps, "passes-all")
    assert grades, f"{ps} has no autograded cells"
    lost = {cell: score for cell, score in grades.items() if score[0] != score[1]}
    assert not lost, f"{ps}: the reference solution lost points in {lost}"


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_autograde_gives_blank_release_zero(course, graded, ps):
    grades = auto_grades(course, ps, "blank-release")
    scored = {cell: score for cell, score in grades.items() if score[0] != 0}
    assert not scored, f"{ps}: the blank release scored in {scored}"


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_autograde_takes_only_the_planted_steps_points(course, graded, ps):
    step = PLANTED[ps][0]
    grades = auto_grades(course, ps, planted_student(ps))
    lost = {f"test_{step}"} | ALSO_LOST.get(ps, set())
    expected = {cell: (0.0 if cell in lost else top, top) for cell, (_, top) in grades.items()}
    assert f"test_{step}" in grades
    assert grades == expected


@pytest.mark.parametrize("ps", list(RECALL_PLANTED))
def test_a_wrong_recall_costs_only_its_own_point(course, graded, ps):
    cell, slug = RECALL_PLANTED[ps]
    grades = auto_grades(course, ps, recall_student(ps))
    expected = {name: (0.0 if name == f"test_{cell}" else top, top) for name, (_, top) in grades.items()}
    assert grades == expected, f"{ps}: {slug} in {cell}"
    page = (course / "feedback" / recall_student(ps) / ps / f"{ps}.html").read_text()
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())  # messages wrap
    assert CATALOG[slug].hint in shown


def test_experiments_show_their_progress_at_the_grading_budget(course, graded):
    nb = nbformat.read(course / "autograded" / "passes-all" / "ps3_alpha" / "ps3_alpha.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    for block in printed.split("Training With Alpha:")[1:]:
        steps = [int(j) for j in re.findall(r"Error after (\d+) iterations:", block)]
        assert steps == [0, 500, 1000, 1500, 2000, 2500], block
    ps5 = nbformat.read(course / "autograded" / "passes-all" / "ps5_hidden" / "ps5_hidden.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in ps5.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert printed.count("Error after 2500 iterations:") == 4


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_feedback_draws_its_math_without_the_web(course, graded, ps):
    page = (course / "feedback" / planted_student(ps) / ps / f"{ps}.html").read_text()
    body = page[page.index("<body"):]
    source = "\n".join(c.source for c in submissions.source_notebook(ps).cells if c.cell_type == "markdown")
    formulas = len(re.findall(r"\$\$.+?\$\$|\$.+?\$", source, re.DOTALL))
    assert body.count('class="math"') == formulas
    text = re.sub(r"<[^>]+>", "", body)
    assert "$" not in text, f"{ps}: raw TeX left in the page"
    assert "\\frac" not in text, f"{ps}: raw TeX left in the page"


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_stock_nbgrader_autograde_grades_as_the_engine_does(course, stock_graded, ps):
    """Where a course is graded by stock nbgrader (checks judged in the kernel), are the scores the same?"""
    for student in ("passes-all", "blank-release", planted_student(ps)):
        assert auto_grades(stock_graded, ps, student) == auto_grades(course, ps, student), student


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_feedback_names_the_failing_step_and_hides_the_checks(course, graded, ps):
    step = PLANTED[ps][0]
    path = course / "feedback" / planted_student(ps) / ps / f"{ps}.html"
    page = path.read_text()
    for leak in ("BEGIN HIDDEN TESTS", "check_"):
        assert leak not in page, f"{ps} feedback shows {leak!r}"
    cell = page[page.index(f'id="cell-id=test_{step}"') :]
    cell = cell[: cell.find('class="cell ', 1)]
    assert re.search(r"Score: 0(\.0)? / \d", cell), f"{ps}: test_{step} should show a score of 0"
    errors = re.findall(r'class="output_subarea[^"]*output_error">(.*?)</div>', cell, re.DOTALL)
    message = html.unescape(re.sub(r"<[^>]+>", "", "".join(errors)))
    assert f"`{step}`" in message, (
        f"{ps}: the failing test's message should name `{step}`: {message!r}"
    )


def test_autograde_time_per_submission(graded, capsys):
    with capsys.disabled():
        print(
            "\nautograde wall time per submission (3 submissions per `nbgrader autograde` command):"
        )
        for ps, seconds in graded.items():
            print(f"  {ps:<16} {seconds:5.2f} s")
    # a cell may run 60 s (nbgrader_config.py); an honest submission should be far below
    assert all(seconds < 30 for seconds in graded.values()), graded


# -- the student's view: the post's full experiments -----------------------------------------------


def run_full_budget(ps: str, monkeypatch) -> str:
    """Execute the reference-filled notebook at the post's budget; return its experiments' printout."""
    from nbclient import NotebookClient

    monkeypatch.delenv("FROM_MEMORY_ITERATIONS", raising=False)
    nb = submissions.passes_all(ps)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    return "".join(
        output.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code" and "nbgrader" not in cell.metadata
        for output in cell.outputs
    )


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d*(?:e-?\d+)?", text)]


def same_digits(printed: float, blog: str) -> bool:
    """Does ``printed`` round to the post's string (Python 2 printed 12 significant digits)?"""
    return float(f"{printed:.12g}") == float(blog)


@pytest.mark.slow
def test_students_see_the_posts_numbers_at_the_full_budget(monkeypatch):
    import blog_printed as blog

    ps1 = run_full_budget("ps1_forward", monkeypatch)
    assert same_digits(numbers(ps1.split("Error:")[1])[0], blog.ALPHA_SWEEP_ERRORS["0.001"][0])

    ps2 = run_full_budget("ps2_backprop", monkeypatch)
    printed = numbers(ps2.split("Output After Training:")[1])
    assert [f"{x:.8f}" for x in printed] == blog.TWO_LAYER_OUTPUT

    ps3 = run_full_budget("ps3_alpha", monkeypatch)
    for block in ps3.split("Training With Alpha:")[1:]:
        alpha, _, rest = block.partition("\n")
        errors = [float(x) for x in re.findall(r"iterations:(\S+)", rest)]
        if alpha == "100":  # chaotic: its 11th digit depends on summation order
            continue
        assert len(errors) == 6
        assert all(map(same_digits, errors, blog.ALPHA_SWEEP_ERRORS[alpha])), alpha

    ps4 = run_full_budget("ps4_directions", monkeypatch)
    for block in ps4.split("Training With Alpha:")[1:]:
        alpha = block.partition("\n")[0]
        expected = blog.DIRECTION_COUNTING[alpha]
        counts_0 = block.split("Synapse 0 Update Direction Changes")[1].split("Synapse 1")[0]
        counts_1 = block.split("Synapse 1 Update Direction Changes")[1].split("Total")[0]
        assert numbers(counts_0) == numbers(str(expected["synapse_0_direction_count"])), alpha
        assert numbers(counts_1) == numbers(str(expected["synapse_1_direction_count"])), alpha

    ps5 = run_full_budget("ps5_hidden", monkeypatch)
    blocks = dict(b.partition("\n")[::2] for b in ps5.split("Training With Hidden Size:")[1:])
    for size, blog_errors in (
        ("4", blog.ALPHA_SWEEP_ERRORS["1"]),
        ("32", blog.ALPHA_SWEEP_32_ERRORS["1"]),
    ):
        errors = [float(x) for x in re.findall(r"iterations:(\S+)", blocks[size])]
        assert all(map(same_digits, errors, blog_errors)), size
