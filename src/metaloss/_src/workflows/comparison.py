"""What an estimator comparison measured: each estimator's runs, the basin threshold,
the table and its ranking, and :meth:`Comparison.save` for its files."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from metaloss._src.analysis import stats
from metaloss._src.space import Space


@dataclasses.dataclass(frozen=True)
class Runs:
    """One estimator's outer-training runs from every starting point.

    Attributes:
      label: the estimator's spec (:func:`metaloss.spec.label`).
      outer_steps: outer steps each run took.
      inner_steps: inner steps each run used (the budget actually spent).
      wall_s: wall time of the one vmapped call for all runs, compilation excluded
        (while other jobs of the comparison compile in other threads).
      compile_s: its compilation time (measured apart, ahead of time).
      params: name -> ``(runs, outer_steps + 1)`` trajectories in outer coordinates.
      final_loss: ``(runs,)`` true outer loss at each end point.
    """

    label: str
    outer_steps: int
    inner_steps: int
    wall_s: float
    compile_s: float
    params: dict[str, np.ndarray]
    final_loss: np.ndarray


@dataclasses.dataclass(frozen=True)
class Comparison:
    """What :func:`~metaloss.workflows.compare` measured.

    Attributes:
      runs: one :class:`Runs` per estimator, in the order given.
      threshold: the basin threshold (true outer loss), set at ``basin_quantile``
        of the landscape.
      basin_quantile: the landscape quantile that set ``threshold``.
      landscape: the outer loss over the box (a grid for 1 or 2 outer coordinates;
        ``None`` beyond, where random points of the box set the threshold).
      sweep: the gradient-sweep dataset (:func:`metaloss.analysis.gradient_sweep`),
        or ``None`` when skipped.
      budget: inner steps each run was allowed.
      starts: the named starts, which are the last runs of every estimator.
      space: the outer space.
      maps: the :func:`metaloss.analysis.estimator_maps` dataset, or ``None``.
    """

    runs: list[Runs]
    threshold: float
    basin_quantile: float
    landscape: xr.DataArray | None
    sweep: xr.Dataset | None
    budget: int
    starts: dict[str, dict[str, float]]
    space: Space
    maps: xr.Dataset | None = None

    def table(self) -> list[dict[str, Any]]:
        """One row per estimator: final true-loss quartiles and basin share (each a
        :class:`~metaloss.analysis.stats.Estimate` with its 95% bootstrap interval over
        the runs), the named starts' end losses, cost."""
        return [dict(row) for row in self._rows]

    @functools.cached_property
    def _rows(self) -> list[dict[str, Any]]:
        """:meth:`table`'s rows, bootstrapped once (a report asks for them several times)."""
        rows = []
        for r in self.runs:
            q = stats.quartiles(r.final_loss)
            tail = r.final_loss[len(r.final_loss) - len(self.starts):]
            row = {"estimator": r.label, "outer_steps": r.outer_steps,
                   "inner_steps": r.inner_steps, "median": q["median"], "q25": q["q25"],
                   "q75": q["q75"], "in_basin": stats.share(r.final_loss <= self.threshold)}
            row.update({f"from {name}": float(v) for name, v in zip(self.starts, tail,
                                                                     strict=True)})
            row.update({"wall_s": r.wall_s, "compile_s": r.compile_s})
            rows.append(row)
        return rows

    def ranking(self) -> str:
        """Which estimator has the lowest median final loss, in words that claim no more
        than the intervals allow."""
        medians = {r["estimator"]: r["median"] for r in self.table()}
        best, separated = stats.lowest(medians)
        if len(medians) == 1:
            return f"One estimator: {best} ({medians[best].format()})."
        if separated:
            return (f"Lowest median: {best} ({medians[best].format()}), its 95% interval below "
                    "every other estimator's.")
        tied = stats.tied_with(medians, best)
        return (f"No estimator's median is separated from the rest: the lowest, {best} "
                f"({medians[best].format()}), overlaps {', '.join(tied)} within 95% intervals.")

    def save(self, out) -> dict[str, Path]:
        """Writes the comparison into the directory ``out`` (created if missing).

        Files: ``compare.csv`` (the table, full precision, intervals as ``_ci_low`` /
        ``_ci_high`` columns), ``compare.md`` (rounded), ``compare_runs.csv`` (every run's
        start and end point), ``compare_final_loss.png``; over two outer coordinates
        ``compare_trajectories.png``; with a sweep ``compare_gradients.png`` and
        ``compare_sweep.nc``; with maps ``compare_maps.nc`` and, over two coordinates,
        ``compare_maps_<quantity>.png``.

        Returns:
          what -> path of each file written (keys ``csv``, ``markdown``, ``runs``,
          ``final_loss``, ``trajectories``, ``gradients``, ``sweep``, ``maps``,
          ``maps_<quantity>``).
        """
        from metaloss._src.workflows.compare_files import save

        return save(self, out)
