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
import dataclasses
import json
import math
import os
import shutil
import uuid
import warnings
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr
from zarr.codecs import BloscCodec

from metaloss._src.errors import InputError, check_int
from metaloss._src.grid.config import config_hash, difference, keyed
from metaloss._src.grid.io import check_parent, disk_name, from_disk, save_netcdf

MASK = "tile_done"
CRC = "tile_crc"
TILE_POINTS = 1 << 16
"""Smallest default tile: 256 KiB float32 chunks, big enough that writing a tile
costs little next to computing it, small enough that little is lost to a kill."""

MAX_TILE_POINTS = 1 << 22
"""Largest default tile (16 MiB float32)."""


def tile_target(total: int) -> int:
    """Default points per tile for a grid of ``total`` points.

    About 16 tiles or more: each tile write costs CPU time (xarray's region write,
    Zarr's encoding) that competes with the computation for the cores, and part
    of that cost is per write. 10000 x 10000 took 24.1 s in 65536-point tiles,
    15.8 s in 262144-point tiles and 14.2 s in 1048576-point tiles, against
    13.2 s held in memory; with the LZ4 codec, 4194304-point tiles (2048 x 2048)
    saved another 0.3-0.9 s over 1048576. A killed run loses at most one tile per
    process.
    """
    return int(min(max(TILE_POINTS, total // 16), MAX_TILE_POINTS))


@dataclasses.dataclass(frozen=True)
class TileLayout:
    """How a grid of ``shape`` is cut into tiles of ``tile`` (edge tiles are smaller)."""

    shape: tuple[int, ...]
    tile: tuple[int, ...]

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(math.ceil(n / t) for n, t in zip(self.shape, self.tile, strict=True))

    @property
    def n_tiles(self) -> int:
        return math.prod(self.counts)

    def region(self, index: int) -> tuple[slice, ...]:
        """The grid slices of tile ``index`` (tiles numbered in C order)."""
        pos = np.unravel_index(index, self.counts)
        return tuple(
            slice(int(p) * t, min((int(p) + 1) * t, n))
            for p, t, n in zip(pos, self.tile, self.shape, strict=True)
        )


def default_tile(shape: Sequence[int], target: int) -> tuple[int, ...]:
    """A near-square tile of at most ``target`` points (powers of two, clipped to the grid).

    Square tiles keep a zoomed-in read of the store to few chunks.
    """
    tile = [1] * len(shape)
    while True:
        grow = [i for i, n in enumerate(shape) if tile[i] < n]
        if not grow:
            return tuple(tile)
        i = min(reversed(grow), key=lambda j: tile[j])  # smallest side; ties: last axis
        new = min(2 * tile[i], shape[i])
        if math.prod(tile) // tile[i] * new > target:
            return tuple(tile)
        tile[i] = new


def check_tile(tile: Sequence[int], shape: Sequence[int]) -> tuple[int, ...]:
    tile = tuple(tile)
    try:
        if len(tile) != len(shape):
            raise InputError("wrong length")
        sizes = [check_int("tile size", t) for t in tile]
    except InputError:
        raise InputError(f"tile must be {len(shape)} integers >= 1, one per grid axis, "
                         f"got {tile}") from None
    return tuple(min(t, n) for t, n in zip(sizes, shape, strict=True))


class TileStore:
    """An open landscape store. Create one with :meth:`create`, open with :meth:`open`."""

    def __init__(self, path: str | os.PathLike):
        with _quiet():
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
    ) -> TileStore:
        """Builds the empty store beside ``path``, then renames it into place.

        A store is therefore either absent or complete in its metadata. If another
        process created ``path`` first, its store is opened instead.
        """
        dest = Path(path)
        check_parent(dest)
        for stale in dest.parent.glob(f".{dest.name}.*.tmp"):  # from a killed creator
            shutil.rmtree(stale, ignore_errors=True)
        tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            _write_empty(tmp, grid, config, {**attrs, "variable": variable}, dtype, variable)
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

    def write_tile(self, index: int, loss: np.ndarray, diverged: np.ndarray) -> None:
        """Writes one tile's values, then marks it done: a tile is never marked early."""
        region = self.layout.region(index)
        tile = xr.Dataset({self.variable: (self.dims, loss), "diverged": (self.dims, diverged)})
        tile.to_zarr(
            self.path,
            region=dict(zip(self.dims, region, strict=True)),
            mode="r+",
            consolidated=False,
            write_empty_chunks=True,
        )
        pos = np.unravel_index(index, self.layout.counts)
        if self._crc is not None:
            self._crc[pos] = _checksum(loss, diverged, self._group[self.variable].dtype)
        self._mask[pos] = True

    def damaged(self, tiles=None) -> list[int]:
        """The finished tiles (of ``tiles``, default all) whose data no longer match the
        checksum recorded when they were written: a chunk file deleted, truncated or
        overwritten since. A store from before checksums has none to check."""
        if self._crc is None:
            return []
        with _quiet():
            return self._damaged(tiles)

    def _damaged(self, tiles) -> list[int]:
        done = self.done()
        sums = np.asarray(self._crc[...], np.uint32).ravel()
        values, flags = self._group[self.variable], self._group["diverged"]
        candidates = np.flatnonzero(done) if tiles is None else [t for t in tiles if done[t]]
        bad = []
        for index in candidates:
            region = self.layout.region(int(index))
            try:
                ok = _checksum(values[region], flags[region], values.dtype) == sums[index]
            except Exception:  # noqa: BLE001 -- an undecodable chunk: the file is damaged
                ok = False
            if not ok:
                bad.append(int(index))
        return bad

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
        with _quiet():
            ds = xr.open_dataset(
                self.path, engine="zarr", consolidated=False, chunks=None,
                use_zarr_fill_value_as_mask=False,
            )
        da = from_disk(ds[self.variable])
        da.attrs = {k: v for k, v in self.attrs.items()}
        return da


@contextlib.contextmanager
def _quiet():
    """Foreign files in a store (a stray ``.zattrs``, editor backups) are ignored
    without Zarr's two-line warning on the console."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not recognized as a component of a Zarr")
        yield


def _checksum(loss, diverged, dtype) -> int:
    data = np.ascontiguousarray(np.asarray(loss, dtype)).tobytes()
    return zlib.crc32(np.ascontiguousarray(np.asarray(diverged, bool)).tobytes(),
                      zlib.crc32(data))


def damage_message(path, bad: Sequence[int]) -> str:
    """The one line that names a store's damaged tiles."""
    shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10
                                             else "")
    return (f"store {str(path)!r} is damaged: {len(bad)} finished tile(s) ({shown}) no longer "
            "match what was written (a chunk file deleted or truncated); recompute them with "
            "resume=True (metaloss landscape --resume)")


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


def _write_empty(tmp: Path, grid, config, attrs, dtype, variable: str) -> None:
    """The store's metadata, coordinates and empty arrays. Tiles are compressed with
    Blosc's LZ4 after a byte shuffle (bit shuffle for the bool mask): a 1024 x 1024
    float32 tile of the study's landscape encodes in about half the CPU time of Zarr's
    default Zstandard and to a smaller size (2.6 against 3.4 MiB), and that CPU time
    competes with the computation.
    """
    grid = {disk_name(name): values for name, values in grid.items()}  # "/" is a path
    dims = tuple(grid)
    attrs = {
        **attrs,
        "store_config": json.dumps(config, sort_keys=True),
        "config_hash": config_hash(config),
        "zarr_version": zarr.__version__,
    }
    xr.Dataset(coords=dict(grid), attrs=attrs).to_zarr(
        tmp, mode="w-", zarr_format=3, consolidated=False
    )
    layout = TileLayout(tuple(len(v) for v in grid.values()), tuple(config["tile"]))
    group = zarr.open_group(tmp, mode="r+", zarr_format=3)
    group.create_array(
        variable, shape=layout.shape, chunks=layout.tile, dtype=dtype, fill_value=np.nan,
        dimension_names=dims, attributes={"coordinates": "diverged"},
        compressors=BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
    )
    group.create_array(
        "diverged", shape=layout.shape, chunks=layout.tile, dtype=bool, fill_value=False,
        dimension_names=dims, compressors=BloscCodec(cname="lz4", clevel=5, shuffle="bitshuffle"),
    )
    group.create_array(
        MASK, shape=layout.counts, chunks=(1,) * len(dims), dtype=bool, fill_value=False,
        dimension_names=tuple(f"{d}_tile" for d in dims), compressors=None,
    )
    group.create_array(
        CRC, shape=layout.counts, chunks=(1,) * len(dims), dtype=np.uint32, fill_value=0,
        dimension_names=tuple(f"{d}_tile" for d in dims), compressors=None,
    )


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
                "finish it with resume=True (metaloss landscape --resume)"
            )
    bad = store.damaged()
    if bad:
        raise InputError(damage_message(p, bad))
    return store.dataarray()


def export_netcdf(path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Writes a finished store to a NetCDF file (atomically)."""
    return save_netcdf(open_store(path).load(), out)
