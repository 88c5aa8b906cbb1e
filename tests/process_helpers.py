"""Processes of a multi-process test on localhost (importable: pytest puts ``tests/`` on
the path for its rootdir conftest): a free port for the coordinator, and the finished
processes' output."""

from __future__ import annotations

import socket
import subprocess


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for ``jax.distributed``)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def finished(procs, timeout: float = 240) -> list[str]:
    """Each process's standard output, in order, once all have exited with status 0
    (an assertion shows the last of a failed one's standard error). A process still
    running after ``timeout`` seconds ends all of them and raises."""
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, err[-3000:]
        outs.append(out)
    return outs
