"""A process's children, as the grading worker finds them after each notebook."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from from_memory.engine import processes

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux's /proc")


@pytest.fixture
def sleepers():
    """Three children of this process: one started by the main thread, two by other threads
    that stay alive meanwhile (the children of a thread that ends pass to another thread)."""
    started = [subprocess.Popen(["sleep", "60"])]
    done = threading.Event()
    ready = threading.Barrier(3)

    def start():
        started.append(subprocess.Popen(["sleep", "60"]))
        ready.wait()
        done.wait()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    ready.wait()
    yield {p.pid for p in started}
    done.set()
    for thread in threads:
        thread.join()
    for p in started:
        p.kill()
        p.wait()


def test_children_started_by_any_thread_are_found(sleepers):
    """Does the listing hold the children whatever thread started them (Linux lists them per thread)?"""
    assert sleepers <= set(processes.children())


def test_the_listing_and_a_scan_of_every_process_agree(sleepers):
    """Are the children listed the ones whose parent, read process by process, is this one?"""
    assert set(processes.children()) == set(processes._children_by_parent(os.getpid()))
    assert sleepers <= set(processes._children_by_parent(os.getpid()))


def test_a_process_that_is_gone_has_no_children():
    done = subprocess.Popen(["true"])
    done.wait()
    assert processes.children(done.pid) == []
