"""Outer-loss grids: evaluated in fixed-size chunks so memory stays bounded."""

from __future__ import annotations

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
)
from metaloss.meta import MetaLoss, default_key

DEFAULT_CHUNK = 1 << 16
"""Grid points per compiled call. Big enough to amortize dispatch, small enough that
a chunk's working set (a few arrays of this length per inner step) stays in cache.
Measured on the 2-core CPU (benchmarks/RESULTS.md): while the unroll stored every
step's loss, 16384 ran the study's landscape 2-3x faster than 65536; since it
carries their running sum instead, 65536 is fastest (2000 x 2000: 0.45 s against
0.64 s at 16384 and 0.58 s at 131072). Accelerators want far larger chunks; pass
``chunk=`` there."""


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


@functools.lru_cache(maxsize=64)
def _chunk_fn(meta: MetaLoss, grid_names: tuple[str, ...]):
    """Compiled ``(grid values, fixed values, key) -> (loss, diverged)`` over a chunk."""

    def point(grid_vals, fixed, key):
        res = meta.evaluate({**fixed, **dict(zip(grid_names, grid_vals, strict=True))}, key,
                            differentiable=False, losses=False)
        return res.loss, res.diverged

    batched = jax.vmap(point, in_axes=(0, None, None))
    return jax.jit(batched)


def chunk_size_for(total: int, chunk: int | None) -> int:
    """A fixed chunk length: the requested one, or a power of two up to DEFAULT_CHUNK."""
    if chunk is not None:
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk must be an integer >= 1, got {chunk!r}")
        return chunk
    return min(DEFAULT_CHUNK, 1 << max(0, math.ceil(math.log2(total))))


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
    never recompiles; the next chunk is dispatched before the last is fetched.
    With several ``devices`` (default: all local ones; see
    :mod:`metaloss.landscape.sharding`) each call gives every device ``chunk``
    points, so each device runs the very program one device would: the values do
    not depend on the device count.
    """
    names = tuple(grid)
    shape = tuple(len(v) for v in grid.values())
    total = math.prod(shape)
    stop = total if stop is None else stop
    devs = local_devices(devices)
    size = chunk_size_for(stop - start, chunk) * len(devs)
    fn = over_devices(_chunk_fn(meta, names), devs)
    dtype = jnp.result_type(float)
    fixed_j = {k: jnp.asarray(v, dtype) for k, v in fixed.items()}
    key = default_key() if key is None else key
    axes_np = [np.asarray(v, dtype) for v in grid.values()]

    def launch(offset):
        idx = np.arange(offset, offset + size)
        idx = np.minimum(idx, total - 1)  # pad by repeating the last point
        parts = np.unravel_index(idx, shape)
        vals = tuple(a[i] for a, i in zip(axes_np, parts, strict=True))
        return offset, fn(put_points(vals, devs), fixed_j, key)

    pending = launch(start) if start < stop else None
    while pending is not None:
        offset, (loss, div) = pending
        nxt = offset + size
        pending = launch(nxt) if nxt < stop else None
        n = min(size, stop - offset)
        yield offset, np.asarray(loss)[:n], np.asarray(div)[:n]


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
      chunk: grid points per device per compiled call (default: up to 65536).
      key: the inner runs' key, shared by every point (common random numbers).
      progress: show a progress bar; ``None`` shows one when stderr is a terminal.
      devices: run on these devices, ``chunk`` points each per call: ``None`` for
        all local ones, an int n for the first n (see :mod:`metaloss.landscape.sharding`).
      store: a Zarr store path (``"name.zarr"``) to write tile by tile, so that a
        killed run can resume and several processes can share the work (see
        :mod:`metaloss.landscape.tiles`); a finished store is just opened.
      resume: continue an unfinished ``store`` (otherwise refused).
      tile: the store's tile shape (one Zarr chunk each); default: near-square, with
        at most ``total / 64`` points, clamped to [65536, 1048576], or the existing
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
