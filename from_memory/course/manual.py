"""Grading by hand: nbgrader's formgrader, served for the course.

``from-memory manual`` runs JupyterLab from the course root (nbgrader's server extension
reads the course's ``nbgrader_config.py`` and gradebook there) on this machine only, with
a fresh token, and prints the formgrader's address. Scores and comments given there are
stored in the gradebook and survive ``autograde --force``.

    server = start_formgrader(".", port=8890)     # a running server (subprocess.Popen)
    print(server.url)                              # http://127.0.0.1:8890/formgrader?token=...
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from from_memory import course
from from_memory.course import CourseError

HOST = "127.0.0.1"


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    token: str
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/formgrader?token={self.token}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_formgrader(
    course_root=".", *, port: int | None = None, token: str | None = None, wait: float = 120.0,
    extra_env: dict | None = None,
) -> Server:
    """Start JupyterLab with the formgrader for the course; return once it answers."""
    from from_memory.course.collect import ensure_exchange
    from from_memory.course.gradebook import require_gradebook

    root = Path(course_root).resolve()
    require_gradebook(root)
    ensure_exchange(root)  # the formgrader warns on its home page when the exchange is missing
    port = port or free_port()
    token = token or secrets.token_hex(16)
    log = root / "reports" / "formgrader.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    env = {**course.environment(root), **(extra_env or {})}
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, token, log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CourseError(
                f"the formgrader's server stopped at start-up (exit {process.returncode}): see {log}"
            )
        try:
            with urllib.request.urlopen(f"{server.base}/api/status?token={token}", timeout=5):
                return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise CourseError(f"the formgrader did not answer within {wait:g} s: see {log}")


def serve(course_root=".", *, port: int | None = None) -> int:
    """Start the formgrader, print its address, serve until Ctrl-C."""
    server = start_formgrader(course_root, port=port)
    print(f"formgrader: {server.url}", flush=True)
    print("grade the written answers there (Manage Assignments -> an assignment -> Manual "
          "Grading); stop with Ctrl-C", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
