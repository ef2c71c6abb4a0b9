"""The demo class: the notebooks it generates, its manifest, and what the checker makes of them.

The class is generated once per session (the ``demo_course`` fixture of conftest.py); the
parametrized tests are named from the roster and the assignments, known without generating.
"""

from __future__ import annotations

import ast
import contextlib
import io
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from from_memory.course import build
from from_memory.examples import demo_class, submissions
from from_memory.examples.styles import STYLES, restyle
from from_memory.judge import checks, mutants

CATALOG = {m.slug: m for m in mutants.CATALOG}
STUDENTS = list(demo_class.ROSTER)
SUBMISSIONS = [(student, ps) for student in STUDENTS for ps in submissions.ASSIGNMENTS]


@pytest.fixture(scope="module")
def plans(demo_course):
    """The generated class's manifest, read back."""
    return demo_class.read_manifest(demo_course)


@pytest.fixture(scope="module")
def notebook_of(demo_course):
    def read(plan):
        path = demo_course / "submitted" / plan.student / plan.assignment
        return nbformat.read(path / f"{plan.assignment}.ipynb", as_version=4)

    return read


def cells_by_grade_id(notebook) -> dict:
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in notebook.cells
        if "nbgrader" in c.get("metadata", {})
    }


# -- the generated class ------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_does_the_demo_class_have_at_least_12_students_for_every_assignment(demo_course, plans):
    students = {p.student for p in plans}
    assert len(students) >= 12
    assert len(submissions.ASSIGNMENTS) == 6
    for ps in submissions.ASSIGNMENTS:
        assert {p.student for p in plans if p.assignment == ps} == students
        for student in students:
            assert (demo_course / "submitted" / student / ps / f"{ps}.ipynb").is_file()
    # what the parametrized tests below are named after is what was generated
    assert sorted((p.student, p.assignment) for p in plans) == sorted(SUBMISSIONS)


def test_are_all_demo_notebooks_valid_nbformat(demo_course, plans):
    paths = sorted((demo_course / "submitted").glob("*/*/*.ipynb"))
    assert len(paths) == len(plans)
    for path in paths:
        nbformat.validate(nbformat.read(path, as_version=4))


def test_does_generating_the_demo_class_again_give_byte_identical_files(demo_course, tmp_path):
    demo_class.generate(tmp_path)
    first, again = _files(demo_course / "submitted"), _files(tmp_path / "submitted")
    assert len(first) == len(SUBMISSIONS) + 1  # the notebooks and the manifest
    assert sorted(again) == sorted(first)
    changed = [path for path in first if again[path] != first[path]]
    assert changed == [], "generate() wrote different bytes on a second run"


def test_does_the_class_hold_every_kind_of_variant(plans):
    variants = Counter(p.variant for p in plans)
    assert {"correct", "messy", "wrong", "blank", "flagged"} <= set(variants)
    styles = {pl.detail for p in plans for pl in p.plants if pl.change == "style"}
    assert styles == set(STYLES)
    kinds = {pl.change for p in plans for pl in p.plants}
    assert kinds == {"mutant", "seed_bug", "style", "deleted_test"}
    assert all(s.isidentifier() and s.islower() for s in {p.student for p in plans})


# -- the manifest says what was planted ------------------------------------------------


@pytest.mark.parametrize(("student", "ps"), SUBMISSIONS, ids=[f"{s}-{ps}" for s, ps in SUBMISSIONS])
def test_does_the_manifest_match_what_the_notebook_holds(student, ps, plans, notebook_of):
    (plan,) = [p for p in plans if (p.student, p.assignment) == (student, ps)]
    notebook = notebook_of(plan)
    cells = cells_by_grade_id(notebook)
    reference = submissions.solution_code(plan.assignment)
    steps = demo_class.graded_steps(submissions.blank(plan.assignment))
    assert list(plan.expected) == steps
    planted = {p.step: p for p in plan.plants if p.step}
    if plan.variant == "blank":
        assert notebook == submissions.blank(plan.assignment)
        assert set(plan.expected.values()) == {"fail"}
        return
    if plan.variant == "correct":
        assert notebook == submissions.passes_all(plan.assignment)
    for step in steps:
        function = checks.function_of(step)  # the capstone's function is graded by several steps
        if function in planted and planted[function].change in ("mutant", "seed_bug"):
            slug = planted[function].detail
            assert CATALOG[slug].step == function
            assert cells[function].source == CATALOG[slug].source
            assert plan.mistakes[function] == slug
            if step == function:
                assert plan.expected[step] == "fail"  # a planted mutant fails its own step
            else:  # a lenient property step of the same function: as the checker judges it
                verdict = checks.run_step(step, CATALOG[slug].function)
                assert plan.expected[step] == ("pass" if verdict.passed else "fail")
        elif step in planted and planted[step].change == "deleted_test":
            assert f"test_{step}" not in cells
            assert plan.expected[step] == "flagged"
        else:
            assert plan.expected[step] == "pass"
            assert f"test_{step}" in cells
            if plan.variant != "messy":
                assert cells[function].source == reference[function]
    if plan.variant == "messy":
        functions = {checks.function_of(s) for s in steps}
        restyled = {f for f in functions if cells[f].source != reference[f]}
        assert restyled == functions  # every graded function is written differently
    if plan.variant == "wrong":
        assert set(plan.mistakes) == {
            checks.function_of(s) for s, v in plan.expected.items() if v == "fail"
        }


