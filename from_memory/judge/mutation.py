"""Mutation testing of the hidden tests: does every catalogued mistake fail its check, by name?

``python -m from_memory.judge.mutation`` (or ``make mutation``) grades each mutant with the
same checker the hidden tests call and prints a table, then
``mutation score: K/N killed`` and ``diagnosed: K/N named``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from from_memory.judge import checks, mutants


@dataclass(frozen=True)
class Outcome:
    slug: str
    killed: bool  # the mutant failed its step's check
    named: bool  # ...and the message named this very mutant
    message: str


def grade(mutant: mutants.Mutant) -> Outcome:
    verdict = checks.run_step(mutant.step, mutant.function)
    return Outcome(mutant.slug, not verdict.passed, verdict.mistake == mutant.slug, verdict.message)


def score(catalog=mutants.CATALOG, progress=None) -> list[Outcome]:
    outcomes = []
    for index, mutant in enumerate(catalog, 1):
        outcomes.append(grade(mutant))
        if progress:
            progress(index, len(catalog), outcomes[-1])
    return outcomes


def main() -> int:
    def show(index, total, outcome):
        verdict = "killed" if outcome.killed else "SURVIVED"
        named = "named" if outcome.named else "not named"
        print(f"[{index:2d}/{total}] {outcome.slug:55s} {verdict:8s} {named}", flush=True)

    outcomes = score(progress=show)
    killed = sum(o.killed for o in outcomes)
    named = sum(o.named for o in outcomes)
    print(f"mutation score: {killed}/{len(outcomes)} killed")
    print(f"diagnosed: {named}/{len(outcomes)} named")
    return 0 if killed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
