"""Filling a landscape store: missing tiles only, on every device and every process.

The flow, identical on each process of a ``jax.distributed`` run (barriers are
no-ops in a single process):

1. inspect the store; refuse a different configuration, or an unfinished store
   without ``resume``, before anything is written;
2. process 0 creates the store (atomically) or clears stray temporary files;
3. every process reads the same completion mask and takes every ``count``-th
   missing tile (see :func:`metaloss._src.grid.distributed.share`);
4. tiles are computed in fixed-length parts, one part per local device per
   compiled call (see :func:`_results`), while the previous tile is written,
   so disk and compute overlap;
5. a final barrier, then the finished store is opened as a DataArray.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import math
import os
import signal
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss._src.errors import RESUME, InputError, Interrupted
from metaloss._src.grid import distributed
from metaloss._src.grid.config import attrs_for, store_config
from metaloss._src.grid.executor import chunk_caller, chunk_size_for, in_order
from metaloss._src.grid.memory import workers_for
from metaloss._src.grid.points import box_start
from metaloss._src.grid.progress import TileBar
from metaloss._src.grid.sharding import Devices, local_devices
from metaloss._src.grid.store import (
    TileLayout,
    TileStore,
    check_tile,
    damage_error,
    default_tile,
    store_exists,
    tile_target,
)
from metaloss._src.grid.watchdog import watching
from metaloss._src.measures import LOSS, Measure
from metaloss._src.version import __version__

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss


@dataclasses.dataclass(frozen=True)
class TileStats:
    """What one process did: tiles in the grid, found done at start, computed here."""

    total: int
    resumed: int
    computed: int
    repaired: int = 0
    """Finished tiles found damaged (see :meth:`TileStore.damaged`) and computed again."""


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
    return tile, chunk_size_for(math.prod(tile), chunk, local_devices(devices))


def _claim(path, config, state: str, bad: list[int], name: str, create):
    """The shared start of a store fill, inside :func:`watching`: process 0 creates the
    store (``create()``, when ``state`` is absent) or drops its partial and ``bad``
    tiles, between two barriers named after ``name``; then every process opens and
    checks it. Returns ``(store, done, mine)``: the open store, its done flags and this
    process's share of the missing tiles."""
    distributed.barrier(f"{name}-inspected")
    if jax.process_index() == 0:
        if state == "absent":
            create().check(config)
        else:
            old = TileStore.open(path)
            old.remove_partials()
            old.unmark(bad)
    distributed.barrier(f"{name}-ready")
    store = TileStore.open(path)
    store.check(config)
    done = store.done()
    return store, done, distributed.share(np.flatnonzero(~done))


def _inspect(path, config, resume: bool) -> tuple[str, list[int]]:
    """``"absent"``, ``"complete"`` or ``"partial"``, and the damaged finished tiles
    (a resume computes them again); raises on anything else."""
    if not store_exists(path):
        return "absent", []
    store = TileStore.open(path)
    store.check(config)
    bad = store.damaged()
    if bad and not resume:
        raise damage_error(path, bad)
    done = store.done()
    if done.all() and not bad:
        return "complete", []
    if not resume:
        raise InputError(
            f"store {str(path)!r} is unfinished ({done.sum()} of {done.size} tiles); "
            "continue it with resume=True or delete it", arguments=RESUME
        )
    _warn_versions(store)
    return "partial", bad


