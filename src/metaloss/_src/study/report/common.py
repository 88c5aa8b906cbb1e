"""Helpers the study's report sections share: formatting and true losses at points."""

from __future__ import annotations

import numpy as np

from metaloss._src import analysis


def fmt_point(p) -> str:
    return "(" + ", ".join(f"{float(v):.3f}" for v in p.values()) + ")"


def true_loss(meta, space, point) -> float:
    coords = {k: np.asarray(v) for k, v in point.items()}
    return float(analysis.evaluate_points(meta, space, coords))


NEIGHBOURHOOD_LABEL = "mean outer loss within sigma 0.05 of the end (512 samples)"


def neighbourhood(meta, space, point) -> float:
    """Mean outer loss over Gaussian perturbations of the end point: how good the region is,
    not only the point, which on a rippled surface is partly luck."""
    rng = np.random.default_rng(0)
    coords = {k: float(v) + 0.05 * rng.standard_normal(512) for k, v in point.items()}
    return float(np.mean(analysis.evaluate_points(meta, space, coords)))
