"""Figures of a deep zoom: the boundary dimension against depth, and the animation.

No JAX here: the functions take arrays and image files.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metaloss._src.grid.io import check_parent
from metaloss._src.plot.style import new_figure


def dimension_depth(depth: Sequence[float], dimension: Sequence[float], low: Sequence[float],
                    high: Sequence[float], *, title: str = "Boundary dimension against zoom depth",
                    reference: tuple[float, float, str] | None = None):
    """The boundary dimension of each level with its interval, against log10 of the
    level's magnification; levels without a boundary (NaN) are marked on the axis.

    Args:
      depth: ``(levels,)`` log10 magnification (0 for the starting view).
      dimension: ``(levels,)`` estimate (NaN: no boundary).
      low: ``(levels,)`` lower end of its interval.
      high: ``(levels,)`` upper end of its interval.
      reference: ``(low, high, label)``, a published range drawn as a band.
    """
    d, dim = np.asarray(depth, float), np.asarray(dimension, float)
    lo, hi = np.asarray(low, float), np.asarray(high, float)
    fig, ax = new_figure(6, 4)
    ok = np.isfinite(dim)
    ax.errorbar(d[ok], dim[ok], yerr=[dim[ok] - lo[ok], hi[ok] - dim[ok]], fmt="o-", capsize=4,
                label="box-counting dimension (95% interval)")
    if (~ok).any():
        ax.plot(d[~ok], np.zeros((~ok).sum()), "x", color="k", ms=9, ls="none",
                label="no boundary at this level")
    ax.axhline(1.0, color="0.6", lw=0.8, ls="--", label="smooth curve (1)")
    if reference is not None:
        ax.axhspan(reference[0], reference[1], color="tab:green", alpha=0.15,
                   label=reference[2])
    ax.set_xlabel("zoom depth: log10 magnification")
    ax.set_ylabel("dimension of the divergence boundary")
    ax.set_ylim(-0.05, 2.05)
    ax.legend(fontsize=8)
    ax.set_title(title)
    return fig


def animate(frames: Sequence[str | os.PathLike], path: str | os.PathLike, *,
            seconds_per_frame: float = 1.0) -> Path:
    """An animation of image files (PNG, all the same size) through matplotlib's animation
    module: a GIF with the Pillow writer, or an MP4 with ffmpeg (only when
    ``matplotlib.animation.writers.is_available("ffmpeg")``). Written to a temporary
    name beside ``path`` (with the same suffix, which the writers need), then renamed.
    """
    from matplotlib import animation
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    dest = check_parent(path)
    images = [imread(str(f)) for f in frames]
    h, w = images[0].shape[:2]
    dpi = 100
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    shown = ax.imshow(images[0])

    def update(i):
        shown.set_data(images[i])
        return (shown,)

    anim = animation.FuncAnimation(fig, update, frames=len(images),
                                   interval=1000 * seconds_per_frame, blit=False)
    fps = 1.0 / seconds_per_frame
    writer = (animation.PillowWriter(fps=fps) if dest.suffix.lower() == ".gif"
              else animation.FFMpegWriter(fps=fps))
    tmp = dest.parent / f".{dest.stem}.{uuid.uuid4().hex[:8]}{dest.suffix}"
    try:
        anim.save(str(tmp), writer=writer, dpi=dpi)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def can_write_mp4() -> bool:
    """Whether matplotlib finds ffmpeg for MP4 output."""
    from matplotlib import animation

    return animation.writers.is_available("ffmpeg")
