"""Time the loop oracle against the batched one on the post's full set of sweeps.

The 7 alphas with 4 hidden units and the 7 alphas with 32 hidden units, 60 000
iterations each: 14 runs of ``network.train`` one after the other, then one call of
``batched.train_batched``. Checks that they agree (1e-9 relative on every pair
outside ``batched.CHAOTIC``), shows where the batched time per iteration goes, and
ends with ``batched speedup: X.Xx (loop A s, batched B s)``. Those are CPU seconds of
this (single-threaded) process: on an idle machine they equal wall-clock seconds, and
on a shared one they do not count the other processes. Wall-clock is printed above.

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


def timed(function, *args):
    """``(result, wall seconds, CPU seconds)`` of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def loop_sweeps(iterations: int) -> dict:
    runs = {}
    for h in HIDDEN_DIMS:
        for alpha in network.ALPHAS:
            print(f"loop: alpha {alpha}, {h} hidden units", file=sys.stderr, flush=True)
            runs[alpha, h] = network.train(network.X, network.y, alpha, h, iterations)
    return runs


def batched_sweeps(iterations: int, alphas=network.ALPHAS, hidden_dims=HIDDEN_DIMS) -> dict:
    return batched.train_batched(network.X, network.y, alphas, hidden_dims, iterations)


def largest_difference(loop_run, batched_run) -> float:
    pairs = zip(loop_run, batched_run[:3], strict=True)  # synapse_0, synapse_1, errors
    tiny = np.finfo(float).tiny
    return max(float(np.max(np.abs(b - a) / np.maximum(np.abs(a), tiny))) for a, b in pairs)


def tiny_call_seconds() -> float:
    """CPU cost of one numpy call on a 1-element array: the floor of any numpy step."""
    timer = timeit.Timer("negative(x)", globals={"negative": np.negative, "x": np.zeros(1)})
    timer.timer = time.process_time
    return min(timer.repeat(repeat=7, number=100_000)) / 100_000


def tiny_batched_seconds(iterations: int = 3000) -> float:
    """CPU cost per iteration of train_batched on 1 pair with 1 hidden unit (tiny arrays)."""
    return min(timed(batched_sweeps, iterations, (1,), (1,))[2] for _ in range(5)) / iterations


def main() -> int:
    iterations = network.ITERATIONS
    loop_runs, loop_wall, loop_cpu = timed(loop_sweeps, iterations)
    print("batched: all 14 at once", file=sys.stderr, flush=True)
    batched_runs, batched_wall, batched_cpu = timed(batched_sweeps, iterations)
    failures = 0
    for (alpha, h), loop_run in loop_runs.items():
        difference = largest_difference(loop_run, batched_runs[alpha, h])
        ok = "ok" if difference <= RTOL else "DIFFERS"
        verdict = "chaotic, not compared" if (alpha, h) in batched.CHAOTIC else ok
        failures += verdict == "DIFFERS"
        print(
            f"alpha {alpha:<6} hidden {h:2d}: "
            f"largest relative difference {difference:.1e} ({verdict})"
        )

    call, tiny = tiny_call_seconds(), tiny_batched_seconds()
    floor, per_iteration = NUMPY_CALLS_PER_ITERATION * call, batched_cpu / iterations
    print(
        f"CPU time: loop {loop_cpu:.1f} s ({loop_cpu / len(loop_runs) / iterations * 1e6:.1f} us "
        f"per run-iteration), batched {batched_cpu:.2f} s "
        f"({per_iteration * 1e6:.1f} us per iteration)"
    )
    print(
        f"floor: {NUMPY_CALLS_PER_ITERATION} numpy calls per iteration x {call * 1e9:.0f} ns "
        f"(one call on a 1-element array) = {floor * 1e6:.1f} us per iteration, "
        f"{floor * iterations:.2f} s for {iterations}"
    )
    print(
        f"batched on tiny arrays (1 pair, 1 hidden unit): {tiny * 1e6:.1f} us per iteration; "
        f"on the 14 pairs padded to 32 units: {per_iteration / floor:.1f}x the floor"
    )
    if failures:
        print(f"{failures} stable configuration(s) differ by more than {RTOL}", file=sys.stderr)
    print(f"wall clock: loop {loop_wall:.1f} s, batched {batched_wall:.1f} s")
    print(
        f"batched speedup: {loop_cpu / batched_cpu:.1f}x "
        f"(loop {loop_cpu:.1f} s, batched {batched_cpu:.1f} s)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