def _planted(plans, slug):
    return [p for p in plans for pl in p.plants if pl.detail == slug]


def test_does_the_class_hold_the_seed_notebooks_precedence_bug(plans, notebook_of):
    planted = _planted(plans, "hidden_delta__precedence")
    assert len(planted) >= 2
    for plan in planted:
        source = cells_by_grade_id(notebook_of(plan))["hidden_delta"].source
        assert "layer_1 * 1 - layer_1" in source.replace("1-layer_1", "1 - layer_1")
        assert plan.expected["hidden_delta"] == "fail"


def test_does_the_class_hold_the_seed_notebooks_updates_inside_the_if(plans, notebook_of):
    planted = _planted(plans, "train_counting_directions__updates_inside_if")
    assert len(planted) >= 2
    for plan in planted:
        source = cells_by_grade_id(notebook_of(plan))["train_counting_directions"].source
        ifs = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.If)]
        assert len(ifs) == 1
        inside = [ast.unparse(s) for s in ifs[0].body]
        assert any(line.startswith("synapse_1 +=") for line in inside)
        assert any(line.startswith("synapse_0 +=") for line in inside)


@pytest.fixture(scope="module")
def restyled(plans, notebook_of):
    def sources(style):
        """The graded functions' cells of every messy notebook written in ``style``."""
        for plan in plans:
            if plan.variant == "messy" and style in {pl.detail for pl in plan.plants}:
                cells = cells_by_grade_id(notebook_of(plan))
                for function in dict.fromkeys(checks.function_of(s) for s in plan.expected):
                    yield plan, function, cells[function].source

    return sources


def test_do_messy_notebooks_spell_products_with_the_operator(restyled):
    sources = [source for _, _, source in restyled("matmul_operator")]
    assert any(" @ " in source for source in sources)
    assert not any("np.dot(" in source or ".dot(" in source for source in sources)


def test_do_messy_notebooks_spell_products_with_np_dot(restyled):
    sources = [source for _, _, source in restyled("np_dot")]
    assert any("np.dot(" in source for source in sources)
    assert not any(
        " @ " in source or ".dot(" in source.replace("np.dot(", "") for source in sources
    )


def test_do_messy_notebooks_transpose_with_np_transpose(restyled):
    sources = [source for _, _, source in restyled("np_transpose")]
    assert any("np.transpose(" in source for source in sources)
    assert not any(".T" in source.replace("np.transpose(", "") for source in sources)


def test_do_messy_notebooks_comment_and_print(restyled):
    assert all("# " in source for _, _, source in restyled("commented"))
    assert all("print(" in source for _, _, source in restyled("printing"))


