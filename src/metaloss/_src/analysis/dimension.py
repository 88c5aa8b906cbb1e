"""What a boundary-dimension estimate returns, shared by the three estimators
(:func:`metaloss._src.analysis.fractal.boundary_dimension`)."""

from __future__ import annotations

import dataclasses

import numpy as np


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
      method: the estimator, one of :data:`metaloss._src.analysis.fractal.METHODS`.
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


def _slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``x`` and the fit's R^2."""
    xc, yc = x - x.mean(), y - y.mean()
    slope = float(xc @ yc / (xc @ xc))
    ss = float(yc @ yc)
    r2 = 1.0 - float(((yc - slope * xc) ** 2).sum()) / ss if ss > 0 else 1.0
    return slope, r2
