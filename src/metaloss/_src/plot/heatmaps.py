"""2-D landscapes as images, their minimum marked, and outer-training paths over them.

No JAX compute here: every function takes xarray/NumPy data.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.colors import ListedColormap, LogNorm, Normalize, SymLogNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from metaloss._src.errors import InputError
from metaloss._src.plot.deep import CANDIDATES, Offset, cell_text, even, offset_param
from metaloss._src.plot.paths import PATH_COLORS, crop, faded_path, outline, stride, thin
from metaloss._src.plot.style import (
    DIVERGED_COLOR,
    NONFINITE_COLOR,
    describe,
    finite_masked,
    new_figure,
)
from metaloss._src.space import Linear, Param


def drawn_param(da: xr.DataArray, dim: str, params: Mapping[str, Param] | None) -> Param:
    """The parametrization an axis is drawn in: the one ``params`` gives if the grid is
    evenly spaced in it, else the first of linear, log10, log10(1 - v) in which it is.

    An image needs evenly spaced cells, and a grid says how it was made: a ``lin``
    axis for b1 is drawn in b1's own values even where the default space would use
    log10(1 - b1).
    """
    values = np.asarray(da[dim], float)
    given = (params or {}).get(dim)
    for p in ((given,) if given is not None else ()) + CANDIDATES:
        try:
            u = np.asarray(p.inverse(values), float)
        except InputError:
            continue
        if even(u):
            return p
    return given if given is not None else Linear()


def to_axis(values, given: Param | None, drawn: Param) -> np.ndarray:
    """Outer coordinates of ``given`` -> coordinates of the drawn axis."""
    values = np.asarray(values, float)
    if given is None or given == drawn:
        return values
    hp = np.asarray(given.forward(values), float)
    try:
        return np.asarray(drawn.inverse(hp), float)
    except InputError:  # a path left the drawn axis' domain: leave those points out
        flat = [_inverse_or_nan(drawn, v) for v in hp.ravel()]
        return np.asarray(flat, float).reshape(hp.shape)


def _inverse_or_nan(p: Param, v: float) -> float:
    try:
        return float(p.inverse(np.asarray(v)))
    except InputError:
        return float("nan")


def _extent(x, y):
    def edges(v):
        if len(v) == 1:
            return v[0] - 0.5, v[0] + 0.5
        step0, step1 = v[1] - v[0], v[-1] - v[-2]
        return v[0] - step0 / 2, v[-1] + step1 / 2

    return (*edges(x), *edges(y))


def colour_scale(variable: str | None, finite: np.ndarray, vmax: float | None):
    """``(colour map, norm, ceiling or None)`` for a measure's values.

    Lyapunov exponents get a diverging map centred at 0 (red: chaotic, blue:
    contracting), symmetric about 0 and clipped at ``vmax`` in absolute value;
    gradient norms a logarithmic scale over their positive values; trainability
    scores (negative where training converged, the rest drawn as not converged) a
    symmetric-log scale, since faster convergence is larger in magnitude by decades;
    anything else (the outer loss) viridis from the lowest value up to ``vmax``.
    """
    vmin = float(finite.min()) if finite.size else 0.0
    if variable == "lyapunov":
        reach = float(np.abs(finite).max()) if finite.size else 1.0
        top = vmax if vmax is not None and 0 < vmax < reach else None
        lim = top if top is not None else (reach or 1.0)
        return matplotlib.colormaps["RdBu_r"], Normalize(-lim, lim), top
    top = vmax if vmax is not None and vmax > vmin else None
    if variable == "trainability":
        high = min(top if top is not None else np.inf, float(finite.max()) if finite.size
                   else 0.0)
        return matplotlib.colormaps["cividis"], SymLogNorm(1.0, vmin=min(vmin, high - 1),
                                                           vmax=high), top
    if variable == "gradnorm":
        positive = finite[finite > 0]
        low = float(positive.min()) if positive.size else 1.0
        high = top if top is not None and top > low else (
            float(positive.max()) if positive.size and positive.max() > low else low * 10)
        return matplotlib.colormaps["magma"], LogNorm(low, high), top
    return matplotlib.colormaps["viridis"], Normalize(vmin, top), top


def _places(da: xr.DataArray, params):
    """``(drawn params, (x, y))``: each axis's parametrization and its cells' places,
    as :func:`~metaloss._src.plot.deep.offset_param` offsets where the cells are too
    close for float64 coordinates."""
    drawn, places = {}, []
    for d in da.dims:
        drawn[d] = drawn_param(da, d, params)
        found = offset_param(da, d, (params or {}).get(d), drawn[d])
        if found is None:
            places.append(np.asarray(drawn[d].inverse(np.asarray(da[d], float)), float))
        else:
            drawn[d], u = found
            places.append(u)
    return drawn, places


def _cell(da: xr.DataArray, dim: str, i: int, drawn: Param) -> str:
    if isinstance(drawn, Offset):
        return f"{dim} {cell_text(da, dim, i)}"
    return f"{dim} {float(np.asarray(da[dim])[i]):.3g}"


def draw_landscape(ax, da: xr.DataArray, params=None, vmax: float | None = 10.0, *,
                   mark_min: bool = True):
    """Draws ``da`` into ``ax``; returns ``(image, legend handles, drawn params, ceiling)``."""
    if da.ndim != 2:
        raise InputError(f"heatmap needs a 2-D landscape, got dims {da.dims}")
    xdim, ydim = da.dims
    drawn, (x, y) = _places(da, params)
    z = finite_masked(da.transpose(ydim, xdim).values)
    xo, yo = np.argsort(x), np.argsort(y)
    x, y, z = x[xo], y[yo], z[yo][:, xo]
    div = (np.asarray(da["diverged"].transpose(ydim, xdim))[yo][:, xo]
           if "diverged" in da.coords else np.zeros(z.shape, bool))
    ext = _extent(x, y)
    cmap, norm, top = colour_scale(da.name, z.compressed(), vmax)
    im = ax.imshow(z, origin="lower", extent=ext, aspect="auto", interpolation="nearest",
                   cmap=cmap.with_extremes(bad=NONFINITE_COLOR), norm=norm)
    handles = []
    if mark_min:
        ok = np.where(div | np.ma.getmaskarray(z), np.inf, z.filled(np.inf))
        if np.isfinite(ok).any():
            i, j = np.unravel_index(np.argmin(ok), ok.shape)
            at = [_cell(da, d, int(order[k]), drawn[d]) for d, order, k
                  in ((xdim, xo, j), (ydim, yo, i))]
            sep = "\n" if any(isinstance(drawn[d], Offset) for d in (xdim, ydim)) else " "
            handles += ax.plot([x[j]], [y[i]], "X", color="w", mec="k", mew=1.2, ms=11,
                               zorder=6, ls="none",
                               label=f"minimum {ok[i, j]:.3g} at{sep}{at[0]},{sep}{at[1]}")
    if div.any():
        ax.imshow(np.ma.masked_where(~div, np.ones_like(div, float)), origin="lower",
                  extent=ext, aspect="auto", interpolation="nearest",
                  cmap=ListedColormap([DIVERGED_COLOR]))
        what = "not converged" if da.name == "trainability" else "diverged"
        handles.append(Patch(color=DIVERGED_COLOR, label=f"{what} ({int(div.sum())} cells)"))
    if np.ma.count_masked(z):
        handles.append(Patch(color=NONFINITE_COLOR,
                             label=f"non-finite ({int(np.ma.count_masked(z))} cells)"))
    ax.set_xlabel(drawn[xdim].axis_label(xdim))
    ax.set_ylabel(drawn[ydim].axis_label(ydim))
    return im, handles, drawn, top


def colorbar_label(top: float | None, vmax_label: str | None = None,
                   what: str = "outer loss") -> str:
    """``what`` (``outer loss``), with the ceiling stated when values above it are clipped."""
    if top is None:
        return what
    return f"{what} (clipped at {vmax_label or format(top, '.3g')})"


def heatmap(
    da: xr.DataArray,
    *,
    params: Mapping[str, Param] | None = None,
    vmax: float | None = 10.0,
    vmax_label: str | None = None,
    mark_min: bool | None = None,
    ax=None,
    title: str | None = None,
):
    """A 2-D landscape as an image over outer coordinates, its lowest cell marked.

    Other measures than the outer loss (``da.name``, see :func:`colour_scale`) get
    their own colour scale, and their description (``da.attrs``) labels the colour bar.

    Args:
      da: 2-D landscape; its first dim is drawn along x.
      params: name -> parametrization used to place each axis (e.g. ``Log10`` for a
        log10 axis), used when the grid is evenly spaced in it (see :func:`drawn_param`).
      vmax: colour-scale ceiling; larger values are clipped to it, as the study does
        (for Lyapunov exponents: larger absolute values).
      vmax_label: how the colour bar names the ceiling (e.g. ``"ln 10 = 2.30, chance"``).
      mark_min: mark the lowest finite, not diverged cell (a white cross; its value and
        place in the legend); ``None``: for all but Lyapunov exponents, gradient norms
        and trainability scores, whose lowest value is no optimum.
      ax: draw into an existing axes.

    Non-finite cells are grey; diverged cells (the ``diverged`` coordinate) are red.
    """
    if ax is None:
        fig, ax = new_figure(7, 6)
    else:
        fig = ax.figure
    what = describe(da)
    if mark_min is None:
        mark_min = da.name not in ("lyapunov", "gradnorm", "trainability")
    im, handles, _, top = draw_landscape(ax, da, params, vmax, mark_min=mark_min)
    fig.colorbar(im, ax=ax, label=colorbar_label(top, vmax_label, what))
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize=8)
    ax.set_title(title or ("Outer-loss landscape" if what == "outer loss"
                           else f"{what[0].upper()}{what[1:]}"))
    return fig


def trajectories(
    da: xr.DataArray,
    runs: Mapping[str, Mapping[str, np.ndarray]],
    *,
    params: Mapping[str, Param] | None = None,
    vmax: float | None = 10.0,
    most: int = 120,
    crop_view: bool = True,
    title: str = "Outer training on the landscape",
):
    """Outer-training paths over a 2-D landscape, start (circle) and end (star) marked.

    Each run has its own colour (:data:`~metaloss._src.plot.paths.PATH_COLORS`), is thinned
    to ``most`` points and fades from faint (first step) to opaque (last step), outlined
    in black. With ``crop_view`` the view is cropped to the region the paths and the
    landscape's minimum use, plus a margin.

    ``runs``: label -> {dim: (steps + 1,) outer coordinates} with the landscape's dims;
    a leading seeds axis draws every seed thinly.
    """
    fig, ax = new_figure(7.5, 7)
    im, handles, drawn, top = draw_landscape(ax, da, params, vmax)
    fig.colorbar(im, ax=ax, label=colorbar_label(top))
    xdim, ydim = da.dims
    given = params or {}
    box = ax.get_xlim(), ax.get_ylim()
    all_x, all_y = [], []
    for i, (label, run) in enumerate(runs.items()):
        color = PATH_COLORS[i % len(PATH_COLORS)]
        xs = to_axis(np.atleast_2d(run[xdim]), given.get(xdim), drawn[xdim])
        ys = to_axis(np.atleast_2d(run[ydim]), given.get(ydim), drawn[ydim])
        several = xs.shape[0] > 1
        for j in range(xs.shape[0]):
            faded_path(ax, thin(xs[j], most), thin(ys[j], most), color,
                       lw=0.8 if several else 1.8, alpha=(0.15, 0.7) if several else (0.3, 1.0))
        steps = xs.shape[-1] - 1
        every = stride(steps, most)
        shown = f", 1 in {every} shown" if every > 1 else ""
        handles.append(Line2D([], [], color=color, lw=2, path_effects=outline(3.6),
                              label=f"{label} ({steps} steps{shown})"))
        ax.plot(xs[:, 0], ys[:, 0], "o", color=color, mec="k", ms=7, zorder=7, ls="none")
        ax.plot(xs[:, -1], ys[:, -1], "*", color=color, mec="k", ms=13, zorder=7, ls="none")
        all_x.append(xs)
        all_y.append(ys)
    ax.set_xlim(box[0])
    ax.set_ylim(box[1])
    if crop_view and all_x:
        marks = [h for h in handles if isinstance(h, Line2D) and len(h.get_xdata())]
        crop(ax, all_x + [np.asarray(h.get_xdata(), float) for h in marks],
             all_y + [np.asarray(h.get_ydata(), float) for h in marks])
    lg = fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8,
                    title="circle: start, star: end; paths fade in with time")
    lg.get_title().set_fontsize(8)
    ax.set_title(title)
    return fig
