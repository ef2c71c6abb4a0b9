"""A submitted notebook's nbgrader cells against the released notebook's: what was tampered with.

Cell sources are not compared: nbgrader restores locked and test cells from the gradebook,
so an edited test cell is graded as the instructor wrote it. What is compared is which of
the instructor's cells are there, in which order, with which nbgrader metadata.
"""

from __future__ import annotations

import copy
from collections import Counter

from from_memory.course.findings import Finding


def _nbgrader_cells(notebook) -> list[tuple[str, dict]]:
    return [
        (cell.metadata["nbgrader"]["grade_id"], dict(cell.metadata["nbgrader"]))
        for cell in notebook.cells
        if isinstance(cell.metadata.get("nbgrader"), dict)
        and cell.metadata["nbgrader"].get("grade_id")
    ]


def structure(submitted, released) -> list[Finding]:
    """How the nbgrader cells of ``submitted`` differ from those of ``released``.

    Cell sources are not compared: nbgrader restores locked and test cells from the
    gradebook, so an edited test cell is graded as the instructor wrote it.
    """
    theirs = _nbgrader_cells(submitted)
    ours = dict(_nbgrader_cells(released))
    findings = []
    counts = Counter(grade_id for grade_id, _ in theirs)
    for grade_id, meta in ours.items():
        if grade_id not in counts:
            what = "test cell" if meta.get("grade") and not meta.get("solution") else "cell"
            findings.append(Finding("structure", f"{what} `{grade_id}` was deleted", grade_id))
    for grade_id, n in counts.items():
        if n > 1:
            findings.append(Finding("structure", f"cell `{grade_id}` appears {n} times", grade_id))
    moved = _moved(theirs, ours)
    if moved:
        findings.append(Finding("structure", f"cells are out of order (`{moved}` was moved)", moved))
    for grade_id, meta in theirs:
        if grade_id not in ours:
            if meta.get("locked") or meta.get("grade"):
                findings.append(
                    Finding(
                        "structure",
                        f"cell `{grade_id}` claims to be the instructor's (locked or graded) "
                        "but is not part of the assignment",
                        grade_id,
                    )
                )
            continue
        changed = sorted(
            k for k in set(meta) | set(ours[grade_id]) if meta.get(k) != ours[grade_id].get(k)
        )
        if changed:
            findings.append(
                Finding(
                    "structure",
                    f"the nbgrader metadata of `{grade_id}` was changed ({', '.join(changed)})",
                    grade_id,
                )
            )
    return list(dict.fromkeys(findings))


def _moved(theirs, ours) -> str | None:
    """The first instructor's cell out of its place, or None.

    The instructor's cells keep their order, and each still follows every answer cell it
    follows in the release (a test moved above its answer). Students may move their own
    answers earlier and add cells anywhere.
    """
    instructors = [g for g, meta in ours.items()
                   if meta.get("locked") or (meta.get("grade") and not meta.get("solution"))]
    answers = [g for g in ours if g not in instructors]
    order = list(dict.fromkeys(g for g, _ in theirs if g in ours))
    present = [g for g in instructors if g in order]
    seen = [g for g in order if g in instructors]
    if seen != present:
        return next(a for a, b in zip(seen, present, strict=False) if a != b)
    release = list(ours)
    for grade_id in present:
        before = {a for a in answers if release.index(a) < release.index(grade_id) and a in order}
        if any(order.index(a) > order.index(grade_id) for a in before):
            return grade_id
    return None


def trusted_view(submitted, released):
    """A copy of ``submitted`` whose cells count as the instructor's only if the release says so.

    nbgrader metadata on any other cell (a cell the student marked ``locked`` to hide
    it from the scan, say) is dropped, so the scan reads it as the student's code.
    """
    instructors = {
        grade_id
        for grade_id, meta in _nbgrader_cells(released)
        if meta.get("locked") or meta.get("grade")
    }
    view = copy.deepcopy(submitted)
    for cell in view.cells:
        meta = cell.metadata.get("nbgrader")
        claims = isinstance(meta, dict) and (meta.get("locked") or meta.get("grade"))
        if claims and meta.get("grade_id") not in instructors:
            del cell.metadata["nbgrader"]
    return view


# -- one notebook ---------------------------------------------------------------------


