"""Regenerate ``solutions/reference_outputs.json`` from the oracle.

Every number the post prints, recomputed: ``python -m solutions.make_reference``.
Add ``--check`` to compare with the file on disk instead of writing it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from solutions import network

PATH = Path(__file__).with_name("reference_outputs.json")
PRINTED_EVERY = 10000
HIDDEN_SIZE_SWEEP_ALPHA = 0.001  # the sweep printed in the student notebook of the seeds
HIDDEN_SIZE_SWEEP_SIZES = (4, 8, 16, 32, 64, 128, 256)  # ...and its hidden-layer sizes


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
        runs[_key(alpha)] = {name: value.tolist() for name, value in zip(names, result)}
    out["direction_counting"] = {"hidden_dim": 4, "runs": runs}
    runs = {}
    for hidden_dim in HIDDEN_SIZE_SWEEP_SIZES:
        progress(f"hidden_size_sweep: {hidden_dim} hidden units")
        errors = network.train(network.X, network.y, HIDDEN_SIZE_SWEEP_ALPHA, hidden_dim)[2]
        runs[str(hidden_dim)] = {"errors": _printed(errors)}
    out["hidden_size_sweep"] = {"alpha": HIDDEN_SIZE_SWEEP_ALPHA, "runs": runs}
    return out


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
        if not PATH.exists() or PATH.read_text() != text:
            print(f"{PATH} is out of date: run `python -m solutions.make_reference`", file=sys.stderr)
            return 1
        print(f"{PATH} is up to date ({elapsed:.1f} s)")
        return 0
    PATH.write_text(text)
    print(f"wrote {PATH} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
