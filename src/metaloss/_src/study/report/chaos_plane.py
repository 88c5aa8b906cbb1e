"""The study's plane seen three ways, and the dimension of its divergence boundary.

The computation behind the report's chaos section (:mod:`metaloss._src.study.report.chaos`):
the outer loss, the finite-time maximal Lyapunov exponent of inner training
(:class:`metaloss._src.measures.Lyapunov`) and the norm of the exact outer gradient
(:class:`metaloss._src.measures.GradNorm`) on one grid over the study's box, all three from
one meta-loss with the divergence policy :data:`FACTOR`, and the box-counting dimension
of the boundary between the runs that diverge and those that do not
(:func:`metaloss._src.analysis.boundary_dimension`). Non-finite values are data: they are
counted here, per measure, apart from the diverged runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss._src.analysis.fractal import MIN_SIDE, BoundaryDimension, boundary_dimension
from metaloss._src.grid import landscape
from metaloss._src.meta import MetaLoss
from metaloss._src.space import logspace
from metaloss._src.study.settings import BOX, study_setup
from metaloss._src.unroll import Divergence

FACTOR = 2.0
"""The divergence policy of the plane: a run diverges once a step's loss exceeds
``2 (|L0| + 1)``. The default factor 1000 never triggers on the study's problem: its
loss grows only like ``log |x|``, so no run of 50 steps gets there (the same choice as
``metaloss zoom --divergence 2``)."""

STRONG = 0.1
"""A Lyapunov exponent above this (per step) separates nearby runs more than
``e**5``-fold (about 150-fold) over the study's 50 steps: chaos, not a slow drift."""

MEASURES = (("loss", "outer_loss"), ("lyapunov", "lyapunov"), ("gradnorm", "gradnorm"))
"""``(measure, variable)`` of the three panels, in the order they are drawn."""


def chaos_meta() -> MetaLoss:
    """The study's meta-loss with the plane's divergence policy (:data:`FACTOR`)."""
    meta, _ = study_setup()
    return dataclasses.replace(meta, divergence=Divergence(FACTOR))


def plane_axes(n: int) -> dict[str, np.ndarray]:
    """``n`` log-spaced values per axis over the study's box (:data:`BOX`)."""
    (lr0, lr1), (m0, m1) = BOX["lr"], BOX["momentum"]
    return {"lr": logspace(lr0, lr1, n), "momentum": 1 - logspace(m0, m1, n)}


@dataclasses.dataclass(frozen=True)
class ChaosPlane:
    """The three maps of one grid and what the section reports of them.

    Attributes:
      meta: the meta-loss all three maps ran (divergence policy :data:`FACTOR`).
      maps: variable name (``outer_loss``, ``lyapunov``, ``gradnorm``) -> 2-D map
        over (lr, momentum), each with the ``diverged`` coordinate.
      threshold: the loss above which a run counts as diverged, ``FACTOR (|L0| + 1)``.
      escape: the smallest ``|x|`` whose loss exceeds ``threshold`` (the study's
        problem has one parameter): how far at least a diverged run's iterate got.
      boundary: the box-counting estimate of the divergence boundary, ``None`` when the
        mask has no boundary (nothing or everything diverged).
      coarse: the same estimate on every other grid line (half the resolution).
      sohl: the same mask by Sohl-Dickstein (2024)'s estimator (``method=
        "sohl-dickstein"``), as the atlas measures the paper's configurations.
    """

    meta: MetaLoss
    maps: dict[str, xr.DataArray]
    threshold: float
    escape: float
    boundary: BoundaryDimension | None
    coarse: BoundaryDimension | None
    sohl: BoundaryDimension | None = None

    @property
    def diverged(self) -> np.ndarray:
        """The divergence mask (the loss map's ``diverged`` coordinate)."""
        return np.asarray(self.maps["outer_loss"]["diverged"], bool)

    def counts(self) -> dict[str, int]:
        """Cells per category: ``cells``, ``diverged``, ``<variable> non-finite`` (cells
        that did not diverge yet hold inf or NaN), ``chaotic`` (finite Lyapunov
        exponent > 0), ``strongly chaotic`` (> :data:`STRONG`)."""
        div = self.diverged
        lam = np.asarray(self.maps["lyapunov"].values, float)
        out = {"cells": int(div.size), "diverged": int(div.sum())}
        for name, da in self.maps.items():
            out[f"{name} non-finite"] = int((~np.isfinite(np.asarray(da.values)) & ~div).sum())
        with np.errstate(invalid="ignore"):
            out["chaotic"] = int((np.isfinite(lam) & (lam > 0)).sum())
            out["strongly chaotic"] = int((np.isfinite(lam) & (lam > STRONG)).sum())
        return out

    def masks_agree(self) -> bool:
        """Whether the three maps flag the same runs as diverged (one unroll, one policy)."""
        return all(np.array_equal(np.asarray(da["diverged"], bool), self.diverged)
                   for da in self.maps.values())

    def trained(self) -> np.ndarray:
        """Lyapunov exponents of the runs that did not diverge and are finite, flattened."""
        lam = np.asarray(self.maps["lyapunov"].values, float)
        return lam[np.isfinite(lam) & ~self.diverged]

    def gradient_correlation(self) -> float:
        """Pearson correlation of the Lyapunov exponent with log10 of the gradient norm
        over the cells where both are finite and positive-normed and the run did not
        diverge (NaN with fewer than three such cells): the outer gradient grows like
        ``exp(lambda T)`` where training is chaotic."""
        lam = np.asarray(self.maps["lyapunov"].values, float)
        g = np.asarray(self.maps["gradnorm"].values, float)
        ok = np.isfinite(lam) & np.isfinite(g) & (g > 0) & ~self.diverged
        if ok.sum() < 3 or np.ptp(lam[ok]) == 0:
            return float("nan")
        return float(np.corrcoef(lam[ok], np.log10(g[ok]))[0, 1])


