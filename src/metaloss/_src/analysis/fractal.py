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
import math
from collections.abc import Sequence

import numpy as np

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


@dataclasses.dataclass(frozen=True)
class BoundaryDimension:
    """A boundary-dimension estimate (see :func:`boundary_dimension`).

    Attributes:
      dimension: the estimate.
      ci: ``(low, high)``, its interval at ``level``.
      sizes: ``(k,)`` the scales measured, increasing: box sides in cells (``"box"``,
        ``"sohl-dickstein"``) or sub-grid levels ``n`` (``"crossings"``, where the
        sub-grid holds ``2**n + 1`` points).
      counts: ``(k,)`` what was counted at each scale: boxes that hold a boundary cell
        (``"box"``), boxes that span both phases (``"sohl-dickstein"``, summed over the
        images of a sequence), label changes on the sub-grid (``"crossings"``).
      boundary: number of boundary cells (for ``"sohl-dickstein"``: edge cells, summed
        over the images).
      r2: coefficient of determination of the straight-line fit (``nan`` for
        ``"sohl-dickstein"``, which takes a median rather than fitting a line).
      level: the interval's confidence level.
      method: the estimator, one of :data:`METHODS`.
      fitted: ``(k,)`` boolean, the scales that entered the fit (for
        ``"sohl-dickstein"``: the scales whose local slopes entered the median).
      slopes: local slopes. ``"box"`` and ``"crossings"``: ``(k - 1,)``, between each
        pair of neighbouring scales; ``"sohl-dickstein"``: every image's slopes as
        porespy computes them (``np.gradient`` of the log counts), concatenated.
      note: how the scaling range was chosen, or why the estimate is special.
    """

    dimension: float
    ci: tuple[float, float]
    sizes: np.ndarray
    counts: np.ndarray
    boundary: int
    r2: float
    level: float
    method: str = "box"
    fitted: np.ndarray | None = None
    slopes: np.ndarray | None = None
    note: str = ""

    @property
    def fit_range(self) -> tuple[int, int]:
        """``(smallest, largest)`` scale that entered the fit."""
        used = self.sizes if self.fitted is None else self.sizes[self.fitted]
        return int(used[0]), int(used[-1])


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
    - ``"crossings"``: Liu (2024)'s sub-sampled label changes (:func:`crossing_dimension`).
      Use it when you compare a 1-D learning-rate mask of ``2**N + 1`` points with Liu's
      numbers.
    - ``"sohl-dickstein"``: Sohl-Dickstein (2024)'s edge box counts, as
      ``porespy.metrics.boxcount`` counts them, median of the local slopes
      (:func:`sohl_dickstein_dimension`). Use it when you compare a 2-D image, or a
      zoom sequence of them, with Sohl-Dickstein's Table 1.

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
        return crossing_dimension(mask, levels=sizes, level=level)
    if method == "sohl-dickstein":
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


