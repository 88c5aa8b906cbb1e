"""The chunk executor: one compiled program evaluates fixed-length runs of grid points.

Every call evaluates the same number of points per device (the chunk), so a grid
of any size and any axis values runs one program per chunk length; the last chunk
is padded. Calls overlap: on CPUs one call runs per core from a thread pool; on
accelerators the next call is dispatched before the last is fetched. Everything
here is shared by in-memory landscapes (:func:`iter_chunks`) and stores
(:mod:`metaloss._src.grid.fill`).
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import PartitionSpec as P

from metaloss._src.errors import check_int
from metaloss._src.grid.memory import cpu_block, workers_for
from metaloss._src.grid.points import axis_table, box_start, grid_points
from metaloss._src.grid.sharding import (
    AXIS,
    Devices,
    local_devices,
    mesh,
    put_points,
    put_replicated,
)
from metaloss._src.measures import LOSS, Measure

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss

DEFAULT_CHUNK = 1 << 18
"""Grid points per compiled call on a CPU (per device): enough to amortize a
call's fixed costs. A CPU evaluates a call in blocks of :data:`CPU_BLOCK` points,
so the chunk does not set the working set; on the 2-core CPU
(benchmarks/RESULTS.md) the study's 2000 x 2000 landscape took 0.30 s in chunks
of 262144 points against 0.34-0.37 s in chunks of 65536 and 0.42-0.45 s in
chunks of 16384."""

ACCELERATOR_CHUNK = 1 << 16
"""Grid points per compiled call on other devices, where a call evaluates all its
points at once: memory grows with the chunk times an inner run's state. Pass
``chunk=`` to go bigger when the state is small."""

def _device_chunk(desc, table, layout, fixed, key, *, meta, measure, names, size, block):
    """One device's ``size`` points: ``(values, diverged)``."""

    def point(grid_vals, fixed, key):
        return measure.point(meta, {**fixed, **dict(zip(names, grid_vals, strict=True))}, key)

    vals = grid_points(desc[0], table, layout, size)
    if block is None or size < 2 * block:
        return jax.vmap(point, in_axes=(0, None, None))(vals, fixed, key)
    return jax.lax.map(lambda v: point(v, fixed, key), vals, batch_size=block)


@functools.partial(jax.jit, static_argnames=("meta", "measure", "names", "size", "block",
                                             "devices"))
def _chunk_program(desc, table, layout, fixed, key, *, meta, measure, names, size, block,
                   devices):
    """Compiled ``(desc, table, layout, fixed, key) -> (values, diverged)``.

    ``desc`` is ``int32[n_devices, 3, d]`` (:func:`box_start`, one row per device),
    ``table`` and ``layout`` come from :func:`axis_table`. The grid points are
    generated on the device from these few numbers, so a call transfers almost
    nothing in, whatever its size.

    With ``block``, the points are evaluated ``block`` at a time, one block after
    another (``lax.map``), instead of all at once. On a CPU each step of a block's
    unroll then works on arrays that stay in the L1 cache, where the whole chunk's
    arrays (a few times 256 KiB per step) stream through memory: per core it runs
    about twice as fast (benchmarks/NOTES.md). A compiled call then runs on one
    core, so :func:`in_order` keeps one call per core running.

    Several devices split ``desc`` along :data:`~metaloss._src.grid.sharding.AXIS` with
    ``jax.shard_map``: each runs the very program one device would, so values do
    not depend on the device count.
    """
    body = functools.partial(_device_chunk, meta=meta, measure=measure, names=names, size=size,
                             block=block)
    if len(devices) == 1:
        return body(desc[0:1], table, layout, fixed, key)
    # No collectives inside, so the varying-axis check has nothing to protect; it
    # would reject the inner scan whose carry starts replicated.
    sharded = jax.shard_map(body, mesh=mesh(devices), in_specs=(P(AXIS),) + (P(),) * 4,
                            out_specs=P(AXIS), check_vma=False)
    return sharded(desc, table, layout, fixed, key)


