"""Sohl-Dickstein (2024), Table 1: the boundary dimension of all six configurations.

J. Sohl-Dickstein, "The boundary of neural network trainability is fractal" (2024,
arXiv:2402.06184). For each configuration (:data:`~metaloss._src.study.sohl_train.CONFIGS`)
we compute a zoom sequence of signed convergence-score images
(:func:`~metaloss._src.study.sohl_train.image`, the notebook's training verbatim) and
estimate the dimension as the paper's notebook does (``estimate_fractal_dimension``):
the edges are the 2x2 neighbourhoods where the score changes sign, each image's edges
are box-counted as ``porespy.metrics.boxcount`` counts them, and the estimate is the
median of all local slopes over the images of the sequence.

The zoom sequence. The notebook's sequences were zoomed by hand into the boundary and
then re-rendered as concentric frames, each half the previous width
(``zoom_out_sequence``). Ours are chosen by a rule: frame 0 is the notebook's starting
view, ``[-3, 6] x [-3, 6]`` in log10; frame ``k + 1`` is ``factor`` times narrower on
both axes and centred on the edge cell of frame ``k`` nearest to frame ``k``'s centre
(in cells; the first such cell in row-major order on ties). The sequence stops early
at a frame without edges, or when a cell would be narrower than ``1e-12`` of the
centre's magnitude (float64 cannot place the grid points any finer).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np

from metaloss._src.errors import InputError
from metaloss._src.study.findings import Finding
from metaloss._src.study.sohl_train import BY_NAME, CONFIGS, NOTEBOOK, SohlConfig, Variant, image

PAPER = "Sohl-Dickstein 2024"

PAPER_TABLE1 = {
    "tanh_single_datapoint": 1.41,
    "tanh_paraminit_vs_lr": 1.20,
    "identity": 1.17,
    "relu": 1.55,
    "tanh": 1.66,
    "tanh_minibatch": 1.98,
}
"""The paper's Table 1 dimensions, second-hand. The six values (1.17, 1.20, 1.41, 1.55,
1.66, 1.98) and the range 1.17-1.98 over the six conditions are as the project's issue 23
and third-party summaries of arXiv:2402.06184 give them; the paper's own text could not
be read from here, so the assignment of each value to its configuration (other than
1.66 for tanh full batch, which the issue states) is unverified."""

START = (-3.0, 6.0, -3.0, 6.0)
"""The notebook's starting view ``(mn1, mx1, mn2, mx2)`` in log10 (``mnmx``)."""


@dataclasses.dataclass(frozen=True)
class SohlSettings:
    """Sizes of the six zoom sequences. The defaults (width 8 and 100 steps, the
    notebook's own defaults; 96^2 x 6 frames zoomed x4 each) ran all six in 4 min 20 s
    wall, 2 min 42 s user, nice'd on the shared 2-core machine (``table1()``, measured
    2026-12-07 with ``time nice python`` on a script calling it).

    Attributes:
      width: the network's width (the paper: 16; the notebook's default: 8).
      steps: training steps (the paper: 500 or 1000; the notebook's default: 100).
      resolution: points per image axis (the paper: 4096).
      frames: images per zoom sequence, frame 0 included.
      factor: each frame is this many times narrower than the one before (notebook: 2).
      start: frame 0's bounds ``(mn1, mx1, mn2, mx2)``, log10.
      chunk: grid points trained at once.
      variant: the readings of text vs notebook (default: the notebook's).
      configs: which configurations, by name (default all six).
    """

    width: int = 8
    steps: int = 100
    resolution: int = 96
    frames: int = 6
    factor: float = 4.0
    start: tuple[float, float, float, float] = START
    chunk: int = 4096
    variant: Variant = NOTEBOOK
    configs: tuple[str, ...] = tuple(c.name for c in CONFIGS)

    def __post_init__(self):
        if self.width < 1 or self.steps < 1 or self.frames < 1 or self.chunk < 1:
            raise InputError("width, steps, frames and chunk must be >= 1")
        if self.resolution < 16:
            raise InputError(f"resolution must be >= 16, got {self.resolution}")
        if not self.factor > 1:
            raise InputError(f"the zoom factor must be > 1, got {self.factor}")
        unknown = [n for n in self.configs if n not in BY_NAME]
        if unknown:
            raise InputError(f"unknown configuration(s) {', '.join(unknown)}; choose from "
                             f"{', '.join(BY_NAME)}")

    def describe(self) -> str:
        """The settings, short, for a findings row."""
        v = self.variant
        text = (f"width {self.width}, {self.steps} steps, {self.resolution}^2 x {self.frames} "
                f"frames, zoom x{self.factor:g}/frame, float64")
        if v != NOTEBOOK:
            text += (f", variant offset={v.offset} minibatch_loss={v.minibatch_loss} "
                     f"score={v.score} points={v.points}")
        return text


QUICK = SohlSettings(width=4, steps=20, resolution=32, frames=2, factor=4.0)
"""A few seconds for all six: what the tests and ``metaloss atlas --quick`` run."""

PAPER_SCALE = SohlSettings(width=16, steps=1000, resolution=4096, frames=34, factor=2.0,
                           chunk=1 << 16)
"""The paper's scale, for a GPU: width 16, 1000 steps, 4096^2 frames halving in width,
34 frames (from 9 decades wide to ~1e-9 of that, the paper's "more than ten decades")."""


def edges(img: np.ndarray) -> np.ndarray:
    """The notebook's ``extract_edges``: 2x2 neighbourhoods whose largest and smallest
    scores have opposite signs (a NaN anywhere in a neighbourhood makes it no edge)."""
    q = np.stack([img[1:, 1:], img[:-1, 1:], img[1:, :-1], img[:-1, :-1]], axis=-1)
    with np.errstate(invalid="ignore"):
        return np.sign(q.max(axis=-1) * q.min(axis=-1)) < 0


