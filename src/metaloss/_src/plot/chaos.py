"""Chaos on a plane of hyperparameters: measures side by side, and a boundary's box counts.

No JAX here: the functions take xarray / NumPy data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from metaloss._src.plot.heatmaps import colorbar_label, draw_landscape
from metaloss._src.plot.style import DIVERGED_COLOR, NONFINITE_COLOR, describe, figure
from metaloss._src.space import Param

TRAINED_COLOR = "#f2f2f2"
BOUNDARY_COLOR = "#000000"


def measure_panels(maps: Sequence[xr.DataArray], *, params: Mapping[str, Param] | None = None,
                   vmax: Mapping[str, float] | None = None, title: str | None = None):
    """2-D maps of the same grid side by side, one colour bar each.

    Each map gets its measure's colour scale (see
    :func:`metaloss._src.plot.heatmaps.colour_scale`: a diverging map centred at 0 for
    Lyapunov exponents, a logarithmic one for gradient norms). Diverged cells (the
    ``diverged`` coordinate) are red in every panel; cells that did not diverge but
    hold inf or NaN are grey, and the legend below counts both, per panel.

    Args:
      maps: 2-D DataArrays over the same dims (first dim along x).
      params: name -> parametrization to place each axis (as for ``heatmap``).
      vmax: variable name -> colour ceiling (values above it are clipped); others
        use their full range.
    """
    fig = figure(5.2 * len(maps), 4.6)
    axes = fig.subplots(1, len(maps))
    axes = np.atleast_1d(axes)
    ceilings = dict(vmax or {})
    handles = []
    for ax, da in zip(axes, maps, strict=True):
        what = describe(da)
        im, _, _, top = draw_landscape(ax, da, params, ceilings.get(str(da.name)),
                                       mark_min=False)
        fig.colorbar(im, ax=ax, label=colorbar_label(top, None, what))
        ax.set_title(what[0].upper() + what[1:])
        div = np.asarray(da["diverged"], bool) if "diverged" in da.coords else None
        bad = ~np.isfinite(np.asarray(da.values, float))
        if div is not None:
            bad &= ~div
            if not handles:
                handles.append(Patch(color=DIVERGED_COLOR,
                                     label=f"diverged ({int(div.sum())} of {div.size} cells)"))
        if bad.any():
            handles.append(Patch(color=NONFINITE_COLOR,
                                 label=f"{what}: non-finite, not diverged ({int(bad.sum())})"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def boundary_box_counts(mask: xr.DataArray, estimate, *, params: Mapping[str, Param]
                        | None = None, coarse=None, title: str | None = None):
    """A divergence mask with its boundary, beside the box counts that give its dimension.

    Left: the mask over the grid (red: diverged, light: trained, black: boundary cells).
    Right: ``log N(s)`` against ``log(1/s)`` for the box sides ``s`` (as boxes across the
    plane; crosses mark saturated sizes the fit leaves out), the fitted line whose slope
    is the dimension, and its interval in the
    legend; ``coarse``, the estimate of the mask's every other row and column
    (``mask[::2, ::2]``), is drawn beside it when given.

    Args:
      mask: 2-D boolean DataArray (True: diverged) with the grid's coords.
      estimate: a :class:`metaloss._src.analysis.fractal.BoundaryDimension` of ``mask``.
    """
    from metaloss._src.analysis.fractal import boundary_cells

    fig = figure(12.5, 5.2)
    left, right = fig.subplots(1, 2)
    values = np.asarray(mask.values, bool)
    shade = xr.DataArray(np.where(boundary_cells(values), 2.0, values.astype(float)),
                         dims=mask.dims, coords={d: mask[d] for d in mask.dims})
    im, _, _, _ = draw_landscape(left, shade, params, None, mark_min=False)
    im.set_cmap(ListedColormap([TRAINED_COLOR, DIVERGED_COLOR, BOUNDARY_COLOR]))
    im.set_clim(-0.5, 2.5)
    left.legend(handles=[Patch(color=DIVERGED_COLOR, label=f"diverged ({int(values.sum())})"),
                         Patch(color=TRAINED_COLOR, label="trained", ec="0.5"),
                         Patch(color=BOUNDARY_COLOR,
                               label=f"boundary ({estimate.boundary} cells)")],
                loc="upper left", fontsize=8, framealpha=0.9)
    left.set_title(f"Divergence mask, {values.shape[0]} x {values.shape[1]}")
    side = min(values.shape)
    for est, style, color, where in ((estimate, "o-", "C0", f"{side} x {side}"),
                                     (coarse, "s--", "0.45", "every other grid line")):
        if est is None:
            continue
        # boxes across the plane, so that both resolutions share one length scale
        across = (side if est is estimate else -(-side // 2)) / est.sizes
        x, y = np.log10(across), np.log10(est.counts)
        used = np.ones(x.size, bool) if est.fitted is None else np.asarray(est.fitted)
        slope, icpt = np.polyfit(x[used], y[used], 1)
        right.plot(x[used], y[used], style[0], color=color, ms=7,
                   mfc="none" if est is coarse else color, label=f"box counts, {where}")
        right.plot(x[used], slope * x[used] + icpt, style[1:], color=color, lw=1.2,
                   label=f"slope {est.dimension:.3f} "
                         f"[{est.ci[0]:.3f}, {est.ci[1]:.3f}] ({est.level:.0%} bootstrap)")
        if not used.all():  # saturated scales, left out of the fit (drawn, not joined)
            right.plot(x[~used], y[~used], "x", color=color, ms=6)
    right.set_xlabel("log10(boxes across the plane) = log10(1 / box side) + const")
    right.set_ylabel("log10(boxes holding a boundary cell)")
    right.legend(fontsize=8)
    right.set_title("Box counting: the slope is the dimension")
    if title:
        fig.suptitle(title)
    return fig
