"""Figures of ``metaloss atlas``: Liu's onset of fractality against roughness.

No JAX here: the functions take arrays and the rows the atlas computes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr
from matplotlib.colors import ListedColormap

from metaloss._src.plot.style import DIVERGED_COLOR, new_figure


def roughness_dimension(rows: Sequence[Mapping], critical: float, *,
                        title: str = "Onset of a fractal learning-rate boundary"):
    """The boundary dimension of each roughness ``delta / lam^2`` with its 95% interval
    (rows of :func:`metaloss._src.study.atlas.liu_onset`), and Liu's critical roughness."""
    theta = np.array([r["roughness"] for r in rows], float)
    dim = np.array([r["dimension"] for r in rows], float)
    lo = np.array([r["ci_low"] for r in rows], float)
    hi = np.array([r["ci_high"] for r in rows], float)
    fig, ax = new_figure(6.5, 4)
    ok = np.isfinite(dim)
    ax.errorbar(theta[ok], dim[ok], yerr=[dim[ok] - lo[ok], hi[ok] - dim[ok]], fmt="o-",
                capsize=3, label="box-counting dimension (95% interval)")
    if (~ok).any():
        ax.plot(theta[~ok], np.zeros((~ok).sum()), "x", color="k", ls="none",
                label="no boundary in the range")
    ax.axvline(critical, color="0.4", ls="--",
               label=f"1/(2$\\pi^2$) = {critical:.4f}: non-convex beyond (Liu 2024)")
    ax.set_xscale("log")
    ax.set_xlabel(r"roughness $\delta / \lambda^2$")
    ax.set_ylabel("dimension of the learning-rate boundary")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title)
    return fig


def roughness_barcode(da: xr.DataArray, roughness: Sequence[float], *,
                      title: str = "Which learning rates train, per roughness"):
    """One row per roughness: the learning rates whose runs stay bounded (light) and
    those that diverge (red), from the atlas's (lr, delta) landscape."""
    diverged = np.asarray(da["diverged"], bool).T  # (roughness, lr)
    lr = np.asarray(da["lr"], float)
    fig, ax = new_figure(7, 0.35 * len(roughness) + 1.4)
    cmap = ListedColormap(["#f0f0f0", DIVERGED_COLOR])
    ax.imshow(diverged, aspect="auto", interpolation="nearest", cmap=cmap, vmin=0, vmax=1,
              extent=(lr[0], lr[-1], len(roughness) - 0.5, -0.5))
    ax.set_yticks(range(len(roughness)))
    ax.set_yticklabels([f"{t:g}" for t in roughness])
    ax.set_xlabel("learning rate")
    ax.set_ylabel(r"roughness $\delta / \lambda^2$")
    ax.set_title(title + " (red: diverged)")
    return fig
