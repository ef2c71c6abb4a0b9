"""One reason a person should look at a submission: what ``from-memory verify`` records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One reason a person should look at a submission."""

    kind: str  # one of KINDS
    reason: str  # one line
    where: str = ""  # a grade_id, a cell number, or "" for the whole notebook
