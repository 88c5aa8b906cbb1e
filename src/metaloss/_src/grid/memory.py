"""How many grid points a CPU evaluates together, and how many calls run at once, so
that the calls running at once fit in memory (sized from shapes, before compiling)."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import jax

from metaloss._src.errors import InputError
from metaloss._src.measures import LOSS, Measure

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss

CPU_BLOCK = 512
"""Most points a CPU evaluates together (see :func:`_chunk_program`)."""

MIN_BLOCK = 16
BLOCK_BYTES = 1 << 15
"""A block's inner states should fit in about this much (an L1 data cache)."""


@functools.partial(jax.jit, static_argnames=("meta",))
def _fresh_state(key: jax.Array, meta: MetaLoss):
    return meta.init_state(key)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable), if known."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


MEMORY_SHARE = 0.5
"""The share of the available host memory the calls running at once may hold."""


def state_bytes(meta: MetaLoss) -> int:
    """Bytes of one point's inner state, from its shapes (nothing is allocated)."""
    state = _fresh_state.eval_shape(jax.random.key(0), meta=meta)  # shapes; trace cached
    return max(1, sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state)))


def cpu_block(meta: MetaLoss, devices: tuple[jax.Device, ...], measure: Measure = LOSS,
              workers: int = 1) -> int | None:
    """Points per block on ``devices``: none off CPUs; on CPUs a power of two in
    [:data:`MIN_BLOCK`, :data:`CPU_BLOCK`] whose inner states fit in
    :data:`BLOCK_BYTES`, and smaller (down to 1) when ``workers`` calls of such
    blocks would not fit in :data:`MEMORY_SHARE` of the available memory.

    The study's problem carries about 40 bytes per point and gets 512; an MLP on
    the digits (about 29 KB of weights, momentum and initial weights per point)
    gets 16, which ran its 64 x 64 landscape in 5.4 s against 8.4 s in blocks of
    512 and 6.7 s in plain 256-point chunks (2-core CPU). A point whose state alone
    (times :meth:`~metaloss._src.measures.Measure.live_states`) does not fit is
    refused here, before anything is compiled or allocated.
    """
    if devices[0].platform != "cpu":
        return None
    per_point = state_bytes(meta)
    fit = 1 << max(0, (BLOCK_BYTES // per_point).bit_length() - 1)
    block = int(min(CPU_BLOCK, max(MIN_BLOCK, fit)))
    have = available_memory()
    if have is None:
        return block
    live = per_point * measure.live_states(meta.steps)
    share = MEMORY_SHARE * have
    if live > share:
        raise InputError(
            f"one grid point of this meta-loss needs about {live / 2**30:.1f} GiB while it "
            f"runs (an inner state of {per_point / 2**20:.0f} MiB), more than "
            f"{MEMORY_SHARE:.0%} of the {have / 2**30:.1f} GiB available: use a smaller "
            "problem (fewer parameters) or fewer steps")
    while block > 1 and block * live * max(1, workers) > share:
        block //= 2
    return block


def workers_for(devices: Sequence[jax.Device], meta: MetaLoss | None = None,
                measure: Measure = LOSS) -> int:
    """Calls kept running at once: one per core on CPUs, one elsewhere (accelerators
    overlap calls by asynchronous dispatch already). Given ``meta``, fewer on CPUs when
    even one-point calls, one per core, would not fit in :data:`MEMORY_SHARE` of the
    available memory (:func:`cpu_block` shrinks blocks first and refuses a point that
    cannot fit alone)."""
    if devices[0].platform != "cpu":
        return 1
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        cores = max(1, os.cpu_count() or 1)
    have = None if meta is None else available_memory()
    if have is None:
        return cores
    live = state_bytes(meta) * measure.live_states(meta.steps)
    return int(min(cores, max(1, (MEMORY_SHARE * have) // live)))
