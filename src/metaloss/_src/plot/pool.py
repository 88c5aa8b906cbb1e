"""Saving figures atomically, inline or in a pool of worker processes.

:func:`save` writes a PNG in place (through a temporary file). Inside
:func:`in_background`, it hands the pickled figure to a worker process instead and
returns at once, so drawing overlaps the caller's computation; leaving the block waits
for every file. The workers are plain interpreters that import matplotlib only.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from matplotlib.figure import Figure

from metaloss._src.grid.io import atomic_path

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


_WORKER = r"""
import pickle, signal, struct, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when to stop
import matplotlib.figure, matplotlib.backends.backend_agg
jobs, results = sys.stdin.buffer, open(int(sys.argv[1]), "wb")
while len(head := jobs.read(8)) == 8:
    job, data, tmp, dpi = pickle.loads(jobs.read(struct.unpack("<Q", head)[0]))
    try:
        pickle.loads(data).savefig(tmp, dpi=dpi, format="png")
        err = None
    except Exception as e:
        err = e
    try:
        out = pickle.dumps((job, err))
    except Exception:
        out = pickle.dumps((job, RuntimeError(repr(err))))
    results.write(struct.pack("<Q", len(out)) + out)
    results.flush()
"""
"""A figure worker's whole program: it imports matplotlib and nothing of metaloss (a
``multiprocessing`` worker would import the caller's main module, hence JAX: seconds
of CPU taken from the computation the figures are meant to overlap)."""


class _Worker:
    """One worker process and the thread that serves it: pickled figures go in on its
    stdin one at a time, ``(job, error)`` comes back on a pipe. Jobs wait in a queue
    here, so a save never waits for a drawing, and the caller can take the ones not
    yet started (:meth:`take`) instead of sitting idle at the end."""

    def __init__(self):
        read, write = os.pipe()
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, str(write)],
                                         stdin=subprocess.PIPE, pass_fds=(write,))
        finally:
            os.close(write)
        self.jobs = 0
        self.done: dict[int, BaseException | None] = {}
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, args=(read,), daemon=True)
        self._thread.start()

    def send(self, job: int, data: bytes, tmp: Path, dpi: int) -> None:
        self._queue.put((job, pickle.dumps((job, data, os.fspath(tmp), dpi))))
        self.jobs += 1

    def take(self) -> int | None:
        """A job the worker has not started, for the caller to do; ``None`` when none."""
        try:
            return self._queue.get_nowait()[0]
        except queue.Empty:
            return None

    def _serve(self, fd: int) -> None:
        alive = True
        with os.fdopen(fd, "rb") as results:
            while (item := self._queue.get()) is not None:
                if not alive:
                    continue  # a worker that died: the caller redoes its jobs
                try:
                    self.proc.stdin.write(struct.pack("<Q", len(item[1])) + item[1])
                    self.proc.stdin.flush()
                    head = results.read(8)
                    job, err = pickle.loads(results.read(struct.unpack("<Q", head)[0]))
                    self.done[job] = err
                except (OSError, struct.error, EOFError, pickle.UnpicklingError):
                    alive = False
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def close(self) -> dict[int, BaseException | None]:
        """Waits for the worker's jobs; ``job -> error or None`` for those it finished."""
        self._queue.put(None)
        self._thread.join()
        self.proc.wait()
        return self.done


class _Save:
    """One figure handed to a worker: its pickle and the temporary file of
    :func:`~metaloss._src.grid.io.atomic_path` that the worker writes."""

    def __init__(self, path, data: bytes, dpi: int):
        self._target = atomic_path(path)
        self.tmp = self._target.__enter__()
        self.data, self.dpi = data, dpi

    def end(self, error: BaseException | None) -> None:
        """Puts the file in place, or removes the temporary file and raises ``error``
        (an OS error naming the user's path, not the temporary file)."""
        if error is None:
            self._target.__exit__(None, None, None)
        elif not self._target.__exit__(type(error), error, error.__traceback__):
            raise error


class _Background:
    """The worker processes of :func:`in_background` and the saves handed to them."""

    def __init__(self, workers: int):
        # Started now, not at the first figure: the workers' imports (matplotlib) then
        # overlap the caller's computation instead of delaying that figure. Where no
        # process can be started, every figure is saved inline.
        self._workers = []
        with contextlib.suppress(OSError):
            self._workers = [_Worker() for _ in range(workers)]
        self.pending: list[_Save] = []
        self.inline = 0

    def submit(self, fig: Figure, path, dpi: int) -> bool:
        """Hands ``fig`` to the worker with the fewest jobs; ``False`` (the caller saves
        inline) when it does not pickle (an artist holding a lambda, say): slower, never
        different. The temporary file beside ``path`` is made here, so a missing
        directory is refused at once."""
        try:
            data = pickle.dumps(fig) if self._workers else None
        except (pickle.PicklingError, TypeError, AttributeError):
            data = None
        if data is None:
            self.inline += 1
            return False
        job = _Save(path, data, dpi)
        min(self._workers, key=lambda w: w.jobs).send(len(self.pending), data, job.tmp, dpi)
        self.pending.append(job)
        return True

    def finish(self) -> None:
        """Waits for every save and puts each file in place, drawing here the figures no
        worker has started; the first failure is raised (its own exception, so a full
        disk reads as one and names the user's path) once all have ended. A save whose
        worker died is redone here."""
        mine = [j for w in self._workers for j in iter(w.take, None)]
        errors: dict[int, BaseException | None] = {}
        for j in mine:
            errors[j] = _draw(self.pending[j])
        for w in self._workers:
            errors.update(w.close())
        first = None
        for j, job in enumerate(self.pending):
            try:
                job.end(errors[j] if j in errors else _draw(job))
            except Exception as e:
                first = first or e
        if first is not None:
            raise first


def _draw(job: _Save) -> Exception | None:
    """Draws a handed-over figure here: ``None``, or the error a worker would report."""
    try:
        pickle.loads(job.data).savefig(job.tmp, dpi=job.dpi, format="png")
    except Exception as e:
        return e
    return None


@contextlib.contextmanager
def in_background(workers: int | None = None) -> Iterator[_Background | None]:
    """Within the block, :func:`save` hands each figure to a worker process (pickled)
    and returns at once: laying out, drawing and writing PNGs is most of a report's
    figure time, and it overlaps the computation that follows. Leaving the block waits
    until every figure is written, and raises the first save's error. ``workers``
    default ``$METALOSS_FIGURE_WORKERS`` or 1; 0 saves inline (no process started).
    Figures come out byte for byte as inline saves make them. A worker is a fresh
    interpreter that imports matplotlib only (not the caller's script, so no
    ``if __name__ == "__main__":`` guard is needed), and a missing directory is refused
    by :func:`save` at once.
    """
    global _background
    if workers is None:
        workers = int(os.environ.get(WORKERS_ENV, "1") or 0)
    if workers <= 0 or _background is not None:  # nested: the outer block's workers serve
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
