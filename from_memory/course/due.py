"""Due dates and the late policy.

Due dates live in nbgrader's gradebook (``Assignment.duedate``, in UTC), where nbgrader's
collect, autograde and late-submission plugin read them. They are written there by
``from-memory release``, from ``nbgrader_config.py``::

    c.Deadlines.due = {"ps1_forward": "2025-10-06 17:00 Europe/London"}

or, for the assignments released, from ``from-memory release --due '2025-10-06 17:00 UTC'``.
Late work is scored by nbgrader's ``AssignLatePenalties`` step with the plugin below,
configured in the same file::

    c.AssignLatePenalties.plugin_class = "from_memory.course.due.LatePenalty"
    c.LatePenalty.percent_per_day = 10     # of the notebook's score, per day or part of one
    c.LatePenalty.grace_minutes = 15
"""

from __future__ import annotations

import datetime
import math
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float
from traitlets.config import Configurable

from from_memory import course
from from_memory.course import CourseError

DUE_FORMAT = "YYYY-MM-DD HH:MM TZ"
_DUE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?::(\d{2}))?\s+(\S+)\s*$")
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})$")


class Deadlines(Configurable):
    """Due dates per assignment, read by ``from-memory release``."""

    due = Dict(
        {},
        help=f"assignment -> due date, written '{DUE_FORMAT}' (TZ: UTC, +0200 or a zone such as "
        "Europe/London); recorded in the gradebook at release",
    ).tag(config=True)


class LatePenalty(LateSubmissionPlugin):
    """A share of the notebook's score off for each started day late, after a grace period."""

    percent_per_day = Float(
        10.0, help="percent of the notebook's score taken off per day late (or part of a day)"
    ).tag(config=True)
    grace_minutes = Float(15.0, help="minutes after the due date still counted on time").tag(
        config=True
    )

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return penalty(score, total_seconds_late, self.percent_per_day, self.grace_minutes)


def penalty(score: float, seconds_late: float, percent_per_day: float, grace_minutes: float):
    """Points taken off ``score`` for work ``seconds_late``; None when it counts as on time."""
    late = seconds_late - 60 * grace_minutes
    if late <= 0:
        return None
    days = math.ceil(late / 86400)
    return min(score, score * percent_per_day * days / 100)


def parse_due(text: str) -> datetime.datetime:
    """``'2025-10-06 17:00 Europe/London'`` as an aware datetime in UTC; CourseError if unreadable."""
    found = _DUE.match(text or "")
    if not found:
        raise CourseError(
            f"cannot read the due date {text!r}: write it as '{DUE_FORMAT}', "
            "e.g. --due '2025-10-06 17:00 Europe/London' or --due '2025-10-06 17:00 UTC'"
        )
    day, clock, seconds, zone = found.groups()
    local = datetime.datetime.fromisoformat(f"{day} {clock.zfill(5)}:{seconds or '00'}")
    return local.replace(tzinfo=_zone(zone, text)).astimezone(datetime.timezone.utc)


def _zone(name: str, text: str) -> datetime.tzinfo:
    if name.upper() in ("UTC", "GMT", "Z"):
        return datetime.timezone.utc
    offset = _OFFSET.match(name.upper())
    if offset:
        sign, hours, minutes = offset.groups()
        delta = datetime.timedelta(hours=int(hours), minutes=int(minutes))
        return datetime.timezone(delta if sign == "+" else -delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(
            f"unknown time zone {name!r} in the due date {text!r}: use UTC, an offset such as "
            "+0200, or a zone name such as Europe/London"
        ) from None


def configured_due_dates(course_root) -> dict[str, str]:
    """``c.Deadlines.due`` of the course's ``nbgrader_config.py``."""
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(course_root).resolve()
    if not (root / course.CONFIG_FILE).exists():
        return {}
    config = PyFileConfigLoader(course.CONFIG_FILE, path=str(root)).load_config()
    return dict(config.get("Deadlines", {}).get("due", {}) or {})


def record_due_dates(course_root, names, due: str | None = None) -> dict:
    """Write due dates into the gradebook: ``due`` for every name, else the configured ones.

    Returns ``{assignment: UTC datetime}`` of what was recorded, through nbgrader's
    ``Gradebook.update_or_create_assignment`` (the gradebook must exist: release first).
    """
    from from_memory.course.gradebook import open_gradebook

    root = Path(course_root).resolve()
    configured = configured_due_dates(root)
    unknown = sorted(set(configured) - set(course.assignments(root)))
    if unknown:
        raise CourseError(
            f"c.Deadlines.due in {course.CONFIG_FILE} names {unknown[0]!r}, which is not in source/: "
            "fix the name there"
        )
    chosen = {name: due for name in names} if due else {
        name: configured[name] for name in names if name in configured
    }
    recorded = {name: parse_due(text) for name, text in chosen.items()}
    if recorded:
        with open_gradebook(root) as gradebook:
            for name, when in recorded.items():  # nbgrader keeps naive UTC datetimes
                gradebook.update_or_create_assignment(name, duedate=when.replace(tzinfo=None))
    return recorded


def release_term(course_root, assignments=None, *, due=None, exchange=False, verbose=False):
    """Release (nbgrader generate_assignment), record due dates, and with ``exchange``
    put the assignments in nbgrader's exchange for students to fetch. Yields report lines.
    """
    from from_memory.course.collect import ensure_exchange

    root = Path(course_root).resolve()
    names = course.choose_assignments(root, assignments)
    if due:
        parse_due(due)  # a typo stops the release before anything is written
    for notebook in course.release(root, names, verbose=verbose):
        yield f"released {notebook.relative_to(root)}"
    for name, when in record_due_dates(root, names, due).items():
        yield f"{name} is due {when:%Y-%m-%d %H:%M} UTC"
    if exchange:
        folder = ensure_exchange(root)
        for name in names:
            course.run_nbgrader(root, "release_assignment", name, "--force", verbose=verbose)
            yield f"{name} is in the exchange ({folder}) for students to fetch"
