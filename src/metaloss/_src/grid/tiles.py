"""Tiles of a landscape store: their geometry (default sizes, layout) and their integrity
(the checksum recorded per tile, the message naming damaged tiles)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metaloss._src.errors import RESUME, InputError, check_int

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


def checksum(loss, diverged, dtype) -> int:
    data = np.ascontiguousarray(np.asarray(loss, dtype)).tobytes()
    return zlib.crc32(np.ascontiguousarray(np.asarray(diverged, bool)).tobytes(),
                      zlib.crc32(data))


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
                recorded: int | None) -> bool:
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
        return checksum(values[region], flags[region], values.dtype) == recorded
    except Exception:  # noqa: BLE001 -- an undecodable chunk: the file is damaged
        return False
