"""Drawing outer-training paths over a landscape: thinned, faded by time, outlined.

A path of thousands of noisy outer steps drawn at full resolution is a scribble that
hides both the landscape and the other paths. Here a path is thinned to a few hundred
points (ends kept), drawn as segments whose opacity grows with time (early steps
faint, the last ones opaque, so the direction of travel reads at a glance) and
outlined in black so that it stays visible on any colour of the map.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba

PATH_COLORS = ("#ffffff", "#ff3b30", "#ff9f0a", "#ff2df0", "#00e5ff", "#b4ff00")
"""Path colours that stand apart from each other and from viridis (white, red, orange,
magenta, cyan, lime): one per run, in order."""


def thin(path: np.ndarray, most: int) -> np.ndarray:
    """At most ``most`` points of a path along its last axis, first and last kept."""
    path = np.asarray(path)
    n = path.shape[-1]
    if n <= most:
        return path
    return path[..., np.unique(np.linspace(0, n - 1, most).round().astype(int))]


def stride(steps: int, most: int) -> int:
    """About how many steps apart :func:`thin` keeps points of a ``steps + 1`` point path."""
    return max(1, round(steps / max(most - 1, 1)))


def outline(width: float, color: str = "k") -> list:
    """Path effects that draw a dark outline ``width`` points wider than the line."""
    return [patheffects.withStroke(linewidth=width, foreground=color), patheffects.Normal()]


def faded_path(ax, x, y, color, *, lw: float = 1.5, alpha: tuple[float, float] = (0.25, 1.0),
               outlined: bool = True, zorder: float = 3.0) -> LineCollection:
    """One path as segments whose opacity rises linearly from ``alpha[0]`` (first step)
    to ``alpha[1]`` (last step); returns the collection."""
    return faded_paths(ax, [x], [y], color, lw=lw, alpha=alpha, outlined=outlined,
                       zorder=zorder)


def faded_paths(ax, xs, ys, color, *, lw: float = 1.5, alpha: tuple[float, float] = (0.25, 1.0),
                outlined: bool = True, zorder: float = 3.0) -> LineCollection:
    """Paths as :func:`faded_path` draws them one by one, in one collection (drawn in
    the same order, so the same pixels, but one artist to lay out, pickle and draw
    instead of one per path). An outline, when asked for, goes under each path, so
    outlined paths keep one collection per path."""
    if outlined and len(xs) > 1:  # each path over its own outline: one pair per path
        return [faded_path(ax, x, y, color, lw=lw, alpha=alpha, zorder=zorder)
                for x, y in zip(xs, ys, strict=True)][-1]
    segs, rgba = [], []
    for x, y in zip(xs, ys, strict=True):
        pts = np.stack([np.asarray(x, float), np.asarray(y, float)], axis=-1)
        seg = np.stack([pts[:-1], pts[1:]], axis=1) if len(pts) > 1 else np.zeros((0, 2, 2))
        col = np.tile(to_rgba(color), (len(seg), 1))
        col[:, 3] = np.linspace(alpha[0], alpha[1], max(len(seg), 1))[: len(seg)]
        segs.append(seg)
        rgba.append(col)
    segs, rgba = np.concatenate(segs), np.concatenate(rgba)
    if outlined:  # an outline that fades with the line, drawn underneath it
        dark = rgba.copy()
        dark[:, :3] = 0.0
        ax.add_collection(LineCollection(segs, colors=dark, linewidths=lw + 1.6,
                                         zorder=zorder - 0.01, capstyle="round"), autolim=False)
    lc = LineCollection(segs, colors=rgba, linewidths=lw, zorder=zorder, capstyle="round")
    ax.add_collection(lc, autolim=False)
    return lc


def crop(ax, xs: Iterable[np.ndarray], ys: Iterable[np.ndarray], *, margin: float = 0.15,
         least: float = 0.3) -> None:
    """Limits the view to the box the paths use, widened by ``margin`` of its span on
    each side (at least ``least`` in data units), never beyond the current limits."""
    xs = np.concatenate([np.ravel(v) for v in xs])
    ys = np.concatenate([np.ravel(v) for v in ys])
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return
    for values, get, set_ in ((xs[ok], ax.get_xlim, ax.set_xlim), (ys[ok], ax.get_ylim,
                                                                   ax.set_ylim)):
        lo, hi = float(values.min()), float(values.max())
        pad = max(margin * (hi - lo), least)
        a, b = get()
        flip = a > b
        a, b = min(a, b), max(a, b)
        new = (max(a, lo - pad), min(b, hi + pad))
        set_(new[::-1] if flip else new)
