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

from collections.abc import Sequence

import numpy as np

from metaloss._src.analysis.dimension import BoundaryDimension, _slope
from metaloss._src.errors import InputError

MIN_SIDE = 16
"""Smallest side a mask may have: with the default sizes (powers of two up to a
quarter of the side) it gives the three box sizes a fitted slope needs."""


METHODS = ("box", "crossings", "sohl-dickstein")
"""The estimators :func:`boundary_dimension` offers (its ``method`` argument)."""

MIN_BOXES = 10
"""The box method's scaling-range rule: a box size enters the fit only while at least
this many boxes hold the boundary. Fewer are saturated scales, where a handful of
clusters fills a handful of boxes and the count stops growing with the resolution."""


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


def boundary_dimension(
    mask,
    *,
    method: str = "box",
    sizes: Sequence[int] | int | None = None,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> BoundaryDimension:
    """The dimension of the boundary of a boolean mask, by one of three estimators.

    The three measure the same quantity in the limit of infinite resolution and differ
    on finite grids (``docs/fractal-dimension.md`` compares them on the papers' masks):

    - ``"box"`` (the default): box counting of the boundary cells (:func:`box_dimension`).
      Use it when you want the textbook box-counting dimension of a 1-D or 2-D mask
      of any size, with the scaling range and the local slopes to judge it by.
    - ``"crossings"``: Liu (2024)'s sub-sampled label changes
      (:func:`~metaloss._src.analysis.crossings.crossing_dimension`). Use it when you
      compare a 1-D learning-rate mask of ``2**N + 1`` points with Liu's numbers.
    - ``"sohl-dickstein"``: Sohl-Dickstein (2024)'s edge box counts, as
      ``porespy.metrics.boxcount`` counts them, median of the local slopes
      (:func:`~metaloss._src.analysis.edges.sohl_dickstein_dimension`). Use it when you
      compare a 2-D image, or a zoom sequence of them, with Sohl-Dickstein's Table 1.

    Args:
      mask: for ``"box"``, a boolean 1-D or 2-D array (e.g. ``np.asarray(da["diverged"])``)
        of at least :data:`MIN_SIDE` cells per axis; for ``"crossings"``, a boolean 1-D
        array of ``2**N + 1`` points; for ``"sohl-dickstein"``, a 2-D boolean mask or a
        signed convergence score (its sign is the phase), or a sequence of them (the
        images of one zoom sequence).
      method: one of :data:`METHODS`.
      sizes: ``"box"``: box sides in cells (default :func:`default_sizes` with the
        scaling-range rule of :func:`box_dimension`); ``"crossings"``: the sub-grid
        levels ``n`` to count (default all, ``0 .. N``); ``"sohl-dickstein"``: porespy's
        ``bins`` (default 10 sizes from 10 cells to the image's side).
      resamples: bootstrap draws of the interval (``"crossings"`` uses the fit's
        standard error instead); 0 leaves ``ci`` at ``(dimension, dimension)``.
      level: confidence level of the interval, in (0, 1).
      seed: seed of the bootstrap draws (the result is a function of the arguments).

    Returns:
      :class:`BoundaryDimension`.

    Raises:
      InputError: an unknown method, a mask the method cannot take, a mask without a
        boundary, bad ``sizes``, ``resamples`` or ``level``.
    """
    if not 0 < level < 1:
        raise InputError(f"level must lie in (0, 1), got {level!r}")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 0:
        raise InputError(f"resamples must be an integer >= 0, got {resamples!r}")
    if method == "box":
        return box_dimension(mask, sizes=sizes, resamples=resamples, level=level, seed=seed)
    if method == "crossings":
        from metaloss._src.analysis.crossings import crossing_dimension

        return crossing_dimension(mask, levels=sizes, level=level)
    if method == "sohl-dickstein":
        from metaloss._src.analysis.edges import sohl_dickstein_dimension

        return sohl_dickstein_dimension(mask, bins=10 if sizes is None else sizes,
                                        resamples=resamples, level=level, seed=seed)
    raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def box_dimension(mask, *, sizes: Sequence[int] | None = None, resamples: int = 2000,
                  level: float = 0.95, seed: int = 0) -> BoundaryDimension:
    """Box-counting dimension of the boundary of a boolean mask, with an interval.

    Use it when you want the textbook box-counting dimension of any 1-D or 2-D mask.

    Boundary cells are found by :func:`boundary_cells`, counted in boxes of each side
    ``s`` (:func:`box_counts`), and ``log N(s)`` is fitted against ``log(1/s)`` by least
    squares; the slope is the dimension (Falconer 2014, ch. 3).

    The scaling range: with the default sizes, a size enters the fit only while at
    least :data:`MIN_BOXES` boxes hold the boundary. Coarser scales are saturated -- a
    boundary made of a few clusters fills a few boxes whatever the box size -- and
    would flatten the slope. Where fewer than three sizes pass, all are fitted and the
    note says so (a point boundary, say, has ``N(s) = 1`` at every size and dimension
    0). Sizes given explicitly are all fitted. ``fitted`` marks the sizes used and
    ``slopes`` holds the local slopes between neighbouring sizes, to judge the range by.

    The interval is a pairs (case) bootstrap of that regression: ``resamples`` times,
    draw the fitted ``(log 1/s, log N)`` points with replacement (draws with fewer
    than two distinct sizes are drawn again), refit, and take the percentile interval
    of the slopes. The points are deterministic given the mask, so the interval
    measures how much the slope depends on which scales enter the fit -- how far the
    counts are from a single power law over the range -- not sampling noise; for an
    exact power law it shrinks to the estimate itself.
    """
    arr = check_mask(mask)
    explicit = sizes is not None
    if not explicit:
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
    if explicit:
        fitted, note = np.ones(s.size, bool), "all given sizes fitted"
    else:
        fitted = counts >= MIN_BOXES
        note = (f"sizes with at least {MIN_BOXES} boxes holding the boundary fitted "
                f"({int(fitted.sum())} of {s.size})")
        if fitted.sum() < 3:
            fitted = np.ones(s.size, bool)
            note = (f"fewer than three sizes hold {MIN_BOXES} boxes or more: all "
                    f"{s.size} fitted")
    dim, r2 = _slope(x[fitted], y[fitted])
    ci = _bootstrap(x[fitted], y[fitted], resamples, level, seed) if resamples else (dim, dim)
    return BoundaryDimension(dim, ci, s.astype(np.int64), counts, total, r2, level,
                             method="box", fitted=fitted, slopes=np.diff(y) / np.diff(x),
                             note=note)


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
