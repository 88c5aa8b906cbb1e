"""Figures of ``metaloss atlas``: Liu's counts and sweep beside his published ones.

No JAX here: the functions take the rows the atlas computes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from metaloss._src.plot.style import figure, new_figure


def liu_counts(rows: Sequence[Mapping], *, title: str = "Liu (2024), Fig. 2: label changes "
               "per sub-grid level"):
    """``log2`` of the label changes against the sub-grid level, ours (markers) beside
    Liu's published counts (line), one panel per family (rows of the atlas's Fig. 2)."""
    fig = figure(11, 4.2)
    axes = fig.subplots(1, len(rows))
    for ax, r in zip(np.atleast_1d(axes), rows, strict=True):
        ours = np.asarray(r["counts"], float)
        paper = np.asarray(r["paper_counts"], float)
        with np.errstate(divide="ignore"):
            ax.plot(np.arange(paper.size), np.log2(paper), "-", color="0.4",
                    label="Liu's published counts")
            ax.plot(np.arange(ours.size), np.log2(ours), "o", ms=4, color="C0",
                    label=f"metaloss, crossings {r['crossings']:.3f}")
        ax.set_xlabel("level n (sub-grid of 2^n + 1 learning rates)")
        ax.set_ylabel("log2(label changes)")
        ax.set_title(f"{r['figure']}, {r['family']}: Liu {r['paper']:.3f}, box "
                     f"{r['box']:.3f}", fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(title)
    return fig


def liu_sweep(summary: Sequence[Mapping], cells: Sequence[Mapping], *,
              title: str = "Liu (2024): dimension against roughness"):
    """Mean dimension per roughness ratio (range over the wavelengths as bars) by both
    estimators, and Liu's own sweep cells refitted over the same levels."""
    fig, ax = new_figure(7, 4.2)
    ratio = np.array([s["ratio"] for s in summary], float)
    for key, rng, fmt, label in (("crossings", "crossings_range", "o-",
                                  "crossings (Liu's estimator)"),
                                 ("box", "box_range", "s--", "box counting (metaloss)")):
        mean = np.array([s[key] for s in summary], float)
        lo = np.array([s[rng][0] for s in summary], float)
        hi = np.array([s[rng][1] for s in summary], float)
        ok = np.isfinite(mean)
        ax.errorbar(ratio[ok], mean[ok], yerr=[mean[ok] - lo[ok], hi[ok] - mean[ok]], fmt=fmt,
                    capsize=3, label=label)
    ax.plot([c["ratio"] for c in cells], [c["dimension"] for c in cells], ".", color="0.5",
            label="Liu's sweep cells (gpuexp-4-2)")
    ax.axvline(1.0, color="0.4", ls=":", label="convexity threshold 1/(2 pi^2)")
    ax.set_xscale("log")
    ax.set_xlabel("roughness / threshold")
    ax.set_ylabel("dimension of the learning-rate boundary")
    ax.set_ylim(-0.05, 1.25)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title)
    return fig


def sd_frames(frames: Mapping[str, Sequence[np.ndarray]], rows: Sequence[Mapping], *,
              title: str = "Sohl-Dickstein (2024): first and last frame of each zoom"):
    """Each configuration's first and last frame (the sign of the convergence score:
    blue converged, red diverged), titled with its dimension beside the paper's."""
    from matplotlib.colors import ListedColormap

    from metaloss._src.plot.style import DIVERGED_COLOR

    fig = figure(3.2 * max(len(rows), 1), 6.4)
    axes = np.asarray(fig.subplots(2, max(len(rows), 1), squeeze=False))
    cmap = ListedColormap(["#3b6ea8", "#f0f0f0", DIVERGED_COLOR])
    for j, r in enumerate(rows):
        imgs = frames.get(r["config"], [])
        for i, img in enumerate(imgs[:1] + imgs[-1:] if imgs else []):
            ax = axes[i, j]
            ax.imshow(np.sign(np.nan_to_num(np.asarray(img), nan=1.0)), origin="lower",
                      cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"{r['title']}\nours {r['dimension']:.2f}, paper "
                             f"{r['paper_value']}", fontsize=8)
            else:
                ax.set_xlabel(f"frame {len(imgs) - 1}", fontsize=8)
    fig.suptitle(title)
    return fig