def next_bounds(img: np.ndarray, bounds, factor: float):
    """The next frame's bounds by the module's rule, or ``None`` when ``img`` has no
    edge or the frame would be finer than float64 resolves."""
    e = edges(img)
    if not e.any():
        return None
    idx = np.argwhere(e)
    mid = (np.asarray(e.shape) - 1) / 2
    i, j = idx[np.argmin(((idx - mid) ** 2).sum(axis=1))]
    mn1, mx1, mn2, mx2 = bounds
    n = img.shape[0] - 1
    c1 = mn1 + (i + 0.5) * (mx1 - mn1) / n
    c2 = mn2 + (j + 0.5) * (mx2 - mn2) / n
    h1, h2 = (mx1 - mn1) / factor / 2, (mx2 - mn2) / factor / 2
    if min(h1, h2) * 2 / n < 1e-12 * max(1.0, abs(c1), abs(c2)):
        return None
    return (c1 - h1, c1 + h1, c2 - h2, c2 + h2)


def zoom_sequence(cfg: SohlConfig | str, settings: SohlSettings = SohlSettings(), *,
                  on_frame: Callable | None = None) -> list[tuple[tuple, np.ndarray]]:
    """``[(bounds, scores), ...]``: ``cfg``'s zoom sequence by the module's rule."""
    cfg = BY_NAME[cfg] if isinstance(cfg, str) else cfg
    bounds, out = tuple(settings.start), []
    for k in range(settings.frames):
        img = image(cfg, bounds, settings.resolution, width=settings.width,
                    steps=settings.steps, variant=settings.variant, chunk=settings.chunk)
        out.append((bounds, img))
        if on_frame is not None:
            on_frame(cfg, k, bounds, img)
        if k + 1 < settings.frames:
            bounds = next_bounds(img, bounds, settings.factor)
            if bounds is None:
                break
    return out


def sd_dimension(images: Sequence[np.ndarray]):
    """The Sohl-Dickstein estimate of one zoom sequence's images (signed scores):
    :func:`metaloss._src.analysis.fractal.boundary_dimension` with
    ``method="sohl-dickstein"``."""
    from metaloss._src.analysis.fractal import boundary_dimension

    return boundary_dimension(list(images), method="sohl-dickstein")


def table1(settings: SohlSettings = SohlSettings(), *, on_frame: Callable | None = None,
           ) -> list[dict]:
    """One row per configuration: the paper's Table 1 value beside ours.

    Each row: ``config``, ``title``, ``paper_value``, ``dimension`` (the median of the
    pooled local slopes), ``iqr`` (their inter-quartile range: the interval we judge
    agreement by), ``ci`` (the estimator's bootstrap interval of the median),
    ``slopes`` (the pooled local slopes), ``frames`` (images used), ``edge_cells``
    (edges per frame), ``widths`` (each frame's width in decades), ``seconds``,
    ``settings`` (:meth:`SohlSettings.describe`) and ``finding`` (a :class:`Finding`).
    """
    rows = []
    for name in settings.configs:
        cfg = BY_NAME[name]
        t0 = time.perf_counter()
        seq = zoom_sequence(cfg, settings, on_frame=on_frame)
        seconds = time.perf_counter() - t0
        imgs = [img for _, img in seq]
        counts = [int(edges(img).sum()) for img in imgs]
        used = [img for img, c in zip(imgs, counts, strict=True) if c > 0]
        row = {"config": name, "title": cfg.title, "paper_value": PAPER_TABLE1[name],
               "frames": len(used), "edge_cells": counts, "seconds": seconds,
               "widths": [b[1] - b[0] for b, _ in seq], "settings": settings.describe(),
               "dimension": float("nan"), "iqr": None, "ci": None, "slopes": []}
        if used:
            est = sd_dimension(used)
            slopes = np.asarray(est.slopes, float)
            slopes = slopes[np.isfinite(slopes)]
            q1, q3 = np.percentile(slopes, [25, 75]) if slopes.size else (np.nan, np.nan)
            row.update(dimension=float(est.dimension), iqr=(float(q1), float(q3)),
                       ci=tuple(float(c) for c in est.ci), slopes=slopes.tolist())
        row["finding"] = _finding(row)
        rows.append(row)
    return rows


METHOD = ("sohl-dickstein: porespy box counts of the 2x2 sign-change edges, median of the "
          "local slopes over the zoom sequence; interval: inter-quartile range of those slopes")


def _finding(row: dict) -> Finding:
    from metaloss._src.study.findings import within

    value, iqr, paper = row["dimension"], row["iqr"], row["paper_value"]
    if iqr is None:
        return Finding(PAPER, f"Table 1: {row['title']}", paper, value, None, METHOD,
                       row["settings"], False, "no frame of the zoom sequence has an edge")
    agrees = within(paper, value, iqr)
    widths = row["widths"]
    note = (f"{row['frames']} frame(s) from {widths[0]:.3g} to {widths[-1]:.3g} decades wide, "
            f"edge cells per frame {row['edge_cells']}, bootstrap interval of the median "
            f"[{row['ci'][0]:.3f}, {row['ci'][1]:.3f}]; the paper's value is assigned to "
            "this configuration second-hand (see PAPER_TABLE1)")
    return Finding(PAPER, f"Table 1: {row['title']}", paper, value, iqr, METHOD,
                   row["settings"], agrees, note)


def findings(rows: Sequence[dict]) -> list[Finding]:
    """The rows' :class:`Finding` objects, in order."""
    return [r["finding"] for r in rows]
