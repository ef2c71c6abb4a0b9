"""The demo class: fourteen students' submissions of every problem set, with what to expect.

Every notebook is made from a release notebook by the submission factory
(:mod:`from_memory.examples.submissions`), never typed in. A student's work on one problem
set is one of four kinds of variant:

* ``correct``: the reference solution in every answer cell;
* ``messy``: correct, written differently: other spellings of the same numpy
  (``a @ b``, ``np.dot(a, b)``, ``a.dot(b)``, ``np.transpose(a)``), other local names, comments,
  extra prints, an extra scratch cell. It must still get full marks;
* ``wrong``: correct except for one or two functions replaced by a mutant of the
  catalog (:mod:`from_memory.judge.mutants`), among them the two bugs of the seed notebook
  a student retyped from the post (``layer_1 * 1-layer_1`` and the weight updates
  inside ``if j > 0``);
* ``blank``: the release notebook handed back untouched;

plus one ``flagged`` submission whose test cell was deleted (nbgrader scores it 0
and asks for a person). :func:`plan` says, for every student and problem set, what
was planted and the expected outcome of each graded step; :func:`generate` writes the
notebooks and that plan (``submitted/manifest.json``). Same output on every run.

    python -m from_memory.examples.demo_class            # writes submitted/ of this course
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from from_memory.examples.styles import HELPER_CELL, restyle

MANIFEST = "manifest.json"

# The bugs of the student-retyped notebook in the seeds, as the catalog names them.
SEED_BUGS = (
    "hidden_delta__precedence",  # layer_1_delta = ... * (layer_1 * 1-layer_1)
    "train_counting_directions__updates_inside_if",  # updates under `if j > 0`
    "thirteen_line_network__precedence",  # the same precedence slip in the 13 lines
)

# -- who did what ---------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """What a student did on a problem set: a variant and its details."""

    variant: str  # "correct" | "messy" | "wrong" | "blank" | "flagged"
    styles: tuple[str, ...] = ()  # messy: which of STYLES
    mutants: int = 0  # wrong: how many catalog mutants to plant (in turn, one step after another)
    slugs: tuple[str, ...] = ()  # wrong: these catalog mutants, where they fit the problem set
    deleted_test: str = ""  # flagged: the step whose test cell was deleted


CORRECT = Work("correct")
BLANK = Work("blank")


def messy(*styles: str) -> Work:
    return Work("messy", styles=styles)


def wrong(mutants: int = 0, *slugs: str) -> Work:
    return Work("wrong", mutants=mutants, slugs=slugs)


# student -> (default work, {problem-set prefix: work}); "ps2" matches "ps2_backprop".
ROSTER: dict[str, tuple[Work, dict[str, Work]]] = {
    "ada": (CORRECT, {}),
    "grace": (messy("matmul_operator", "commented", "printing"), {}),
    "alan": (messy("renamed", "np_dot", "helper_cell"), {}),
    "katherine": (CORRECT, {"ps2": wrong(0, SEED_BUGS[0]), "ps6": wrong(0, SEED_BUGS[2])}),
    "edsger": (messy("commented"), {"ps4": wrong(0, SEED_BUGS[1])}),
    "barbara": (wrong(1), {}),
    "donald": (wrong(1), {}),
    "margaret": (wrong(2), {}),
    "john": (BLANK, {}),
    "frances": (CORRECT, {"ps4": BLANK, "ps5": BLANK, "ps6": BLANK}),
    "claude": (
        messy("matmul_operator", "renamed"),
        {"ps4": wrong(1), "ps5": wrong(1), "ps6": wrong(1)},
    ),
    "radia": (wrong(1), {"ps4": CORRECT, "ps5": CORRECT, "ps6": BLANK}),
    "ken": (
        messy("printing", "helper_cell", "renamed", "np_transpose"),
        {"ps2": wrong(0, SEED_BUGS[0]), "ps4": wrong(0, SEED_BUGS[1])},
    ),
    "hedy": (CORRECT, {"ps1": Work("flagged", deleted_test="forward")}),
}


def work_of(student: str, assignment: str) -> Work:
    default, special = ROSTER[student]
    for prefix, work in special.items():
        if assignment == prefix or assignment.startswith(prefix + "_"):
            return work
    return default


# -- the plan: what each notebook holds and what grading should say ---------------


@dataclass(frozen=True)
class Plant:
    """One change made to the correct notebook."""

    step: str  # the solution cell changed (its grade_id); "" for a notebook-wide change
    change: str  # "mutant" | "seed_bug" | "style" | "deleted_test"
    detail: str  # the mutant's slug, or the style's name


@dataclass(frozen=True)
class PlannedSubmission:
    """One student's notebook of one problem set, and the expected outcome of each step."""

    student: str
    assignment: str
    variant: str
    plants: tuple[Plant, ...] = ()
    # step -> "pass" | "fail" | "flagged" (test cell deleted: 0 points, manual grading)
    expected: dict[str, str] = field(default_factory=dict)
    # step -> the catalog slug planted there; the hidden check names it in its hint (the
    # small case of the test cell is not run by the autograder).
    mistakes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def graded_steps(notebook) -> list[str]:
    """Steps with an automatic test cell (``test_<step>``), in notebook order."""
    steps = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if (
            cell.cell_type == "code"
            and meta.get("grade")
            and meta.get("grade_id", "").startswith("test_")
        ):
            steps.append(meta["grade_id"].removeprefix("test_"))
    return steps


