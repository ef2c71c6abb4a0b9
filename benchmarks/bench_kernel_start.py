"""Kernel start and first imports: fresh kernels (LocalProvisioner) against forked warm ones.

For each kernel, from "start asked" to "kernel ready" (``wait_for_ready``), then for one
cell ``import numpy, matplotlib.pyplot; 1``, then per cell of :data:`EMPTY_CELLS` cells
``pass`` (what any cell costs, messages and all): wall seconds, and CPU seconds of every
process involved: this process (its own rusage), the kernel (``/proc/<pid>/stat``, read
before it exits: a forked kernel is not a child of this process until adopted, and
its CPU is never in our children's rusage), and for warm kernels the template with the
short-lived process it forks per kernel (``/proc/<template>/stat``, own and reaped
children's time). Fresh and warm kernels alternate, one at a time, in one run; the
template is started before the clock (its own start is printed apart).

    python benchmarks/bench_kernel_start.py              # 20 kernels each
    python benchmarks/bench_kernel_start.py --kernels 5

``--race`` measures the other question: several processes each starting kernels all at
once, over TCP (ports picked by jupyter_client before the kernel binds them) and over
ipc (Unix sockets in a private folder); it counts the kernels that never became ready.

    python benchmarks/bench_kernel_start.py --race --processes 4 --kernels 12 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time

CELL = "import numpy, matplotlib.pyplot; 1"
EMPTY_CELLS = 50
TICKS = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT = 120
EXTRA = ["--HistoryManager.hist_file=:memory:"]  # what nbclient passes


def _stat_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds of ``pid`` (with those of its reaped children, if asked), from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + ((cutime + cstime) if children else 0)) / TICKS


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _quiet(message) -> None:
    """Outputs of the cell are not printed."""


def _manager(kind: str, folder: str):
    from jupyter_client.manager import AsyncKernelManager

    from from_memory.engine import warm
    from from_memory.engine.launch import Launch

    if kind == "fresh":
        return AsyncKernelManager()
    return warm.LaunchKernelManager(launch=Launch(cwd=folder, env=dict(os.environ)))


async def one_kernel(kind: str, folder: str, template_pid: int | None) -> dict:
    """Start one kernel, run the cell, stop it; its wall and CPU seconds, in two parts."""
    km = _manager(kind, folder)
    helper = template_pid if kind == "warm" else None

    def template_cpu():
        return _stat_cpu(helper, children=True) if helper else 0.0

    own0, template0, wall0 = _own_cpu(), template_cpu(), time.perf_counter()
    await km.start_kernel(extra_arguments=EXTRA, cwd=folder, env=dict(os.environ))
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=READY_TIMEOUT)
        pid = km.provisioner.pid
        wall1, own1, template1 = time.perf_counter(), _own_cpu(), template_cpu()
        kernel1 = _stat_cpu(pid)
        reply = await kc.execute_interactive(CELL, timeout=READY_TIMEOUT, output_hook=_quiet)
        assert reply["content"]["status"] == "ok", reply["content"]
        wall2, own2, kernel2 = time.perf_counter(), _own_cpu(), _stat_cpu(pid)
        for _ in range(EMPTY_CELLS):
            await kc.execute_interactive("pass", timeout=READY_TIMEOUT, output_hook=_quiet)
        own3, kernel3 = _own_cpu(), _stat_cpu(pid)
        forked = getattr(km.provisioner, "warm", False)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    if kind == "warm" and not forked:
        raise RuntimeError(f"a warm kernel was started fresh: {km.provisioner.fallback_reason}")
    return {
        "ready wall": wall1 - wall0,
        "ready CPU": (own1 - own0) + (template1 - template0) + kernel1,
        "cell wall": wall2 - wall1,
        "cell CPU": (own2 - own1) + (kernel2 - kernel1),
        "empty cell, kernel": (kernel3 - kernel2) / EMPTY_CELLS,
        "empty cell, here": (own3 - own2) / EMPTY_CELLS,
    }


def compare(kernels: int) -> None:
    from from_memory.engine import warm

    print(f"load average at start: {_load()}", flush=True)
    cpu0, wall0 = _own_cpu(), time.perf_counter()
    template_pid = warm.start_template()
    if template_pid is None:
        sys.exit("the warm template could not start here")
    print(f"template: started in {time.perf_counter() - wall0:.2f} s wall, "
          f"{_own_cpu() - cpu0 + _stat_cpu(template_pid, children=True):.2f} s CPU (once per process)")
    folder = tempfile.mkdtemp(prefix="bench-kernel-start-")
    runs: dict[str, list[dict]] = {"fresh": [], "warm": []}
    for _ in range(kernels):
        for kind in ("fresh", "warm"):
            runs[kind].append(asyncio.run(one_kernel(kind, folder, template_pid)))
    print(f"{kernels} kernels each, alternating; per kernel (an empty cell: per cell), mean (median) seconds:")
    keys = list(runs["fresh"][0])
    print(f"  {'':10s}" + "".join(f"{k:>20s}" for k in [*keys, "total CPU"]))
    means = {}
    for kind, rows in runs.items():
        stats = {k: [r[k] for r in rows] for k in keys}
        stats["total CPU"] = [r["ready CPU"] + r["cell CPU"] for r in rows]
        means[kind] = {k: statistics.mean(v) for k, v in stats.items()}
        cells = "".join(
            f"{statistics.mean(v):>12.4f} ({statistics.median(v):.4f})" for v in stats.values()
        )
        print(f"  {kind:10s}{cells}")
    ratio = "".join(f"{means['fresh'][k] / means['warm'][k]:>20.1f}" for k in means["fresh"])
    print(f"  {'fresh/warm':10s}{ratio}")
    print(f"load average at end: {_load()}")


# -- the port race ------------------------------------------------------------------


async def _start_many(kernels: int, transport: str, folder: str) -> int:
    """Start ``kernels`` kernels at once; the number that never became ready."""
    from from_memory.engine import warm
    from from_memory.engine.launch import Launch

    async def one():
        km = warm.LaunchKernelManager(launch=Launch(cwd=folder, env=dict(os.environ)),
                                      provisioner_config={"transport": transport})
        kc = None
        try:
            await km.start_kernel(extra_arguments=EXTRA)
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=READY_TIMEOUT)
            return 0
        except Exception:  # noqa: BLE001 - a kernel that died at start is what is counted
            return 1
        finally:
            if kc is not None:
                kc.stop_channels()
            await km.shutdown_kernel(now=True)

    return sum(await asyncio.gather(*(one() for _ in range(kernels))))


def _race_worker(args) -> int:
    kernels, transport, rounds = args
    from from_memory.engine import warm

    warm.start_template()
    folder = tempfile.mkdtemp(prefix="bench-race-")
    return sum(asyncio.run(_start_many(kernels, transport, folder)) for _ in range(rounds))


def race(processes: int, kernels: int, rounds: int) -> None:
    import multiprocessing

    print(f"load average at start: {_load()}", flush=True)
    context = multiprocessing.get_context("spawn")
    for transport in ("tcp", "ipc"):
        started = time.perf_counter()
        with context.Pool(processes) as pool:
            failed = sum(pool.map(_race_worker, [(kernels, transport, rounds)] * processes))
        total = processes * kernels * rounds
        print(f"{transport}: {failed} of {total} kernels never ready ({processes} processes x "
              f"{kernels} kernels at once x {rounds} rounds, {time.perf_counter() - started:.0f} s)",
              flush=True)
    print(f"load average at end: {_load()}")


def _load() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=20, help="kernels of each kind (default 20)")
    parser.add_argument("--race", action="store_true", help="count kernels lost to port races")
    parser.add_argument("--processes", type=int, default=4, help="with --race (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="with --race (default 3)")
    args = parser.parse_args()
    if args.race:
        race(args.processes, args.kernels, args.rounds)
    else:
        compare(args.kernels)


if __name__ == "__main__":
    main()
