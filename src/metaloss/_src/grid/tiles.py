"""Tiles of a landscape store: their geometry (default sizes, layout), their integrity
(the checksum recorded per tile, the message naming damaged tiles) and the empty
store they are written into."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr
import zarr
from zarr.codecs import BloscCodec

from metaloss._src.errors import RESUME, InputError, check_int
from metaloss._src.grid.config import config_hash
from metaloss._src.grid.io import disk_name

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



@contextlib.contextmanager
def quiet():
    """Foreign files in a store (a stray ``.zattrs``, editor backups) are ignored
    without Zarr's two-line warning on the console."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not recognized as a component of a Zarr")
        yield


def checksum(loss, diverged, dtype, lo=None) -> int:
    """CRC-32 of a tile's values and flags (then residues, in a double-double store)."""
    data = np.ascontiguousarray(np.asarray(loss, dtype)).tobytes()
    crc = zlib.crc32(np.ascontiguousarray(np.asarray(diverged, bool)).tobytes(),
                     zlib.crc32(data))
    if lo is not None:
        crc = zlib.crc32(np.ascontiguousarray(np.asarray(lo, np.float64)).tobytes(), crc)
    return crc


def damage_error(path, bad: Sequence[int]) -> InputError:
    """The error (one line) that names a store's damaged tiles."""
    shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10
                                             else "")
    return InputError(f"store {str(path)!r} is damaged: {len(bad)} finished tile(s) ({shown}) "
                      "no longer match what was written (a chunk file deleted or truncated); "
                      "recompute them with resume=True", arguments=RESUME)


def chunks_present(path, group, names: Sequence[str], pos: tuple[int, ...]) -> bool:
    """Whether the chunk files at grid position ``pos`` exist for each array in
    ``names`` of the Zarr ``group`` stored at ``path``."""
    for name in names:
        key = group[name].metadata.encode_chunk_key(pos)
        if not (Path(path) / name / key).is_file():
            return False
    return True


def tile_intact(path, group, variable: str, layout: TileLayout, index: int,
                recorded: int | None, lo_name: str | None = None) -> bool:
    """Whether tile ``index`` of the store at ``path`` still holds what was written:
    its data match the ``recorded`` checksum, or, for a store from before checksums
    (``recorded`` None), its chunk files exist and decode."""
    region = layout.region(index)
    values, flags = group[variable], group["diverged"]
    try:
        if recorded is None:
            pos = tuple(int(i) for i in np.unravel_index(index, layout.counts))
            if not chunks_present(path, group, (variable, "diverged"), pos):
                return False
            _ = values[region], flags[region]
            return True
        lo = None if lo_name is None else group[lo_name][region]
        return checksum(values[region], flags[region], values.dtype, lo) == recorded
    except Exception:  # noqa: BLE001 -- an undecodable chunk: the file is damaged
        return False


def write_empty(tmp: Path, grid, config, attrs, dtype, variable: str, residues=None) -> None:
    """The store's metadata, coordinates and empty arrays. Tiles are compressed with
    Blosc's LZ4 after a byte shuffle (bit shuffle for the bool mask): a 1024 x 1024
    float32 tile of the study's landscape encodes in about half the CPU time of Zarr's
    default Zstandard and to a smaller size (2.6 against 3.4 MiB), and that CPU time
    competes with the computation. ``residues`` (see :meth:`TileStore.create`) adds
    the ``NAME_lo`` coordinates and the ``VARIABLE_lo`` array of a double-double store.
    """
    coords = {disk_name(name): values for name, values in grid.items()}  # "/" is a path
    dims = tuple(coords)
    listed = "diverged"
    if residues is not None:
        lows = {f"{disk_name(n)}_lo": (disk_name(n), np.asarray(residues[n], np.float64))
                for n in grid}
        listed = " ".join(["diverged", f"{variable}_lo", *lows])
        coords = {**coords, **lows}
    attrs = {
        **attrs,
        "store_config": json.dumps(config, sort_keys=True),
        "config_hash": config_hash(config),
        "zarr_version": zarr.__version__,
    }
    xr.Dataset(coords=coords, attrs=attrs).to_zarr(
        tmp, mode="w-", zarr_format=3, consolidated=False
    )
    layout = TileLayout(tuple(len(v) for v in grid.values()), tuple(config["tile"]))
    values = {"fill_value": np.nan, "dimension_names": dims,
              "compressors": BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")}
    group = zarr.open_group(tmp, mode="r+", zarr_format=3)
    group.create_array(variable, shape=layout.shape, chunks=layout.tile, dtype=dtype,
                       attributes={"coordinates": listed}, **values)
    if residues is not None:
        group.create_array(f"{variable}_lo", shape=layout.shape, chunks=layout.tile,
                           dtype=np.float64, **values)
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
