"""The study's section on outer training by gradients through the unroll."""

from __future__ import annotations

import jax
import numpy as np

from metaloss._src import analysis, estimators, plot
from metaloss._src.outer import outer_train
from metaloss._src.study.report.common import (
    NEIGHBOURHOOD_LABEL,
    fmt_point,
    neighbourhood,
    true_loss,
)
from metaloss._src.study.report.document import Report
from metaloss._src.study.report.smoothing import smoothed_slices
from metaloss._src.study.settings import (
    STUDY_START,
    UNSTABLE_START,
    StudySettings,
    clipped_sgd,
    study_setup,
)

ES_SIGMA = 0.1
"""The study's ES perturbation scale (section ``es``): the slices show the loss smoothed at it."""


def section_gradient(rep: Report, cfg: StudySettings) -> None:
    """Outer training by gradients through the unroll."""
    meta, space = study_setup()
    sec = rep.section("Outer training by gradients through the unroll")
    runs, curves = {}, {}
    for label, start in (("gradient from (-2, -0.5)", STUDY_START),
                         ("gradient from (0, -1.5)", UNSTABLE_START)):
        with rep.stage(label):
            run = outer_train(meta, space, estimators.Backprop(), start, cfg.grad_steps,
                              clipped_sgd(0.01), jax.random.key(0))
            end = run.final()
            wide = analysis.slices(meta, space, end, 0.05, cfg.slice_n)
            narrow = analysis.slices(meta, space, end, 0.002, cfg.slice_n)
            smooth = smoothed_slices(meta, space, end, [wide, narrow], ES_SIGMA,
                                     step=ES_SIGMA / (10 if rep.quick else 20))
        runs[label] = {k: np.asarray(v) for k, v in run.params.items()}
        gnorm = np.sqrt(sum(np.asarray(g, float) ** 2 for g in run.grads.values()))
        curves[label] = {"losses": np.asarray(run.losses), "grad_norm": gnorm, "clip": 10.0}
        rep.number(f"{label}: gradient norm over the last half", norm_summary(gnorm))
        bumps = [_local_minima(ds) for ds in (wide, narrow)]
        rep.number(f"{label}: local minima along the slices, half-width 0.05 / 0.002",
                   f"{bumps[0]} / {bumps[1]}")
        true = true_loss(meta, space, end)
        rep.number(f"{label}: final (log10 lr, log10(1-mom))", fmt_point(end))
        rep.number(f"{label}: final true outer loss", true)
        rep.number(f"{label}: {NEIGHBOURHOOD_LABEL}", neighbourhood(meta, space, end))
        tag = "grad_study" if start is STUDY_START else "grad_unstable"
        fig = plot.slice_plot([wide, narrow], smooth,
                              smoothed_label=f"smoothed at ES sigma {ES_SIGMA:g}",
                              title=f"Slices around the end, {label}")
        rep.figure(sec, f"slices_{tag}.png", fig,
                   f"Outer loss along each coordinate around the end point of the {label} run "
                   f"(thin), and the same loss Gaussian-smoothed at the ES sigma {ES_SIGMA:g} "
                   "in all outer coordinates (thick, dashed): the surface ES follows.")
    rep.state.gradient_runs = runs
    rep.figure(sec, "gradient_runs.png", plot.outer_curves(curves),
               "Outer loss and outer-gradient norm per step of both gradient runs; the dotted "
               "line is the clipping level.")
    sec.paragraphs.append(
        f"{cfg.grad_steps} steps of SGD (step 0.01, gradients clipped to [-10, 10]). Once a run "
        "reaches the rippled region its exact gradients are orders of magnitude above the "
        "clip, so every step is a clipped jump that the next ripple reverses: the run stops "
        "making progress. The slices show the surface the gradient sees around the end point "
        "at two scales; All numbers counts their local minima (the ripples). The dashed "
        f"curves are the loss averaged over Gaussian perturbations of standard deviation "
        f"{ES_SIGMA:g} in every outer coordinate, computed by numerical convolution: the surface "
        "whose gradient ES estimates. At that scale the ripples are gone: what remains is "
        "the broad slope ES follows."
    )


def _local_minima(ds) -> int:
    """Interior local minima summed over a slices dataset's variables."""
    total = 0
    for var in ds.data_vars.values():
        v = np.asarray(var.values, float)
        total += int(np.sum((v[1:-1] < v[:-2]) & (v[1:-1] < v[2:])))
    return total


def norm_summary(gnorm: np.ndarray) -> str:
    """The gradient norm over a run's last half in words that fit its shape: a run
    caught in a 2-cycle jumps between two levels, where one median would describe
    neither, so it gets both levels."""
    half = np.asarray(gnorm[len(gnorm) // 2:], float)
    if half.size < 4:
        return f"median {np.median(half):.3g}"
    lo, hi = sorted((float(np.median(half[0::2])), float(np.median(half[1::2]))))
    if lo > 0 and hi / lo > 3:
        return (f"alternates between about {lo:.3g} and {hi:.3g} (a 2-cycle: medians of "
                "alternate steps)")
    return f"median {np.median(half):.3g}, range {half.min():.3g} to {half.max():.3g}"
