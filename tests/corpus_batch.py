"""One quick batch of both corpora, graded once per test session and read by both corpus tests.

tests/test_adversarial.py and tests/test_honest.py each check their own rows of it; the
batch costs a release, an autograde, verify and feedback, so it is made only once.
"""

from __future__ import annotations

from from_memory.examples import adversarial

# One hostile case per defence that holds today: the autograder's limits, the structure
# check, the sandbox, the checker's comparisons, a pasted answer.
HOSTILE = [
    "os-exit",
    "test-cell-deleted",
    "writes-outside-submission",
    "hard-coded-blog-outputs",
    "object-array-of-the-right-values",
    "pastes-visible-answer",
]
# One hostile case per class that needs verdicts outside the kernel (issue 11).
HOSTILE_OUTSIDE = [
    "patches-numpy-isclose",
    "sys-getframe-walk",
    "calls-own-name-checking-module",
    "result-subclass-with-lying-ufuncs",
    "mutates-input-with-slice-assignment",
    "visible-assert-fails-synapse-transposed",
    "capstone-helper-init-draws-swapped",
]
HONEST = [
    "explicit-loops-ps1",
    "raising-scratch-cells-ps1",
    "moved-cells-ps1",
    "course-named-helpers-ps6",
    "own-helper-ps6",
]
# Honest variants that today's clean re-check flags (issue 11).
HONEST_OUTSIDE = ["aliases-at-cell-top-ps1", "lambda-at-cell-top-ps6"]
# Batch-wide rows that need verdicts outside the kernel: the visible-assert case leaks today.
ROWS_OUTSIDE = {"(feedback) no hidden tests shown"}

_made: dict[str, list] = {}


def rows(tmp_path_factory) -> list:
    """The rows of the quick batch, graded on the first call."""
    if "rows" not in _made:
        _made["rows"] = adversarial.run(
            tmp_path_factory.mktemp("corpora"),
            corpora=("hostile", "honest"),
            only=HOSTILE + HOSTILE_OUTSIDE + HONEST + HONEST_OUTSIDE,
            log=lambda text: None,
        )
        print(adversarial.table(_made["rows"]))
    return _made["rows"]
