"""Hostile and broken submissions, graded through the real pipeline: is every outcome the expected one?

The corpus and its expected outcomes are data (tests/adversarial/corpus.py); the runner
is the one behind `make adversarial` (from_memory/adversarial.py). The full corpus takes
about two minutes on two cores (its infinite loop alone waits out a 30 s limit), so it is
marked slow; a handful of cases, one of each kind of defence, runs by default.
"""

from __future__ import annotations

import pytest

from from_memory.examples import adversarial

pytestmark = pytest.mark.nbgrader

# One case per defence: the autograder's limits, the structure check, the static scan,
# the sandbox, the clean re-check; plus the honest students and the batch-wide checks.
QUICK = [
    "os-exit",
    "test-cell-deleted",
    "writes-outside-submission",
    "patches-numpy-isclose",
    "hard-coded-blog-outputs",
]


def _run_and_report(tmp_path, only=None):
    rows = adversarial.run(tmp_path, jobs=2, only=only, log=lambda text: None)
    print(adversarial.table(rows))
    print(adversarial.summary(rows))
    return rows


def test_a_few_hostile_cases_end_as_expected_without_touching_honest_students(tmp_path):
    rows = _run_and_report(tmp_path, QUICK)
    assert {r.case for r in rows} >= set(QUICK) | set(adversarial.load_corpus().CLEAN)
    assert any(r.case == "(files) nothing written outside" for r in rows)
    failing = [r for r in rows if not r.ok]
    assert not failing, adversarial.table(failing)


@pytest.mark.slow
def test_every_case_of_the_corpus_ends_as_expected(tmp_path):
    rows = _run_and_report(tmp_path)
    assert (
        len(rows) == len(adversarial.load_corpus().CASES) + len(adversarial.load_corpus().CLEAN) + 5
    )
    assert adversarial.summary(rows) == f"adversarial: {len(rows)}/{len(rows)} as expected", (
        adversarial.table([r for r in rows if not r.ok])
    )


def test_matches_reads_expected_outcomes_strictly():
    assert adversarial.matches("graded: 5/5", "graded: 5/5")
    assert not adversarial.matches("graded: 5/5", "graded: 4/5")
    assert not adversarial.matches("graded: 5/5", "flagged: graded: 5/5")
    assert adversarial.matches(
        "flagged: kernel died", "flagged: could not be graded: kernel died (exit code 3)"
    )
    assert not adversarial.matches("flagged: kernel died", "graded: 0/5")
    with pytest.raises(ValueError, match="starts with 'graded: ' or 'flagged: '"):
        adversarial.matches("passes", "graded: 5/5")


def test_every_corpus_case_has_a_known_kind_of_expected_outcome_and_a_unique_name():
    corpus = adversarial.load_corpus()
    names = [case.name for case in corpus.CASES]
    assert len(names) == len(set(names))
    assert not set(names) & set(corpus.CLEAN)
    assert all(case.expected.split(": ")[0] in ("graded", "flagged") for case in corpus.CASES)
