"""Shared figure helpers: new figures, atomic saving (inline or in a worker process),
masking.

Figures are built with matplotlib's object-oriented API (``matplotlib.figure.Figure``),
never through pyplot: nothing here touches pyplot's global state or the user's
backend, so importing metaloss in a notebook changes nothing there. A Figure
built this way renders to files with the Agg canvas and shows inline in Jupyter.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np
from matplotlib.figure import Figure

from metaloss.grid.io import atomic_path

DIVERGED_COLOR = "#d62728"
NONFINITE_COLOR = "#bbbbbb"


def figure(width: float = 6.0, height: float = 4.0) -> Figure:
    """An empty figure with constrained layout (no pyplot involved)."""
    return Figure(figsize=(width, height), layout="constrained")


def new_figure(width: float = 6.0, height: float = 4.0):
    """``(figure, axes)`` for a one-panel figure."""
    fig = figure(width, height)
    return fig, fig.add_subplot()


WORKERS_ENV = "METALOSS_FIGURE_WORKERS"
"""Worker processes :func:`in_background` starts (default 1; 0 saves inline)."""

_background: _Background | None = None


def save(fig: Figure, path: str | os.PathLike, dpi: int = 120) -> None:
    """Writes ``fig`` as PNG atomically; inside :func:`in_background`, a worker process
    lays it out, draws and writes it while the caller goes on."""
    if _background is not None and _background.submit(fig, path, dpi):
        return
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")


def _save_pickled(data: bytes, path: str, dpi: int) -> None:
    save(pickle.loads(data), path, dpi)


def _ready() -> None:
    """Nothing: running it makes a new worker import this module (and matplotlib)."""


class _Background:
    """The worker pool of :func:`in_background` and the saves handed to it."""

    def __init__(self, workers: int):
        # spawn, not fork: the caller runs JAX's threads, which a fork would copy mid-flight
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        # Started now, not at the first figure: the worker's imports (matplotlib, this
        # package) then overlap the caller's computation instead of delaying that figure.
        for _ in range(workers):
            self._pool.submit(_ready)
        self.pending: list[Future] = []
        self.inline = 0

    def submit(self, fig: Figure, path, dpi: int) -> bool:
        """Hands ``fig`` to the pool; ``False`` (the caller saves inline) when it does not
        pickle (an artist holding a lambda, say): slower, never different."""
        try:
            data = pickle.dumps(fig)
        except (pickle.PicklingError, TypeError, AttributeError):
            self.inline += 1
            return False
        self.pending.append(self._pool.submit(_save_pickled, data, os.fspath(path), dpi))
        return True

    def finish(self) -> None:
        """Waits for every save; the first failure is raised (its own exception, so a
        full disk reads as one and names the user's path) once all have ended."""
        try:
            errors = [f.exception() for f in self.pending]
        finally:
            self._pool.shutdown(wait=True, cancel_futures=False)
        for err in errors:
            if err is not None:
                raise err


@contextlib.contextmanager
def in_background(workers: int | None = None) -> Iterator[_Background | None]:
    """Within the block, :func:`save` hands each figure to a worker process (pickled)
    and returns at once: laying out, drawing and writing PNGs is most of a report's
    figure time, and it overlaps the computation that follows. Leaving the block waits
    until every figure is written, and raises the first save's error. ``workers``
    default ``$METALOSS_FIGURE_WORKERS`` or 1; 0 saves inline (no process started).
    Figures come out byte for byte as inline saves make them. The worker is spawned,
    so, as with any ``multiprocessing`` use, a script that enters this block must
    guard its top level with ``if __name__ == "__main__":``.
    """
    global _background
    if workers is None:
        workers = int(os.environ.get(WORKERS_ENV, "1") or 0)
    if workers <= 0 or _background is not None:  # nested: the outer block's pool serves
        yield _background
        return
    _background = bg = _Background(workers)
    try:
        yield bg
    except BaseException:
        _background = None
        with contextlib.suppress(Exception):  # the block's own error is the one to report
            bg.finish()
        raise
    _background = None
    bg.finish()


def finite_masked(values) -> np.ma.MaskedArray:
    """Masks inf and NaN so they are left out of lines and drawn as 'bad' in images."""
    arr = np.asarray(values, dtype=float)
    return np.ma.masked_invalid(arr)


def describe(da) -> str:
    """What a landscape holds, for labels: its ``description`` attribute (set by the
    grid engine from the measure), else ``outer loss``."""
    return str(da.attrs.get("description") or "outer loss")
