"""The class report's results, modelled once: read by ``reading``, rendered by ``html``."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from from_memory.course.totals import Total

TEST_PREFIX = "test_"
# The checker ends a message with this when a known misconception reproduces the output.
HINT_MARKER = "Likely mistake:"
REPORT_PATH = Path("reports") / "class_report.html"
# A failed check raises one of these; its message is all the student needs to read.
CHECKER_ERRORS = ("AssertionError", "StepFailed")
# The checker names a matching catalog mutant in brackets at the end of the hint.
SLUG_AT_END = re.compile(r"\s*\[([a-z0-9_]+__[a-z0-9_]+)\]\s*$")
# How a test cell that scored 0 only for writing to stderr is described.
STDERR_ONLY = "no error, but output on stderr (nbgrader gives 0 for it)"
# Numbers in a message (not inside `names`), masked so that messages group by kind.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
# How many distinct failure messages each assignment lists.
TOP_MESSAGES = 12


class NothingToReport(RuntimeError):
    """There is no gradebook, or nothing in it has been graded yet."""


# -- the results, modelled once -----------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """One graded step (one ``test_<step>`` cell) of one student's submission."""

    step: str
    score: float | None  # None: the autograder gave no score
    max_score: float
    needs_manual_grade: bool
    message: str | None = None  # the first line of what the failing test cell said
    hint: str | None = None  # the "Likely mistake:" sentence, if any
    misconception: str | None = None  # the mutant slug that hint belongs to, if known

    @property
    def passed(self) -> bool:
        return self.score is not None and self.score >= self.max_score

    @property
    def failed(self) -> bool:
        return self.score is not None and self.score < self.max_score


@dataclass(frozen=True)
class SubmissionResult:
    """One student's submission of one assignment."""

    assignment: str
    student: str
    score: float
    max_score: float
    steps: tuple[StepResult, ...]
    flags: tuple[str, ...] = ()  # why a person should look at it; empty when fine
    answers_to_grade: int = 0  # written answers waiting for a person (normal, not a flag)
    total: Total | None = None  # automatic + manual points, late penalty, what still waits

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class StepSummary:
    """How the class did on one step."""

    step: str
    graded: int  # submissions with a score for this step
    failed: int

    @property
    def failure_rate(self) -> float:
        return self.failed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class MessageCount:
    step: str
    message: str
    count: int


@dataclass(frozen=True)
class MisconceptionCount:
    step: str
    misconception: str  # a mutant slug, or the hint itself when no slug matches
    hint: str
    count: int


@dataclass
class AssignmentResults:
    """Everything the report says about one assignment."""

    name: str
    submissions: list[SubmissionResult] = field(default_factory=list)
    students_without_submission: list[str] = field(default_factory=list)

    @property
    def max_score(self) -> float:
        """Points of the automatically graded steps (written answers are not included)."""
        return max((s.max_score for s in self.submissions), default=0.0)

    @property
    def max_total(self) -> float:
        """Points of the whole assignment, written answers included."""
        return max(
            (s.total.max_score if s.total else s.max_score for s in self.submissions), default=0.0
        )

    @property
    def answers_to_grade(self) -> int:
        return sum(s.answers_to_grade for s in self.submissions)

    @property
    def scores(self) -> list[float]:
        return [s.score for s in self.submissions]

    @property
    def steps(self) -> list[StepSummary]:
        order: list[str] = []
        graded: Counter = Counter()
        failed: Counter = Counter()
        for submission in self.submissions:
            for step in submission.steps:
                if step.step not in order:
                    order.append(step.step)
                if step.score is not None:
                    graded[step.step] += 1
                    failed[step.step] += step.failed
        return [StepSummary(name, graded[name], failed[name]) for name in order]

    @property
    def common_messages(self) -> list[MessageCount]:
        """Failure messages by kind: numbers masked as ``…``; the most frequent first."""
        order = [s.step for s in self.steps]
        counts = Counter(
            (step.step, message_kind(step.message))
            for submission in self.submissions
            for step in submission.steps
            if step.failed and step.message
        )
        ranked = sorted(
            counts.items(), key=lambda item: (-item[1], order.index(item[0][0]), item[0][1])
        )
        return [MessageCount(s, m, n) for (s, m), n in ranked[:TOP_MESSAGES]]

    @property
    def misconceptions(self) -> list[MisconceptionCount]:
        counts: Counter = Counter()
        hints: dict = {}
        for submission in self.submissions:
            for step in submission.steps:
                if step.failed and step.hint:
                    key = (step.step, step.misconception or step.hint)
                    counts[key] += 1
                    hints[key] = step.hint
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [MisconceptionCount(s, m, hints[(s, m)], n) for (s, m), n in ranked]

    @property
    def flagged(self) -> list[SubmissionResult]:
        return [s for s in self.submissions if s.flagged]


def message_kind(message: str) -> str:
    """``message`` with its numbers (outside backticks) replaced by ``…``."""
    parts = message.split("`")
    return "`".join(part if i % 2 else NUMBER.sub("…", part) for i, part in enumerate(parts))