ESCAPE_X = np.geomspace(1e-3, 1e12, 3001)
"""Distances from the origin, 1.2% apart, at which :func:`_levels` evaluates the loss."""


@functools.partial(jax.jit, static_argnames="meta")
def _levels(meta: MetaLoss, xs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(threshold, loss at xs and at -xs)``: one compiled call, since an eager
    :meth:`MetaLoss.init_state` dispatches every operation of the loss on its own."""
    threshold = meta.divergence.threshold(meta.init_state().loss0)
    return threshold, jax.vmap(meta.problem.loss)(jnp.concatenate([xs, -xs]))


def _threshold_and_escape(meta: MetaLoss) -> tuple[float, float]:
    """The divergence threshold, and the smallest ``|x|`` (of the 1-D problem) whose loss
    exceeds it: how far the iterate must get for a run to count as diverged."""
    threshold, loss = _levels(meta, jnp.asarray(ESCAPE_X))
    loss = np.asarray(loss).reshape(2, -1)
    over = (loss > float(threshold)).any(axis=0)
    return float(threshold), float(ESCAPE_X[np.argmax(over)]) if over.any() else float("inf")


def _estimate(mask: np.ndarray) -> BoundaryDimension | None:
    if min(mask.shape) < MIN_SIDE or mask.all() or not mask.any():
        return None
    return boundary_dimension(mask)


def compute_plane(n: int, *, stage: Callable[[str], contextlib.AbstractContextManager]
                  | None = None) -> ChaosPlane:
    """The three maps on an ``n x n`` grid over the study's box (float32 unless JAX's
    x64 mode is on) and the boundary's dimension at ``n`` and at ``n / 2`` per axis.

    Args:
      n: grid points per axis (>= 16 for a dimension; fewer leave it ``None``).
      stage: wraps each computation (e.g. :meth:`Report.stage`, which times it).
    """
    stage = stage or (lambda name: contextlib.nullcontext())
    meta = chaos_meta()
    axes = plane_axes(n)
    maps = {}
    for measure, variable in MEASURES:
        with stage(f"chaos: {measure} {n} x {n}"):
            maps[variable] = landscape(meta, axes, measure=measure, progress=False)
    mask = np.asarray(maps["outer_loss"]["diverged"], bool)
    with stage("chaos: boundary dimension and threshold"):
        full, coarse = _estimate(mask), _estimate(mask[::2, ::2])
        sohl = None if full is None else boundary_dimension(mask, method="sohl-dickstein")
        threshold, escape = _threshold_and_escape(meta)
    return ChaosPlane(meta, maps, threshold, escape, full, coarse, sohl)
