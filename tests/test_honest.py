"""Correct notebooks written in many ways: are they all graded full marks, and never flagged?

The corpus is from_memory/examples/honest/; `make honest` grades all of it next to the
hostile corpus. By default a handful of variants runs through the real pipeline in one
batch; the whole corpus, and the check that every variant is correct when its cells run
in one process with the checker, are slow.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings

import corpus_batch
import nbformat
import pytest

from from_memory.examples import adversarial, honest
from from_memory.examples.corpus import full_marks, parse
from from_memory.examples.honest import rewrite, spellings
from from_memory.examples.honest.__main__ import summary
from from_memory.examples.submissions import ASSIGNMENTS


def _variant(name):
    return next(c for c in honest.CASES if c.name == name)


def test_the_corpus_has_at_least_24_variants_over_all_six_notebooks_each_expecting_full_marks():
    names = [c.name for c in honest.CASES]
    assert len(names) >= 24
    assert len(names) == len(set(names))
    assert {c.assignment for c in honest.CASES} == set(ASSIGNMENTS)
    for case in honest.CASES:
        assert case.expected == full_marks(case.assignment)
    assert all(any(c.name.startswith(way.name + "-") for c in honest.CASES) for way in honest.WAYS)


def test_every_variant_is_a_valid_notebook_that_differs_from_the_reference():
    from from_memory.examples import submissions

    for case in honest.CASES:
        nb = case.build(None)
        nbformat.validate(nb)
        assert nb != submissions.passes_all(case.assignment), case.name


def test_a_change_of_a_function_reaches_every_cell_that_defines_it():
    forward = "def forward(layer_0, synapse_0, synapse_1):\n    layer_1 = sigmoid(np.dot(layer_0, synapse_0))\n" \
              "    return layer_1, sigmoid(np.dot(layer_1, synapse_1))\n"
    solutions = {"forward": forward, "recall_forward": "# from memory\n" + forward, "alpha_answer": "Because."}
    changed = rewrite.rewrite_solutions(solutions, spellings.aliases_at_cell_top)
    assert set(changed) == {"forward", "recall_forward"}
    for code in changed.values():
        assert code.startswith("dot = np.dot\n")
        assert "np.dot" not in code.split("\n", 1)[1]
    assert rewrite.rewrite_solutions({"alpha_answer": "Because."}, spellings.aliases_at_cell_top) is None


def test_an_alias_variant_writes_the_alias_at_the_top_of_the_cell():
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
             for c in _variant("aliases-at-cell-top-ps1").build(None).cells}
    assert cells["forward"].startswith("dot = np.dot\n")
    assert cells["sigmoid"].startswith("exp = np.exp\n")
    lambdas = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
               for c in _variant("lambda-at-cell-top-ps1").build(None).cells}
    assert lambdas["sigmoid"].startswith("sig = lambda x: 1 / (1 + np.exp(-x))\n")


def test_summary_counts_full_marks_and_flags_apart():
    rows = [
        adversarial.Row("a-ps1", "graded: 5/5", "graded: 5/5", True, "honest"),
        adversarial.Row("b-ps1", "graded: 5/5", "graded: 5/5, flagged: fails a clean re-check", False, "honest"),
        adversarial.Row("c-ps2", "graded: 9/9", "graded: 8/9", False, "honest"),
    ]
    assert summary(rows) == "honest: 2/3 full marks, 1 flagged"
    assert parse(rows[1].actual) == ("5/5", "fails a clean re-check")


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory):
    """The honest rows of the quick batch (graded with a few hostile cases, tests/corpus_batch.py)."""
    return [r for r in corpus_batch.rows(tmp_path_factory) if r.corpus == "honest"]


@pytest.mark.nbgrader
def test_a_few_honest_variants_get_full_marks_and_no_flag(quick_rows):
    rows = {r.case: r for r in quick_rows}
    assert set(corpus_batch.HONEST) <= set(rows)
    failing = [r for r in quick_rows if not r.ok and r.case not in corpus_batch.HONEST_OUTSIDE]
    assert not failing, adversarial.table(failing)


@pytest.mark.nbgrader
def test_aliases_and_lambdas_at_the_top_of_a_cell_get_full_marks_and_no_flag(quick_rows):
    assert set(corpus_batch.HONEST_OUTSIDE) <= {r.case for r in quick_rows}
    failing = [r for r in quick_rows if r.case in corpus_batch.HONEST_OUTSIDE and not r.ok]
    assert not failing, adversarial.table(failing)


@pytest.mark.slow
@pytest.mark.nbgrader
def test_every_honest_variant_gets_full_marks_and_no_flag_next_to_the_hostile_corpus(tmp_path):
    rows = adversarial.run(tmp_path, corpora=("hostile", "honest"), log=lambda text: None)
    variants = [r for r in rows if r.corpus == "honest"]
    assert len(variants) == len(honest.CASES)
    assert summary(variants) == f"honest: {len(variants)}/{len(variants)} full marks, 0 flagged", (
        adversarial.table([r for r in variants if not r.ok])
    )


def _checks_of(ps):
    from from_memory.course import integrity
    from from_memory.examples import submissions

    return integrity.graded_calls(submissions.source_notebook(ps))


@pytest.mark.slow
def test_every_variant_passes_every_check_when_its_cells_run_in_one_process(monkeypatch):
    """The corpus itself is right: its cells, run in order, pass the checker (hidden tests included)."""
    import matplotlib

    matplotlib.use("Agg")
    from from_memory.judge import checks

    monkeypatch.setitem(os.environ, "FROM_MEMORY_ITERATIONS", "300")
    calls = {ps: _checks_of(ps) for ps in ASSIGNMENTS}
    problems = []
    for case in honest.CASES:
        namespace = {"__name__": "__main__"}
        for cell in case.build(None).cells:
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            try:
                with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(cell.source, f"<{case.name} {grade_id}>", "exec"), namespace)  # noqa: S102
            except Exception as error:  # noqa: BLE001 - a scratch cell may raise; a test cell may not
                if grade_id in calls[case.assignment]:
                    problems.append(f"{case.name} {grade_id}: {type(error).__name__}: {error}")
            if grade_id in calls[case.assignment]:
                step, function = calls[case.assignment][grade_id]
                verdict = checks.run_step(step, namespace.get(function))
                if not verdict.passed:
                    problems.append(f"{case.name} {grade_id}: {verdict.message.splitlines()[0]}")
    assert not problems, "\n".join(problems)
