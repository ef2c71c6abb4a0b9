"""The progress line of a grading run, on stderr.

    autograde [######----] 6/10 submissions, 1 failed, 12 s, 30/min
"""

from __future__ import annotations

import time


class Progress:
    """``autograde [######----] 6/10 submissions, 1 failed, 12 s, 30/min`` on stderr.

    Redrawn in place on a terminal; elsewhere (logs, CI) only the final line is written.
    """

    WIDTH = 24

    def __init__(self, stream):
        self.stream = stream or None
        self.tty = bool(self.stream) and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.n = self.done = self.failed = 0
        self.growing = True
        self.started = time.monotonic()

    def note(self, text: str) -> None:
        """One line before the bar (what the kernels get, say)."""
        if self.stream:
            self.stream.write(text + "\n")
            self.stream.flush()

    def grow(self) -> None:
        """One more submission to grade (the total is known once every one has been found)."""
        self.n += 1
        self._draw()

    def tick(self, failed: bool) -> None:
        self.done += 1
        self.failed += bool(failed)
        self._draw()

    def _text(self) -> str:
        n = max(self.n, 1)
        fill = round(self.WIDTH * self.done / n)
        total = f"{self.n}+" if self.growing else f"{self.n}"
        elapsed = time.monotonic() - self.started
        rate = f", {60 * self.done / elapsed:.0f}/min" if self.done and elapsed > 0 else ""
        return (
            f"autograde [{'#' * fill}{'-' * (self.WIDTH - fill)}] "
            f"{self.done}/{total} submissions, {self.failed} failed, {elapsed:.0f} s{rate}"
        )

    def _draw(self) -> None:
        if not self.stream or not self.tty:
            return
        self.stream.write("\r" + self._text())
        self.stream.flush()

    def finish(self) -> None:
        if not self.stream or not self.n:
            return
        self.growing = False
        self.stream.write(("\r" if self.tty else "") + self._text() + "\n")
        self.stream.flush()