def _warn_versions(store: TileStore) -> None:
    """Another JAX or metaloss may change the last digits of the tiles still to come."""
    now = {"jax_version": jax.__version__, "metaloss_version": __version__}
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
    path: str | os.PathLike,
    *,
    key: jax.Array,
    resume: bool = False,
    tile: Sequence[int] | None = None,
    chunk: int | None = None,
    devices: Devices = None,
    progress: bool | None = None,
    measure: Measure = LOSS,
) -> TileStats:
    """Computes this process's share of the missing tiles of the store at ``path``.

    ``meta.fixed`` holds the hyperparameters that are not grid axes.
    """
    dtype = np.dtype(jnp.result_type(float))
    shape = tuple(len(v) for v in grid.values())
    tile, call = _choose_layout(path, shape, tile, chunk, devices)
    layout = TileLayout(shape, tile)
    config = store_config(meta, grid, tile, call, key, dtype, measure)
    state, bad = _inspect(path, config, resume)
    with watching():  # a lost process ends the others within seconds, tiles kept
        store, done, mine = _claim(path, config, state, bad, "metaloss-store", lambda: (
            TileStore.create(path, grid, config, attrs_for(meta, measure), dtype,
                             measure.variable)))
        results = _results(meta, grid, layout, call, key, devices, list(mine), measure)
        with TileBar(layout.n_tiles, int(done.sum()), progress) as bar, _stoppable(store):
            _run(store, results, bar)
        distributed.barrier("metaloss-store-filled")
    return TileStats(layout.n_tiles, int(done.sum()), len(mine), len(bad))


@contextlib.contextmanager
def _stoppable(store: TileStore):
    """Ctrl-C or SIGTERM during the run: the tile being written is finished, then
    :class:`~metaloss._src.errors.Interrupted` says how many tiles are kept."""
    received = [signal.SIGINT]

    def on_term(signum, _frame):
        received[0] = signum
        raise KeyboardInterrupt

    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, on_term) if main else None
    try:
        yield
    except KeyboardInterrupt:
        done = store.done()
        name = signal.Signals(received[0]).name
        raise Interrupted(f"stopped by {name}: {int(done.sum())} of {done.size} tiles of "
                          f"{str(store.path)!r} are finished and kept", received[0]) from None
    finally:
        if main:
            signal.signal(signal.SIGTERM, old)


def _results(meta, grid, layout, call, key, devices, tiles, measure):
    """Yields ``(tile, loss, diverged)`` for ``tiles``, in order.

    A tile is cut into parts of ``call`` points (the last one padded); each
    compiled call gives every device one part, described by a few integers from
    which the device generates the part's points (:func:`~metaloss._src.grid.points.grid_points`). A
    point's place within its part is thus fixed by the tile alone, and every
    device always runs the same program on ``call`` points, so values do not
    depend on the device count, the process count, or which tiles a resume
    still has to do. Calls overlap as in :func:`~metaloss._src.grid.executor.in_order`.
    """
    devs = local_devices(devices)
    n, parts = len(devs), math.ceil(math.prod(layout.tile) / call)

    def part(t, j):
        region = layout.region(t)
        return box_start([r.start for r in region],
                                  [r.stop - r.start for r in region], j * call)

    work = [(t, j) for t in tiles for j in range(parts)]
    groups = [work[i : i + n] for i in range(0, len(work), n)]
    if not groups:
        return
    workers = workers_for(devs, meta, measure)
    run = chunk_caller(meta, grid, call, key, devs, measure, workers)

    def launch(group):
        group_all = group + [group[-1]] * (n - len(group))  # idle devices repeat the last
        return run([part(t, j) for t, j in group_all])

    loss_parts, div_parts = [], []
    for group, (loss, div) in in_order(launch, groups, workers):
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
    """Writes each tile while the next computes; write errors surface as InputError."""
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
        raise InputError(
            f"cannot write to store {str(store.path)!r}: {e.strerror or e}; the "
            f"{kept} finished tiles are kept, continue with resume=True"
        ) from None
    bar.tile_done(store)


def store_landscape(meta, grid, path, **kwargs) -> tuple[xr.DataArray, TileStats]:
    """Fills the store, then opens it (lazily loaded); also says what this process did."""
    stats = fill_store(meta, grid, path, **kwargs)
    return TileStore.open(path).dataarray(), stats


def landscape_to_store(meta, grid, path, **kwargs) -> xr.DataArray:
    """``landscape(..., store=path)``: fill the store, then open it (lazily loaded)."""
    return store_landscape(meta, grid, path, **kwargs)[0]
