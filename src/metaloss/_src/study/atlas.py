"""The chaos atlas: two published fractal-boundary findings, recomputed at 2-core sizes.

1. Liu, "Complex fractal trainability boundary can arise from trivial non-convexity"
   (2024, arXiv:2406.13971): gradient descent on ``x^2 + delta cos(2 pi x / lam)``.
   The boundary between learning rates whose runs stay bounded and those that
   diverge is a point while the roughness ``delta / lam^2`` is below
   ``1 / (2 pi^2)`` (where the function is convex) and fractal above it. We
   compute one landscape over (learning rate, ``delta``) -- ``delta`` is a problem
   hyperparameter, so every roughness is a row of the same grid -- and the
   box-counting dimension of each row's boundary.
2. Sohl-Dickstein, "The boundary of neural network trainability is fractal" (2024,
   arXiv:2402.06184): a one-hidden-layer mean-field tanh network trained full-batch
   with one learning rate per layer. We zoom into the (``lr/layer0``,
   ``lr/layer1``) plane with the paper's convergence criterion
   (:class:`~metaloss._src.measures.Trainability`) and measure the boundary's dimension
   at each level; the paper reports dimensions between 1.17 and 1.98 over its six
   configurations.

Everything runs in float64, as both papers do.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import numpy as np

from metaloss._src.analysis.fractal import boundary_cells, boundary_dimension
from metaloss._src.grid.compute import landscape
from metaloss._src.grid.zoom import parse_view_axis
from metaloss._src.measures import Trainability
from metaloss._src.meta import MetaLoss
from metaloss._src.problems import CRITICAL_ROUGHNESS, CosineQuadratic, MeanFieldMLP
from metaloss._src.unroll import Divergence
from metaloss._src.workflows.zoom import zoom

PAPER_SD_RANGE = (1.17, 1.98)
"""Box-counting dimensions Sohl-Dickstein (2024) reports over its six configurations."""


@dataclasses.dataclass(frozen=True)
class AtlasSettings:
    """Sizes of the atlas. The defaults fit a 2-core CPU in about a minute; the papers
    used more steps, wider networks and far finer grids (see :data:`PAPER`)."""

    roughness: tuple[float, ...] = (0.02, 0.03, 0.04, 0.045, 0.05, 0.0525, 0.055, 0.0575,
                                    0.06, 0.07, 0.08, 0.1, 0.15, 0.2, 0.3)
    lam: float = 1.0
    x0: float = 10.0
    lr_range: tuple[float, float] = (0.98, 1.06)
    """Every edge we found from x0 = 10 lies in [1, 1.04] (2^15 rates over [0.9, 2])."""
    lrs: int = 1 << 15
    liu_steps: int = 1000
    liu_divergence: float = 1e6
    width: int = 8
    nonlinearity: str = "tanh"
    view: tuple[str, str] = ("lr/layer0=log:1e-3:1e6", "lr/layer1=log:1e-3:1e6")
    size: int = 96
    sd_steps: int = 200
    levels: int = 3
    factor: float = 8.0


QUICK = AtlasSettings(roughness=(0.03, 0.2), lrs=1 << 10, liu_steps=300, width=4, size=24,
                      sd_steps=40, levels=2, factor=4.0)
"""A few seconds: what the tests run."""

PAPER = {
    "liu": "critical roughness 1/(2 pi^2) = 0.0507: dimension 0 below, > 0 above",
    "sohl_dickstein": "width 16, 500-1000 steps, grids up to 4096^2, dimensions 1.17-1.98",
}


def liu_onset(cfg: AtlasSettings, key: jax.Array) -> tuple[Any, list[dict]]:
    """The (learning rate, roughness) landscape and a row per roughness: the boundary's
    dimension with its 95% interval, or a note where the row has a single edge or none
    (a point has dimension 0 and is reported as such)."""
    problem = CosineQuadratic(lam=cfg.lam, x0=cfg.x0)
    meta = MetaLoss(problem, "sgd", steps=cfg.liu_steps,
                    divergence=Divergence(cfg.liu_divergence))
    deltas = np.asarray(cfg.roughness, float) * cfg.lam**2
    axes = {"lr": np.linspace(*cfg.lr_range, cfg.lrs), "delta": deltas}
    with jax.enable_x64(True):
        da = landscape(meta, axes, key=key).load()
    rows = []
    for j, theta in enumerate(cfg.roughness):
        trained = ~np.asarray(da["diverged"][:, j], bool)
        edges = int(boundary_cells(trained).sum())
        row = {"roughness": float(theta), "convex": bool(theta <= CRITICAL_ROUGHNESS),
               "trained_share": float(trained.mean()), "boundary_cells": edges,
               "dimension": math.nan, "ci_low": math.nan, "ci_high": math.nan, "note": ""}
        if edges == 0:
            row["note"] = "no boundary in the range"
        elif edges <= 2:  # one edge marks the cells on both sides of it
            row.update(dimension=0.0, ci_low=0.0, ci_high=0.0, note="a single edge: a point")
        else:
            est = boundary_dimension(trained)
            row.update(dimension=est.dimension, ci_low=est.ci[0], ci_high=est.ci[1])
        rows.append(row)
    return da, rows


def onset(rows: list[dict]) -> tuple[float | None, float | None]:
    """``(largest roughness with a point boundary, smallest with a fractal one)``: the
    measured onset lies between them."""
    smooth = [r["roughness"] for r in rows if r["dimension"] == 0.0]
    rough = [r["roughness"] for r in rows if r["dimension"] > 0.0]
    below = max((t for t in smooth if not rough or t < min(rough)), default=None)
    return below, (min(rough) if rough else None)


def sd_zoom(cfg: AtlasSettings, key: jax.Array, *, store=None, on_level=None):
    """Sohl-Dickstein's per-layer learning-rate plane, zoomed ``cfg.levels`` times into
    the trainability boundary (centre picked on level 0's boundary): ``[(Level, da)]``."""
    problem = MeanFieldMLP(width=cfg.width, nonlinearity=cfg.nonlinearity)
    meta = MetaLoss(problem, "sgd", steps=cfg.sd_steps, divergence=None)
    view = [parse_view_axis(spec) for spec in cfg.view]
    return zoom(meta, view, None, cfg.factor, cfg.levels, cfg.size, key=key, store=store,
                on_level=on_level, float64=True, measure=Trainability())
