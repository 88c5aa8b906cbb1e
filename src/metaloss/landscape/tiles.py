"""Filling a landscape store: missing tiles only, on every device and every process.

The flow, identical on each process of a ``jax.distributed`` run (barriers are
no-ops in a single process):

1. inspect the store; refuse a different configuration, or an unfinished store
   without ``resume``, before anything is written;
2. process 0 creates the store (atomically) or clears stray temporary files;
3. every process reads the same completion mask and takes every ``count``-th
   missing tile (see :func:`metaloss.landscape.distributed.share`);
4. tiles are computed in fixed-length parts, one part per local device per
   compiled call (see :func:`_results`), while the previous tile is written,
   so disk and compute overlap;
5. a final barrier, then the finished store is opened as a DataArray.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import math
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss.landscape import distributed
from metaloss.landscape import grid as grid_mod
from metaloss.landscape.sharding import Devices, local_devices
from metaloss.landscape.store import (
    FORMAT,
    TileLayout,
    TileStore,
    check_tile,
    default_tile,
    store_exists,
    tile_target,
)
from metaloss.meta import MetaLoss, default_key


@dataclasses.dataclass(frozen=True)
class TileStats:
    """What one process did: tiles in the grid, found done at start, computed here."""

    total: int
    resumed: int
    computed: int


def store_config(meta, grid, fixed, tile, call, key, dtype) -> dict[str, Any]:
    """Everything the stored values depend on; a resume must match it exactly."""
    axes = [
        {
            "name": name,
            "size": len(v),
            "first": float(v[0]),
            "last": float(v[-1]),
            "sha256": hashlib.sha256(np.asarray(v, np.float64).tobytes()).hexdigest(),
        }
        for name, v in grid.items()
    ]
    return {
        "format": FORMAT,
        "meta": meta.describe(),
        "fixed": {k: float(v) for k, v in sorted(fixed.items())},
        "axes": axes,
        "tile": list(tile),
        "chunk": call,  # points per device per call: values may depend on it (last digit)
        "key": [str(jax.random.key_impl(key))]
        + np.asarray(jax.random.key_data(key)).ravel().tolist(),
        "dtype": str(dtype),
    }


def _choose_layout(path, shape, tile, chunk, devices) -> tuple[tuple[int, ...], int]:
    """The tile shape and the points per device per call.

    Unspecified, both are taken from an existing store of the same grid (so a
    resume matches it whatever the defaults are now), else from the defaults.
    """
    stored = None
    if (tile is None or chunk is None) and store_exists(path):
        stored = TileStore.open(path)
        if stored.layout.shape != shape:
            stored = None  # a different grid: the configuration check will say so
    if tile is not None:
        tile = check_tile(tile, shape)
    elif stored is not None:
        tile = stored.layout.tile
    else:
        tile = default_tile(shape, tile_target(math.prod(shape)))
    if chunk is None and stored is not None and "chunk" in stored.config:
        return tile, int(stored.config["chunk"])
    return tile, grid_mod.chunk_size_for(math.prod(tile), chunk, local_devices(devices))


def _inspect(path, config, resume: bool) -> str:
    """``"absent"``, ``"complete"`` or ``"partial"``; raises on anything else."""
    if not store_exists(path):
        return "absent"
    store = TileStore.open(path)
    store.check(config)
    done = store.done()
    if done.all():
        return "complete"
    if not resume:
        raise ValueError(
            f"store {str(path)!r} is unfinished ({done.sum()} of {done.size} tiles); "
            "continue it with resume=True (metaloss landscape --resume) or delete it"
        )
    _warn_versions(store)
    return "partial"


def _warn_versions(store: TileStore) -> None:
    """Another JAX or metaloss may change the last digits of the tiles still to come."""
    import metaloss

    now = {"jax_version": jax.__version__, "metaloss_version": metaloss.__version__}
    old = {k: store.attrs.get(k) for k in now}
    if old != now:
        warnings.warn(
            f"resuming {str(store.path)!r}, begun with {old}, under {now}: new tiles may "
            "differ from the old ones in the last digits",
            stacklevel=4,
        )


def fill_store(
    meta: MetaLoss,
    grid: Mapping[str, np.ndarray],
    fixed: Mapping[str, float],
    path: str | os.PathLike,
    *,
    resume: bool = False,
    tile: Sequence[int] | None = None,
    chunk: int | None = None,
    key: jax.Array | None = None,
    devices: Devices = None,
    progress: bool | None = None,
) -> TileStats:
    """Computes this process's share of the missing tiles of the store at ``path``."""
    key = default_key() if key is None else key
    dtype = np.dtype(jnp.result_type(float))
    shape = tuple(len(v) for v in grid.values())
    tile, call = _choose_layout(path, shape, tile, chunk, devices)
    layout = TileLayout(shape, tile)
    config = store_config(meta, grid, fixed, tile, call, key, dtype)
    state = _inspect(path, config, resume)
    distributed.barrier("metaloss-store-inspected")
    if jax.process_index() == 0:
        if state == "absent":
            attrs = grid_mod.config_attrs(meta, fixed)
            TileStore.create(path, grid, config, attrs, dtype).check(config)
        else:
            TileStore.open(path).remove_partials()
    distributed.barrier("metaloss-store-ready")
    store = TileStore.open(path)
    store.check(config)
    done = store.done()
    mine = distributed.share(np.flatnonzero(~done))
    results = _results(meta, grid, fixed, layout, call, key, devices, list(mine))
    with _Progress(layout.n_tiles, int(done.sum()), progress) as bar:
        _run(store, results, bar)
    distributed.barrier("metaloss-store-filled")
    return TileStats(layout.n_tiles, int(done.sum()), len(mine))


