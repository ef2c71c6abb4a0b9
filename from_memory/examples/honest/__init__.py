"""The honest corpus: correct solutions of every problem set, written as students write them.

Each way of writing (:mod:`.ways`) is a class of behaviour: aliases and lambdas at the top
of a cell, ``from numpy import ...``, ``@``, ``np.matmul``, ``.dot``, explicit loops,
helpers of the student's own and helpers named like course steps, prints, extra, moved and
raising cells, numpy scalars, float and integer arithmetic, other local names, keyword
calls. A way that changes a function (:mod:`.rewrite`) changes it in every cell that
defines it. Each way is applied to every problem set where it changes something; every
such notebook must get full marks, and no flag.

``python -m from_memory.examples.honest`` grades them in one batch with the hostile
corpus and ends with ``honest: K/N full marks, F flagged``.
"""

from __future__ import annotations

from from_memory.examples.corpus import Case, full_marks
from from_memory.examples.honest.ways import WAYS, Way
from from_memory.examples.submissions import ASSIGNMENTS


def _applies(way: Way, ps: str) -> bool:
    return way.make(ps) is not None


def variants() -> list[Case]:
    """One case per way and problem set where the way changes the notebook."""
    return [
        Case(f"{way.name}-{ps.split('_')[0]}", full_marks(ps), lambda ctx, w=way, p=ps: w.make(p), assignment=ps)
        for way in WAYS
        for ps in ASSIGNMENTS
        if _applies(way, ps)
    ]


CASES = variants()
