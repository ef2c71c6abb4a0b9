"""The class report: what the gradebook and the autograded notebooks say about a class.

Grades come from nbgrader's gradebook (``nbgrader.api.Gradebook``); the words a
student was shown come from the error outputs of the graded test cells in
``autograded/<student>/<ps>/<ps>.ipynb``. Both are read once into small
dataclasses (:class:`StepResult`, :class:`SubmissionResult`, :class:`AssignmentResults`)
and only then rendered, by :func:`render_html`, into ``reports/class_report.html``:
per assignment a score histogram, failure rates per step, the most common failure
messages, counts per misconception, and the submissions that need a person to look.

    from from_memory.course.report import write_report
    write_report(".")          # -> reports/class_report.html
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

# Graded test cells are named ``test_<step>``; the step is the graded function's name.
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


# -- reading the course --------------------------------------------------------


def gradebook_url(course_root) -> str:
    """The gradebook's database URL: the course config's ``db_url``, else ``<root>/gradebook.db``."""
    course_root = Path(course_root).resolve()
    settings = _course_directory_settings(course_root)
    url = settings.get("db_url")
    root = course_root / settings.get("root", ".")
    if not url:
        return f"sqlite:///{(root / 'gradebook.db').resolve()}"
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
        # nbgrader runs from the course root, so a relative sqlite path means the course root
        return prefix + str((course_root / url[len(prefix) :]).resolve())
    return url


def _course_directory_settings(course_root: Path) -> dict:
    if not (course_root / "nbgrader_config.py").exists():
        return {}
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    section = config.get("CourseDirectory", {})
    return {key: section[key] for key in ("db_url", "root") if key in section}


def collect(course_root) -> list[AssignmentResults]:
    """Read grades and failure messages of every graded submission; one entry per assignment."""
    from nbgrader.api import Gradebook

    course_root = Path(course_root).resolve()
    url = gradebook_url(course_root)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        raise NothingToReport(
            f"no gradebook at {url[len('sqlite:///') :]}: autograde the class first "
            "(`from-memory demo`, or `nbgrader autograde <ps>` in the course root)"
        )
    hints = _known_hints()
    status = _autograde_status(course_root)
    integrity = _integrity_flags(course_root)
    results = []
    with Gradebook(url) as gradebook:
        students = sorted(s.id for s in gradebook.students)
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            entry = AssignmentResults(assignment.name)
            submitted = set()
            for submission in sorted(assignment.submissions, key=lambda s: s.student.id):
                submitted.add(submission.student.id)
                entry.submissions.append(
                    _read_submission(
                        course_root, assignment.name, submission, hints, status, integrity
                    )
                )
            entry.students_without_submission = [s for s in students if s not in submitted]
            if entry.submissions:
                results.append(entry)
    if not results:
        raise NothingToReport(
            f"the gradebook {url} holds no graded submission yet: "
            "autograde the class first (`from-memory demo`)"
        )
    return results


def _read_submission(
    course_root: Path, assignment: str, submission, hints: dict, status: dict, integrity: dict
) -> SubmissionResult:
    """Scores are the automatic part: the graded code cells (``test_<step>``).

    Written answers (graded markdown cells) are only counted, as work for a person.
    """
    student = submission.student.id
    flags = []
    steps = []
    answers_to_grade = 0
    for notebook in sorted(submission.notebooks, key=lambda n: n.name):
        path = course_root / "autograded" / student / assignment / f"{notebook.name}.ipynb"
        graded_cells = _graded_cells(path)
        if graded_cells is None:
            outcome = status.get((student, assignment, notebook.name))
            reason = getattr(outcome, "reason", "") or "the kernel may have died while grading it"
            flags.append(f"no autograded notebook `{notebook.name}.ipynb` ({reason})")
        order = list(graded_cells or ())  # notebook order, when the notebook is there
        for grade in sorted(notebook.grades, key=lambda g: _position(order, g.name)):
            if grade.cell_type != "code":
                answers_to_grade += bool(grade.needs_manual_grade)
                continue
            if not grade.max_score:
                continue
            step = grade.name.removeprefix(TEST_PREFIX)
            message, hint, slug = _split_hint((graded_cells or {}).get(grade.name))
            steps.append(
                StepResult(
                    step=step,
                    score=None if grade.auto_score is None else float(grade.score),
                    max_score=float(grade.max_score),
                    needs_manual_grade=bool(grade.needs_manual_grade),
                    message=message,
                    hint=hint,
                    misconception=slug or (hints.get(hint) if hint else None),
                )
            )
            if graded_cells is not None and grade.name not in graded_cells:
                flags.append(f"test cell `{grade.name}` is missing from the notebook (deleted?)")
            elif message and message.startswith(STDERR_ONLY):
                flags.append(
                    f"`{step}` lost its points to stderr output alone, not to a failed check"
                )
    unscored = [s.step for s in steps if s.score is None]
    manual = [s.step for s in steps if s.needs_manual_grade]
    if unscored:
        flags.append("no automatic score for " + ", ".join(f"`{s}`" for s in unscored))
    if manual:
        flags.append("needs manual grading: " + ", ".join(f"`{s}`" for s in manual))
    found = integrity.get((student, assignment), [])
    # the verify stage knows for sure what the missing-cell guess above only suspects
    flags = [f for f in flags if not any(_same_cell(f, reason) for reason in found)]
    flags.extend(found)
    return SubmissionResult(
        assignment=assignment,
        student=student,
        score=sum(s.score or 0.0 for s in steps),
        max_score=sum(s.max_score for s in steps),
        steps=tuple(steps),
        flags=tuple(dict.fromkeys(flags)),
        answers_to_grade=answers_to_grade,
    )


def message_kind(message: str) -> str:
    """``message`` with its numbers (outside backticks) replaced by ``…``."""
    parts = message.split("`")
    return "`".join(part if i % 2 else NUMBER.sub("…", part) for i, part in enumerate(parts))


def _same_cell(flag: str, reason: str) -> bool:
    """Do both texts name the same missing test cell?"""
    cell = re.match(r"test cell (`[^`]+`) is missing", flag)
    return bool(cell) and cell.group(1) in reason


def _position(order: list, name: str) -> tuple:
    return (order.index(name) if name in order else len(order), name)


def _graded_cells(path: Path) -> dict | None:
    """``{grade_id: what the cell showed as an error, or None}`` for a notebook's graded code cells.

    nbgrader 0.9 gives a test cell 0 points for an error output and also for any
    output on stderr (a warning, say); when there is no error, the stderr text is the
    reason. ``None`` when the notebook does not exist.
    """
    if not path.exists():
        return None
    notebook = nbformat.read(path, as_version=4)
    found: dict = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        errors = [o for o in outputs if o.get("output_type") == "error"]
        stderr = [
            o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
        ]
        if errors:
            found[grade_id] = _error_text(errors[0].get("ename", ""), errors[0].get("evalue", ""))
        elif stderr:
            text = _strip_ansi("".join(o.get("text", "") for o in stderr)).strip()
            found[grade_id] = f"{STDERR_ONLY}: {(text.splitlines() or [''])[0]}"
        else:
            found[grade_id] = None
    return found


def _error_text(ename: str, evalue: str) -> str:
    evalue = _strip_ansi(evalue).strip()
    if ename in CHECKER_ERRORS and evalue:
        return evalue
    return f"{ename}: {evalue}" if evalue else ename


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _split_hint(text: str | None) -> tuple[str | None, str | None, str | None]:
    """``(first line of the message, hint, mutant slug)`` of a test cell's error text."""
    if not text:
        return None, None, None
    head, marker, hint = text.partition(HINT_MARKER)
    first_line = (head.strip() or text.strip()).splitlines()[0]
    if not marker:
        return first_line, None, None
    hint = hint.strip()
    found = SLUG_AT_END.search(hint)
    if found:
        return first_line, hint[: found.start()].strip() or None, found.group(1)
    return first_line, hint or None, None


