"""``python -m from_memory.examples.honest``: grade the honest corpus next to the hostile one, in one batch.

Prints the hostile corpus's summary line (the same batch), a table of every honest
variant with its score and any flag, and last ``honest: K/N full marks, F flagged``.
The exit status is 1 unless every variant has full marks and none is flagged.
"""

from __future__ import annotations

import sys

from from_memory.examples import adversarial
from from_memory.examples.corpus import parse


def _score_and_flag(actual: str) -> tuple[str | None, str | None]:
    try:
        return parse(actual)
    except ValueError:  # a note was added (its file changed): not a clean result
        return None, actual


def table(rows) -> str:
    lines = []
    width = max([len("variant"), *(len(r.case) for r in rows)])
    lines.append(f"{'variant':<{width}} | score | flag")
    for r in rows:
        score, flag = _score_and_flag(r.actual)
        mark = "" if r.ok else "   <- NO"
        lines.append(f"{r.case:<{width}} | {score or '-':>5} | {flag or ''}{mark}")
    return "\n".join(lines)


def summary(rows) -> str:
    full = sum(_score_and_flag(r.actual)[0] == parse(r.expected)[0] for r in rows)
    flagged = sum(_score_and_flag(r.actual)[1] is not None for r in rows)
    return f"honest: {full}/{len(rows)} full marks, {flagged} flagged"


def main(argv=None) -> int:
    parser = adversarial.options("python -m from_memory.examples.honest", __doc__.split("\n")[0].strip("`"))
    rows = adversarial.run_from_command_line(parser.parse_args(argv), ("hostile", "honest"))
    honest = [r for r in rows if r.corpus == "honest"]
    others = [r for r in rows if r.corpus != "honest"]
    print(adversarial.summary(others) + " (the hostile corpus and the batch-wide checks, same batch)")
    print(table(honest))
    print(summary(honest))
    return 0 if honest and all(r.ok for r in honest) else 1


if __name__ == "__main__":
    sys.exit(main())
