"""Independent computations side by side, each in a thread of its own.

Most of an estimator comparison's time goes to compiling a dozen programs, and XLA
releases the GIL while it compiles and runs: work started in another thread overlaps
the caller's on a machine with two or more cores. :func:`~metaloss._src.workflows.compare.compare`
runs its gradient sweep and its maps this way, beside the training runs. Threads, not
processes: they share the compilation cache and the device, and results need no pickling.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

import jax


class Lanes:
    """A context manager that starts functions in threads of their own and, on leaving,
    waits for them (cancelling those not yet started when the block raised).

    ``with Lanes(2) as lanes: sweep = lanes.start(gradient_sweep, ...); ...;
    sweep.result()``. JAX settings that are thread-local (``enable_x64``) travel with
    each function, so it computes as it would in the caller's thread.
    """

    def __init__(self, lanes: int):
        self._pool = concurrent.futures.ThreadPoolExecutor(max(1, lanes), "metaloss-lane")

    def start(self, fn: Callable[..., Any], /, *args, **kwargs) -> concurrent.futures.Future:
        x64 = jax.config.jax_enable_x64

        def run():
            with jax.enable_x64(x64):
                return fn(*args, **kwargs)

        return self._pool.submit(run)

    def __enter__(self) -> Lanes:
        return self

    def __exit__(self, kind, value, tb) -> None:
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)
