"""nbgrader's own autograde tests, with every ``nbgrader autograde`` graded by ParallelAutograde.

    python tests/nbgrader_suite.py            # through the engine
    python tests/nbgrader_suite.py --stock    # the same tests against stock nbgrader
    python tests/nbgrader_suite.py -k timeout # any other pytest option

nbgrader ships its test module ``nbgrader.tests.apps.test_nbgrader_autograde``; its tests
run ``nbgrader autograde`` in this process (``run_nbgrader``) in temporary courses with
their own nbgrader_config.py. nbgrader also reads nbgrader_config.py from every Jupyter
config folder, so a folder put first on ``JUPYTER_CONFIG_PATH`` holds one that calls
``select()``, as a course would. The module is also a pytest plugin that makes the run
unable to pass through stock code: a test in which an autograde started a converter
other than ``ParallelAutograde``, or stock ``Autograde`` graded a notebook itself,
fails (with ``--stock``, the other way round), and so does a test that leaves a process
running (this process adopts orphans, so a kernel or warm template left behind shows).
The last line is ``nbgrader autograde suite: K/N passed`` (N: the tests that ran).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
import time

import pytest
from exits import exited

MODULE = "nbgrader.tests.apps.test_nbgrader_autograde"
CONFIG = "from from_memory.engine.converter import select\n\nselect()\n"
LINGER = 10  # seconds a process started by a test gets to exit after it

# seen: what this test's autogrades ran, as (kind, class name); graded: the tests in which
# the chosen side graded something
_state = {"stock": False, "folder": None, "seen": [], "outcomes": {}, "graded": set(), "started": 0.0}


def pytest_addoption(parser):
    parser.addoption("--stock", action="store_true", help="grade with stock nbgrader (no select())")


def _record(kind):
    def wrap(method):
        @functools.wraps(method)
        def recorded(self, *args, **kwargs):
            _state["seen"].append((kind, type(self).__name__))
            return method(self, *args, **kwargs)

        recorded.__wrapped_by_suite__ = True
        return recorded

    return wrap


def pytest_configure(config):
    from nbgrader.converters.autograde import Autograde

    from from_memory.engine import processes
    from from_memory.engine.converter import ParallelAutograde

    _state["stock"] = config.getoption("--stock")
    _state["started"] = time.monotonic()
    processes.adopt_orphans()  # whatever a test leaves running becomes a child of this process
    if not getattr(Autograde.start, "__wrapped_by_suite__", False):
        Autograde.start = _record("start")(Autograde.start)
        ParallelAutograde.start = _record("start")(ParallelAutograde.start)
        # stock grading of one notebook (the engine sanitizes and records without it)
        Autograde.convert_single_notebook = _record("stock notebook")(Autograde.convert_single_notebook)
        ParallelAutograde.convert_notebooks = _record("engine batch")(ParallelAutograde.convert_notebooks)
    if not _state["stock"]:
        folder = tempfile.mkdtemp(prefix="nbgrader-suite-config-")
        with open(os.path.join(folder, "nbgrader_config.py"), "w") as handle:
            handle.write(CONFIG)
        _state["folder"] = folder
        paths = [folder, *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
        os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)


def _wrong_converter() -> str:
    """Why this test's autogrades did not run on the chosen side, or ''."""
    seen = _state["seen"]
    if _state["stock"]:
        wrong = [name for _kind, name in seen if name == "ParallelAutograde"]
        return "ParallelAutograde ran in a --stock run" if wrong else ""
    started = {name for kind, name in seen if kind == "start"}
    if started - {"ParallelAutograde"}:
        return f"autograde started {', '.join(sorted(started))}, not ParallelAutograde only"
    if any(kind == "stock notebook" for kind, _name in seen):
        return "stock Autograde graded a notebook itself"
    return ""


def _strays() -> list[str]:
    """The processes still running that this test left (killed here), as 'pid command' lines."""
    from from_memory.engine import processes

    deadline = time.monotonic() + LINGER
    while True:
        alive = [pid for pid in processes.children() if not exited(pid)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    lines = []
    for pid in alive:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            lines.append(f"left running: {pid} {command[:120]}")
        except OSError:
            continue
    if alive:
        processes.kill_orphans()
    return lines


def pytest_runtest_setup(item):
    _state["seen"].clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call":
        return
    grading = "stock notebook" if _state["stock"] else "engine batch"
    if any(kind == grading for kind, _name in _state["seen"]):
        _state["graded"].add(item.nodeid)
    problems = [p for p in (_wrong_converter(), *_strays()) if p]
    if problems and report.passed:
        report.outcome = "failed"
        report.longrepr = "nbgrader_suite: " + "; ".join(problems)


def pytest_runtest_logreport(report):
    outcomes = _state["outcomes"]
    if report.failed:
        outcomes[report.nodeid] = "failed"
    elif report.skipped and outcomes.get(report.nodeid) != "failed":
        outcomes[report.nodeid] = "skipped"
    elif report.when == "call" and report.nodeid not in outcomes:
        outcomes[report.nodeid] = "passed"


def pytest_unconfigure(config):
    if _state["folder"]:
        shutil.rmtree(_state["folder"], ignore_errors=True)


def summary() -> tuple[list[str], bool]:
    """The closing lines, and whether every test that ran passed (through the chosen side)."""
    outcomes = list(_state["outcomes"].values())
    ran = [o for o in outcomes if o != "skipped"]
    passed = ran.count("passed")
    side = "stock Autograde" if _state["stock"] else "ParallelAutograde"
    ungraded = sorted(nodeid.rpartition("::")[2] for nodeid, o in _state["outcomes"].items()
                      if o != "skipped" and nodeid not in _state["graded"])
    lines = [
        f"graded by {side} in {len(ran) - len(ungraded)} of {len(ran)} tests"
        + (f" (nothing graded in {', '.join(ungraded)})" if ungraded else ""),
        f"skipped: {outcomes.count('skipped')}",
        f"wall: {time.monotonic() - _state['started']:.0f} s; load average: {_loadavg()}",
        f"nbgrader autograde suite: {passed}/{len(ran)} passed",
    ]
    return lines, bool(ran) and passed == len(ran)


def _loadavg() -> str:
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "unknown"


def main(argv: list[str]) -> int:
    import nbgrader

    root = os.path.dirname(os.path.dirname(nbgrader.__file__))  # test ids start at nbgrader/
    with tempfile.TemporaryDirectory(prefix="nbgrader-suite-") as folder:
        ini = os.path.join(folder, "pytest.ini")
        with open(ini, "w") as handle:  # nbgrader's tests, not this kit's pytest settings
            handle.write("[pytest]\n")
        args = ["-c", ini, "--rootdir", root, "-p", "no:cacheprovider", "-q", "-rfEs",
                "--show-capture=no", *argv, "--pyargs", MODULE]
        pytest.main(args, plugins=[sys.modules[__name__]])
    lines, ok = summary()
    print("\n".join(lines), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
