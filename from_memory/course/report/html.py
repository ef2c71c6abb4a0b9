"""Rendering the class report: one self-contained HTML page with inline charts."""

from __future__ import annotations

import base64
import html
import re

from from_memory.course.report import charts
from from_memory.course.report.model import AssignmentResults

# -- rendering -----------------------------------------------------------------


def render_html(results: list[AssignmentResults]) -> str:
    students = sorted({s.student for a in results for s in a.submissions})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>From Memory: class report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>From Memory: class report</h1>",
        (
            f"<p>{len(students)} students, {len(results)} assignments. "
            "Per assignment, scores count the automatically graded steps and messages are what "
            "the graded test cells showed the students. Each student's total (automatic and "
            "manual points, less any late penalty; answers not graded yet are shown as waiting, "
            'not as 0) is <a href="#students">at the end</a>, as in grades.csv and the feedback.</p>'
        ),
        _overview_table(results),
    ]
    parts += [_assignment_section(a) for a in results]
    parts.append(_students_table(results, students))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _overview_table(results: list[AssignmentResults]) -> str:
    rows = []
    for a in results:
        scores = a.scores
        mean = sum(scores) / len(scores)
        full = sum(1 for s in a.submissions if s.score >= a.max_score > 0)
        rows.append(
            [
                f'<a href="#{_e(a.name)}">{_e(a.name)}</a>',
                len(a.submissions),
                f"{mean:.1f} / {a.max_score:g}",
                full,
                len(a.flagged),
                a.answers_to_grade,
            ]
        )
    header = ["assignment", "graded", "mean score", "full marks", "flagged", "answers to grade"]
    return _table(header, rows, raw=True)


def _students_table(results: list[AssignmentResults], students: list[str]) -> str:
    """Each student's total per assignment (auto + manual, late penalty off), then the term's."""
    rows = []
    for student in students:
        row = [student]
        score = graded = possible = 0.0
        waiting = 0.0
        for a in results:
            found = next((s for s in a.submissions if s.student == student), None)
            if found is None:
                row.append("not submitted")
                possible += a.max_total
                graded += a.max_total
                continue
            t = found.total
            if t is None:  # no total known: the automatic part only
                row.append(f"{found.score:g} / {found.max_score:g}" + (" (flagged)" if found.flagged else ""))
                score, graded, possible = score + found.score, graded + found.max_score, possible + found.max_score
                continue
            row.append(t.shown() + (" (flagged)" if found.flagged else ""))
            score += t.score
            possible += t.max_score
            graded += t.max_score - t.waiting_points
            waiting += t.waiting_points
        row.append(f"{score:g} / {possible:g}" + (f" ({waiting:g} waiting for grading)" if waiting else ""))
        row.append(f"{100 * score / graded:.0f}%" if graded else "")
        rows.append(row)
    return (
        '<section id="students"><h2>Totals by student</h2>'
        "<p>Points given automatically and by hand, less late penalties. The percentage is of "
        "the points graded so far (answers waiting for grading are left out of it; work not "
        "submitted counts as 0).</p>"
        + _table(["student", *[a.name for a in results], "total", "percent"], rows)
        + "</section>"
    )


def _assignment_section(a: AssignmentResults) -> str:
    steps = a.steps
    parts = [f'<section id="{_e(a.name)}"><h2>{_e(a.name)}</h2>']
    missing = (
        f" Not submitted: {', '.join(a.students_without_submission)}."
        if a.students_without_submission
        else ""
    )
    written = (
        f" {a.answers_to_grade} written answers wait for manual grading (not in these scores)."
        if a.answers_to_grade
        else ""
    )
    parts.append(
        f"<p>{len(a.submissions)} graded submissions; the graded steps are worth "
        f"{a.max_score:g} point{'' if a.max_score == 1 else 's'}.{missing}{written}</p>"
    )
    parts.append('<div class="figures">')
    parts.append(_img(charts.score_histogram(a), f"{a.name}: score histogram"))
    parts.append(_img(charts.failure_rate_chart(a.name, steps), f"{a.name}: failure rate per step"))
    parts.append("</div>")

    parts.append("<h3>Steps</h3>")
    parts.append(
        _table(
            ["step", "graded", "failed", "failure rate"],
            [[s.step, s.graded, s.failed, f"{s.failure_rate:.0%}"] for s in steps],
            code_columns=(0,),
        )
    )
    parts.append("<h3>Most common failure messages</h3>")
    messages = a.common_messages
    parts.append(
        _table(
            ["step", "message", "students"],
            [[m.step, m.message, m.count] for m in messages],
            code_columns=(0,),
        )
        if messages
        else "<p>No failing test cell.</p>"
    )
    parts.append("<h3>Misconceptions</h3>")
    misconceptions = a.misconceptions
    if misconceptions:
        parts.append(
            _img(charts.misconception_chart(a.name, misconceptions), f"{a.name}: misconceptions")
        )
        parts.append(
            _table(
                ["step", "misconception", "hint shown", "students"],
                [[m.step, m.misconception, m.hint, m.count] for m in misconceptions],
                code_columns=(0, 1),
            )
        )
    else:
        parts.append("<p>No failure matched a known misconception.</p>")
    parts.append("<h3>Flagged submissions</h3>")
    flagged = a.flagged
    parts.append(
        _table(
            ["student", "score", "reason"],
            [[s.student, f"{s.score:g} / {s.max_score:g}", "; ".join(s.flags)] for s in flagged],
        )
        if flagged
        else "<p>None: every submission was graded automatically.</p>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def _table(header, rows, code_columns=(), raw=False) -> str:
    def cell(i, value):
        text = str(value) if raw else _e(str(value))
        if i in code_columns:
            text = f"<code>{text}</code>"
        elif not raw:
            text = _backticks(text)
        cls = ' class="num"' if isinstance(value, int | float) else ""
        return f"<td{cls}>{text}</td>"

    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(cell(i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _backticks(text: str) -> str:
    """Show the checker's `name` spans as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { margin-bottom: 0.2em; }
section { border-top: 2px solid #ddd; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; }
code { background: #f6f6f6; padding: 0 0.2em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
img { max-width: 100%; }
"""
