"""Time the loop oracle against the batched one on the post's full set of sweeps.

The 7 alphas with 4 hidden units and the 7 alphas with 32 hidden units, 60 000
iterations each: 14 runs of ``network.train`` one after the other, then one call of
``batched.train_batched``. Checks that they agree (1e-9 relative on every pair
outside ``batched.CHAOTIC``), prints where the batched time per iteration goes, and
ends with ``batched speedup: X.Xx (loop A s, batched B s)``.

Run: ``make bench-oracle`` (or ``python benchmarks/bench_oracle.py``).
"""

from __future__ import annotations

import sys
import time
import timeit

import numpy as np

from solutions import batched, network

HIDDEN_DIMS = (4, 32)
RTOL = 1e-9
# numpy calls per iteration of train_batched's loop (without direction counting):
# 5 matmuls, 2 sigmoids of 4 ufuncs, 1 subtraction, 1 abs, 2 x 3 for the deltas, 2 x 2 updates.
NUMPY_CALLS_PER_ITERATION = 5 + 2 * 4 + 1 + 1 + 2 * 3 + 2 * 2


def time_loop(iterations: int) -> tuple[dict, float]:
    runs, start = {}, time.perf_counter()
    for h in HIDDEN_DIMS:
        for alpha in network.ALPHAS:
            print(f"loop: alpha {alpha}, {h} hidden units", file=sys.stderr, flush=True)
            runs[alpha, h] = network.train(network.X, network.y, alpha, h, iterations)
    return runs, time.perf_counter() - start


def time_batched(iterations: int, alphas=network.ALPHAS, hidden_dims=HIDDEN_DIMS):
    start = time.perf_counter()
    runs = batched.train_batched(network.X, network.y, alphas, hidden_dims, iterations)
    return runs, time.perf_counter() - start


def largest_difference(loop_run, batched_run) -> float:
    pairs = zip(loop_run, batched_run[:3], strict=True)  # synapse_0, synapse_1, errors
    tiny = np.finfo(float).tiny
    return max(float(np.max(np.abs(b - a) / np.maximum(np.abs(a), tiny))) for a, b in pairs)


def tiny_ufunc_seconds() -> float:
    """The cost of one numpy call on a 1-element array: the floor of any numpy step."""
    x = np.zeros(1)
    return min(timeit.repeat(lambda: np.negative(x), number=100_000, repeat=5)) / 100_000


def main() -> int:
    iterations = network.ITERATIONS
    loop_runs, loop_seconds = time_loop(iterations)
    print("batched: all 14 at once", file=sys.stderr, flush=True)
    batched_runs, batched_seconds = time_batched(iterations)
    failures = 0
    for key, loop_run in loop_runs.items():
        difference = largest_difference(loop_run, batched_runs[key])
        chaotic = key in batched.CHAOTIC
        verdict = (
            "chaotic, not compared" if chaotic else ("ok" if difference <= RTOL else "DIFFERS")
        )
        failures += verdict == "DIFFERS"
        print(
            f"alpha {key[0]:<6} hidden {key[1]:2d}: largest relative difference "
            f"{difference:.1e} ({verdict})"
        )
    short = 5000
    _, tiny_seconds = time_batched(short, alphas=(1,), hidden_dims=(1,))
    call = tiny_ufunc_seconds()
    per_iteration = batched_seconds / iterations
    floor = NUMPY_CALLS_PER_ITERATION * call
    print(
        f"numpy call on a 1-element array: {call * 1e9:.0f} ns; "
        f"{NUMPY_CALLS_PER_ITERATION} calls per iteration -> floor {floor * 1e6:.1f} us/iteration "
        f"({floor * iterations:.2f} s for {iterations} iterations)"
    )
    print(
        f"batched, 1 pair with 1 hidden unit: {tiny_seconds / short * 1e6:.1f} us/iteration "
        f"(the same calls on tiny arrays)"
    )
    print(
        f"batched, 14 pairs padded to 32 hidden units: {per_iteration * 1e6:.1f} us/iteration, "
        f"{per_iteration / floor:.1f}x the floor"
    )
    if failures:
        print(f"{failures} stable configuration(s) differ by more than {RTOL}", file=sys.stderr)
    print(
        f"batched speedup: {loop_seconds / batched_seconds:.1f}x "
        f"(loop {loop_seconds:.1f} s, batched {batched_seconds:.1f} s)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
