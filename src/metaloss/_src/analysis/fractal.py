"""The box-counting dimension of a boundary in a 1-D or 2-D boolean mask.

A landscape's ``diverged`` coordinate splits its grid into runs that train and
runs that diverge; Sohl-Dickstein (2024, "The boundary of neural network
trainability is fractal") measures how ragged the split is by the box-counting
dimension of its boundary. For a set ``B`` and boxes of side ``s``, ``N(s)`` is the
number of boxes that meet ``B``; where ``N(s) ~ s**-D`` over a range of scales,
``D`` is the box-counting (Minkowski-Bouligand) dimension: 0 for isolated points, 1
for a smooth curve, up to the dimension of the grid for a boundary that fills it
(Falconer, *Fractal Geometry: Mathematical Foundations and Applications*, 3rd ed.,
Wiley 2014, ch. 3, "Box-counting dimension"). On a grid the scales run from one
cell to a fraction of the grid, so the estimate is the slope of ``log N(s)``
against ``log(1/s)`` fitted over that range.

Example::

    est = ml.analysis.boundary_dimension(np.asarray(da["diverged"]))
    est.dimension, est.ci        # e.g. 1.42, (1.35, 1.49)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from metaloss._src.errors import InputError

MIN_SIDE = 16
"""Smallest side a mask may have: with the default sizes (powers of two up to a
quarter of the side) it gives the three box sizes a fitted slope needs."""


@dataclasses.dataclass(frozen=True)
class BoundaryDimension:
    """A box-counting estimate (see :func:`boundary_dimension`).

    Attributes:
      dimension: the fitted slope of ``log N(s)`` against ``log(1/s)``.
      ci: ``(low, high)``, the bootstrap interval of the slope at ``level``.
      sizes: ``(k,)`` box sides in cells, increasing.
      counts: ``(k,)`` boxes of each side that hold a boundary cell.
      boundary: number of boundary cells.
      r2: coefficient of determination of the straight-line fit (1 for a pure power law).
      level: the interval's confidence level.
    """

    dimension: float
    ci: tuple[float, float]
    sizes: np.ndarray
    counts: np.ndarray
    boundary: int
    r2: float
    level: float


def check_mask(mask) -> np.ndarray:
    """``mask`` as a boolean NumPy array; :class:`InputError` unless it is a boolean
    1-D or 2-D array of at least :data:`MIN_SIDE` cells per axis."""
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise InputError(f"the mask must be boolean (e.g. a landscape's 'diverged'), got dtype "
                         f"{arr.dtype}")
    if arr.ndim not in (1, 2):
        raise InputError(f"the mask must be 1-D or 2-D, got {arr.ndim}-D shape {arr.shape}")
    if min(arr.shape) < MIN_SIDE:
        raise InputError(f"the mask is too small for box counting: need at least {MIN_SIDE} "
                         f"cells per axis, got shape {arr.shape}")
    return arr


def boundary_cells(mask) -> np.ndarray:
    """Cells on the boundary: a cell whose next neighbour along some axis differs.

    Each pair of differing neighbours marks one cell, the one with the lower index,
    so the boundary is one cell thick and does not depend on which side is True
    (``mask`` and ``~mask`` have the same boundary). Same shape as ``mask``.
    """
    arr = np.asarray(mask, bool)
    out = np.zeros(arr.shape, bool)
    for axis in range(arr.ndim):
        n = arr.shape[axis]
        lo = [slice(None)] * arr.ndim
        hi = [slice(None)] * arr.ndim
        lo[axis], hi[axis] = slice(0, n - 1), slice(1, n)
        out[tuple(lo)] |= arr[tuple(lo)] != arr[tuple(hi)]
    return out


def box_counts(cells: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """How many boxes of each side in ``sizes`` hold at least one True cell.

    Boxes tile the grid from index 0; those at the far edges may be cut short.
    """
    counts = []
    for s in sizes:
        pad = [(0, -n % s) for n in cells.shape]
        grid = np.pad(cells, pad)
        shape = []
        for n in grid.shape:
            shape += [n // s, s]
        boxes = grid.reshape(shape).any(axis=tuple(range(1, 2 * cells.ndim, 2)))
        counts.append(int(boxes.sum()))
    return np.asarray(counts, np.int64)


def default_sizes(shape: Sequence[int]) -> np.ndarray:
    """Powers of two from 1 up to a quarter of the shortest side (at least four boxes
    across the grid at the coarsest scale, so no count is set by the grid's edge)."""
    top = min(shape) // 4
    return 2 ** np.arange(int(np.log2(top)) + 1) if top >= 1 else np.asarray([1])


def _slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``x`` and the fit's R^2."""
    xc, yc = x - x.mean(), y - y.mean()
    slope = float(xc @ yc / (xc @ xc))
    ss = float(yc @ yc)
    r2 = 1.0 - float(((yc - slope * xc) ** 2).sum()) / ss if ss > 0 else 1.0
    return slope, r2


def boundary_dimension(
    mask,
    *,
    sizes: Sequence[int] | None = None,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> BoundaryDimension:
    """Box-counting dimension of the boundary of a boolean mask, with an interval.

    Boundary cells are found by :func:`boundary_cells`, counted in boxes of each side
    ``s`` (:func:`box_counts`), and ``log N(s)`` is fitted against ``log(1/s)`` by least
    squares; the slope is the dimension (Falconer 2014, ch. 3).

    The interval is a pairs (case) bootstrap of that regression: ``resamples`` times,
    draw the ``(log 1/s, log N)`` points with replacement (draws with fewer than two
    distinct sizes are drawn again), refit, and take the percentile interval of the
    slopes. The points are deterministic given the mask, so the interval measures how
    much the slope depends on which scales enter the fit -- how far the counts are from
    a single power law over the range -- not sampling noise; for an exact power law it
    shrinks to the estimate itself. It is widest where the boundary looks different at
    fine and coarse scales, which is when a single number describes it least well.

    Args:
      mask: boolean array, 1-D or 2-D (e.g. ``np.asarray(da["diverged"])``), at least
        :data:`MIN_SIDE` cells per axis.
      sizes: box sides in cells (default :func:`default_sizes`: 1, 2, 4, ... up to a
        quarter of the shortest side); at least three distinct sizes >= 1.
      resamples: bootstrap draws; 0 leaves ``ci`` at ``(dimension, dimension)``.
      level: confidence level of the interval, in (0, 1).
      seed: seed of the bootstrap draws (the result is a function of the arguments).

    Returns:
      :class:`BoundaryDimension`.

    Raises:
      InputError: a mask that is not boolean, not 1-D/2-D, too small, or has no
        boundary (all True or all False); bad ``sizes``, ``resamples`` or ``level``.
    """
    arr = check_mask(mask)
    if not 0 < level < 1:
        raise InputError(f"level must lie in (0, 1), got {level!r}")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 0:
        raise InputError(f"resamples must be an integer >= 0, got {resamples!r}")
    if sizes is None:
        s = default_sizes(arr.shape)
    else:
        s = np.unique(np.asarray(sizes))
        if s.size and (not np.issubdtype(s.dtype, np.integer) or s[0] < 1):
            raise InputError(f"box sizes must be integers >= 1, got {list(sizes)!r}")
        if s.size and s[-1] > min(arr.shape):
            raise InputError(f"box size {int(s[-1])} exceeds the mask's shortest side "
                             f"({min(arr.shape)} cells)")
    if s.size < 3:
        raise InputError(f"box counting needs at least three box sizes, got {s.tolist()}")
    cells = boundary_cells(arr)
    total = int(cells.sum())
    if total == 0:
        value = "True" if arr.flat[0] else "False"
        raise InputError(f"the mask has no boundary: all {arr.size} cells are {value}")
    counts = box_counts(cells, s.tolist())
    x, y = -np.log(s.astype(float)), np.log(counts.astype(float))
    dim, r2 = _slope(x, y)
    ci = _bootstrap(x, y, resamples, level, seed) if resamples else (dim, dim)
    return BoundaryDimension(dim, ci, s.astype(np.int64), counts, total, r2, level)


def _bootstrap(x, y, resamples: int, level: float, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    k = len(x)
    slopes = np.empty(resamples)
    filled = 0
    while filled < resamples:
        idx = rng.integers(0, k, size=(2 * (resamples - filled), k))
        xs = x[idx]
        ok = xs.max(axis=1) > xs.min(axis=1)
        xs, ys = xs[ok][: resamples - filled], y[idx][ok][: resamples - filled]
        xc = xs - xs.mean(axis=1, keepdims=True)
        yc = ys - ys.mean(axis=1, keepdims=True)
        slopes[filled : filled + len(xs)] = (xc * yc).sum(1) / (xc * xc).sum(1)
        filled += len(xs)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(slopes, [tail, 100 - tail])
    return float(low), float(high)
