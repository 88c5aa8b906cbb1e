"""Grid points: which axes a landscape has, and how a device enumerates its points.

A landscape's grid is the product of its axes. Nothing enumerates it on the host:
a compiled call receives one padded table of every axis's values
(:func:`axis_table`) and, per device, three rows of integers (:func:`box_start`),
from which the device computes its points' multi-indices and values
(:func:`grid_points`). Changing axis values never changes the program, and a call
transfers a few hundred bytes whatever its size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.errors import InputError

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss


def split_axes(
    meta: MetaLoss, axes: Mapping[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Separates grid axes (1-D arrays) from fixed hyperparameters (scalars), and checks both."""
    if not axes:
        raise InputError("a landscape needs at least one axis")
    grid, fixed = {}, {}
    for name, values in axes.items():
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"axis {name!r} must hold numbers, got {values!r}") from None
        if arr.ndim == 0:
            fixed[name] = float(arr)
        elif arr.ndim == 1:
            if arr.size < 1:
                raise InputError(f"axis {name!r} is empty: grid size must be >= 1")
            grid[name] = arr
        else:
            raise InputError(f"axis {name!r} must be 1-D or a scalar, got shape {arr.shape}")
    if not grid:
        raise InputError("a landscape needs at least one axis with an array of values")
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
