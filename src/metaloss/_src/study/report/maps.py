"""What the estimator maps show, in a table and a paragraph stated from their numbers.

Part of the comparison section (:mod:`metaloss._src.study.report.compare`): for each
estimator, how well one estimate aligns with its truth, how large its bias is
against the truth's norm, and where the squared bias, rather than the variance,
dominates the mean squared error of one estimate.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

NEGLIGIBLE = 1e-3
"""A pixel's error counts as negligible (float rounding) when its root mean squared
error is at most this fraction of the truth's norm."""

HEADERS = ["estimator", "judged against", "cost (inner steps)", "median cosine",
           "median bias / truth norm", "median variance", "bias dominates"]


def _summary(ds: xr.Dataset, i: int) -> dict:
    one = ds.isel(estimator=i)
    grid_dims = list(one["bias"].dims)
    b2, var = one["squared_bias"].values, one["variance"].values
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # the debiased squared bias: |mean - truth| alone carries the mean's noise
        rel = np.sqrt(b2) / one["truth_norm"].values
        finite = np.isfinite(b2) & np.isfinite(var)
        negligible = finite & (b2 + var <= (NEGLIGIBLE * one["truth_norm"].values) ** 2)
        defined = finite & ~negligible
        bias_wins = defined & (b2 > var)
        n = max(int(finite.sum()), 1)
        err = one["truth_error"].values
        # bias-dominated pixels whose bias the truth's own error could explain
        unsure = bias_wins & (np.sqrt(b2) <= err)
        where = {}
        for d in grid_dims:
            u = np.broadcast_to(_outer(ds, d).reshape(
                [-1 if k == d else 1 for k in grid_dims]), b2.shape)
            where[d] = float(np.median(u[bias_wins])) if bias_wins.any() else np.nan
        return {"label": str(ds["estimator"].values[i]), "target": str(one["target"].values),
                "cost": float(one["cost"]), "cosine": float(np.nanmedian(one["cosine"].values)),
                "rel_bias": float(np.nanmedian(rel[np.isfinite(rel)])) if np.isfinite(
                    rel).any() else np.nan,
                "variance": float(np.nanmedian(var)),
                "bias_share": bias_wins.sum() / n,
                "variance_share": (defined & ~bias_wins).sum() / n,
                "exact": negligible.sum() >= 0.99 * n, "where": where,
                "unsure": float(unsure.sum() / max(int(bias_wins.sum()), 1)),
                "rough_truth": float(np.mean(err > 0.05 * one["truth_norm"].values))
                if np.isfinite(err).any() else np.nan}


def _outer(ds: xr.Dataset, dim: str) -> np.ndarray:
    """The axis in outer coordinates (its dim holds hyperparameter values)."""
    return np.asarray(ds[f"outer_{dim}"].values, float)


def maps_summary(ds: xr.Dataset) -> tuple[list[str], list[list[str]], str]:
    """``(headers, rows, paragraph)`` for the report from an estimator-maps dataset."""
    rows, stats = [], [_summary(ds, i) for i in range(ds.sizes["estimator"])]
    for s in stats:
        share = ("exact (to 0.1%)" if s["exact"]
                 else f"{s['bias_share']:.0%} of the grid (variance {s['variance_share']:.0%})")
        rows.append([s["label"], s["target"], f"{s['cost']:g}", f"{s['cosine']:.2f}",
                     f"{s['rel_bias']:.3g}", f"{s['variance']:.3g}", share])
    return HEADERS, rows, _paragraph(ds, stats)


def _paragraph(ds: xr.Dataset, stats: list[dict]) -> str:
    parts = [
        f"On a {' x '.join(str(ds.sizes[d]) for d in ds['bias'].dims[1:])} grid over the box, "
        f"each estimator drew {int(ds.attrs['samples'])} independent estimates per pixel "
        "(PES, NRES and truncated backprop: the mean over the windows of one inner run), "
        "judged against the truth it targets (column 2)."]
    inexact = [s for s in stats if not s["exact"] and not np.isnan(s["cosine"])]
    if inexact:
        best = max(inexact, key=lambda s: s["cosine"])
        parts.append(f"Of the estimators that are not exact, {best['label']} is best aligned "
                     f"with its truth (median cosine {best['cosine']:.2f}).")
    dims = list(ds["bias"].dims[1:])
    biased = [s for s in inexact if s["bias_share"] >= 0.5]
    noisy = [s for s in inexact if s["variance_share"] >= 0.5]
    mixed = [s for s in inexact if s not in biased and s not in noisy]
    if biased:
        parts.append("Squared bias exceeds the variance of one estimate on most of the grid "
                     "for " + "; ".join(
                         f"{s['label']} ({s['bias_share']:.0%} of the pixels, centred near "
                         "outer coordinates (" + ", ".join(
                             f"{d} {_value(s['where'][d])}" for d in dims) + "))"
                         for s in biased)
                     + ": more samples cannot fix that, only a different estimator or setting.")
    if noisy:
        parts.append("Variance dominates for " + "; ".join(
            f"{s['label']} ({s['variance_share']:.0%} of the pixels; bias on "
            f"{s['bias_share']:.0%})" for s in noisy)
            + ": more samples, not a different estimator, would reduce their error.")
    if mixed:
        parts.append("Neither dominates on most of the grid for " + "; ".join(
            f"{s['label']} (bias {s['bias_share']:.0%}, variance {s['variance_share']:.0%})"
            for s in mixed) + ".")
    exact = [s["label"] for s in stats if s["exact"]]
    if exact:
        parts.append(f"{', '.join(exact)}: equal to the exact gradient to 0.1% on at least "
                     "99% of the pixels (deterministic here).")
    rough = [s for s in stats if not np.isnan(s["rough_truth"])]
    if rough:
        worst = max(rough, key=lambda s: s["rough_truth"])
        unsure = [f"{s['label']} {s['unsure']:.0%}" for s in rough if s["bias_share"] > 0]
        parts.append(
            "The smoothed truth is itself uncertain where the loss is rugged below the "
            "smoothing scale: quadrature with half the nodes per axis differs from it by more "
            f"than 5% of its norm on {worst['rough_truth']:.0%} of the pixels (std "
            f"{_std(worst['target'])}; a conservative error estimate)"
            + (f"; of the pixels where bias dominates, the bias is within that difference "
               f"for {', '.join(unsure)}" if unsure else "") + ".")
    return " ".join(parts)


def _std(target: str) -> str:
    return target.partition("std=")[2].rstrip(")") or "?"


def _value(u: float) -> str:
    return "n/a" if np.isnan(u) else f"{u:.3g}"
