"""The kernel's line to the grader: a socket the grading engine hands the kernel at start.

When the engine starts a kernel it keeps one end of a socket pair and passes the other
to the kernel as an open descriptor, named by the environment variable
:data:`FD_VARIABLE`. Each request is one framed message (:mod:`from_memory.kernel.wire`)
answered by one: ``{"ok": value}`` or ``{"refused": reason}``. Nothing else reaches the
grader, and nothing but plain data comes back.
"""

from __future__ import annotations

import functools
import os
import socket

from from_memory.kernel import wire

FD_VARIABLE = "FROM_MEMORY_JUDGE_FD"


class GraderRefused(RuntimeError):
    """The grader would not answer (a check run outside its own test cell, say)."""


@functools.cache
def _socket() -> socket.socket | None:
    value = os.environ.get(FD_VARIABLE)
    if not value:
        return None
    return socket.fromfd(int(value), socket.AF_UNIX, socket.SOCK_STREAM)


def _recv_exactly(sock: socket.socket):
    def read(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = sock.recv(min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    return read


def ask(sock: socket.socket, request: dict):
    sock.sendall(wire.pack(request))
    reply = wire.read_message(_recv_exactly(sock))
    if isinstance(reply, dict) and "ok" in reply:
        return reply["ok"]
    reason = reply.get("refused") if isinstance(reply, dict) else None
    raise GraderRefused(str(reason or "the grader sent an answer it should not have"))


class ChannelTransport:
    """The probe's transport when a grading engine runs the notebook."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.running: str | None = None
        self.verdict = None

    def spec(self, name: str) -> dict:
        self.running = name
        return ask(self.sock, {"op": "spec", "check": name})

    def helper_stub(self, helper: str):
        sock, name = self.sock, self.running

        def reference_helper(*args, **kwargs):
            return ask(sock, {"op": "helper", "check": name, "helper": helper, "args": list(args),
                              "kwargs": kwargs})

        reference_helper.__name__ = helper
        return reference_helper

    def record(self, name: str, record: dict):
        self.verdict = ask(self.sock, {"op": "record", "check": name, "record": record})
        return self.verdict


def transport() -> ChannelTransport | None:
    """The channel to the grader, when this kernel was started by the grading engine."""
    sock = _socket()
    return None if sock is None else ChannelTransport(sock)
