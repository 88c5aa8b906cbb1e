"""Figures of an estimator comparison (:mod:`metaloss._src.workflows.compare`), from
NumPy and xarray data.

No JAX compute here: every function takes arrays that the comparison measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr
from matplotlib.lines import Line2D

from metaloss._src.plot.figures import distributions
from metaloss._src.plot.heatmaps import colorbar_label, draw_landscape, to_axis
from metaloss._src.plot.paths import faded_path, faded_paths, outline, thin
from metaloss._src.plot.style import figure, finite_masked
from metaloss._src.space import Param

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


def trajectory_panels(
    landscape: xr.DataArray,
    runs: Mapping[str, Mapping[str, np.ndarray]],
    *,
    params: Mapping[str, Param] | None = None,
    starts: int = 2,
    vmax: float | None = 10.0,
    most: int = 80,
    ncols: int = 3,
):
    """Every seed's outer-training path over the landscape, one panel per estimator.

    The panels share one colour bar (they draw the same landscape on one scale). Each
    path is thinned to ``most`` points and fades in with time; the random starts'
    paths are thin and dark, the study's starts (the last ``starts`` runs) white and
    outlined, so the landscape stays readable under noisy estimators (PES, truncated).

    Args:
      landscape: 2-D outer-loss landscape (hyperparameter values as coordinates).
      runs: estimator label -> {name: ``(runs, steps + 1)`` outer coordinates}.
      params: name -> parametrization placing each axis in outer coordinates.
      most: points drawn per path (long paths are thinned evenly, ends kept).
    """
    xdim, ydim = landscape.dims
    ncols = max(1, min(ncols, len(runs)))
    nrows = math.ceil(len(runs) / ncols)
    fig = figure(4.6 * ncols + 1.2, 4.0 * nrows + 0.8)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    given = params or {}
    handles, im, top = [], None, None
    for ax, (label, run) in zip(axes.ravel(), runs.items(), strict=False):
        im, handles, drawn, top = draw_landscape(ax, landscape, params, vmax)
        ax.set_title(label, fontsize=10)
        box = ax.get_xlim(), ax.get_ylim()  # the landscape's box: paths leaving it are cut
        xs = thin(to_axis(np.atleast_2d(run[xdim]), given.get(xdim), drawn[xdim]), most)
        ys = thin(to_axis(np.atleast_2d(run[ydim]), given.get(ydim), drawn[ydim]), most)
        n = xs.shape[0] - starts
        if n > 0:
            faded_paths(ax, xs[:n], ys[:n], "k", lw=0.6, alpha=(0.05, 0.6), outlined=False)
        for j in range(max(n, 0), xs.shape[0]):
            faded_path(ax, xs[j], ys[j], "w", lw=1.4, alpha=(0.3, 1.0), zorder=4)
        ax.plot(xs[:, 0], ys[:, 0], "o", color="w", mec="k", ms=4, ls="none", zorder=5)
        ax.plot(xs[:, -1], ys[:, -1], "*", color="C1", mec="k", ms=8, ls="none", zorder=5)
        ax.set_xlim(box[0])
        ax.set_ylim(box[1])
    for ax in axes.ravel()[len(runs):]:
        ax.set_visible(False)
    for ax in axes.ravel()[:len(runs)]:
        if not ax.get_subplotspec().is_first_col():
            ax.set_ylabel("")
        if not ax.get_subplotspec().is_last_row():
            ax.set_xlabel("")
    if im is not None:
        fig.colorbar(im, ax=list(axes.ravel()[:len(runs)]), label=colorbar_label(top),
                     shrink=0.9)
    handles = handles + [
        Line2D([], [], color="k", lw=0.8, label="random start (fades in with time)"),
        Line2D([], [], color="w", lw=1.6, path_effects=outline(3.2), label="the study's starts"),
        Line2D([], [], marker="o", color="w", mec="k", ls="none", label="start"),
        Line2D([], [], marker="*", color="C1", mec="k", ms=9, ls="none", label="end"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
               fontsize=8)
    fig.suptitle(f"Outer training from every start ({most} points per path shown)")
    return fig


def gradient_norms(ds: xr.Dataset, title: str = "Gradient estimates against unroll length"):
    """Norm of the mean estimate and estimate variance against unroll length, log-log.

    ``ds``: :func:`metaloss._src.analysis.gradient_sweep`'s dataset. One colour per
    estimator, one line style per point; the legends sit beside the panels, where they
    hide no line. A zero (the variance of an exact estimator on a deterministic
    problem) has no place on a log axis: such values are drawn as hollow triangles on
    a dotted floor line a decade below the smallest positive value, and labelled so.
    """
    fig = figure(12, 4.4)
    ax_n, ax_v = fig.subplots(1, 2)
    lengths = np.asarray(ds["length"])
    coord_names = [k for k in ds.coords if str(k).startswith("point_")]
    styles = ("-", "--", ":", "-.")
    estimators = [str(e) for e in np.asarray(ds["estimator"])]
    for ax, var in ((ax_n, "norm"), (ax_v, "variance")):
        values = finite_masked(ds[var].values)
        positive = values[values > 0].compressed()
        floor = 10 ** np.floor(np.log10(positive.min()) - 1) if positive.size else 1e-12
        zeros = []
        for p in range(ds.sizes["point"]):
            for i in range(len(estimators)):
                kw = {"color": f"C{i % 10}", "ls": styles[p % len(styles)]}
                y = values[i, p]
                zero = (y == 0).filled(False)
                if np.ma.masked_less_equal(y, 0.0).count():
                    ax.plot(lengths, np.ma.masked_less_equal(y, 0.0), marker="o", ms=3, **kw)
                if zero.any():
                    ax.plot(lengths[zero], np.full(zero.sum(), floor), marker="v", ms=6,
                            mfc="none", mew=1.2, **kw)
                    zeros.append(estimators[i])
        if zeros:
            ax.axhline(floor, color="0.5", lw=0.8, ls=":")
            names = ", ".join(dict.fromkeys(zeros))
            ax.annotate(f"zero ({names}): exact, drawn at the floor", (0.02, floor),
                        xycoords=("axes fraction", "data"), xytext=(0, 4),
                        textcoords="offset points", fontsize=7, color="0.3")
            ax.set_ylim(bottom=floor / 3)
    for ax, what in ((ax_n, "norm of mean estimate"), (ax_v, "variance (trace)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("unroll length (inner steps)")
        ax.set_ylabel(what)
        ax.grid(True, which="major", alpha=0.3)
    points = [", ".join(f"{float(ds[k][p]):g}" for k in coord_names) or str(p)
              for p in range(ds.sizes["point"])]
    fig.legend(handles=[Line2D([], [], color=f"C{i % 10}", label=e)
                        for i, e in enumerate(estimators)], fontsize=7, title="estimator",
               loc="outside right upper")
    fig.legend(handles=[Line2D([], [], color="k", ls=styles[p % len(styles)], label=f"({w})")
                        for p, w in enumerate(points)], fontsize=7, title="at point",
               loc="outside right lower")
    fig.suptitle(title)
    return fig
