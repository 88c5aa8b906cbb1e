"""Double-double landscapes in a Zarr store: the tiled, resumable store of
:mod:`metaloss._src.grid.store`, with each coordinate's residues as ``NAME_lo`` beside
its float64 values and the outer loss's residues as ``outer_loss_lo`` beside it, so
``NAME + NAME_lo`` is every grid value to ~32 digits on disk as in memory.

The tiles are computed by the double-double unroll (:mod:`metaloss._src.precise.unroll`)
on one device per process, each in calls of the store's fixed length from the tile's
first point, so a point's value depends only on its tile: a resumed store, or one
shared among the processes of a ``jax.distributed`` run (each takes every ``count``-th
missing tile, as in :mod:`metaloss._src.grid.fill`), equals one written in a single
run. The configuration adds the precision and the
residues' hashes to a float store's, so two windows whose float64 values coincide are
two different stores.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jax
import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.grid import distributed
from metaloss._src.grid.config import dd_attrs, dd_record, store_config
from metaloss._src.grid.fill import TileStats, _claim, _inspect, _stoppable
from metaloss._src.grid.progress import TileBar
from metaloss._src.grid.store import (
    TileLayout,
    TileStore,
    check_tile,
    default_tile,
    store_exists,
    tile_target,
)
from metaloss._src.grid.watchdog import watching
from metaloss._src.measures import LOSS
from metaloss._src.precise import unroll as precise

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss

PRECISION = "double-double"


def dd_config(meta, grid, residues, tile, call, key) -> dict[str, Any]:
    """:func:`~metaloss._src.grid.config.store_config` of a double-double store."""
    config = store_config(meta, grid, tile, call, key, np.dtype(np.float64), LOSS)
    config["precision"] = PRECISION
    config["meta"] = dd_record(meta)
    for axis in config["axes"]:
        lo = np.asarray(residues[axis["name"]], np.float64)
        axis["lo_sha256"] = hashlib.sha256(lo.tobytes()).hexdigest()
    return config


def _layout(path, meta, shape, tile, chunk) -> tuple[tuple[int, ...], int]:
    """The tile shape and the points per call: given, else an existing store's, else
    defaults (calls of :func:`~metaloss._src.precise.unroll.default_chunk` points,
    tiles of at least one call and about a sixteenth of the grid)."""
    stored = None
    if (tile is None or chunk is None) and store_exists(path):
        stored = TileStore.open(path)
        if stored.layout.shape != shape:
            stored = None  # a different grid: the configuration check will say so
    if chunk is None:
        chunk = int(stored.config["chunk"]) if stored is not None else \
            precise.default_chunk(meta)
    if tile is not None:
        tile = check_tile(tile, shape)
    elif stored is not None:
        tile = stored.layout.tile
    else:
        total = math.prod(shape)
        tile = default_tile(shape, min(tile_target(total), max(chunk, total // 16)))
    return tile, int(chunk)


def fill_store_dd(meta: MetaLoss, grid: Mapping[str, np.ndarray],
                  residues: Mapping[str, np.ndarray], path: str | os.PathLike, *,
                  key: jax.Array, resume: bool = False, tile: Sequence[int] | None = None,
                  chunk: int | None = None, progress: bool | None = None) -> TileStats:
    """Computes this process's share of the missing tiles of the double-double store at
    ``path``: ``grid`` the axes' float64 values, ``residues`` their ``lo`` parts,
    ``meta.fixed`` the rest."""
    check_call(chunk)
    shape = tuple(len(v) for v in grid.values())
    tile, call = _layout(path, meta, shape, tile, chunk)
    layout = TileLayout(shape, tile)
    config = dd_config(meta, grid, residues, tile, call, key)
    state, bad = _inspect(path, config, resume)
    with watching():  # a lost process ends the others within seconds, tiles kept
        store, done, mine = _claim(path, config, state, bad, "metaloss-dd-store", lambda: (
            TileStore.create(path, grid, config, dd_attrs(meta), np.dtype(np.float64),
                             LOSS.variable, residues=residues)))
        with TileBar(layout.n_tiles, int(done.sum()), progress) as bar, _stoppable(store):
            for t in mine:
                _write(store, int(t), *_tile(meta, grid, residues, layout, int(t), call), path)
                bar.tile_done(store)
        distributed.barrier("metaloss-dd-store-filled")
    return TileStats(layout.n_tiles, int(done.sum()), len(mine), len(bad))


def _tile(meta, grid, residues, layout, t, call):
    """``(value, diverged, value_lo)`` of tile ``t``, in calls of ``call`` points from
    its first point."""
    names = tuple(grid)
    region = layout.region(t)
    his = np.meshgrid(*(grid[n][r] for n, r in zip(names, region, strict=True)),
                      indexing="ij")
    los = np.meshgrid(*(np.asarray(residues[n])[r] for n, r in zip(names, region, strict=True)),
                      indexing="ij")
    hi, lo, div = precise.evaluate(meta, dict(zip(names, zip(his, los, strict=True),
                                                  strict=True)), chunk=call)
    value, value_lo = split_value(hi, lo)
    return value, div, value_lo


def _write(store, t, value, div, value_lo, path) -> None:
    try:
        store.write_tile(t, value, div, lo=value_lo)
    except OSError as e:
        raise InputError(f"cannot write to store {str(path)!r}: {e.strerror or e}; "
                         f"the {int(store.done().sum())} finished tiles are kept, "
                         "continue with resume=True") from None


def check_call(chunk) -> None:
    if chunk is not None and (not isinstance(chunk, int | np.integer) or chunk < 1):
        raise InputError(f"chunk must be an integer >= 1, got {chunk!r}")


def split_value(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A double-double result as ``(value, value_lo)``: ``value`` the float64 nearest
    ``hi + lo``, ``value_lo`` what remains (``value + value_lo == hi + lo`` exactly
    where ``hi`` is finite)."""
    value = hi + lo
    return value, lo - (value - hi)


def store_landscape_dd(meta, grid, residues, path, **kwargs) -> tuple[xr.DataArray, TileStats]:
    """Fills the double-double store, then opens it (lazily loaded)."""
    stats = fill_store_dd(meta, grid, residues, path, **kwargs)
    return TileStore.open(path).dataarray(), stats
