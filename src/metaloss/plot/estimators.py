"""Figures of an estimator comparison (:mod:`metaloss.study.compare`), from NumPy/xarray data.

No JAX compute here: every function takes arrays that the comparison measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr
from matplotlib.lines import Line2D

from metaloss.plot.figures import distributions, heatmap
from metaloss.plot.style import figure, finite_masked
from metaloss.space import Param

START_MARKERS = ("^", "s", "D", "v", "P")
"""Markers of the named starts, which are the last runs of every estimator."""


def final_losses(
    finals: Mapping[str, np.ndarray],
    threshold: float,
    starts: Sequence[str] = ("(-2, -0.5)", "(0, -1.5)"),
    title: str = "Final true outer loss over seeds",
):
    """Per-estimator distribution of the final true outer loss, basin threshold dashed.

    Args:
      finals: estimator label -> ``(runs,)`` final true outer losses; the last
        ``len(starts)`` runs are the study's starts, marked individually.
      threshold: the low-loss basin's threshold.
      starts: names of the study's starts, in run order.
    """
    fig = distributions(finals, {f"basin threshold {threshold:.3g}": threshold}, title=title)
    ax = fig.axes[0]
    for i, values in enumerate(finals.values()):
        tail = np.asarray(values, float)[len(values) - len(starts):]
        for j, (name, v) in enumerate(zip(starts, tail, strict=True)):
            marker = START_MARKERS[j % len(START_MARKERS)]
            ax.plot([i + 1.25], [v], marker, color="C3", mec="k", ms=7,
                    label=f"from {name}" if i == 0 else None)
    every = np.concatenate([np.asarray(v, float) for v in finals.values()])
    every = every[np.isfinite(every) & (every > 0)]
    if every.size and every.max() / every.min() > 20:
        ax.set_yscale("log")  # capped, diverged runs would flatten everything else
    ax.legend(fontsize=8)
    return fig


def _thin(path: np.ndarray, most: int) -> np.ndarray:
    """At most ``most`` points of a path along its last axis, ends kept."""
    n = path.shape[-1]
    if n <= most:
        return path
    return path[..., np.unique(np.linspace(0, n - 1, most).round().astype(int))]


def trajectory_panels(
    landscape: xr.DataArray,
    runs: Mapping[str, Mapping[str, np.ndarray]],
    *,
    params: Mapping[str, Param] | None = None,
    starts: int = 2,
    vmax: float | None = 10.0,
    most: int = 400,
    ncols: int = 3,
):
    """Every seed's outer-training path over the landscape, one panel per estimator.

    Args:
      landscape: 2-D outer-loss landscape (hyperparameter values as coordinates).
      runs: estimator label -> {name: ``(runs, steps + 1)`` outer coordinates}; the
        last ``starts`` runs (the study's starts) are drawn bold.
      params: name -> parametrization placing each axis in outer coordinates.
      most: points drawn per path (long paths are thinned evenly).
    """
    xdim, ydim = landscape.dims
    nrows = math.ceil(len(runs) / ncols)
    fig = figure(5.2 * min(ncols, len(runs)), 4.2 * nrows)
    axes = fig.subplots(nrows, min(ncols, len(runs)), squeeze=False)
    for ax, (label, run) in zip(axes.ravel(), runs.items(), strict=False):
        heatmap(landscape, params=params, vmax=vmax, ax=ax, title=label)
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        xs, ys = _thin(np.atleast_2d(run[xdim]), most), _thin(np.atleast_2d(run[ydim]), most)
        n = xs.shape[0]
        for j in range(n):
            bold = j >= n - starts
            ax.plot(xs[j], ys[j], color="w" if bold else "k", lw=1.4 if bold else 0.4,
                    alpha=1.0 if bold else 0.45)
        ax.plot(xs[:, 0], ys[:, 0], "o", color="w", mec="k", ms=3, ls="none")
        ax.plot(xs[:, -1], ys[:, -1], "*", color="C1", mec="k", ms=7, ls="none")
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
    for ax in axes.ravel()[len(runs):]:
        ax.set_visible(False)
    fig.suptitle("Outer training from every start (white: the study's starts; star: end)")
    return fig


def gradient_norms(ds: xr.Dataset, title: str = "Gradient estimates against unroll length"):
    """Norm of the mean estimate and estimate variance against unroll length, log-log.

    ``ds``: :func:`metaloss.analysis.gradient_sweep`'s dataset. One colour per
    estimator, one line style per point. Zero variances (exact estimators on a
    deterministic problem) have no place on a log axis and are left out.
    """
    fig = figure(11, 4.2)
    ax_n, ax_v = fig.subplots(1, 2)
    lengths = np.asarray(ds["length"])
    coord_names = [k for k in ds.coords if str(k).startswith("point_")]
    styles = ("-", "--", ":", "-.")
    estimators = [str(e) for e in np.asarray(ds["estimator"])]
    for p in range(ds.sizes["point"]):
        for i in range(len(estimators)):
            kw = {"color": f"C{i % 10}", "ls": styles[p % len(styles)], "marker": "o", "ms": 3}
            for ax, var in ((ax_n, "norm"), (ax_v, "variance")):
                y = np.ma.masked_less_equal(finite_masked(ds[var].values[i, p]), 0.0)
                if y.count():
                    ax.plot(lengths, y, **kw)
    for ax, what in ((ax_n, "norm of mean estimate"), (ax_v, "variance (trace)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("unroll length (inner steps)")
        ax.set_ylabel(what)
        ax.grid(True, which="major", alpha=0.3)
    ax_n.legend(handles=[Line2D([], [], color=f"C{i % 10}", label=e)
                         for i, e in enumerate(estimators)], fontsize=7, title="estimator")
    points = [", ".join(f"{float(ds[k][p]):g}" for k in coord_names) or str(p)
              for p in range(ds.sizes["point"])]
    ax_v.legend(handles=[Line2D([], [], color="k", ls=styles[p % len(styles)], label=f"({w})")
                         for p, w in enumerate(points)], fontsize=7, title="at point")
    fig.suptitle(title)
    return fig
