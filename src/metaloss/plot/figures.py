"""The study's figures, from NumPy/xarray data (no JAX compute here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from metaloss.errors import InputError
from metaloss.plot.style import DIVERGED_COLOR, NONFINITE_COLOR, figure, finite_masked, new_figure
from metaloss.space import Linear, Param


def inner_loss(xs, ys, minima: Sequence[tuple[float, float]] = (), path=None,
               title: str = "Inner loss"):
    """The inner loss over its parameter, local minima marked.

    Args:
      xs, ys: the loss curve.
      minima: (x, f(x)) pairs; the lowest is labelled global.
      path: optional (x_t, f(x_t)) arrays of a training run, drawn coloured by step.
    """
    fig, ax = new_figure()
    ax.plot(xs, finite_masked(ys), color="C0")
    if path is not None:
        px, py = (np.asarray(a, float) for a in path)
        ax.plot(px, py, color="0.6", lw=0.6, zorder=1)
        sc = ax.scatter(px, py, c=np.arange(len(px)), cmap="plasma", s=14, zorder=2)
        fig.colorbar(sc, ax=ax, label="inner step")
    for i, (x, y) in enumerate(sorted(minima, key=lambda m: m[1])):
        kind = "global minimum" if i == 0 else "local minimum"
        ax.plot([x], [y], "o", color="C3" if i == 0 else "C1", label=f"{kind} x={x:.2f}, f={y:.2f}")
    ax.set_xlabel("x (inner parameter)")
    ax.set_ylabel("inner loss f(x)")
    ax.set_title(title)
    if minima:
        ax.legend()
    return fig


def training_curve(losses, params=None, title: str = "Inner training"):
    """Inner loss per step; with ``params``, the parameter's path on a second axis."""
    fig, ax = new_figure()
    steps = np.arange(len(losses))
    ax.plot(steps, finite_masked(losses), color="C0", label="inner loss")
    ax.set_xlabel("inner step")
    ax.set_ylabel("inner loss")
    if params is not None:
        ax2 = ax.twinx()
        ax2.plot(np.arange(len(params)), finite_masked(params), color="C1", ls="--", label="x")
        ax2.set_ylabel("x (inner parameter)", color="C1")
    ax.set_title(title)
    return fig


def sweep(da: xr.DataArray, *, log_x: bool = True, ylim=None, title: str | None = None):
    """A 1-D landscape: outer loss against one hyperparameter; non-finite points left out."""
    if da.ndim != 1:
        raise InputError(f"sweep needs a 1-D landscape, got dims {da.dims}")
    fig, ax = new_figure(7, 4)
    (dim,) = da.dims
    x = np.asarray(da[dim])
    ax.plot(x, finite_masked(da.values), lw=0.6, color="C0")
    if "diverged" in da.coords and bool(da["diverged"].any()):
        d = np.asarray(da["diverged"])
        ax.plot(x[d], np.full(d.sum(), np.nanmax(np.where(d, np.nan, da.values))), "|",
                color=DIVERGED_COLOR, label="diverged")
        ax.legend()
    if log_x:
        ax.set_xscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(dim)
    ax.set_ylabel("outer loss")
    ax.set_title(title or f"Outer loss against {dim}")
    return fig


def _axis(da: xr.DataArray, dim: str, params: Mapping[str, Param] | None):
    p = (params or {}).get(dim, Linear())
    return np.asarray(p.inverse(np.asarray(da[dim], float)), float), p.axis_label(dim)


def heatmap(
    da: xr.DataArray,
    *,
    params: Mapping[str, Param] | None = None,
    vmax: float | None = 10.0,
    ax=None,
    title: str | None = None,
):
    """A 2-D landscape as an image over outer coordinates.

    Args:
      da: 2-D landscape; its first dim is drawn along x.
      params: name -> parametrization used to place each axis (e.g. ``Log10`` for a
        log10 axis); unnamed axes are linear.
      vmax: colour-scale ceiling; larger values are clipped to it, as the study does.
      ax: draw into an existing axes.

    Non-finite cells are grey; diverged cells (the ``diverged`` coordinate) are red.
    """
    if da.ndim != 2:
        raise InputError(f"heatmap needs a 2-D landscape, got dims {da.dims}")
    xdim, ydim = da.dims
    x, xlabel = _axis(da, xdim, params)
    y, ylabel = _axis(da, ydim, params)
    z = finite_masked(da.transpose(ydim, xdim).values)
    xo, yo = np.argsort(x), np.argsort(y)
    x, y, z = x[xo], y[yo], z[yo][:, xo]
    fig = None
    if ax is None:
        fig, ax = new_figure(7, 6)
    else:
        fig = ax.figure
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad=NONFINITE_COLOR)
    ext = _extent(x, y)
    finite = z.compressed()
    vmin = float(finite.min()) if finite.size else 0.0
    top = vmax if vmax is not None and vmax > vmin else None
    im = ax.imshow(z, origin="lower", extent=ext, aspect="auto", interpolation="nearest",
                   cmap=cmap, vmin=vmin, vmax=top)
    fig.colorbar(im, ax=ax, label="outer loss" + (f" (clipped at {top:g})" if top else ""))
    handles = []
    if "diverged" in da.coords:
        d = np.asarray(da["diverged"].transpose(ydim, xdim))[yo][:, xo]
        if d.any():
            ax.imshow(np.ma.masked_where(~d, np.ones_like(d, float)), origin="lower", extent=ext,
                      aspect="auto", interpolation="nearest",
                      cmap=ListedColormap([DIVERGED_COLOR]))
            handles.append(Patch(color=DIVERGED_COLOR, label=f"diverged ({int(d.sum())} cells)"))
    if np.ma.count_masked(z):
        handles.append(Patch(color=NONFINITE_COLOR,
                             label=f"non-finite ({int(np.ma.count_masked(z))} cells)"))
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "Outer-loss landscape")
    return fig