def plan(assignments: dict, catalog, students=None) -> list[PlannedSubmission]:
    """Every student's planned submission of every assignment.

    ``assignments`` maps each problem set to its graded steps (notebook order);
    ``catalog`` is the mutant catalog (objects with ``.slug``, ``.step``).
    """
    roster = _choose_students(students)
    by_slug = {m.slug: m for m in catalog}
    missing = [slug for slug in SEED_BUGS if slug not in by_slug]
    if missing:
        raise ValueError(
            f"the mutant catalog has no {missing[0]!r}, needed for the seed notebook's bug"
        )
    cursors = {ps: 0 for ps in assignments}  # round-robin through each problem set's mutants
    plans = []
    for student in roster:
        for ps, steps in assignments.items():
            work = work_of(student, ps)
            expected = dict.fromkeys(steps, "pass")
            plants: list[Plant] = []
            mistakes: dict[str, str] = {}
            if work.variant == "blank":
                expected = dict.fromkeys(steps, "fail")
            elif work.variant == "messy":
                plants = [Plant("", "style", style) for style in work.styles]
            elif work.variant == "flagged":
                if work.deleted_test not in steps:
                    raise ValueError(f"{student}: {ps} has no step {work.deleted_test!r}")
                plants = [Plant(work.deleted_test, "deleted_test", f"test_{work.deleted_test}")]
                expected[work.deleted_test] = "flagged"
            elif work.variant == "wrong":
                chosen = [by_slug[s] for s in work.slugs if by_slug[s].step in steps]
                fitting = _interleaved([m for m in catalog if m.step in steps], steps)
                for _ in range(work.mutants):
                    free = [m for m in fitting if m.step not in {c.step for c in chosen}]
                    if not free:
                        break
                    start = cursors[ps] % len(fitting)
                    rotated = fitting[start:] + fitting[:start]
                    pick = next(m for m in rotated if m in free)
                    cursors[ps] = fitting.index(pick) + 1
                    chosen.append(pick)
                if not chosen:  # the named mutants fit elsewhere: this set is done right
                    plans.append(PlannedSubmission(student, ps, "correct", (), expected, {}))
                    continue
                for mutant in chosen:
                    kind = "seed_bug" if mutant.slug in SEED_BUGS else "mutant"
                    plants.append(Plant(mutant.step, kind, mutant.slug))
                    expected.update(_outcomes_of(mutant, steps))
                    mistakes[mutant.step] = mutant.slug
            elif work.variant != "correct":
                raise ValueError(f"{student}: unknown variant {work.variant!r}")
            plans.append(
                PlannedSubmission(student, ps, work.variant, tuple(plants), expected, mistakes)
            )
    return plans


def _outcomes_of(mutant, steps: list[str]) -> dict[str, str]:
    """The expected outcome of every graded step that calls the mutated function.

    The mutant's own step fails: that is what a catalog mutant is. The capstone's function
    is also graded by lenient property steps (it runs, it learns, ...), which a mutant may
    well pass: their expectation is the checker's verdict on the mutant (so those entries
    do not test the checker). Stand-in catalogs without functions only fail their own step.
    """
    outcomes = {mutant.step: "fail"}
    if not hasattr(mutant, "function"):
        return outcomes
    from from_memory.judge import checks

    for step in steps:
        if step != mutant.step and checks.function_of(step) == mutant.step:
            outcomes[step] = "pass" if checks.run_step(step, mutant.function).passed else "fail"
    return outcomes


def _interleaved(mutants: list, steps: list[str]) -> list:
    """The first mutant of every step (in notebook order), then the second of each, ..."""
    by_step = [[m for m in mutants if m.step == step] for step in steps]
    return [
        group[i]
        for i in range(max(map(len, by_step), default=0))
        for group in by_step
        if i < len(group)
    ]


def _choose_students(students) -> list[str]:
    names = list(ROSTER)
    if students is None:
        return names
    if isinstance(students, int) and not isinstance(students, bool):
        if not 1 <= students <= len(names):
            raise ValueError(f"the demo class has 1 to {len(names)} students, not {students}")
        return names[:students]
    unknown = [s for s in students if s not in ROSTER]
    if unknown:
        raise ValueError(f"no demo student {unknown[0]!r} (the class: {', '.join(names)})")
    return list(students)


# -- making the notebooks -------------------------------------------------------------


