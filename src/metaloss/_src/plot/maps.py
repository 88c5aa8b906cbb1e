"""Figures of estimator maps (:func:`metaloss._src.analysis.estimator_maps`): one quantity,
one panel per estimator, over the outer coordinates. No JAX compute here."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.colors import LogNorm, Normalize, TwoSlopeNorm

from metaloss._src.errors import InputError
from metaloss._src.plot.heatmaps import _extent
from metaloss._src.plot.style import NONFINITE_COLOR, figure
from metaloss._src.space import Linear, Param

QUANTITIES = {
    "bias": "norm of (mean estimate - truth)",
    "variance": "variance of one estimate (trace)",
    "cosine": "mean cosine of one estimate with the truth",
    "dominance": "log10(squared bias / variance): > 0 bias dominates",
}
"""The quantities :func:`estimator_map` draws, with their colour-bar labels."""

DOMINANCE_RANGE = 6.0
"""Dominance is drawn within +-this many decades."""


def quantity(ds: xr.Dataset, name: str) -> xr.DataArray:
    """One of :data:`QUANTITIES` from a maps dataset (``dominance`` is derived)."""
    if name not in QUANTITIES:
        raise InputError(f"unknown map quantity {name!r}; choose one of {', '.join(QUANTITIES)}")
    if name != "dominance":
        return ds[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        # no bias (or no variance) at all lands on the end of the scale; 0 / 0 stays NaN
        return np.log10(ds["squared_bias"] / ds["variance"]).clip(-DOMINANCE_RANGE,
                                                                  DOMINANCE_RANGE)


def _axis(ds: xr.Dataset, dim: str, params: Mapping[str, Param] | None):
    """An axis in outer coordinates, and its label."""
    p = (params or {}).get(dim, Linear())
    return np.asarray(p.inverse(np.asarray(ds[dim], float)), float), p.axis_label(dim)


def _norm(name: str, values: np.ndarray):
    finite = values[np.isfinite(values)]
    if name == "cosine":
        return Normalize(-1.0, 1.0), "RdBu"
    if name == "dominance":
        top = float(max(np.abs(finite).max(), 1.0)) if finite.size else 1.0
        return TwoSlopeNorm(0.0, -top, top), "PuOr_r"
    positive = finite[finite > 0]
    if positive.size and positive.max() > positive.min():
        return LogNorm(positive.min(), positive.max()), "viridis"
    return Normalize(), "viridis"


def estimator_map(ds: xr.Dataset, name: str, *, params: Mapping[str, Param] | None = None,
                  ncols: int = 3):
    """One quantity of a 2-D maps dataset, a panel per estimator, one shared colour scale.

    Args:
      ds: :func:`metaloss._src.analysis.estimator_maps`'s dataset over two axes.
      name: one of :data:`QUANTITIES`.
      params: name -> parametrization placing each axis in outer coordinates.

    Non-finite cells (and zeros on a log scale) are grey.
    """
    da = quantity(ds, name)
    dims = [d for d in da.dims if d != "estimator"]
    if len(dims) != 2:
        raise InputError(f"map figures need two axes, got {len(dims)}")
    xdim, ydim = dims
    n = ds.sizes["estimator"]
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    fig = figure(4.4 * cols, 3.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    values = np.asarray(da.values, float)
    norm, cmap_name = _norm(name, values)
    cmap = matplotlib.colormaps[cmap_name].with_extremes(bad=NONFINITE_COLOR)
    x, xlabel = _axis(ds, xdim, params)
    y, ylabel = _axis(ds, ydim, params)
    xo, yo = np.argsort(x), np.argsort(y)
    im = None
    for ax, i in zip(axes.ravel(), range(n), strict=False):
        z = np.ma.masked_invalid(da.isel(estimator=i).transpose(ydim, xdim).values)
        if isinstance(norm, LogNorm):
            z = np.ma.masked_less_equal(z, 0.0)
        im = ax.imshow(z[yo][:, xo], origin="lower", extent=_extent(x[xo], y[yo]),
                       aspect="auto", interpolation="nearest", cmap=cmap, norm=norm)
        target = str(ds["target"].values[i]) if "target" in ds.coords else ""
        ax.set_title(f"{ds['estimator'].values[i]}\nvs {target}", fontsize=8)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), label=QUANTITIES[name], shrink=0.8)
    fig.suptitle(f"Estimator maps: {name} ({int(ds.attrs.get('samples', 0))} estimates "
                 "per pixel)")
    return fig
