"""Wrong functions that hope the no-double-penalty retry hands them the reference.

A retry grades a later step with an earlier, failed step bound to the reference. These
functions look for that binding: one calls its own name, hoping it has become the
reference's function during its own retry; another, during the retry of an earlier
step, keeps the reference's functions it can see (a dict shared with the notebook, a
mutable default argument) for the later steps to call. Graded as it should be, no
retry ever binds a function's own name, nor lets the reference into the notebook: each
scores what its wrong code scores.
"""

from __future__ import annotations

from from_memory.examples import submissions
from from_memory.examples.corpus import Case, graded, points_of
from from_memory.examples.hostile.base import PS, PS1_STEPS, WRONG, prelude, with_functions, wrong

# Calls its own name when that name no longer means the notebook's function.
BY_MODULE = (
    "    if {name}.__module__ != '__main__':\n"
    "        return {name}({args})\n"
)
BY_CODE = (
    "    if {name}.__code__ is not _OWN_CODE.get('{name}'):\n"
    "        return {name}({args})\n"
)


def own_name_by_module(ps: str, steps) -> dict[str, str]:
    return {step: prelude(WRONG[step], BY_MODULE) for step in steps}


def own_name_by_code(ps: str, steps) -> dict[str, str]:
    """Each function remembers its own code object and calls its name when the code differs."""
    functions = {
        step: prelude(WRONG[step], BY_CODE) + f"\n\n_OWN_CODE['{step}'] = {step}.__code__\n"
        for step in steps
    }
    functions[steps[0]] = "_OWN_CODE = {}\n\n\n" + functions[steps[0]]
    return functions


# During its own retry an earlier step sees the later steps' names bound to the reference,
# and keeps whatever is not the notebook's own.
KEEPS_IN_SHARED_DICT = (
    "    for later in {later}:\n"
    "        try:\n"
    "            seen = globals()[later]\n"
    "        except KeyError:\n"
    "            continue\n"
    "        if getattr(seen, '__module__', '__main__') != '__main__':\n"
    "            _KEPT[later] = seen\n"
)
USES_SHARED_DICT = "    if '{name}' in _KEPT:\n        return _KEPT['{name}']({args})\n"


def stash_in_shared_dict(keeper: str, users) -> dict[str, str]:
    """``keeper`` keeps the reference's ``users`` it sees in a retry; each of ``users`` calls it."""
    later = repr(tuple(users))
    # The later names must appear in the code for a retry to bind them.
    mention = "    _ = (" + ", ".join(f"'{u}' and {u}" for u in users) + ") if False else None\n"
    keeper_code = prelude(WRONG[keeper], mention + KEEPS_IN_SHARED_DICT.replace("{later}", later))
    functions = {keeper: "_KEPT = {}\n\n\n" + keeper_code}
    functions.update({u: prelude(WRONG[u], USES_SHARED_DICT) for u in users})
    return functions


def stash_in_default_argument(keeper: str, users) -> dict[str, str]:
    """As :func:`stash_in_shared_dict`, kept in a mutable default argument of ``keeper``."""
    source = WRONG[keeper].replace("):\n", ", _kept={}):\n", 1)
    mention = "    _ = (" + ", ".join(f"'{u}' and {u}" for u in users) + ") if False else None\n"
    keeps = KEEPS_IN_SHARED_DICT.replace("{later}", repr(tuple(users))).replace("_KEPT", "_kept")
    functions = {keeper: prelude(source, mention + keeps)}
    uses = USES_SHARED_DICT.replace("_KEPT", f"{keeper}.__defaults__[-1]")
    functions.update({u: prelude(WRONG[u], uses) for u in users})
    return functions


def _notebook(ps: str, functions: dict[str, str]):
    return submissions.fill(wrong() if ps == PS else with_functions(ps, {}), functions)


def _case(name: str, ps: str, functions: dict[str, str], wrong_steps) -> Case:
    lost = points_of(ps, *wrong_steps)
    return Case(name, graded(ps, lost), lambda ctx: _notebook(ps, functions), assignment=ps)


CASES = [
    _case("calls-own-name-checking-module", PS, own_name_by_module(PS, PS1_STEPS), PS1_STEPS),
    _case("calls-own-name-checking-code", PS, own_name_by_code(PS, PS1_STEPS), PS1_STEPS),
    _case("calls-own-name-ps3", "ps3_alpha", own_name_by_module("ps3_alpha", ("train",)), ("train",)),
    _case(
        "keeps-reference-from-retry-in-dict",
        PS,
        stash_in_shared_dict("forward_two_layer", ("forward",)),
        PS1_STEPS,
    ),
    _case(
        "keeps-reference-from-retry-in-default",
        PS,
        stash_in_default_argument("forward_two_layer", ("forward",)),
        PS1_STEPS,
    ),
    _case(
        "keeps-reference-from-retry-ps2",
        "ps2_backprop",
        stash_in_shared_dict("hidden_delta", ("weight_gradients", "train_two_layer")),
        ("hidden_delta", "weight_gradients", "train_two_layer"),
    ),
]