def build(planned: PlannedSubmission, factory, catalog):
    """The notebook of ``planned``, made from the release notebook by the submission factory."""
    ps = planned.assignment
    if planned.variant == "blank":
        return factory.blank(ps)
    by_slug = {m.slug: m for m in catalog}
    mutants = [p for p in planned.plants if p.change in ("mutant", "seed_bug")]
    if mutants:
        first, *rest = mutants
        notebook = factory.with_function(ps, first.step, by_slug[first.detail].source)
        for p in rest:
            replace_solution(notebook, p.step, by_slug[p.detail].source)
    else:
        notebook = factory.passes_all(ps)
    deleted = [p.detail for p in planned.plants if p.change == "deleted_test"]
    if deleted:
        notebook.cells = [c for c in notebook.cells if _grade_id(c) not in deleted]
    styles = tuple(p.detail for p in planned.plants if p.change == "style")
    if styles:
        restyle_notebook(notebook, factory.solution_code(ps), styles)
    return notebook


def _grade_id(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def replace_solution(notebook, grade_id: str, code: str) -> None:
    cells = [c for c in notebook.cells if _grade_id(c) == grade_id]
    if len(cells) != 1:
        raise ValueError(f"expected one solution cell {grade_id!r}, found {len(cells)}")
    cells[0].source = code


def restyle_notebook(notebook, solutions: dict, styles: tuple[str, ...]) -> None:
    """Rewrite every graded function's solution cell in ``styles`` (all equivalent to it)."""
    tested = set(graded_steps(notebook))
    first_solution = None
    for index, cell in enumerate(notebook.cells):
        grade_id = _grade_id(cell)
        if cell.cell_type != "code" or grade_id not in tested or grade_id not in solutions:
            continue
        first_solution = index if first_solution is None else first_solution
        cell.source = restyle(solutions[grade_id], styles)
    if "helper_cell" in styles and first_solution is not None:
        helper = nbformat.v4.new_code_cell(HELPER_CELL)
        helper["id"] = "my-scratch-cell"
        notebook.cells.insert(first_solution, helper)


# -- writing the class --------------------------------------------------------------


def _factory():
    from from_memory.examples import submissions

    return submissions


def _catalog():
    from from_memory.judge import mutants

    return tuple(mutants.CATALOG)


def released_assignments(course_root: Path, factory=None) -> dict[str, list[str]]:
    """``{problem set: graded steps}``: the factory's assignments, else the course's release/."""
    factory = factory or _factory()
    names = list(getattr(factory, "ASSIGNMENTS", ()))
    if not names:
        release = Path(course_root) / "release"
        names = sorted(p.name for p in release.glob("*") if (p / f"{p.name}.ipynb").is_file())
    if not names:
        raise FileNotFoundError(
            f"no release notebooks in {course_root}/release: run `from-memory release` first"
        )
    return {ps: graded_steps(factory.blank(ps)) for ps in names}


def generate(course_root=".", students=None, assignments=None) -> list[PlannedSubmission]:
    """Write the demo class into ``<course_root>/submitted/`` and its manifest; return the plan.

    ``students``: None for the whole class (14), a number for the first ones, or names.
    ``assignments``: None for all, or some problem-set names (the plan of the others is
    unchanged: mutants are drawn per problem set).
    """
    course_root = Path(course_root)
    factory, catalog = _factory(), _catalog()
    every = released_assignments(course_root, factory)
    unknown = [a for a in assignments or () if a not in every]
    if unknown:
        raise ValueError(f"no assignment {unknown[0]!r} (known: {', '.join(every)})")
    chosen = {ps: steps for ps, steps in every.items() if assignments is None or ps in assignments}
    plans = plan(chosen, catalog, students)
    for planned in plans:
        notebook = build(planned, factory, catalog)
        nbformat.validate(notebook)
        factory.write_submission(notebook, course_root, planned.student, planned.assignment)
    write_manifest(course_root, plans)
    return plans


def write_manifest(course_root: Path, plans: list[PlannedSubmission]) -> Path:
    path = Path(course_root) / "submitted" / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [p.to_json() for p in plans]
    path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return path


def read_manifest(course_root=".") -> list[PlannedSubmission]:
    """The plan written by :func:`generate`, back as dataclasses."""
    path = Path(course_root) / "submitted" / MANIFEST
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        PlannedSubmission(**{**row, "plants": tuple(Plant(**p) for p in row["plants"])})
        for row in rows
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m from_memory.examples.demo_class",
        description="Write the demo class (submitted/<student>/<ps>/<ps>.ipynb) and its manifest.",
        epilog="examples:\n  python -m from_memory.examples.demo_class\n"
        "  python -m from_memory.examples.demo_class --course /tmp/course --students 12 ps1_forward",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--course", default=".", help="the course root (default: .)")
    parser.add_argument("--students", type=int, default=None, help="only the first N students")
    parser.add_argument("assignments", nargs="*", metavar="PS", help="problem sets (default: all)")
    args = parser.parse_args(argv)
    try:
        plans = generate(args.course, args.students, args.assignments or None)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    students = sorted({p.student for p in plans})
    print(
        f"wrote {len(plans)} notebooks of {len(students)} students to {Path(args.course) / 'submitted'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
