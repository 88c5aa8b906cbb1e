"""Liu (2024)'s boundary dimension of a 1-D mask: label changes on nested sub-grids.

Y. Liu, "Complex fractal trainability boundary can arise from trivial non-convexity"
(2024, arXiv:2406.13971), measures the dimension of a 1-D learning-rate boundary by
sub-sampling: on a grid of ``2**N + 1`` learning rates, the sub-grid of level ``n``
keeps every ``2**(N - n)``-th point, and the number of label changes on it grows like
``2**(n D)``. The code this follows is liuyz0/FractalBoundary (``exp-0-analyze.py``
counts, ``exp-1.ipynb`` and ``gpuexp-4-2.ipynb`` fit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from metaloss._src.analysis.dimension import BoundaryDimension, _slope
from metaloss._src.errors import InputError


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
