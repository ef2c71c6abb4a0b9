"""From what a student's function returned to a verdict: compare with the reference, name the mistake.

Everything here runs in the grader's process, on plain data
(:mod:`from_memory.kernel.wire`): the outcomes the kernel recorded for each call of a
check (:mod:`from_memory.kernel.probe`). The reference's outcomes on the same calls,
and those of the catalog's mutants when a diagnosis is needed, are computed here and
kept for the whole grading run (the calls are the same for every student).

A record may hold a second run of the student's function, made with some earlier
steps swapped for the reference (the retry of the no-double-penalty rule). It counts
only when each swapped step is one this check may lean on and failed its own check
earlier in the notebook; then the function is judged on that run, and the message says
which of the student's steps was at fault.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from from_memory.judge import capstone, plots, steps
from from_memory.judge.capstone import PROPERTIES
from from_memory.judge.plots import PLOTS
from from_memory.judge.steps import STEPS, Raised, value_of
from from_memory.kernel import probe, wire
from from_memory.kernel.compare import compare

CHECKS = {**STEPS, **PLOTS, **PROPERTIES}
# Extra calls made for a diagnosis only, after the graded ones.
LOCATING = {capstone.NAME: capstone.LOCATING_CASES}


@dataclass
class Verdict:
    """What a check found: passed, or the first problem and the mistake it looks like."""

    step: str
    passed: bool
    message: str = ""
    mistake: str | None = None  # a mutant slug from the catalog
    cases: int = 0
    leaned: tuple = ()  # earlier steps swapped for the reference's to pass (they failed their own checks)

    @property
    def reliable(self) -> bool:
        """Did it pass on the student's own code alone? (A later step may then use it as it is.)"""
        return self.passed and not self.leaned


def calls_of(check) -> list[steps.Case]:
    """Every call the kernel makes for ``check``: the graded cases, then those for a diagnosis."""
    return [*check.cases(), *LOCATING.get(check.name, ())]


def _args(check, case: steps.Case) -> tuple[list, list]:
    names = [n for n in check.parameters if n in case.kwargs]
    return [case.kwargs[n] for n in names], names


def run_calls(check, function) -> list[dict]:
    """Outcomes of ``function`` on every call of ``check``, made here in the grader (reference, mutants)."""
    outcomes = []
    for case in calls_of(check):
        args, names = _args(check, case)
        outcome = probe.call(function, args, names, plot=check.plot)
        if "value" in outcome:
            outcome["value"] = wire.plain(outcome["value"])
        outcomes.append(outcome)
    return outcomes


@functools.cache
def reference_outcomes(name: str) -> list[dict]:
    check = CHECKS[name]
    if check.kind == "step":
        return run_calls(check, check.oracle)
    return []  # plots and properties are judged against the sweep or by rules, not an oracle call


@functools.cache
def mutant_outcomes(slug: str, name: str) -> list[dict]:
    from from_memory.judge import mutants

    return run_calls(CHECKS[name], mutants.by_slug(slug).function)


# -- comparing one outcome ---------------------------------------------------------------------


def _named_outputs(step, result):
    outputs = step.outputs
    if len(outputs) <= 1:
        return [(f"`{step.name}`'s result", result)]
    return [(f"`{step.name}`'s `{name}`", value) for name, value in zip(outputs, result, strict=True)]


def difference(step, got, expected) -> str | None:
    """How ``got`` differs from the reference's ``expected`` result, or None."""
    rtol, atol = step.tolerances
    if isinstance(got, Raised):
        return f"`{step.name}` raised {got}"
    outputs = step.outputs
    if len(outputs) > 1 and (type(got) not in (tuple, list) or len(got) != len(outputs)):
        shown = f"{len(got)} values" if type(got) in (tuple, list) else describe(got)
        return f"`{step.name}` should return {len(outputs)} values ({', '.join(outputs)}), got {shown}."
    for (label, value), (_, want) in zip(_named_outputs(step, got), _named_outputs(step, expected), strict=True):
        if type(value) is list and isinstance(want, np.ndarray) and want.ndim == 1:
            value = _as_array(value)  # an error trace kept in a list is fine
        problem = compare(label, value, want, rtol, atol)
        if problem:
            return problem
    return None


def _as_array(values):
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return values


def describe(value) -> str:
    return str(value) if isinstance(value, wire.Foreign) else type(value).__name__


def mutated_message(name: str, arguments: list[str]) -> str:
    listed = ", ".join(f"`{a}`" for a in arguments)
    its = "its argument" if len(arguments) == 1 else "its arguments"
    return (f"`{name}` changes {its} {listed} in place. A step must leave its inputs as they were: "
            f"compute a new array (`x = x * s`) instead of changing the one you were given "
            f"(`x *= s`, `x[...] = ...`, `out=x`).")


# -- one run of a check -----------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    message: str
    index: int  # which call
    got: object


