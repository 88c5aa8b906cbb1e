"""A landscape on disk: a Zarr v3 store written tile by tile, with a completion mask.

Layout of ``path.zarr``::

    lr, momentum      the grid axes (coordinates)
    outer_loss        the grid, chunked by tile; a tile is one Zarr chunk (named
                      after the measure: ``lyapunov`` for a Lyapunov map, ...)
    diverged          bool, same dims and chunks (a coordinate of the values)
    tile_done         bool, one element and one chunk per tile
    tile_crc          uint32, one element and one chunk per tile: the CRC-32 of the
                      tile's values and flags as written, so a chunk deleted or
                      damaged later is found (:meth:`TileStore.damaged`)
    lr_lo, ...        a double-double store only (:mod:`metaloss._src.grid.ddstore`):
    outer_loss_lo     the residues of the coordinates and of the values (in the CRC)

A tile is written in two steps: its data region (an xarray region write aligned
to chunk boundaries), then its ``tile_done`` entry. Zarr writes each chunk to a
temporary file and renames it, so a run killed at any moment leaves every tile
either complete and marked done, or unmarked -- and unmarked tiles are simply
computed again on resume. Only the mask says a tile is done, never its values,
so tiles that are entirely NaN or inf are kept like any other (they are written
even though they equal the fill value).

The group attributes hold the configuration (``store_config``), its hash and
the metaloss, JAX and Zarr versions; resuming under another configuration is
refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr

from metaloss._src.errors import RESUME, InputError
from metaloss._src.grid.config import config_hash, difference, keyed
from metaloss._src.grid.io import check_parent, disk_name, from_disk, save_netcdf
from metaloss._src.grid.tiles import (  # noqa: F401 -- some re-exported for fill.py
    CRC,
    MASK,
    TileLayout,
    check_tile,
    checksum,
    damage_error,
    default_tile,
    quiet,
    tile_intact,
    tile_target,
    write_empty,
)


class TileStore:
    """An open landscape store. Create one with :meth:`create`, open with :meth:`open`."""

    def __init__(self, path: str | os.PathLike):
        with quiet():
            self._open(path)

    def _open(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        group = _open_group(self.path)
        self.attrs = dict(group.attrs)
        try:
            self.config = json.loads(self.attrs["store_config"])
            self.dims = tuple(disk_name(a["name"]) for a in self.config["axes"])
            self.layout = TileLayout(
                tuple(int(a["size"]) for a in self.config["axes"]),
                tuple(int(t) for t in self.config["tile"]),
            )
            self.variable = str(self.attrs.get("variable", "outer_loss"))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise InputError(f"store {str(self.path)!r} has invalid metadata (store_config in "
                             f"{str(self.path / 'zarr.json')!r}: {type(e).__name__}: "
                             f"{' '.join(str(e).split())}); delete it and compute it again") \
                from None
        self._group = group
        try:
            self._mask = group[MASK]
        except KeyError:
            raise InputError(f"store {str(self.path)!r} is damaged: its {MASK} array is "
                             "missing; delete it and compute it again") from None
        self._crc = group.get(CRC, None)  # stores from before checksums have none
        lo = f"{self.variable}_lo"  # the values' residues, in a double-double store
        self.lo_name = lo if lo in group else None

    @classmethod
    def open(cls, path: str | os.PathLike) -> TileStore:
        return cls(path)

    @classmethod
    def create(
        cls,
        path: str | os.PathLike,
        grid: Mapping[str, np.ndarray],
        config: Mapping[str, Any],
        attrs: Mapping[str, Any],
        dtype: np.dtype,
        variable: str = "outer_loss",
        residues: Mapping[str, np.ndarray] | None = None,
    ) -> TileStore:
        """Builds the empty store beside ``path``, then renames it into place.

        A store is therefore either absent or complete in its metadata. If another
        process created ``path`` first, its store is opened instead. ``residues``
        (axis name -> the ``lo`` parts of its values) makes a double-double store:
        ``NAME_lo`` coordinates and a ``VARIABLE_lo`` array beside the values.
        """
        dest = Path(path)
        check_parent(dest)
        for stale in dest.parent.glob(f".{dest.name}.*.tmp"):  # from a killed creator
            shutil.rmtree(stale, ignore_errors=True)
        tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            write_empty(tmp, grid, config, {**attrs, "variable": variable}, dtype, variable,
                        residues)
            try:
                os.rename(tmp, dest)
            except OSError:
                if not _is_store(dest):
                    raise
        except OSError as e:
            raise InputError(f"cannot create landscape store {str(dest)!r}: {_reason(e)}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return cls(dest)

    def check(self, config: Mapping[str, Any]) -> None:
        """:class:`InputError` unless this store was made with ``config``."""
        if config_hash(config) != self.attrs.get("config_hash"):
            diff = difference(keyed(self.config), keyed(config)) or "configuration differs"
            raise InputError(
                f"store {str(self.path)!r} holds a different landscape ({diff}); "
                "choose another path or delete it"
            )

    def done(self) -> np.ndarray:
        """Flat bool mask of finished tiles, in C order."""
        return np.asarray(self._mask[...], bool).ravel()

    def write_tile(self, index: int, loss: np.ndarray, diverged: np.ndarray,
                   lo: np.ndarray | None = None) -> None:
        """Writes one tile's values (and their residues ``lo`` in a double-double
        store), then marks it done: a tile is never marked early."""
        region = self.layout.region(index)
        tile = xr.Dataset({self.variable: (self.dims, loss), "diverged": (self.dims, diverged)})
        if (lo is None) != (self.lo_name is None):
            raise ValueError("residues are written to a double-double store, and only there")
        if lo is not None:
            tile[self.lo_name] = (self.dims, lo)
        tile.to_zarr(
            self.path,
            region=dict(zip(self.dims, region, strict=True)),
            mode="r+",
            consolidated=False,
            write_empty_chunks=True,
        )
        pos = np.unravel_index(index, self.layout.counts)
        if self._crc is not None:
            self._crc[pos] = checksum(loss, diverged, self._group[self.variable].dtype, lo)
        self._mask[pos] = True

    def damaged(self, tiles=None) -> list[int]:
        """The finished tiles (of ``tiles``, default all) whose data no longer match what
        was recorded when they were written: a chunk file deleted, truncated or
        overwritten since. A store from before per-tile checksums is checked as far as
        it can be: each finished tile's chunk files must exist and decode (an
        overwritten chunk that still decodes goes unnoticed there)."""
        with quiet():
            return self._damaged(tiles)

    def _damaged(self, tiles) -> list[int]:
        done = self.done()
        sums = None if self._crc is None else np.asarray(self._crc[...], np.uint32).ravel()
        candidates = np.flatnonzero(done) if tiles is None else [t for t in tiles if done[t]]
        return [int(t) for t in candidates if not tile_intact(
            self.path, self._group, self.variable, self.layout, int(t),
            None if sums is None else int(sums[t]), self.lo_name)]

    def unmark(self, tiles) -> None:
        """Marks ``tiles`` as not done, so a resume computes them again."""
        for index in tiles:
            self._mask[np.unravel_index(index, self.layout.counts)] = False

    def remove_partials(self) -> None:
        """Deletes temporary chunk files left by a killed writer (only call it when
        no process is writing)."""
        for p in self.path.rglob("*.partial"):
            with contextlib.suppress(OSError):
                p.unlink()

    def dataarray(self) -> xr.DataArray:
        """The landscape, lazily loaded (``.load()`` reads it into memory)."""
        with quiet():
            ds = xr.open_dataset(
                self.path, engine="zarr", consolidated=False, chunks=None,
                use_zarr_fill_value_as_mask=False,
            )
        da = from_disk(ds[self.variable])
        # "coordinates" lists a double-double store's NAME_lo (xarray's, not ours)
        da.attrs = {k: v for k, v in self.attrs.items() if k != "coordinates"}
        return da


def _open_group(path: Path) -> zarr.Group:
    if not _is_store(path):
        raise InputError(f"{str(path)!r} is not a metaloss landscape store")
    return zarr.open_group(path, mode="r+", zarr_format=3)


def _is_store(path: Path) -> bool:
    try:
        meta = json.loads((path / "zarr.json").read_text())
    except (OSError, ValueError):
        return False
    return "store_config" in meta.get("attributes", {})


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


def store_exists(path: str | os.PathLike) -> bool:
    """True when ``path`` holds something; an empty directory counts as absent."""
    p = Path(path)
    return p.exists() and not (p.is_dir() and not any(p.iterdir()))


def open_store(path: str | os.PathLike, *, incomplete: bool = False) -> xr.DataArray:
    """Opens a landscape store as an ``xarray.DataArray`` (lazily loaded).

    Args:
      path: the store written by ``landscape(..., store=path)``.
      incomplete: allow a store with tiles still missing (they read as NaN).
    """
    p = Path(path)
    if not store_exists(p):
        raise InputError(f"no landscape store at {str(p)!r}")
    store = TileStore.open(p)
    if not incomplete:
        done = store.done()
        if not done.all():
            raise InputError(
                f"store {str(p)!r} is unfinished ({done.sum()} of {done.size} tiles); "
                "finish it with resume=True", arguments=RESUME
            )
    bad = store.damaged()
    if bad:
        raise damage_error(p, bad)
    return store.dataarray()


def export_netcdf(path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Writes a finished store to a NetCDF file (atomically)."""
    return save_netcdf(open_store(path).load(), out)
