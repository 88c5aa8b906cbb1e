"""The study's figures, from NumPy/xarray data (no JAX compute here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.plot.style import DIVERGED_COLOR, describe, figure, finite_masked, new_figure


def inner_loss(xs, ys, minima: Sequence[tuple[float, float]] = (), path=None,
               title: str = "Inner loss"):
    """The inner loss over its parameter, local minima marked.

    Args:
      xs: the parameter values of the loss curve.
      ys: the loss at ``xs``.
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
    """A 1-D landscape: outer loss (or the measure ``da`` holds, labelled by its
    description) against one hyperparameter; non-finite points left out.

    With ``ylim`` the y-axis is cut there, and says so: values beyond it are drawn at
    the edge they pass (the line runs along it, a triangle marks each such point) and
    the y label gives the cut and how many points it moved.
    """
    if da.ndim != 1:
        raise InputError(f"sweep needs a 1-D landscape, got dims {da.dims}")
    fig, ax = new_figure(7, 4)
    (dim,) = da.dims
    x = np.asarray(da[dim])
    y = finite_masked(da.values)
    what = describe(da)
    ylabel = what
    if ylim is not None:
        lo, hi = float(ylim[0]), float(ylim[1])
        above, below = (y > hi).filled(False), (y < lo).filled(False)
        y = np.ma.clip(y, lo, hi)
        for where, edge, marker in ((above, hi, "^"), (below, lo, "v")):
            if where.any():
                ax.plot(x[where], np.full(where.sum(), edge), marker, ms=3, color="C3",
                        clip_on=False, zorder=4, ls="none",
                        label=f"{int(where.sum())} of {x.size} points "
                              f"{'above' if edge == hi else 'below'} {edge:g}, drawn at the edge")
        if above.any() or below.any():
            ylabel = f"{what} (cut to [{lo:g}, {hi:g}])"
        ax.set_ylim(lo, hi)
    ax.plot(x, y, lw=0.6, color="C0")
    if da.name == "lyapunov":
        ax.axhline(0.0, color="0.4", lw=0.6, ls="--")
    elif da.name == "gradnorm" and ylim is None and (y > 0).any():
        ax.set_yscale("log")
    if "diverged" in da.coords and bool(da["diverged"].any()):
        d = np.asarray(da["diverged"])
        ax.plot(x[d], np.full(d.sum(), np.nanmax(np.where(d, np.nan, da.values))), "|",
                color=DIVERGED_COLOR, label="diverged")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(dim)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{what[0].upper()}{what[1:]} against {dim}")
    return fig


def slice_plot(ds: xr.Dataset | Sequence[xr.Dataset],
               smoothed: xr.Dataset | Sequence[xr.Dataset | None] | None = None,
               smoothed_label: str = "Gaussian-smoothed (what ES sees)",
               title: str = "Outer loss around the end point"):
    """Outer loss along each outer axis around a point (:func:`metaloss._src.analysis.slices`).

    Several datasets (e.g. the same point at two widths) are drawn side by side.
    ``smoothed``: for each dataset, the same variables on the same shifts after
    Gaussian smoothing (e.g. at an ES sigma: the surface ES follows), drawn thick and
    dashed in the colour of the raw slice.
    """
    sets = [ds] if isinstance(ds, xr.Dataset) else list(ds)
    smooth = ([smoothed] if isinstance(smoothed, xr.Dataset)
              else list(smoothed) if smoothed is not None else [None] * len(sets))
    if len(smooth) != len(sets):
        raise InputError(f"slice_plot got {len(sets)} slices but {len(smooth)} smoothed")
    fig = figure(5.5 * len(sets), 4.2)
    axes = fig.subplots(1, len(sets), squeeze=False)
    for ax, one, sm in zip(axes[0], sets, smooth, strict=True):
        shift = np.asarray(one["shift"])
        for i, (name, var) in enumerate(one.data_vars.items()):
            ax.plot(shift, finite_masked(var.values), lw=0.9, color=f"C{i}",
                    label=f"{name} shift")
            if sm is not None and name in sm:
                ax.plot(np.asarray(sm["shift"]), finite_masked(sm[name].values), lw=2.2,
                        ls="--", color=f"C{i}", label=f"{name}, {smoothed_label}")
        ax.axvline(0.0, color="k", lw=0.5, ls=":")
        ax.set_xlabel("shift in outer coordinate")
        ax.set_ylabel("outer loss")
        ax.set_title(f"half-width {shift.max():g}", fontsize=9)
        ax.locator_params(axis="x", nbins=5)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return fig


def outer_training(losses, label: str, title: str | None = None):
    """The outer loss per outer step of one training run, titled with the estimator's
    label (its spec, e.g. ``es(std=0.1, pairs=1)``)."""
    fig, ax = new_figure()
    ax.plot(np.arange(len(losses)), finite_masked(losses), color="C0", lw=1)
    ax.set_xlabel("outer step")
    ax.set_ylabel("outer loss")
    ax.set_title(title or f"Outer training with {label}")
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
    """Per-variant distributions of a scalar (e.g. final outer loss over seeds): a box
    (quartiles, whiskers to 1.5 IQR) and every value as a point, each drawn once."""
    fig, ax = new_figure(7, 4)
    labels = list(finals)
    data = [np.asarray(finals[k], float)[np.isfinite(finals[k])] for k in labels]
    # every value is drawn as a point beside its box, so the box draws no fliers
    ax.boxplot(data, showfliers=False)
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
