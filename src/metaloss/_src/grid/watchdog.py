"""Stopping a distributed landscape cleanly when one of its processes dies.

Without this, a survivor whose peer was killed either fails inside a collective
(Gloo: "Connection closed by peer") and then waits for JAX's coordination service
to give up (its heartbeat timeout, 100 s by default) before aborting with a C++
stack trace. Instead, while processes fill a store together, each one posts a
counter to the coordination service's key-value store every second and watches
the others' counters. A counter that has not moved for :data:`TIMEOUT_S` seconds
(measured on the watcher's own clock, so hosts' clocks need not agree), or a
coordination service that stops answering, ends the survivor at once: one line
naming the lost process, exit code :data:`EXIT_LOST_PROCESS`. Every tile finished
so far is already in the store; running it again with ``resume=True`` completes it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator

import jax

TIMEOUT_S = 15.0
"""Silence after which a process counts as lost (well under JAX's own 100 s)."""

PERIOD_S = 1.0
EXIT_LOST_PROCESS = 3
"""Exit code of a process that stops because another process of its run was lost."""


def _client():
    from jax._src import distributed as jd

    return jd.global_state.client


def kept_notice(resume: str = "resume=True") -> str:
    """The end of :func:`lost_process_line`: what is kept and how to continue, with
    ``resume`` spelling the argument that continues a store run."""
    return ("this process stops. The tiles finished so far are kept in the store: run it "
            f"again with {resume} to complete it")


def lost_process_line(what: str, resume: str = "resume=True") -> str:
    """The one line a process prints when its run lost another process."""
    return f"error: {what}; {kept_notice(resume)}"


def stop_run(message: str) -> None:
    """Prints one line and ends this process now, without JAX's shutdown barrier (which
    would wait for the lost process)."""
    print(lost_process_line(message), file=sys.stderr, flush=True)
    os._exit(EXIT_LOST_PROCESS)


class Watchdog:
    """The heartbeat thread of one process (see the module docstring)."""

    def __init__(self, timeout: float = TIMEOUT_S, period: float = PERIOD_S):
        self.client = _client()
        self.me, self.count = jax.process_index(), jax.process_count()
        self.timeout, self.period = timeout, period
        self.stop = threading.Event()
        now = time.monotonic()
        self.seen = {j: (None, now) for j in range(self.count) if j != self.me}
        self.contact = now
        self.thread = threading.Thread(target=self._loop, name="metaloss-watchdog", daemon=True)

    def _key(self, j: int) -> str:
        return f"metaloss/watchdog/{j}"

    def _beat(self, n: int) -> None:
        self.client.key_value_set(self._key(self.me), str(n), allow_overwrite=True)

    def lost(self) -> int | None:
        """A process whose counter has been still for longer than the timeout, if any."""
        now = time.monotonic()
        for j, (value, since) in self.seen.items():
            try:
                current = self.client.key_value_try_get(self._key(j))
            except Exception:  # not posted yet: counts as still since the start
                current = value
            if current != value:
                self.seen[j] = (current, now)
            elif now - since > self.timeout:
                return j
        return None

    def _loop(self) -> None:
        n = 0
        while not self.stop.wait(self.period):
            n += 1
            try:
                self._beat(n)
                gone = self.lost()
                self.contact = time.monotonic()
            except Exception:  # the coordination service itself is unreachable
                if time.monotonic() - self.contact > self.timeout:
                    stop_run(f"lost contact with the coordinator (process 0 of {self.count}) "
                             f"for {self.timeout:.0f} s")
                continue
            if gone is not None:
                stop_run(f"process {gone} of {self.count} stopped responding (no heartbeat "
                         f"for {self.timeout:.0f} s)")

    def wait_for_verdict(self) -> None:
        """After a failed collective: give the thread time to name the lost process."""
        deadline = time.monotonic() + self.timeout + 3 * self.period
        while time.monotonic() < deadline:
            time.sleep(self.period)


_ACTIVE: list[Watchdog] = []


@contextlib.contextmanager
def watching() -> Iterator[None]:
    """Watches the other processes while the block runs (a no-op in one process)."""
    if jax.process_count() <= 1 or _client() is None:
        yield
        return
    dog = Watchdog()
    dog._beat(0)
    dog.thread.start()
    _ACTIVE.append(dog)
    try:
        yield
    finally:
        _ACTIVE.remove(dog)
        dog.stop.set()


def collective_failed(error: BaseException) -> None:
    """A collective (barrier) failed: a peer is most likely gone. Ends the run with the
    lost process named when the watchdog can tell which it is."""
    if _ACTIVE:
        _ACTIVE[-1].wait_for_verdict()
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    stop_run(f"another process of the distributed run failed ({first[:200]})")
