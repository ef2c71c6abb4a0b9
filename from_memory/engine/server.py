"""The grader's end of a kernel's channel: answers its requests from a judge session.

For each kernel the engine makes a socket pair, hands one end to the kernel
(:mod:`from_memory.kernel.channel`) and gives the other to a :class:`JudgeServer`,
a thread that reads framed requests (:mod:`from_memory.kernel.wire`) and answers
them from a :class:`~from_memory.judge.session.Session`: a spec, a reference
helper's answer, or a record (kept, and judged once its cell has executed). A request the session refuses is
answered ``{"refused": reason}``; a message that is not well-formed closes the
channel (the kernel's later checks then record nothing, and fail).
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from from_memory.judge.session import Refused, Session
from from_memory.kernel import channel, wire

log = logging.getLogger(__name__)

# What the kernel hears back for a record: the verdict replaces the cell's outputs after it ran.
KEPT = "recorded; the grader judges it when the cell has run"


class JudgeServer:
    """Serve ``session`` on ``sock`` in a thread of this process, until the kernel closes its end."""

    def __init__(self, sock: socket.socket, session: Session):
        self.sock = sock
        self.session = session
        self.lock = threading.Lock()  # the executor reads the session between cells
        self.cpu = 0.0  # seconds this thread spent judging
        self.thread = threading.Thread(target=self._serve, name="from-memory-judge", daemon=True)
        self.thread.start()

    def _read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _answer(self, request) -> dict:
        if not isinstance(request, dict):
            return {"refused": "a request is a dict"}
        op, name = request.get("op"), request.get("check")
        try:
            with self.lock:
                if op == "spec":
                    return {"ok": self.session.spec(str(name))}
                if op == "helper":
                    args, kwargs = request.get("args"), request.get("kwargs") or {}
                    if not isinstance(args, list) or not isinstance(kwargs, dict):
                        raise Refused("a helper's arguments are a list and a dict")
                    kwargs = {str(k): v for k, v in kwargs.items()}
                    return {"ok": self.session.helper(str(name), str(request.get("helper")), args, kwargs)}
                if op == "record":
                    record = request.get("record")
                    if not isinstance(record, dict):
                        raise Refused("a record is a dict")
                    self.session.keep(str(name), record)  # judged once the cell has run
                    return {"ok": {"passed": True, "message": KEPT}}
        except Refused as refusal:
            return {"refused": str(refusal)}
        except Exception:  # noqa: BLE001 - the grader's own fault: say so, keep serving
            log.exception("the judge failed on a request")
            return {"refused": "internal grader error: tell your instructor"}
        return {"refused": f"unknown request {op!r}"}

    def _serve(self) -> None:
        try:
            while True:
                try:
                    request = wire.read_message(self._read)
                except EOFError:
                    return
                except (wire.WireError, ValueError) as error:
                    log.warning("closing a kernel's channel after a malformed message: %s", error)
                    return
                started = time.thread_time()
                answer = wire.pack(self._answer(request))
                self.cpu += time.thread_time() - started
                self.sock.sendall(answer)
        except OSError:
            return
        finally:
            self.sock.close()

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)


def open_channel(session: Session) -> tuple[JudgeServer, int, dict]:
    """A served socket pair: ``(server, kernel's descriptor, env for the kernel)``.

    The caller passes the descriptor to the kernel (``Launch.pass_fds``) and closes
    its own copy once the kernel has started.
    """
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fd = theirs.detach()
    return JudgeServer(mine, session), fd, {channel.FD_VARIABLE: str(fd)}