def _autograde_status(course_root: Path) -> dict:
    """The parallel autograder's last outcome per notebook (why a notebook failed), if any."""
    try:
        from from_memory.engine.grading import read_status
    except ImportError:
        return {}
    return read_status(course_root)


def _integrity_flags(course_root: Path) -> dict:
    """``{(student, assignment): [reason]}`` from ``from-memory verify`` (reports/integrity.json), if run.

    Autograde failures are left out: the missing autograded notebook already says why.
    """
    try:
        from from_memory.course.verify import KINDS, read_findings
    except ImportError:
        return {}
    kinds = tuple(k for k in KINDS if k != "autograde")
    return {
        key: [f.reason for f in found] for key, found in read_findings(course_root, kinds).items()
    }


def _known_hints() -> dict:
    """``{hint: mutant slug}`` from the mutant catalog (empty if it cannot be imported)."""
    try:
        from from_memory.judge import mutants
    except ImportError:
        return {}
    return {m.hint.strip(): m.slug for m in getattr(mutants, "CATALOG", ())}


# -- rendering -----------------------------------------------------------------


def write_report(course_root) -> Path:
    """Write ``reports/class_report.html`` under ``course_root``; return its path."""
    course_root = Path(course_root).resolve()
    results = collect(course_root)
    path = course_root / REPORT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(results), encoding="utf-8")
    return path


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
            "Scores are read from the gradebook and count the automatically graded steps; "
            "messages are what the graded test cells showed the students. "
            'Each student\'s scores are <a href="#students">at the end</a>.</p>'
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
    """Each student's automatic score per assignment; flagged ones marked."""
    rows = []
    for student in students:
        row = [student]
        for a in results:
            found = next((s for s in a.submissions if s.student == student), None)
            if found is None:
                row.append("not submitted")
            else:
                row.append(
                    f"{found.score:g} / {found.max_score:g}"
                    + (" (flagged)" if found.flagged else "")
                )
        rows.append(row)
    return (
        '<section id="students"><h2>Scores by student</h2>'
        + _table(["student", *[a.name for a in results]], rows)
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
    parts.append(_img(_score_histogram(a), f"{a.name}: score histogram"))
    parts.append(_img(_failure_rate_chart(a.name, steps), f"{a.name}: failure rate per step"))
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
            _img(_misconception_chart(a.name, misconceptions), f"{a.name}: misconceptions")
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


# -- figures (matplotlib, Agg) ----------------------------------------------------


def _figure(width=5.0, height=3.0):
    """A figure drawn by the Agg canvas, without touching pyplot or the session's backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _score_histogram(a: AssignmentResults) -> bytes:
    figure, axes = _figure()
    top = max([a.max_score, *a.scores, 1.0])
    if top <= 20:
        bins = [b - 0.5 for b in range(int(top) + 2)]
    else:
        bins = 10
    fine = [s.score for s in a.submissions if not s.flagged]
    flagged = [s.score for s in a.submissions if s.flagged]
    axes.hist(
        [fine, flagged],
        bins=bins,
        stacked=True,
        color=["#4c72b0", "#c44e52"],
        label=["graded automatically", "flagged"],
        edgecolor="white",
    )
    if flagged:
        axes.legend(loc="upper left", fontsize=8)
    axes.set_xlabel(f"score (out of {a.max_score:g})")
    axes.set_ylabel("students")
    figure.suptitle(f"{a.name}: scores", fontsize=11)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def _failure_rate_chart(name: str, steps: list[StepSummary]) -> bytes:
    figure, axes = _figure(5.0, max(1.8, 0.45 * len(steps) + 1.0))
    labels = [s.step for s in steps][::-1]
    rates = [100 * s.failure_rate for s in steps][::-1]
    bars = axes.barh(labels, rates, color="#dd8452")
    for bar, step in zip(bars, steps[::-1], strict=True):
        axes.annotate(
            f"{step.failed}/{step.graded}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    axes.set_xlim(0, 110)
    axes.set_xlabel("students failing (%)")
    figure.suptitle(f"{name}: failure rate per step", fontsize=11)
    return _png(figure)


def _misconception_chart(name: str, misconceptions: list[MisconceptionCount]) -> bytes:
    figure, axes = _figure(6.0, max(1.8, 0.4 * len(misconceptions) + 1.0))
    labels = [m.misconception for m in misconceptions][::-1]
    axes.barh(labels, [m.count for m in misconceptions][::-1], color="#55a868")
    axes.set_xlabel("students")
    axes.xaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(f"{name}: misconceptions the checker named", fontsize=11)
    return _png(figure)


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
