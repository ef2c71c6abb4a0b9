"""Hostile and broken submissions, graded through the real pipeline: is every outcome the expected one?

The corpus and its expected outcomes are data (from_memory/examples/hostile/); the runner
is the one behind `make adversarial` (from_memory/examples/adversarial.py). The full corpus
takes minutes, so it is marked slow; one quick batch runs by default. Expected outcomes
are written for verdicts made outside the student's kernel (issue 11): the cases that
need it are tested apart, as strict expected failures until it lands.
"""

from __future__ import annotations

import corpus_batch
import pytest

from from_memory.examples import adversarial, hostile
from from_memory.examples.corpus import Case, Context, matches, outcome_of, parse


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory):
    return [r for r in corpus_batch.rows(tmp_path_factory) if r.corpus != "honest"]


@pytest.mark.nbgrader
def test_a_few_hostile_cases_end_as_expected_without_touching_honest_students(quick_rows):
    names = {r.case for r in quick_rows}
    assert names >= set(corpus_batch.HOSTILE) | {c.name for c in hostile.CLEAN}
    assert "(files) nothing written outside" in names
    outside = set(corpus_batch.HOSTILE_OUTSIDE) | corpus_batch.ROWS_OUTSIDE
    failing = [r for r in quick_rows if not r.ok and r.case not in outside]
    assert not failing, adversarial.table(failing)


@pytest.mark.nbgrader
def test_cheats_that_need_verdicts_outside_the_kernel_end_as_expected(quick_rows):
    outside = set(corpus_batch.HOSTILE_OUTSIDE) | corpus_batch.ROWS_OUTSIDE
    assert outside <= {r.case for r in quick_rows}
    failing = [r for r in quick_rows if not r.ok and r.case in outside]
    assert not failing, adversarial.table(failing)


@pytest.mark.slow
@pytest.mark.nbgrader
def test_every_case_of_the_corpus_ends_as_expected(tmp_path):
    rows = adversarial.run(tmp_path, log=lambda text: None)
    print(adversarial.table(rows))
    assert len(rows) == len(hostile.CASES) + len(hostile.CLEAN) + 7
    assert adversarial.summary(rows) == f"adversarial: {len(rows)}/{len(rows)} as expected", (
        adversarial.table([r for r in rows if not r.ok])
    )


# -- the corpus as data ----------------------------------------------------------------


def test_matches_reads_expected_outcomes_strictly():
    assert matches("graded: 5/5", "graded: 5/5")
    assert not matches("graded: 5/5", "graded: 4/5")
    assert not matches("graded: 5/5", "graded: 5/5, flagged: imports the course kit")
    assert matches("flagged: kernel died", "graded: 0/5, flagged: could not be graded: kernel died (exit code 3)")
    assert matches("flagged: not valid JSON", "flagged: could not be graded: not valid JSON")
    assert not matches("flagged: kernel died", "graded: 0/5")
    assert matches("graded: 0/5, flagged: imports the course kit", "graded: 0/5, flagged: imports the course kit (x)")
    assert not matches("graded: 0/5, flagged: imports the course kit", "graded: 1/5, flagged: imports the course kit")
    assert not matches("graded: 0/5, flagged: imports the course kit", "graded: 0/5")
    assert not matches("graded: 5/5", "graded: 5/5 (and its submitted file changed)")
    for text in ("passes", "graded: five/5", "graded: 5/5, ", "flagged: ", ""):
        with pytest.raises(ValueError, match="an expected outcome is"):
            parse(text)


def test_outcome_of_shows_the_reason_the_expectation_names():
    reasons = ["cell `x` appears 2 times", "imports the course kit (the reference solution)"]
    assert outcome_of((0, 5), reasons, "flagged: imports the course kit") == (
        "graded: 0/5, flagged: imports the course kit (the reference solution)"
    )
    assert outcome_of(None, reasons[:1]) == "flagged: cell `x` appears 2 times"
    assert outcome_of((4.5, 9), []) == "graded: 4.5/9"


def test_every_corpus_case_has_a_unique_name_and_an_expected_outcome_of_a_known_kind():
    names = [case.name for case in hostile.CASES]
    assert len(names) == len(set(names))
    assert not set(names) & {c.name for c in hostile.CLEAN}
    for case in [*hostile.CASES, *hostile.CLEAN]:
        assert isinstance(case, Case)
        parse(case.expected)


def test_every_class_of_cheat_has_several_spellings():
    from from_memory.examples.hostile import copies, lies, reach, retry

    assert len(reach.REFLECTION) >= 5
    assert len(reach.FRAMES) >= 4
    assert len(reach._files("", "ps1_forward", 0)) >= 6
    assert {"calls-own-name-checking-module", "calls-own-name-checking-code"} <= {c.name for c in retry.CASES}
    assert len([c for c in retry.CASES if "keeps-reference" in c.name]) >= 2
    assert len(lies.LYING) >= 6
    assert len(lies.MUTATING) >= 3
    assert len(copies.CAPSTONES) >= 3
    assert len(copies.PASTED) >= 2
    assert len(copies.VISIBLE_FAILS) >= 3
    assert {c.assignment for c in hostile.CASES} == {
        "ps1_forward", "ps2_backprop", "ps3_alpha", "ps4_directions", "ps5_hidden", "ps6_capstone"
    }


def test_every_reflection_and_frame_trick_asks_for_the_reference_in_every_wrong_function(tmp_path):
    nb = next(c for c in hostile.CASES if c.name == "sys-getframe-walk").build(Context(tmp_path, tmp_path))
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    assert "def _reference(name):" in cells["sigmoid"]
    for step in ("sigmoid", "init_synapses", "forward_two_layer", "forward"):
        assert f"_reference('{step}')" in cells[step]


@pytest.mark.parametrize(("ps", "step"), [("ps1_forward", "forward_two_layer"), ("ps2_backprop", "hidden_delta")])
def test_a_pasted_answer_is_the_one_the_released_test_cell_states(ps, step):
    from from_memory.course.known_cases import number
    from from_memory.examples import submissions
    from from_memory.examples.hostile import copies

    cell = next(c for c in submissions.release_notebook(ps).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == f"test_{step}")
    answer = copies.visible_answer(ps, step)
    assert answer.size
    assert all(number(v) in cell.source for v in answer.ravel())
    assert f"np.array({answer.tolist()!r})" in copies.pasted(ps, step)
