"""What became of each submitted notebook, kept in ``reports/autograde_status.json``.

One :class:`Outcome` per notebook of the last grading run that touched it: graded
(with its score), failed (with a one-line reason and the tail of its kernel's
stderr), or skipped. The class report and ``from-memory verify`` read it back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

STATUS_FILE = Path("reports") / "autograde_status.json"


@dataclass
class Outcome:
    """What became of one submitted notebook."""

    student: str
    assignment: str
    notebook: str
    status: str  # "graded" | "failed" | "skipped"
    reason: str = ""  # one line, for failed and skipped notebooks
    seconds: float = 0.0  # wall clock of its execution
    score: float | None = None
    max_score: float | None = None
    stderr: str = ""  # the end of the kernel's stderr, for a failed notebook
    judged: bool = False  # its graded test cells were judged outside the kernel
    cpu: dict = field(default_factory=dict)  # CPU seconds by part (kernel start, cells, judge, recording)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def line(self) -> str:
        """One line for people: ``ada/ps1_forward/ps1_forward: failed: kernel died (exit code 1)``."""
        where = f"{self.student}/{self.assignment}/{self.notebook}"
        if self.status == "graded":
            return f"{where}: graded {_num(self.score)}/{_num(self.max_score)} ({self.seconds:.1f} s)"
        return f"{where}: {self.status}: {self.reason}"


def _num(x) -> str:
    return "?" if x is None else f"{x:g}"


def save_status(root: Path, outcomes: list[Outcome]) -> Path:
    """Merge ``outcomes`` (all but the skipped) into the status file of the course at ``root``."""
    path = root / STATUS_FILE
    status = read_status(root)
    for o in outcomes:
        if o.status != "skipped":
            status[(o.student, o.assignment, o.notebook)] = o
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(o) for _, o in sorted(status.items())]
    path.write_text(json.dumps(rows, indent=1) + "\n")
    return path


def read_status(course_root=".") -> dict[tuple[str, str, str], Outcome]:
    """The last autograde outcome of each (student, assignment, notebook), from the status file."""
    path = Path(course_root) / STATUS_FILE
    if not path.is_file():
        return {}
    known = {f.name for f in fields(Outcome)}
    rows = json.loads(path.read_text())
    return {
        (r["student"], r["assignment"], r["notebook"]): Outcome(**{k: v for k, v in r.items() if k in known})
        for r in rows
    }