def in_order(launch, items: Sequence[Any], workers: int):
    """Yields ``(item, numpy results)`` for ``launch(item)`` over ``items``, in order.

    ``launch`` starts a compiled call and returns its device arrays; with several
    workers it runs in other threads, which do not see the caller's thread-local
    JAX settings (``enable_x64``), so it must call an already compiled function
    (``jit(f).lower(...).compile()``), not one that may trace. With one
    worker, the next call is dispatched before the last is fetched (enough for
    accelerators, which run calls asynchronously). With several, ``workers``
    threads each run a call and fetch its results, so that many calls run at
    once on a CPU's cores; at most ``workers + 1`` results wait in memory.
    """
    fetch = lambda item: (item, jax.tree.map(np.asarray, launch(item)))
    if workers <= 1:
        pending = (items[0], launch(items[0])) if items else None
        for k in range(len(items)):
            item, out = pending
            pending = (items[k + 1], launch(items[k + 1])) if k + 1 < len(items) else None
            yield item, jax.tree.map(np.asarray, out)
        return
    with concurrent.futures.ThreadPoolExecutor(workers, "metaloss-grid") as pool:
        queue = collections.deque(pool.submit(fetch, it) for it in items[: workers + 1])
        nxt = len(queue)
        try:
            while queue:
                done = queue.popleft().result()
                if nxt < len(items):
                    queue.append(pool.submit(fetch, items[nxt]))
                    nxt += 1
                yield done
        finally:
            for f in queue:
                f.cancel()


def chunk_caller(meta: MetaLoss, grid: Mapping[str, np.ndarray], size: int, key: jax.Array,
                 devices: tuple[jax.Device, ...], measure: Measure = LOSS, workers: int = 1):
    """``call(rows) -> (values, diverged)`` device arrays for one :func:`box_start` row
    per device, ``size`` points each.

    ``meta.fixed`` values travel as arguments, not constants, so changing them
    never recompiles. The program is compiled here, in the caller's thread, so that
    ``call`` can run on :func:`in_order`'s worker threads (see there).
    """
    base, fixed = meta.without_fixed()
    dtype = jnp.result_type(float)
    fixed_j = {k: jnp.asarray(v, dtype) for k, v in fixed.items()}
    table, layout = (put_replicated(a, devices) for a in axis_table(list(grid.values()), dtype))
    shape = [len(v) for v in grid.values()]
    sample = np.stack([box_start([0] * len(shape), shape, 0)] * len(devices))
    static = {"meta": base, "measure": measure, "names": tuple(grid), "size": size,
              "block": cpu_block(base, devices, measure, workers), "devices": devices}
    compiled = _chunk_program.lower(put_points(sample, devices), table, layout, fixed_j, key,
                                    **static).compile()

    def call(rows: Sequence[np.ndarray]):
        return compiled(put_points(np.stack(rows), devices), table, layout, fixed_j, key)

    return call


def chunk_size_for(total: int, chunk: int | None, devices: Sequence[jax.Device] | None = None,
                   spread: int = 1) -> int:
    """A fixed chunk length: the requested one, or a power of two up to the default
    for ``devices`` (:data:`DEFAULT_CHUNK` on CPUs, :data:`ACCELERATOR_CHUNK`
    elsewhere), no longer than needed to give ``spread`` calls ``total`` points."""
    if chunk is not None:
        return check_int("chunk", chunk)
    devices = devices or jax.local_devices()
    cap = DEFAULT_CHUNK if devices[0].platform == "cpu" else ACCELERATOR_CHUNK
    need = -(-total // max(spread, 1))
    return min(cap, 1 << max(0, math.ceil(math.log2(need))))


def iter_chunks(
    meta: MetaLoss,
    grid: Mapping[str, np.ndarray],
    key: jax.Array,
    *,
    start: int = 0,
    stop: int | None = None,
    chunk: int | None = None,
    devices: Devices = None,
    measure: Measure = LOSS,
):
    """Yields ``(offset, values, diverged)`` for flat (C-order) grid ranges in ``[start, stop)``.

    Every call uses the same padded chunk length, so changing grid values or sizes
    never recompiles; calls overlap (see :func:`in_order`). With several
    ``devices`` (default: all local ones; see :mod:`metaloss._src.grid.sharding`) each
    call gives every device ``chunk`` points, so each device runs the very program
    one device would: the values do not depend on the device count. ``meta.fixed``
    holds the hyperparameters that are not axes.
    """
    shape = tuple(len(v) for v in grid.values())
    total = math.prod(shape)
    stop = total if stop is None else stop
    if start >= stop:
        return
    devs = local_devices(devices)
    workers = workers_for(devs, meta, measure)
    size = chunk_size_for(stop - start, chunk, devs, workers * len(devs))
    call = chunk_caller(meta, grid, size, key, devs, measure, workers)
    origin = [0] * len(shape)
    step = size * len(devs)

    def launch(offset):
        return call([box_start(origin, shape, offset + j * size) for j in range(len(devs))])

    for offset, (values, div) in in_order(launch, range(start, stop, step), workers):
        n = min(step, stop - offset)
        yield offset, values[:n], div[:n]