def crossing_counts(mask, levels: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Label changes of a 1-D mask of ``2**N + 1`` points on its nested sub-grids.

    The sub-grid of level ``n`` takes every ``2**(N - n)``-th point, ``2**n + 1`` in all,
    so level ``N`` is the mask itself; its count is the number of neighbouring pairs
    that differ (Liu 2024; liuyz0/FractalBoundary, ``exp-0-analyze.py``).

    Returns:
      ``(levels, counts)``, both ``(k,)`` integer arrays.
    """
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise InputError(f"the mask must be boolean (e.g. a landscape's 'diverged'), got dtype "
                         f"{arr.dtype}")
    if arr.ndim != 1:
        raise InputError(f"method 'crossings' takes a 1-D mask, got {arr.ndim}-D shape "
                         f"{arr.shape}")
    top = int(round(math.log2(max(arr.size - 1, 1))))
    if arr.size < 5 or arr.size != 2**top + 1:
        raise InputError(f"method 'crossings' needs 2**N + 1 points (e.g. 1025), got "
                         f"{arr.size}")
    if levels is None:
        lv = np.arange(top + 1)
    else:
        lv = np.unique(np.asarray(levels))
        if lv.size and (not np.issubdtype(lv.dtype, np.integer) or lv[0] < 0 or lv[-1] > top):
            raise InputError(f"crossing levels must be integers in [0, {top}], got "
                             f"{list(levels)!r}")
    counts = []
    for n in lv.tolist():
        sub = arr[:: 2 ** (top - n)]
        counts.append(int(np.count_nonzero(sub[1:] != sub[:-1])))
    return lv.astype(np.int64), np.asarray(counts, np.int64)


def crossing_dimension(mask, *, levels: Sequence[int] | None = None,
                       level: float = 0.95) -> BoundaryDimension:
    """Liu (2024)'s dimension of a 1-D boundary: sub-sampled label changes.

    Use it when you compare a 1-D learning-rate mask with Liu's numbers, or want a
    dimension that a handful of coarse scales cannot flatten.

    For a mask of ``2**N + 1`` points, count the label changes on the sub-grids of
    ``2**n + 1`` points (:func:`crossing_counts`) and fit ``log2(count)`` against ``n``
    by least squares over the levels with more than one change, as Liu's notebooks do
    (liuyz0/FractalBoundary, ``exp-1.ipynb``: ``np.polyfit`` over ``log2(numB) > 0``).
    The interval is the slope plus or minus the normal quantile at ``level`` times the
    standard error numpy's ``polyfit(..., cov=True)`` reports (the error Liu quotes).
    A mask whose count exceeds one on fewer than three levels has dimension 0, as Liu
    sets it (``gpuexp-4-2.ipynb``); the note says so.

    Where it differs from :func:`box_dimension`: a coarse interval counts only when its
    two end points differ, so an interval holding an even number of fine changes is not
    counted; inside a chaotic stretch, where labels alternate at every scale, the count
    halves with each halving of the resolution (slope 1), while the boxes there are all
    full and the box count follows the stretch's outline.
    """
    lv, counts = crossing_counts(mask, levels)
    if counts.max(initial=0) == 0:
        arr = np.asarray(mask)
        raise InputError(f"the mask has no boundary: all {arr.size} cells are "
                         f"{'True' if arr[0] else 'False'}")
    ok = counts > 1
    if ok.sum() < 3:
        return BoundaryDimension(0.0, (0.0, 0.0), lv, counts, int(counts[-1]), math.nan, level,
                                 method="crossings", fitted=ok, slopes=_local(lv, counts),
                                 note="more than one change on fewer than three levels: "
                                      "dimension 0 (Liu's convention)")
    x, y = lv[ok].astype(float), np.log2(counts[ok].astype(float))
    dim, r2 = _slope(x, y)
    if ok.sum() > 3:
        _, cov = np.polyfit(x, y, 1, cov=True)
        se = float(np.sqrt(cov[0, 0]))
    else:  # polyfit's scaled covariance needs more points than parameters + 2
        se = 0.0
    z = _normal_quantile(0.5 + level / 2)
    return BoundaryDimension(dim, (dim - z * se, dim + z * se), lv, counts, int(counts[-1]),
                             r2, level, method="crossings", fitted=ok,
                             slopes=_local(lv, counts),
                             note=f"levels {int(x[0])}-{int(x[-1])} with more than one "
                                  f"change fitted; interval from the fit's standard error")


def _local(lv: np.ndarray, counts: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diff(np.log2(counts.astype(float))) / np.diff(lv.astype(float))


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def phase_edges(image) -> np.ndarray:
    """Sohl-Dickstein (2024)'s edges: the 2x2 neighbourhoods that span both phases.

    ``image`` is a 2-D signed convergence score (negative where training converged,
    positive where it diverged, or the other way round) or a boolean mask (True and
    False are the two phases). A cell of the ``(n - 1, m - 1)`` result is an edge when
    the four values around it hold both a positive and a negative one (zeros belong to
    neither phase), as ``extract_edges`` in the paper's notebook defines them.
    """
    arr = np.asarray(image)
    if arr.dtype == np.bool_:
        arr = np.where(arr, 1.0, -1.0)
    elif not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"an image must be a boolean mask or a signed score, got dtype "
                         f"{arr.dtype}")
    if arr.ndim != 2:
        raise InputError(f"method 'sohl-dickstein' takes 2-D images, got {arr.ndim}-D "
                         f"shape {arr.shape}")
    if min(arr.shape) < 3:
        raise InputError(f"an image must have at least 3 cells per axis, got {arr.shape}")
    quad = np.stack([arr[1:, 1:], arr[:-1, 1:], arr[1:, :-1], arr[:-1, :-1]], axis=-1)
    with np.errstate(invalid="ignore"):
        return np.sign(quad.max(axis=-1) * quad.min(axis=-1)) < 0


def spanning_box_counts(edges: np.ndarray, bins: Sequence[int] | int = 10
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``porespy.metrics.boxcount``'s counts, vectorised: ``(sizes, counts)``.

    ``bins`` as porespy takes it: an integer ``k`` gives the distinct integer parts of
    ``k`` sizes spaced logarithmically from 10 to the shortest side; a sequence is used
    as given. A box of side ``d`` tiles the image from index 0 (boxes at the far edges
    are cut short), and counts when it holds an edge cell and is not wholly edge.
    """
    im = np.asarray(edges, bool)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        sizes = np.unique(np.logspace(1, np.log10(min(im.shape)), int(bins)).astype(int))
    else:
        sizes = np.asarray(bins).astype(int)
    if sizes.size == 0 or sizes.min() < 1:
        raise InputError(f"box sizes must be integers >= 1, got {np.asarray(bins).tolist()!r}")
    counts = []
    for d in sizes.tolist():
        pad = [(0, -n % d) for n in im.shape]
        shape = [im.shape[0] // d + bool(im.shape[0] % d), d,
                 im.shape[1] // d + bool(im.shape[1] % d), d]
        anyb = np.pad(im, pad, constant_values=False).reshape(shape).any(axis=(1, 3))
        allb = np.pad(im, pad, constant_values=True).reshape(shape).all(axis=(1, 3))
        counts.append(int(anyb.sum()) - int(allb.sum()))
    return sizes.astype(np.int64), np.asarray(counts, np.int64)


def sohl_dickstein_dimension(images, *, bins: Sequence[int] | int = 10,
                             resamples: int = 2000, level: float = 0.95,
                             seed: int = 0) -> BoundaryDimension:
    """Sohl-Dickstein (2024)'s dimension of a trainability boundary.

    Use it when you compare a 2-D hyperparameter image, or a zoom sequence of them,
    with the paper's Table 1.

    For each image: the edges are the 2x2 neighbourhoods spanning both phases
    (:func:`phase_edges`); they are box-counted as ``porespy.metrics.boxcount`` counts
    (:func:`spanning_box_counts`); the local slopes are ``-np.gradient(log N, log s)``
    as porespy computes them. The estimate is the median of all images' local slopes
    together, as the paper's notebook takes it (``estimate_fractal_dimension``); an
    image with no edge gives non-finite slopes and so a ``nan`` median, as there.

    The interval is a percentile bootstrap of that median over the pooled slopes
    (``resamples`` draws with replacement); it says how much the median depends on
    which scales and images enter it, not sampling noise.

    ``sizes`` of the result are one image's box sizes when all images share them (the
    usual case: a zoom sequence at one resolution), else the concatenation; ``counts``
    are summed over the images when they share sizes.
    """
    seq = [images] if _is_one_image(images) else list(images)
    if not seq:
        raise InputError("method 'sohl-dickstein' needs at least one image")
    all_sizes, all_counts, slopes, edges_total = [], [], [], 0
    for i, image in enumerate(seq):
        try:
            edges = phase_edges(image)
        except InputError as e:
            raise InputError(f"image {i}: {e}") from None
        edges_total += int(edges.sum())
        sizes, counts = spanning_box_counts(edges, bins)
        if sizes.size < 2:
            raise InputError(f"image {i}: need at least two box sizes, got {sizes.tolist()}")
        with np.errstate(divide="ignore", invalid="ignore"):
            slopes.append(-np.gradient(np.log(counts.astype(float)), np.log(sizes.astype(float))))
        all_sizes.append(sizes)
        all_counts.append(counts)
    pooled = np.concatenate(slopes)
    dim = float(np.median(pooled))
    same = all(np.array_equal(all_sizes[0], s) for s in all_sizes)
    sizes = all_sizes[0] if same else np.concatenate(all_sizes)
    counts = np.sum(all_counts, axis=0) if same else np.concatenate(all_counts)
    if resamples and np.isfinite(dim):
        rng = np.random.default_rng(seed)
        meds = np.median(pooled[rng.integers(0, pooled.size, (resamples, pooled.size))], axis=1)
        tail = (1 - level) / 2 * 100
        low, high = np.percentile(meds, [tail, 100 - tail])
        ci = (float(low), float(high))
    else:
        ci = (dim, dim)
    note = (f"median of {pooled.size} local slopes over {len(seq)} image(s), box sizes "
            f"{int(sizes.min())}-{int(sizes.max())}")
    if not np.isfinite(dim):
        note = "an image without edges gives non-finite slopes: the median is undefined"
    return BoundaryDimension(dim, ci, sizes, counts, edges_total, math.nan, level,
                             method="sohl-dickstein", fitted=np.ones(sizes.size, bool),
                             slopes=pooled, note=note)


def _is_one_image(images) -> bool:
    return isinstance(images, np.ndarray) and images.ndim == 2 or (
        not isinstance(images, (list, tuple)) and np.ndim(images) == 2)


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
