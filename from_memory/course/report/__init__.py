"""The class report: what the gradebook and the autograded notebooks say about a class.

Read once (:mod:`.reading`) into small dataclasses (:mod:`.model`), then rendered
(:mod:`.html`, with the figures of :mod:`.charts`) into ``reports/class_report.html``:
per assignment a score histogram, failure rates per step, the most common failure
messages, counts per misconception, the submissions that need a person to look; per
student the total (automatic and manual points, late penalty) and percentage.

    from from_memory.course.report import write_report
    write_report(".")          # -> reports/class_report.html
"""

from __future__ import annotations

from pathlib import Path

from from_memory.course.gradebook import gradebook_url
from from_memory.course.report.html import render_html
from from_memory.course.report.model import (
    REPORT_PATH,
    AssignmentResults,
    MessageCount,
    MisconceptionCount,
    NothingToReport,
    StepResult,
    StepSummary,
    SubmissionResult,
    message_kind,
)
from from_memory.course.report.reading import collect

__all__ = [
    "REPORT_PATH", "AssignmentResults", "MessageCount", "MisconceptionCount", "NothingToReport",
    "StepResult", "StepSummary", "SubmissionResult", "collect", "gradebook_url", "message_kind",
    "render_html", "write_report",
]


def write_report(course_root) -> Path:
    """Write ``reports/class_report.html`` under ``course_root``; return its path."""
    course_root = Path(course_root).resolve()
    results = collect(course_root)
    path = course_root / REPORT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(results), encoding="utf-8")
    return path