def _results(meta, grid, fixed, layout, call, key, devices, tiles):
    """Yields ``(tile, loss, diverged)`` for ``tiles``, in order.

    A tile is cut into parts of ``call`` points (the last one padded); each
    compiled call gives every device one part, described by a few integers from
    which the device generates the part's points (:func:`grid.grid_points`). A
    point's place within its part is thus fixed by the tile alone, and every
    device always runs the same program on ``call`` points, so values do not
    depend on the device count, the process count, or which tiles a resume
    still has to do. Calls overlap as in :func:`grid.in_order`.
    """
    devs = local_devices(devices)
    n, parts = len(devs), math.ceil(math.prod(layout.tile) / call)

    def part(t, j):
        region = layout.region(t)
        return grid_mod.box_start([r.start for r in region],
                                  [r.stop - r.start for r in region], j * call)

    work = [(t, j) for t in tiles for j in range(parts)]
    groups = [work[i : i + n] for i in range(0, len(work), n)]
    if not groups:
        return
    run = grid_mod.chunk_caller(meta, grid, fixed, call, key, devs)

    def launch(group):
        group_all = group + [group[-1]] * (n - len(group))  # idle devices repeat the last
        return run([part(t, j) for t, j in group_all])

    loss_parts, div_parts = [], []
    for group, (loss, div) in grid_mod.in_order(launch, groups, grid_mod.workers_for(devs)):
        for i, (t, j) in enumerate(group):
            loss_parts.append(loss[i * call : (i + 1) * call])
            div_parts.append(div[i * call : (i + 1) * call])
            if j == parts - 1:  # the tile is complete
                shape = tuple(s.stop - s.start for s in layout.region(t))
                size = math.prod(shape)
                yield (int(t), np.concatenate(loss_parts)[:size].reshape(shape),
                       np.concatenate(div_parts)[:size].reshape(shape))
                loss_parts, div_parts = [], []


def _run(store: TileStore, results, bar) -> None:
    """Writes each tile while the next computes; write errors surface as ValueError."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for index, loss, div in results:
            if pending is not None:
                _finish(pending, store, bar)
            pending = pool.submit(store.write_tile, index, loss, div)
        if pending is not None:
            _finish(pending, store, bar)


def _finish(future, store: TileStore, bar) -> None:
    try:
        future.result()
    except OSError as e:
        kept = int(store.done().sum())
        raise ValueError(
            f"cannot write to store {str(store.path)!r}: {e.strerror or e}; the "
            f"{kept} finished tiles are kept, continue with resume=True"
        ) from None
    bar.tile_done(store)


class _Progress:
    """tqdm over tiles; in a multi-process run, process 0 polls the shared mask."""

    def __init__(self, total: int, done: int, enabled: bool | None):
        from tqdm.auto import tqdm

        lead = jax.process_index() == 0
        show = (lead and sys.stderr.isatty()) if enabled is None else enabled
        self.tqdm = tqdm(total=total, initial=done, desc="landscape", unit="tile",
                         disable=not show, file=sys.stderr)
        self.multi = jax.process_count() > 1
        self.polled = time.monotonic()

    def tile_done(self, store: TileStore) -> None:
        if self.multi and time.monotonic() - self.polled > 2.0:
            self.polled = time.monotonic()
            self.tqdm.update(max(int(store.done().sum()) - self.tqdm.n, 0))
        else:
            self.tqdm.update(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.tqdm.close()


def landscape_to_store(meta, grid, fixed, path, **kwargs) -> xr.DataArray:
    """``landscape(..., store=path)``: fill the store, then open it (lazily loaded)."""
    fill_store(meta, grid, fixed, path, **kwargs)
    return TileStore.open(path).dataarray()
