"""Grading by hand: nbgrader's formgrader, served for the course.

``from-memory manual`` runs JupyterLab from the course root (nbgrader's server extension
reads the course's ``nbgrader_config.py`` and gradebook there) on this machine only, with
a fresh token, and prints the formgrader's address. Scores and comments given there are
stored in the gradebook and survive ``autograde --force``.

    server = start_formgrader(".", port=8890)     # a running server (subprocess.Popen)
    print(server.url)                              # http://127.0.0.1:8890/login?next=%2Fformgrader&token=...
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
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
        return self.login_url("/formgrader")

    def login_url(self, path: str) -> str:
        """An address that logs the browser in (the formgrader's pages alone do not) and opens ``path``."""
        return f"{self.base}/login?next={urllib.parse.quote(path, safe='')}&token={self.token}"

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
) -> Server:
    """Start JupyterLab with the formgrader for the course; return once it answers."""
    from from_memory.course.collect import ensure_exchange
    from from_memory.course.gradebook import require_gradebook

    root = Path(course_root).resolve()
    require_gradebook(root)
    ensure_exchange(root)  # the formgrader warns on its home page when the exchange is missing
    log = root / "reports" / "formgrader.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return start_jupyter(root, log, port=port, token=token, wait=wait, env=course.environment(root))


def start_jupyter(
    folder: Path, log: Path, *, port=None, token=None, wait: float = 120.0, env=None
) -> Server:
    """JupyterLab serving ``folder`` on this machine only; a port taken meanwhile is retried."""
    token = token or secrets.token_hex(16)
    for attempt in range(5):
        chosen = port or free_port()
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.ip={HOST}",
            f"--ServerApp.port={chosen}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
            "--ServerApp.allow_root=True", "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        server = Server(process, chosen, token, log)
        try:
            wait_until_up(server, wait)
            return server
        except CourseError:
            server.stop()
            taken = "is not available" in log.read_text(errors="replace")
            if port is not None or not taken or attempt == 4:
                raise
    raise AssertionError("unreachable")


def wait_until_up(server: Server, wait: float = 120.0) -> None:
    """Return once the Jupyter server answers; CourseError if it exits or stays silent."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise CourseError(
                f"the Jupyter server stopped at start-up (exit {server.process.returncode}): "
                f"see {server.log}"
            )
        try:
            with urllib.request.urlopen(f"{server.base}/api/status?token={server.token}", timeout=5):
                return
        except OSError:
            time.sleep(0.3)  # polling interval
    raise CourseError(f"the Jupyter server did not answer within {wait:g} s: see {server.log}")


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
