"""Feedback shows the checker's message, never the hidden tests: for every course.

:class:`HideHiddenTests` is nbgrader's ``ClearHiddenTests`` (it removes the hidden
part of each test cell's source) that also cuts each error output of a graded cell
to its message: IPython's traceback quotes the lines around the failing one, and a
failing visible assert sits right above the hidden tests. ``from-memory feedback``
adds it to nbgrader's feedback preprocessors whatever the course's config says
(:data:`FEEDBACK_PREPROCESSORS`).
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests

from from_memory.engine.execute import failure_output, message_only

FEEDBACK_PREPROCESSORS = (
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "from_memory.course.hide_tests.HideHiddenTests",
    "from_memory.course.feedback_math.RenderMath",  # formulas drawn in the page, offline
    # with `from-memory feedback --partial`: answers not graded yet are labelled as such
    "from_memory.course.handback.LabelWaitingAnswers",
)


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden tests from test cells, and every traceback of a graded cell but its message."""

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            cell.outputs = [
                (failure_output(o.evalue) if o.get("ename") == "StepFailed" else message_only(o))
                if o.get("output_type") == "error" else o
                for o in cell.get("outputs", [])
            ]
        return cell, resources


def command_line() -> list[str]:
    """nbgrader options that set the feedback preprocessors to :data:`FEEDBACK_PREPROCESSORS`."""
    return [f"--GenerateFeedback.preprocessors={list(FEEDBACK_PREPROCESSORS)!r}"]