def _stored_locals(source):
    function = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef))
    parameters = {a.arg for a in function.args.args}
    names = {
        n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    return names - parameters - {"_"}


def test_do_messy_notebooks_use_their_own_local_names(restyled):
    checked = 0
    for plan, step, source in restyled("renamed"):
        reference = submissions.solution_code(plan.assignment)[step]
        assert _stored_locals(source).isdisjoint(_stored_locals(reference)), (plan.student, step)
        checked += bool(_stored_locals(reference))
    assert checked >= 10


def test_do_messy_notebooks_with_a_scratch_cell_hold_exactly_one_ungraded_extra_cell(
    plans, notebook_of
):
    scratch = [
        p for p in plans if p.variant == "messy" and "helper_cell" in {pl.detail for pl in p.plants}
    ]
    assert scratch
    for plan in scratch:
        notebook = notebook_of(plan)
        extra = [c for c in notebook.cells if c.get("id") == "my-scratch-cell"]
        assert len(extra) == 1
        assert "nbgrader" not in extra[0].metadata
        assert len(notebook.cells) == len(submissions.blank(plan.assignment).cells) + 1


# -- the checker agrees with the manifest ------------------------------------------------

CELLS_TO_RUN = ("setup", "provided")


def run_graded_code(notebook) -> dict:
    """Run the notebook's setup and answer cells (and scratch cells) in one namespace."""
    namespace = {"__name__": "__main__"}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        wanted = (
            meta.get("solution")
            or meta.get("grade_id") in CELLS_TO_RUN
            or cell.get("id") == "my-scratch-cell"
        )
        if cell.cell_type == "code" and wanted:  # the notebook's experiments are not needed
            # as in the notebook, a cell that raises stops there and the next cell runs
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(Exception):
                exec(compile(cell.source, f"<cell {cell.get('id')}>", "exec"), namespace)  # noqa: S102
    return namespace


# Wrong students' code overflows exp() and draws unlabelled legends: that is their output,
# shown to them by the checker; here it is expected.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:No artists with labels:UserWarning")
@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_does_the_checker_grade_each_step_as_the_manifest_expects(
    student, monkeypatch, plans, notebook_of
):
    monkeypatch.setenv("FROM_MEMORY_ITERATIONS", "300")
    assert any(p.student == student for p in plans)
    for plan in [p for p in plans if p.student == student]:
        notebook = notebook_of(plan)
        present = set(cells_by_grade_id(notebook))
        failed = set()  # as the judge remembers them through the notebook: a retry needs them
        with np.errstate(all="ignore"):
            namespace = run_graded_code(notebook)
            for step, expected in plan.expected.items():
                if f"test_{step}" not in present:
                    assert expected == "flagged", (plan.assignment, step)
                    continue
                graded_as = build.check_step(step)  # a recall drill is graded as its function
                function = checks.function_of(graded_as)
                if function not in namespace:  # the test cell would raise NameError
                    assert expected == "fail", (plan.assignment, step)
                    failed.add(graded_as)
                    continue
                verdict = checks.run_step(graded_as, namespace[function], failed=failed)
                if not verdict.reliable:
                    failed.add(graded_as)
                got = "pass" if verdict.passed else "fail"
                assert got == expected, (plan.assignment, step, verdict.message)
                if step in plan.mistakes:
                    assert verdict.mistake == plan.mistakes[step], (
                        plan.assignment,
                        step,
                        verdict.message,
                    )


# -- the plan and the restyling, on stand-ins ---------------------------------------------


def _fake_catalog():
    slugs = [
        "f__one",
        "f__two",
        "g__one",
        "h__one",
        *demo_class.SEED_BUGS,
    ]
    return [SimpleNamespace(slug=s, step=s.split("__")[0], hint="", source="") for s in slugs]


def test_does_the_plan_spread_mutants_over_steps_in_turn():
    # "ps9_x" has no special case in the roster: every student does their default work
    plans = demo_class.plan({"ps9_x": ["f", "g", "h"]}, _fake_catalog())
    picked = [(p.student, pl.detail) for p in plans for pl in p.plants if pl.change == "mutant"]
    assert picked == [
        ("barbara", "f__one"),
        ("donald", "g__one"),
        ("margaret", "h__one"),
        ("margaret", "f__two"),  # a second mistake, in another step
        ("radia", "f__one"),
    ]
    margaret = next(p for p in plans if p.student == "margaret")
    assert margaret.expected == {"f": "fail", "g": "pass", "h": "fail"}
    assert margaret.mistakes == {"h": "h__one", "f": "f__two"}
    john = next(p for p in plans if p.student == "john")
    assert john.expected == {"f": "fail", "g": "fail", "h": "fail"}


def test_does_the_plan_refuse_a_catalog_without_the_seed_bugs():
    catalog = [m for m in _fake_catalog() if m.slug not in demo_class.SEED_BUGS[:1]]
    with pytest.raises(ValueError, match="hidden_delta__precedence"):
        demo_class.plan({"ps1_x": ["f"]}, catalog)


@pytest.mark.parametrize("bad", [0, 15, ["nobody"]])
def test_does_the_plan_refuse_an_impossible_class_size(bad):
    with pytest.raises(ValueError, match="demo"):
        demo_class.plan({"ps1_x": ["f"]}, _fake_catalog(), students=bad)


TOY = '''
def step(layer_0, synapse_0):
    """A toy step."""
    layer_1 = np.dot(layer_0, synapse_0)
    total = layer_1.dot(synapse_0.T)
    for j in range(2):
        total = total + j
    return total
'''


@pytest.mark.parametrize(
    "styles",
    [(s,) for s in STYLES]
    + [STYLES[:3], ("renamed", "commented", "printing")],
)
def test_does_every_style_keep_what_the_function_computes(styles):
    original, restyled = {"np": np}, {"np": np}
    exec(TOY, original)  # noqa: S102
    with contextlib.redirect_stdout(io.StringIO()):
        exec(restyle(TOY, styles), restyled)  # noqa: S102
    x, w = np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 12).reshape(3, 4)
    np.testing.assert_array_equal(restyled["step"](x, w), original["step"](x, w))
    np.testing.assert_array_equal(restyled["step"](layer_0=x, synapse_0=w), original["step"](x, w))


def test_does_renaming_keep_parameters_and_change_locals():
    text = restyle(TOY, ("renamed",))
    function = ast.parse(text).body[0]
    assert [a.arg for a in function.args.args] == ["layer_0", "synapse_0"]
    stored = {
        n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    assert stored.isdisjoint({"layer_1", "total", "j"})
