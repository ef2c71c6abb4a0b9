"""Mutation testing of the hidden tests: does every catalogued mistake fail its check, by name?

``python -m from_memory.judge.mutation`` (or ``make mutation``) grades each mutant with the
same checker the hidden tests call and prints a table, then
``mutation score: K/N killed`` and ``diagnosed: K/N named``.

It then plants each mutant in every cell of the source notebooks that defines its step,
runs the notebook's cells above it, the cell's test (its small case, as *Validate* runs it)
and its hidden check, and lists per recall drill (``recall_<function>``) which mutants it
kills: ``drills: K/N killed, K/N caught by the small case``; then how many mutants the
small cases of the sets that introduce each step catch.
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from from_memory.judge import checks, mutants

SOURCE = Path(__file__).resolve().parents[2] / "source"
RECALL = "recall_"
HIDDEN = "### BEGIN HIDDEN TESTS"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Outcome:
    slug: str
    killed: bool  # the mutant failed its step's check
    named: bool  # ...and the message named this very mutant
    message: str


@dataclass(frozen=True)
class DrillOutcome:
    cell: str  # "<ps>/recall_<function>"
    slug: str
    killed: bool  # the hidden check failed it
    named: bool
    caught: bool  # the small case of its test cell (what Validate runs) failed it


def grade(mutant: mutants.Mutant) -> Outcome:
    verdict = checks.run_step(mutant.step, mutant.function)
    return Outcome(mutant.slug, not verdict.passed, verdict.mistake == mutant.slug, verdict.message)


def score(catalog=mutants.CATALOG, progress=None) -> list[Outcome]:
    outcomes = []
    for index, mutant in enumerate(catalog, 1):
        outcomes.append(grade(mutant))
        if progress:
            progress(index, len(catalog), outcomes[-1])
    return outcomes


# -- the recall drills -------------------------------------------------------------


def _code(cell) -> str:
    return "\n".join(line for line in cell.source.splitlines() if line.strip() not in MARKERS)


def cells(source: Path = SOURCE) -> list[tuple[str, int, object]]:
    """``[(ps, index of the solution cell, notebook)]`` for every graded function's cell of the source."""
    found = []
    for path in sorted(source.glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution") and mutants.for_step(_step(meta["grade_id"])):
                found.append((path.stem, index, notebook))
    return found


def _step(grade_id: str) -> str:
    return grade_id.removeprefix(RECALL)


def _run(code: str, namespace: dict) -> BaseException | None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "<cell>", "exec"), namespace)  # noqa: S102 - the course's own cells
    except Exception as error:  # noqa: BLE001 - a failing cell is an outcome
        return error
    return None


def grade_drill(notebook, index: int, mutant: mutants.Mutant) -> tuple[bool, bool, bool]:
    """``(killed, named, caught)`` of ``mutant`` planted in the drill cell at ``index``."""
    namespace = {"__name__": "__main__"}
    for cell in notebook.cells[:index]:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            _run(_code(cell), namespace)
    _run(mutant.source, namespace)
    test_id = "test_" + notebook.cells[index].metadata["nbgrader"]["grade_id"]
    test = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == test_id)
    visible = test.source.split(HIDDEN)[0]
    caught = _run(visible, dict(namespace)) is not None
    verdict = checks.run_step(mutant.step, namespace.get(mutant.step))
    return not verdict.passed, verdict.mistake == mutant.slug, caught


def score_cells(source: Path = SOURCE, progress=None) -> list[DrillOutcome]:
    """Every mutant planted in every cell of its step: the drills, and the sets that introduce it."""
    outcomes = []
    for ps, index, notebook in cells(source):
        grade_id = notebook.cells[index].metadata["nbgrader"]["grade_id"]
        cell = f"{ps}/{grade_id}"
        found = [DrillOutcome(cell, m.slug, *grade_drill(notebook, index, m)) for m in mutants.for_step(_step(grade_id))]
        outcomes += found
        if progress:
            progress(cell, found)
    return outcomes


def is_drill(outcome: DrillOutcome) -> bool:
    return outcome.cell.split("/")[1].startswith(RECALL)


def main() -> int:
    def show(index, total, outcome):
        verdict = "killed" if outcome.killed else "SURVIVED"
        named = "named" if outcome.named else "not named"
        print(f"[{index:2d}/{total}] {outcome.slug:55s} {verdict:8s} {named}", flush=True)

    def show_drill(cell, found):
        killed = [o.slug for o in found if o.killed]
        caught = sum(o.caught for o in found)
        survivors = [o.slug for o in found if not o.killed]
        print(f"{cell:50s} kills {len(killed)}/{len(found)} (small case {caught}/{len(found)}): "
              + ", ".join(killed) + (f"; SURVIVED: {', '.join(survivors)}" if survivors else ""), flush=True)

    outcomes = score(progress=show)
    killed = sum(o.killed for o in outcomes)
    named = sum(o.named for o in outcomes)
    print(f"mutation score: {killed}/{len(outcomes)} killed")
    print(f"diagnosed: {named}/{len(outcomes)} named")
    print()
    planted = score_cells(progress=lambda cell, found: show_drill(cell, found) if RECALL in cell else None)
    drilled = [o for o in planted if is_drill(o)]
    others = [o for o in planted if not is_drill(o)]
    drill_kills = sum(o.killed for o in drilled)
    print(f"drills: {drill_kills}/{len(drilled)} killed, {sum(o.caught for o in drilled)}/{len(drilled)} "
          f"caught by the small case, {sum(o.named for o in drilled)}/{len(drilled)} named")
    print(f"the sets that introduce each step: {sum(o.caught for o in others)}/{len(others)} "
          "caught by the small case")
    return 0 if killed == len(outcomes) and drill_kills == len(drilled) else 1


if __name__ == "__main__":
    sys.exit(main())
