"""Outer-loss grids: evaluated in fixed-size chunks so memory stays bounded."""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss.landscape.sharding import (
    Devices,
    local_devices,
    over_devices,
    put_points,
    put_replicated,
)
from metaloss.meta import MetaLoss, default_key

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


def split_axes(
    meta: MetaLoss, axes: Mapping[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Separates grid axes (1-D arrays) from fixed hyperparameters (scalars), and checks both."""
    if not axes:
        raise ValueError("a landscape needs at least one axis")
    grid, fixed = {}, {}
    for name, values in axes.items():
        arr = np.asarray(values, dtype=float)
        if arr.ndim == 0:
            fixed[name] = float(arr)
        elif arr.ndim == 1:
            if arr.size < 1:
                raise ValueError(f"axis {name!r} is empty: grid size must be >= 1")
            grid[name] = arr
        else:
            raise ValueError(f"axis {name!r} must be 1-D or a scalar, got shape {arr.shape}")
    if not grid:
        raise ValueError("a landscape needs at least one axis with an array of values")
    meta.check({**fixed, **grid})  # names and ranges, one clear error, nothing compiled
    return grid, fixed


TABLE_MIN = 1 << 12
"""Smallest axis table (see :func:`axis_table`): grids whose axes hold up to 4096
values in all share one compiled program per chunk length."""


def axis_table(axes: Sequence[np.ndarray], dtype) -> tuple[np.ndarray, np.ndarray]:
    """Every axis's values in one padded array, and where each axis lies in it.

    Returns ``(table, layout)``: ``table`` holds the axes one after another, padded
    to a power of two of at least :data:`TABLE_MIN` entries so that most grid
    changes reuse the compiled program; ``layout`` is ``int32[2, d]``, the offset
    of each axis in ``table`` and its length.
    """
    sizes = np.array([len(a) for a in axes], np.int64)
    total = int(sizes.sum())
    cap = max(TABLE_MIN, 1 << max(0, math.ceil(math.log2(total))))
    table = np.zeros(cap, dtype)
    table[:total] = np.concatenate([np.asarray(a, dtype) for a in axes])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return table, np.stack([offsets, sizes]).astype(np.int32)


def box_start(origin: Sequence[int], box: Sequence[int], flat: int) -> np.ndarray:
    """``int32[3, d]``: a run of points that begins at C-order position ``flat`` of
    the box of shape ``box`` whose first corner is grid index ``origin``.

    This is all a device needs to enumerate its points (:func:`grid_points`); a
    position past the box's end starts at its last point.
    """
    flat = min(int(flat), math.prod(box) - 1)
    start = np.unravel_index(flat, tuple(box))
    return np.array([list(origin), list(box), [int(i) for i in start]], np.int32)


def grid_points(desc: jax.Array, table: jax.Array, layout: jax.Array, size: int):
    """The axis values of ``size`` consecutive points of a box, computed on the device.

    ``desc`` is :func:`box_start`'s array. Point ``p`` of the run has the box's
    multi-index of C-order position ``start + p``, found digit by digit from the
    last axis (so no index exceeds an axis length plus ``size``: no overflow on
    any grid). Points past the box's end take indices clamped to the grid; their
    values are computed and discarded, as padding.
    """
    origin, box, start = desc[0], desc[1], desc[2]
    d = origin.shape[0]
    idx = [None] * d
    carry = start[d - 1] + jnp.arange(size, dtype=jnp.int32)
    for k in range(d - 1, -1, -1):
        t = carry if k == d - 1 else start[k] + carry
        if k:
            idx[k], carry = t % box[k], t // box[k]
        else:
            idx[k] = t
    return tuple(
        table[layout[0, k] + jnp.minimum(origin[k] + idx[k], layout[1, k] - 1)]
        for k in range(d)
    )


CPU_BLOCK = 512
"""Most points a CPU evaluates together (see :func:`_chunk_fn`)."""

MIN_BLOCK = 16
BLOCK_BYTES = 1 << 15
"""A block's inner states should fit in about this much (an L1 data cache)."""


@functools.lru_cache(maxsize=64)
def cpu_block(meta: MetaLoss, devices: tuple[jax.Device, ...]) -> int | None:
    """Points per block on ``devices``: none off CPUs; on CPUs a power of two in
    [:data:`MIN_BLOCK`, :data:`CPU_BLOCK`] whose inner states fit in
    :data:`BLOCK_BYTES`.

    The study's problem carries about 40 bytes per point and gets 512; an MLP on
    the digits (about 29 KB of weights, momentum and initial weights per point)
    gets 16, which ran its 64 x 64 landscape in 5.4 s against 8.4 s in blocks of
    512 and 6.7 s in plain 256-point chunks (2-core CPU).
    """
    if devices[0].platform != "cpu":
        return None
    state = jax.eval_shape(meta.init_state, default_key())
    per_point = max(1, sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(state)))
    fit = 1 << max(0, (BLOCK_BYTES // per_point).bit_length() - 1)
    return int(min(CPU_BLOCK, max(MIN_BLOCK, fit)))


def workers_for(devices: Sequence[jax.Device]) -> int:
    """Calls kept running at once: one per core on CPUs, one elsewhere (accelerators
    overlap calls by asynchronous dispatch already)."""
    if devices[0].platform != "cpu":
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@functools.lru_cache(maxsize=64)
def _chunk_fn(meta: MetaLoss, grid_names: tuple[str, ...], size: int, block: int | None = None):
    """Compiled ``(desc, table, layout, fixed, key) -> (loss, diverged)``.

    ``desc`` is ``int32[1, 3, d]`` (:func:`box_start`; one row per device when
    sharded), ``table`` and ``layout`` come from :func:`axis_table`. The grid
    points are generated on the device from these few numbers, so a call
    transfers almost nothing in, whatever its size.

    With ``block``, the points are evaluated ``block`` at a time, one block after
    another (``lax.map``), instead of all at once. On a CPU each step of a block's
    unroll then works on arrays that stay in the L1 cache, where the whole chunk's
    arrays (a few times 256 KiB per step) stream through memory: per core it runs
    about twice as fast (benchmarks/NOTES.md). A compiled call then runs on one
    core, so :func:`iter_chunks` keeps one call per core running.
    """

    def point(grid_vals, fixed, key):
        res = meta.evaluate({**fixed, **dict(zip(grid_names, grid_vals, strict=True))}, key,
                            differentiable=False, losses=False)
        return res.loss, res.diverged

    batched = jax.vmap(point, in_axes=(0, None, None))

    def run(desc, table, layout, fixed, key):
        vals = grid_points(desc[0], table, layout, size)
        if block is None or size < 2 * block:
            return batched(vals, fixed, key)
        return jax.lax.map(lambda v: point(v, fixed, key), vals, batch_size=block)

    return jax.jit(run)


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


def chunk_caller(meta: MetaLoss, grid: Mapping[str, np.ndarray], fixed: Mapping[str, float],
                 size: int, key: jax.Array, devices: tuple[jax.Device, ...]):
    """``call(rows) -> (loss, diverged)`` device arrays for one :func:`box_start` row
    per device, ``size`` points each.

    The program is compiled here, in the caller's thread, so that ``call`` can run
    on :func:`in_order`'s worker threads (see there).
    """
    fn = over_devices(_chunk_fn(meta, tuple(grid), size, cpu_block(meta, devices)), devices)
    dtype = jnp.result_type(float)
    fixed_j = {k: jnp.asarray(v, dtype) for k, v in fixed.items()}
    table, layout = (put_replicated(a, devices) for a in axis_table(list(grid.values()), dtype))
    shape = [len(v) for v in grid.values()]
    sample = np.stack([box_start([0] * len(shape), shape, 0)] * len(devices))
    compiled = fn.lower(put_points(sample, devices), table, layout, fixed_j, key).compile()

    def call(rows: Sequence[np.ndarray]):
        return compiled(put_points(np.stack(rows), devices), table, layout, fixed_j, key)

    return call


def chunk_size_for(total: int, chunk: int | None, devices: Sequence[jax.Device] | None = None,
                   spread: int = 1) -> int:
    """A fixed chunk length: the requested one, or a power of two up to the default
    for ``devices`` (:data:`DEFAULT_CHUNK` on CPUs, :data:`ACCELERATOR_CHUNK`
    elsewhere), no longer than needed to give ``spread`` calls ``total`` points."""
    if chunk is not None:
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk must be an integer >= 1, got {chunk!r}")
        return chunk
    devices = devices or jax.local_devices()
    cap = DEFAULT_CHUNK if devices[0].platform == "cpu" else ACCELERATOR_CHUNK
    need = -(-total // max(spread, 1))
    return min(cap, 1 << max(0, math.ceil(math.log2(need))))


def iter_chunks(
    meta: MetaLoss,
    grid: Mapping[str, np.ndarray],
    fixed: Mapping[str, float],
    *,
    start: int = 0,
    stop: int | None = None,
    chunk: int | None = None,
    key: jax.Array | None = None,
    devices: Devices = None,
):
    """Yields ``(offset, loss, diverged)`` for flat (C-order) grid ranges in ``[start, stop)``.

    Every call uses the same padded chunk length, so changing grid values or sizes
    never recompiles; calls overlap (see :func:`in_order`).
    With several ``devices`` (default: all local ones; see
    :mod:`metaloss.landscape.sharding`) each call gives every device ``chunk``
    points, so each device runs the very program one device would: the values do
    not depend on the device count.
    """
    shape = tuple(len(v) for v in grid.values())
    total = math.prod(shape)
    stop = total if stop is None else stop
    if start >= stop:
        return
    devs = local_devices(devices)
    workers = workers_for(devs)
    size = chunk_size_for(stop - start, chunk, devs, workers * len(devs))
    call = chunk_caller(meta, grid, fixed, size, default_key() if key is None else key, devs)
    origin = [0] * len(shape)
    step = size * len(devs)

    def launch(offset):
        return call([box_start(origin, shape, offset + j * size) for j in range(len(devs))])

    for offset, (loss, div) in in_order(launch, range(start, stop, step), workers):
        n = min(step, stop - offset)
        yield offset, loss[:n], div[:n]


def _progress(total_points: int, enabled: bool | None, desc: str):
    from tqdm.auto import tqdm

    disable = (not sys.stderr.isatty()) if enabled is None else (not enabled)
    return tqdm(total=total_points, desc=desc, unit="pt", unit_scale=True, disable=disable,
                file=sys.stderr)


def landscape(
    meta: MetaLoss,
    axes: Mapping[str, Any],
    *,
    chunk: int | None = None,
    key: jax.Array | None = None,
    progress: bool | None = None,
    devices: Devices = None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    tile: Sequence[int] | None = None,
) -> xr.DataArray:
    """The outer loss on a grid of hyperparameters.

    Args:
      meta: the meta-loss.
      axes: name -> 1-D array of values (a grid axis, in the order given) or a
        scalar (held fixed). Names the call leaves out take the optimizer's defaults.
      chunk: grid points per device per compiled call (default: up to 262144 on
        CPUs, 65536 on accelerators; see :data:`DEFAULT_CHUNK`).
      key: the inner runs' key, shared by every point (common random numbers).
      progress: show a progress bar; ``None`` shows one when stderr is a terminal.
      devices: run on these devices, ``chunk`` points each per call: ``None`` for
        all local ones, an int n for the first n (see :mod:`metaloss.landscape.sharding`).
      store: a Zarr store path (``"name.zarr"``) to write tile by tile, so that a
        killed run can resume and several processes can share the work (see
        :mod:`metaloss.landscape.tiles`); a finished store is just opened.
      resume: continue an unfinished ``store`` (otherwise refused).
      tile: the store's tile shape (one Zarr chunk each); default: near-square, with
        at most ``total / 16`` points, clamped to [65536, 4194304], or the existing
        store's tiling when resuming.

    Returns:
      ``xarray.DataArray`` named ``outer_loss`` with dims = the grid axes and their
      values as coords, a boolean ``diverged`` coordinate on the same dims, and the
      configuration in ``attrs``. Memory is that of the result plus one chunk.
      With ``store`` the array is backed by the store and loaded lazily.
    """
    grid, fixed = split_axes(meta, axes)
    if store is not None:
        from metaloss.landscape.tiles import landscape_to_store

        return landscape_to_store(meta, grid, fixed, store, resume=resume, tile=tile,
                                  chunk=chunk, key=key, devices=devices, progress=progress)
    if resume or tile is not None:
        raise ValueError("resume and tile apply to a store: pass store='path.zarr'")
    if jax.process_count() > 1:
        raise ValueError("a landscape over several processes needs store= (a shared path)")
    shape = tuple(len(v) for v in grid.values())
    total = math.prod(shape)
    dtype = np.dtype(jnp.result_type(float))
    out = np.empty(total, dtype)
    div = np.empty(total, bool)
    with _progress(total, progress, "landscape") as bar:
        for offset, loss, d in iter_chunks(meta, grid, fixed, chunk=chunk, key=key,
                                           devices=devices):
            out[offset : offset + len(loss)] = loss
            div[offset : offset + len(d)] = d
            bar.update(len(loss))
    dims = tuple(grid)
    return xr.DataArray(
        out.reshape(shape),
        dims=dims,
        coords={**grid, "diverged": (dims, div.reshape(shape))},
        name="outer_loss",
        attrs=config_attrs(meta, fixed),
    )


def config_attrs(meta: MetaLoss, fixed: Mapping[str, float]) -> dict[str, Any]:
    """NetCDF-safe attributes describing how a landscape was computed."""
    import metaloss

    cfg = {**meta.describe(), "fixed": dict(fixed)}
    return {
        "config": json.dumps(cfg, sort_keys=True),
        "steps": meta.steps,
        "objective": meta.objective,
        "metaloss_version": metaloss.__version__,
        "jax_version": jax.__version__,
    }
