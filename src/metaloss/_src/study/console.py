"""What the long commands (``reproduce``, ``compare``) tell the user while they run.

Named stages with their counts and times: on a terminal, a live bar for any stage that
takes longer than a second (with an ETA when the stage knows its count) and one line
when it ends; elsewhere (a log file, CI) only the lines. ``quiet`` silences all of it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TextIO

BAR_DELAY_S = 1.0
"""Stages shorter than this never show a bar."""


class Stage:
    """A running stage; ``advance`` counts its items (estimators, seeds, tiles...)."""

    def __init__(self, bar, total: int | None):
        self.bar, self.total, self.done = bar, total, 0

    def advance(self, n: int = 1, what: str | None = None) -> None:
        self.done += n
        if self.bar is not None:
            if what:
                self.bar.set_postfix_str(what, refresh=False)
            self.bar.update(n)


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)} min {s % 60:02.0f} s"


SUMMARY_NUMBERS = 8
"""Key numbers the closing summary shows at most (the report has more)."""


class Console:
    """Stage reporting for one command run.

    Args:
      quiet: print nothing.
      stream: where to write (stderr by default, so stdout stays for results).
      live: draw live bars; ``None``: when ``stream`` is a terminal.
    """

    def __init__(self, quiet: bool = False, stream: TextIO | None = None,
                 live: bool | None = None):
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.live = (isatty() if live is None else live) and not quiet
        self.start = time.perf_counter()
        self.part = ""

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def part_begins(self, index: int, total: int, title: str) -> None:
        """A numbered part of the run (a report section), e.g. ``[3/8] Outer training``."""
        self.part = f"[{index}/{total}]"
        self.line(f"{self.part} {title} (at {_seconds(self.elapsed())})")

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[Stage]:
        """Runs a named stage; ``total`` items of ``unit`` when it has a count."""
        bar = None
        if self.live:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, desc=f"  {name}", unit=f" {unit}" if unit else "it",
                       delay=BAR_DELAY_S, leave=False, file=self.stream, dynamic_ncols=True)
        stage = Stage(bar, total)
        t0 = time.perf_counter()
        try:
            yield stage
        finally:
            if bar is not None:
                bar.close()
        # Only a finished stage gets its line: an error's one line stays the only one.
        dt = time.perf_counter() - t0
        count = ""
        if total is not None:
            count = f"{stage.done}/{total} {unit}".rstrip() + ", "
        self.line(f"  {name}: {count}{_seconds(dt)}")

    def summary(self, out, files: list[str], numbers: list[tuple[str, str]],
                most: int = SUMMARY_NUMBERS, total: int | None = None) -> None:
        """The closing lines: the files written and the first ``most`` of ``numbers``
        (the key numbers; ``total`` of them in the report, default ``len(numbers)``)."""
        self.line(f"done in {_seconds(self.elapsed())}: {len(files)} files in {out}/")
        for name in files:
            self.line(f"  {name}")
        if numbers:
            self.line("key numbers:")
            shown = numbers[:most]
            for name, value in shown:
                self.line(f"  {name}: {value}")
            left = (len(numbers) if total is None else total) - len(shown)
            if left > 0:
                self.line(f"  ... {left} more in report.md")
