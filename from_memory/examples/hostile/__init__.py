"""The hostile corpus: broken and cheating submissions, each with the outcome grading must reach.

Cases are classes of behaviour, each with several spellings, over the problem sets
where they apply (:mod:`from_memory.examples.corpus` says how a case and its expected
outcome are written):

* :mod:`.sabotage`: attacks on the batch, the notebook's structure and the checker in
  the kernel (problem set 1);
* :mod:`.reach`: wrong functions that try to reach the reference at call time, by
  reflection, the interpreter's frames, files or a TCP port;
* :mod:`.retry`: wrong functions that hope the no-double-penalty retry hands them the
  reference (their own name rebound, references kept from a retry);
* :mod:`.lies`: results that lie about their type, and steps that change their inputs;
* :mod:`.copies`: pasted answers, a capstone with its own wrong helpers, failing
  visible asserts whose feedback must not show the hidden tests.

``CLEAN`` are honest students graded in the same batch as the corpus and alone.
"""

from __future__ import annotations

from from_memory.examples.corpus import Case, Context  # noqa: F401 - the corpus's vocabulary
from from_memory.examples.hostile import copies, lies, reach, retry, sabotage
from from_memory.examples.hostile.base import MAX, PS, WRONG, correct, wrong  # noqa: F401

CASES: list[Case] = [*sabotage.CASES, *reach.CASES, *retry.CASES, *lies.CASES, *copies.CASES]
CLEAN: list[Case] = sabotage.CLEAN