def _extent(x, y):
    def edges(v):
        if len(v) == 1:
            return v[0] - 0.5, v[0] + 0.5
        step0, step1 = v[1] - v[0], v[-1] - v[-2]
        return v[0] - step0 / 2, v[-1] + step1 / 2

    return (*edges(x), *edges(y))


def trajectories(
    da: xr.DataArray,
    runs: Mapping[str, Mapping[str, np.ndarray]],
    *,
    params: Mapping[str, Param] | None = None,
    vmax: float | None = 10.0,
    title: str = "Outer training on the landscape",
):
    """Outer-training paths over a 2-D landscape, start (circle) and end (star) marked.

    ``runs``: label -> {dim: (steps + 1,) outer coordinates} with the landscape's dims;
    a leading seeds axis draws every seed thinly.
    """
    fig = heatmap(da, params=params, vmax=vmax, title=title)
    ax = fig.axes[0]
    xdim, ydim = da.dims
    for i, (label, run) in enumerate(runs.items()):
        color = f"C{(i + 1) % 10}"
        xs, ys = np.atleast_2d(run[xdim]), np.atleast_2d(run[ydim])
        thin = xs.shape[0] > 1
        for j in range(xs.shape[0]):
            ax.plot(xs[j], ys[j], color=color, lw=0.5 if thin else 1.2, alpha=0.5 if thin else 0.9,
                    label=label if j == 0 else None)
        ax.plot(xs[:, 0], ys[:, 0], "o", color=color, mec="k", ms=6)
        ax.plot(xs[:, -1], ys[:, -1], "*", color=color, mec="k", ms=11)
    lg = ax.legend(loc="lower left", fontsize=8, title="circle: start, star: end")
    lg.get_title().set_fontsize(8)
    return fig


def slice_plot(ds: xr.Dataset | Sequence[xr.Dataset],
               title: str = "Outer loss around the end point"):
    """Outer loss along each outer axis around a point (:func:`metaloss.analysis.slices`).

    Several datasets (e.g. the same point at two widths) are drawn side by side.
    """
    sets = [ds] if isinstance(ds, xr.Dataset) else list(ds)
    fig = figure(5.5 * len(sets), 4)
    axes = fig.subplots(1, len(sets), squeeze=False)
    for ax, one in zip(axes[0], sets, strict=True):
        shift = np.asarray(one["shift"])
        for name, var in one.data_vars.items():
            ax.plot(shift, finite_masked(var.values), lw=0.9, label=f"{name} shift")
        ax.axvline(0.0, color="k", lw=0.5, ls=":")
        ax.set_xlabel("shift in outer coordinate")
        ax.set_ylabel("outer loss")
        ax.set_title(f"half-width {shift.max():g}", fontsize=9)
        ax.locator_params(axis="x", nbins=5)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def outer_curves(runs: Mapping[str, Mapping[str, np.ndarray]],
                 title: str = "Outer training by gradients"):
    """Per outer step: the loss and the gradient norm (log scale) of each run.

    ``runs``: label -> {"losses": (steps,), "grad_norm": (steps,)}; ``clip`` draws the
    clipping level when given.
    """
    fig = figure(10, 3.8)
    a1, a2 = fig.subplots(1, 2)
    for i, (label, r) in enumerate(runs.items()):
        a1.plot(finite_masked(r["losses"]), color=f"C{i + 1}", lw=1, label=label)
        a2.semilogy(finite_masked(r["grad_norm"]), color=f"C{i + 1}", lw=1, label=label)
        if "clip" in r:
            a2.axhline(float(r["clip"]), color="k", ls=":", lw=0.8)
    a1.set_xlabel("outer step")
    a1.set_ylabel("outer loss")
    a2.set_xlabel("outer step")
    a2.set_ylabel("|outer gradient| (before clipping)")
    a1.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def distributions(
    finals: Mapping[str, np.ndarray],
    references: Mapping[str, float] | None = None,
    title: str = "Final true outer loss",
):
    """Per-variant distributions of a scalar (e.g. final outer loss over seeds)."""
    fig, ax = new_figure(7, 4)
    labels = list(finals)
    data = [np.asarray(finals[k], float)[np.isfinite(finals[k])] for k in labels]
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=15, fontsize=8)
    for k, j in enumerate(data):
        ax.plot(np.full(len(j), k + 1) + np.linspace(-0.15, 0.15, len(j)), j, ".", ms=3,
                color="C0", alpha=0.6)
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color=f"C{i + 3}", ls="--", lw=1, label=label)
    if references:
        ax.legend(fontsize=8)
    ax.set_ylabel("outer loss")
    ax.set_title(title)
    return fig
