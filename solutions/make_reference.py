"""Regenerate ``solutions/reference_outputs.json`` from the oracle.

Every number the post prints, recomputed: ``python -m solutions.make_reference``.
Add ``--check`` to compare with the file on disk instead of writing it.

numpy's BLAS ``dot`` sums in an order that depends on the CPU, so a file made on one
machine and numbers regenerated on another differ in their last digits, and far more
where training is chaotic (the pairs of ``batched.CHAOTIC``). :func:`differences`
therefore compares each number within the drift measured for it, not exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from solutions import network
from solutions.batched import CHAOTIC

PATH = Path(__file__).with_name("reference_outputs.json")
PRINTED_EVERY = 10000
HIDDEN_SIZE_SWEEP_ALPHA = 0.001  # the sweep printed in the student notebook of the seeds
HIDDEN_SIZE_SWEEP_SIZES = (4, 8, 16, 32, 64, 128, 256)  # ...and its hidden-layer sizes

# How far a number may move on another CPU, as a relative tolerance (0: exactly). Measured
# with 5 kernels (OPENBLAS_CORETYPE SkylakeX, Haswell, Nehalem, Prescott, and Haswell with
# numpy's AVX-512 loops off) and one-ulp nudges of the starting weights (36 per kernel for
# the 4-unit chaotic pairs, 28 for (10, 32), 4 for the others): each tolerance is 6 to 120
# times the largest change seen.
STABLE_RTOL = 1e-10  # 7e-14 across kernels, 8e-13 under nudges
SIGN_AND_SIZE = "the same sign, within a factor of 4"
CHAOTIC_RTOL = {  # the largest change between any two of 80 runs (41 for (10, 32)) in comments
    (100, 4): {"errors": 1e-8, "synapse_0": 1e-4, "synapse_1": 1e-4},  # 1.1e-9; 1.5e-5, 6e-7
    (10, 32): {"errors": 1e-1},  # 1.3e-2
    # Saturated within ~2 100 iterations, its errors are exactly 0.5 afterwards on every CPU;
    # 10 of its 16 final weights freeze early, 6 moved by up to a factor of 1.67.
    (1000, 4): {"synapse_0": SIGN_AND_SIZE, "synapse_1": SIGN_AND_SIZE},
}


def _key(number) -> str:
    return repr(number)


def _printed(errors) -> list[float]:
    return [float(e) for e in errors[::PRINTED_EVERY]]


def build(progress=None) -> dict:
    """Run every experiment of the post and return the reference outputs as plain data."""
    progress = progress or (lambda message: None)
    alphas = network.ALPHAS
    out = {
        "generated_by": "python -m solutions.make_reference",
        "numpy_version": np.__version__,
        "printed_every": PRINTED_EVERY,
        "iterations": network.ITERATIONS,
    }
    progress("two-layer network")
    out["two_layer"] = {
        "iterations": 10000,
        "output": network.train_two_layer(network.X_TWO_LAYER, network.y_TWO_LAYER).tolist(),
    }
    for name, hidden_dim in (("alpha_sweep", 4), ("alpha_sweep_32", 32)):
        runs = {}
        for alpha in alphas:
            progress(f"{name}: alpha {alpha}")
            errors = network.train(network.X, network.y, alpha, hidden_dim)[2]
            runs[_key(alpha)] = {"errors": _printed(errors)}
        out[name] = {"hidden_dim": hidden_dim, "runs": runs}
    runs = {}
    for alpha in alphas:
        progress(f"direction_counting: alpha {alpha}")
        result = network.train_counting_directions(network.X, network.y, alpha, 4)
        names = ("synapse_0", "synapse_1", "synapse_0_direction_count", "synapse_1_direction_count")
        runs[_key(alpha)] = {name: value.tolist() for name, value in zip(names, result, strict=True)}
    out["direction_counting"] = {"hidden_dim": 4, "runs": runs}
    runs = {}
    for hidden_dim in HIDDEN_SIZE_SWEEP_SIZES:
        progress(f"hidden_size_sweep: {hidden_dim} hidden units")
        errors = network.train(network.X, network.y, HIDDEN_SIZE_SWEEP_ALPHA, hidden_dim)[2]
        runs[str(hidden_dim)] = {"errors": _printed(errors)}
    out["hidden_size_sweep"] = {"alpha": HIDDEN_SIZE_SWEEP_ALPHA, "runs": runs}
    return out


def tolerance(alpha, hidden_dim: int, quantity: str):
    """How far ``quantity`` (``errors``, ``synapse_0``, ...) of one run may drift across CPUs."""
    if quantity.endswith("direction_count"):
        return 0.0  # whole numbers: the same on every CPU measured, chaotic pairs included
    if (alpha, hidden_dim) in CHAOTIC:
        return CHAOTIC_RTOL[alpha, hidden_dim].get(quantity, STABLE_RTOL)
    return STABLE_RTOL


def agree(got, want, rule) -> bool:
    """Do two arrays of one quantity agree within ``rule`` (a relative tolerance or SIGN_AND_SIZE)?"""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    if rule == SIGN_AND_SIZE:
        with np.errstate(divide="ignore", invalid="ignore"):
            return bool(np.all(np.abs(np.log2(got / want)) < 2))  # a ratio below 0 gives NaN
    return bool(np.all(np.abs(got - want) <= rule * np.abs(want)))


def _rule(path: tuple, reference: dict):
    """The tolerance of the number(s) at ``path``: one quantity of a run, or anything else."""
    if len(path) == 4 and path[1] == "runs":
        experiment, _, key, quantity = path
        settings = reference[experiment]
        if "hidden_dim" in settings:
            return tolerance(float(key), settings["hidden_dim"], quantity)
        return tolerance(settings["alpha"], int(key), quantity)
    return STABLE_RTOL


def differences(on_disk: dict, fresh: dict) -> list[str]:
    """Where ``fresh`` differs from ``on_disk`` beyond another CPU's rounding: one line each.

    Numbers are compared within :func:`tolerance`; keys, shapes, strings and whole-number
    settings exactly. ``numpy_version`` is not compared.
    """
    found = []

    def compare(want, got, path):
        where = "/".join(path)
        if isinstance(want, dict) and isinstance(got, dict):
            keys = set(want) - {"numpy_version"}
            if keys != set(got) - {"numpy_version"}:
                found.append(f"{where or 'the file'}: keys {sorted(keys)} became {sorted(set(got))}")
                return
            for key in sorted(keys):
                compare(want[key], got[key], (*path, key))
        elif isinstance(want, list) and isinstance(got, list):
            rule = _rule(path, fresh)
            if np.shape(want) != np.shape(got):
                found.append(f"{where}: shape {np.shape(want)} became {np.shape(got)}")
            elif not agree(got, want, rule):
                change = np.abs(np.subtract(got, want, dtype=float))
                with np.errstate(divide="ignore", invalid="ignore"):
                    relative = np.max(change / np.abs(want))
                found.append(f"{where}: moved by up to {change.max():.3g} ({relative:.2g} relative), "
                             f"beyond {rule or 'exact'}")
        elif want != got or type(want) is not type(got):
            found.append(f"{where}: {want!r} became {got!r}")

    compare(on_disk, fresh, ())
    return found


def load() -> dict:
    """The reference outputs as last generated."""
    return json.loads(PATH.read_text())


def render(reference: dict) -> str:
    return json.dumps(reference, indent=1, sort_keys=True) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file, do not write")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    steps = iter(range(1, 100))
    reference = build(lambda m: print(f"[{next(steps):2d}/29] {m}", file=sys.stderr, flush=True))
    elapsed = time.perf_counter() - start
    text = render(reference)
    if args.check:
        changed = differences(load(), reference) if PATH.exists() else [f"{PATH} is missing"]
        if changed:
            print("\n".join(changed), file=sys.stderr)
            print(f"{PATH} is out of date: run `python -m solutions.make_reference`", file=sys.stderr)
            return 1
        print(f"{PATH} is up to date, within the rounding of another CPU ({elapsed:.1f} s)")
        return 0
    PATH.write_text(text)
    print(f"wrote {PATH} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