def problem(check, outcomes: list[dict]) -> Failure | None:
    """The first problem of ``outcomes`` (one per call of ``check``), or None."""
    graded = check.cases()
    if len(outcomes) < len(graded):
        return Failure(f"`{check.function}` did not finish every call of its check.", 0, None)
    if check.kind == "property":
        return _property_problem(check, outcomes[: len(graded)])
    for index, outcome in enumerate(outcomes[: len(graded)]):
        got = value_of(outcome)
        if check.kind == "plot":
            message = check.problem_of(got) if not isinstance(got, Raised) else f"`{check.name}` raised {got}"
        else:
            message = difference(check, got, value_of(reference_outcomes(check.name)[index]))
        if message is None and outcome.get("mutated"):
            message = mutated_message(check.function, list(outcome["mutated"]))
        if message:
            return Failure(message, index, got)
    return None


def _property_problem(check, outcomes) -> Failure | None:
    message = check.judge([value_of(o) for o in outcomes])
    return None if message is None else Failure(message, 0, None)


def diagnose(check, failure: Failure, outcomes: list[dict]):
    """The catalog mutant of this check that reproduces the student's outcomes, if any."""
    from from_memory.judge import mutants

    for mutant in mutants.for_step(check.function if check.kind == "property" else check.name):
        theirs = mutant_outcomes(mutant.slug, check.name)
        found = problem(check, theirs)
        if check.kind != "step":
            if found is not None and found.message == failure.message:
                return mutant
            continue
        mine, its = outcomes[failure.index], theirs[failure.index]
        got, produced = failure.got, value_of(its)
        if isinstance(got, Raised) or isinstance(produced, Raised):
            same = isinstance(got, Raised) and isinstance(produced, Raised) and got.type == produced.type
        else:
            same = _same(check, got, produced)
        if same and sorted(mine.get("mutated", ())) == sorted(its.get("mutated", ())):
            return mutant
    return None


def _same(check, got, produced) -> bool:
    """Does the student's ``got`` equal the mutant's ``produced``, as the step's comparison sees it?

    A one-output step's mutant may return a list where the reference returns something else:
    the lists are then the same when their items are.
    """
    if len(check.outputs) <= 1 and type(got) in (list, tuple) and type(produced) in (list, tuple):
        return len(got) == len(produced) and all(_same(check, g, p) for g, p in zip(got, produced, strict=True))
    return difference(check, got, produced) is None


# -- the verdict of a record -------------------------------------------------------------------


def judge(name: str, record: dict | None, failed=frozenset()) -> Verdict:
    """The verdict of the check ``name`` on the kernel's ``record``.

    ``failed``: the earlier steps that may be swapped for the reference's (they failed their
    own checks, or passed only with a swap of their own).
    """
    check = CHECKS[name]
    if record is None:
        return Verdict(name, False, f"The hidden check of `{check.function}` did not finish: "
                       "no result reached the grader.")
    if record.get("integrity"):
        return Verdict(name, False, str(record["integrity"]))
    runs = record.get("runs") or []
    if not runs:
        return Verdict(name, False, f"The hidden check of `{check.function}` recorded nothing.")
    try:
        return _judge_runs(check, runs, record.get("swapped") or [], failed)
    except Exception as error:  # noqa: BLE001 - data the judge cannot read is the student's result, not a crash
        return Verdict(name, False, f"`{check.function}` returned something the grader cannot read "
                       f"({type(error).__name__}).")


def _judge_runs(check, runs, swapped, failed) -> Verdict:
    count = len(check.cases())
    first = problem(check, runs[0])
    if first is None:
        return Verdict(check.name, True, _passed(check, count), cases=count)
    leaned = [s for s in swapped if s in check.helpers and s in failed]
    used = runs[0]
    if len(runs) > 1 and leaned and len(leaned) == len(swapped):
        second = problem(check, runs[1])
        if second is None:
            names = ", ".join(f"`{s}`" for s in leaned)
            return Verdict(check.name, True,
                           f"`{check.function}` matches the reference on {count} inputs once {names} "
                           f"(which failed its own check) is the reference's: only {names} loses points.",
                           cases=count, leaned=tuple(leaned))
        first, used = second, runs[1]
    message = first.message
    if check.kind == "step":
        message += f"\nThat was {check.cases()[first.index].describe()}."
    if check.name == capstone.NAME and len(used) >= count + len(capstone.LOCATING_CASES):
        located = capstone.locate(value_of(used[count]), value_of(used[count + 1]))
        if located:
            message += "\n" + located
    mistake = diagnose(check, first, used)
    if mistake is not None:
        message += f"\nLikely mistake: {mistake.hint} [{mistake.slug}]"
    return Verdict(check.name, False, message, mistake=mistake.slug if mistake else None)


def _passed(check, count: int) -> str:
    if check.kind == "property":
        return check.passed
    if check.kind == "plot":
        return f"`{check.name}` draws every curve of the sweep, labelled."
    return f"`{check.name}` matches the reference on {count} inputs."


__all__ = ["CHECKS", "Verdict", "judge", "plots", "difference", "run_calls"]
