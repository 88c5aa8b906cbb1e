"""The study's sections on outer training by evolution strategies, and the ES
improvements the study suggests (annealed sigma, more pairs, smaller steps)."""

from __future__ import annotations

import jax
import numpy as np
import optax

from metaloss import analysis, estimators, plot
from metaloss.outer import outer_train
from metaloss.schedules import Geometric
from metaloss.study.report.common import NEIGHBOURHOOD_LABEL, fmt_point, neighbourhood, true_loss
from metaloss.study.report.document import Report
from metaloss.study.settings import (
    STUDY_START,
    UNSTABLE_START,
    StudySettings,
    clipped_sgd,
    study_setup,
)


def section_es(rep: Report, cfg: StudySettings) -> None:
    """Outer training by evolution strategies."""
    meta, space = study_setup()
    sec = rep.section("Outer training by evolution strategies")
    es = estimators.ES(std=0.1, pairs=1)
    with rep.stage("ES"):
        run = outer_train(meta, space, es, STUDY_START, cfg.es_steps, clipped_sgd(0.01),
                          jax.random.key(0))
    end = run.final()
    true = true_loss(meta, space, end)
    rep.number("ES from (-2, -0.5), seed 0: final (log10 lr, log10(1-mom))", fmt_point(end))
    rep.number("ES from (-2, -0.5), seed 0: final true outer loss", true)
    rep.number(f"ES from (-2, -0.5), seed 0: {NEIGHBOURHOOD_LABEL}",
               neighbourhood(meta, space, end))
    finals = {}
    with rep.stage("ES over seeds", total=2, unit="starts") as st:
        keys = jax.random.split(jax.random.key(1), cfg.seeds)
        for label, start in (("(-2, -0.5)", STUDY_START), ("(0, -1.5)", UNSTABLE_START)):
            st.advance(0, label)
            many = outer_train(meta, space, es, start, cfg.es_steps, clipped_sgd(0.01), keys)
            finals[f"ES from {label}"] = analysis.evaluate_points(meta, space, many.final())
            st.advance(1)
    for label, vals in finals.items():
        q = np.percentile(vals, [25, 50, 75])
        rep.number(f"{label}, {cfg.seeds} seeds: final true loss median [q25, q75]",
                   f"{q[1]:.3f} [{q[0]:.3f}, {q[2]:.3f}]")
    rep.state["es_finals"] = finals
    runs = dict(rep.state.get("gradient_runs", {}))
    runs["ES from (-2, -0.5), seed 0"] = {k: np.asarray(v) for k, v in run.params.items()}
    if "landscape" in rep.state:
        rep.figure(sec, "trajectories.png",
                   plot.trajectories(rep.state["landscape"], runs, params=space),
                   "Gradient runs (stuck) and the ES run over the landscape, the view cropped "
                   "to the paths and the landscape's minimum (white cross). Each run has its "
                   "own colour and fades in with time; the ES path is thinned to at most 120 "
                   "points.")
    sec.paragraphs.append(
        f"Antithetic ES (sigma 0.1, one pair, step 0.01, clipped), {cfg.es_steps} steps. ES "
        "follows the Gaussian-smoothed loss, so it crosses ripples a gradient cannot and "
        "settles in the broad low-loss basin. The loss at the exact end point of one run is "
        "still a draw from a rippled surface, hence the many-seed numbers and the "
        "neighbourhood means under All numbers."
    )


def section_improvements(rep: Report, cfg: StudySettings) -> None:
    """Improving ES: annealed sigma, more pairs, smaller steps."""
    meta, space = study_setup()
    sec = rep.section("Improving ES: annealed sigma, more pairs, smaller steps")
    n = cfg.es_steps
    decay = optax.exponential_decay(0.01, n, 0.01)
    variants = {
        "ES (study)": (estimators.ES(0.1, 1), 0.01),
        "8 pairs": (estimators.ES(0.1, 8), 0.01),
        "annealed sigma": (estimators.ES(Geometric(0.1, 0.01, n), 1), 0.01),
        "decaying step": (estimators.ES(0.1, 1), decay),
        "all three": (estimators.ES(Geometric(0.1, 0.01, n), 8), decay),
    }
    if rep.quick:  # each variant compiles its own loop: keep the quick run short
        variants = {k: variants[k] for k in ("ES (study)", "all three")}
    finals = {}
    keys = jax.random.split(jax.random.key(2), cfg.seeds)
    with rep.stage("ES variants", total=len(variants), unit="variants") as st:
        for label, (est, step) in variants.items():
            run = outer_train(meta, space, est, STUDY_START, n, clipped_sgd(step), keys)
            finals[label] = analysis.evaluate_points(meta, space, run.final())
            st.advance(1, label)
    grads = rep.state.get("gradient_runs", {})
    refs = {}
    for label, traj in grads.items():
        refs[label] = true_loss(meta, space, {k: v[-1] for k, v in traj.items()})
    rep.figure(sec, "es_improvements.png",
               plot.distributions(finals, refs,
                                  title=f"Final true outer loss over {cfg.seeds} seeds"),
               "Each ES variant from (-2, -0.5): box (quartiles, whiskers to 1.5 IQR) and "
               "every seed as a point; dashed lines: the gradient runs' end points.")
    rows = []
    for label, vals in finals.items():
        q = np.percentile(vals, [25, 50, 75])
        rows.append([label, f"{q[1]:.3f}", f"{q[0]:.3f}", f"{q[2]:.3f}", f"{np.min(vals):.3f}"])
        rep.number(f"ES variant '{label}': median final true loss", float(q[1]))
    sec.tables.append((["variant", "median", "q25", "q75", "best"], rows))
    med = {k: float(np.median(v)) for k, v in finals.items()}
    iqr = {k: float(np.subtract(*np.percentile(v, [75, 25]))) for k, v in finals.items()}
    low, tight = min(med, key=med.get), min(iqr, key=iqr.get)
    beaten = [k for k, v in med.items() if refs and v < min(refs.values())]
    sec.paragraphs.append(
        f"Measured here: the lowest median is '{low}' ({med[low]:.3f}), the narrowest "
        f"interquartile range '{tight}' ({iqr[tight]:.3f}); "
        + (f"{len(beaten)} of {len(med)} variants have a median below both gradient runs' "
           "end points." if refs else "no gradient runs to compare with.")
    )
    sec.paragraphs.append(
        "Annealed sigma decays geometrically from 0.1 to 0.01 over the run; the decaying step "
        "goes from 0.01 to 0.0001. Shrinking sigma alone lets the estimate see the ripples "
        "again while the step stays large, so it is combined with a decaying step."
    )
