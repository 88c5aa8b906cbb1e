"""The study's sections on outer training by evolution strategies, and the ES
improvements the study suggests (annealed sigma, more pairs, smaller steps)."""

from __future__ import annotations

import jax
import numpy as np
import optax

from metaloss._src import analysis, estimators, plot
from metaloss._src.analysis import stats
from metaloss._src.outer import outer_train
from metaloss._src.schedules import Geometric
from metaloss._src.study.report.common import (
    NEIGHBOURHOOD_LABEL,
    fmt_point,
    neighbourhood,
    true_loss,
)
from metaloss._src.study.report.document import Report
from metaloss._src.study.settings import (
    STUDY_START,
    UNSTABLE_START,
    StudySettings,
    clipped_sgd,
    study_setup,
)

SEED_KEYS = "jax.random.split(jax.random.key(1), seeds)"
"""How the many-seed ES runs get their keys (shown in the report)."""


def seed_keys(seeds: int) -> jax.Array:
    return jax.random.split(jax.random.key(1), seeds)


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
        keys = seed_keys(cfg.seeds)
        for label, start in (("(-2, -0.5)", STUDY_START), ("(0, -1.5)", UNSTABLE_START)):
            st.advance(0, label)
            many = outer_train(meta, space, es, start, cfg.es_steps, clipped_sgd(0.01), keys)
            finals[f"ES from {label}"] = analysis.evaluate_points(meta, space, many.final())
            st.advance(1)
    for label, vals in finals.items():
        q = stats.quartiles(vals)
        rep.number(f"{label}, {cfg.seeds} seeds: final true loss median [95% CI]",
                   q["median"].format())
        rep.number(f"{label}, {cfg.seeds} seeds: final true loss q25 / q75 [95% CIs]",
                   f"{q['q25'].format()} / {q['q75'].format()}")
    rep.state.es_finals = finals
    runs = dict(rep.state.gradient_runs)
    runs["ES from (-2, -0.5), seed 0"] = {k: np.asarray(v) for k, v in run.params.items()}
    if rep.state.landscape is not None:
        rep.figure(sec, "trajectories.png",
                   plot.trajectories(rep.state.landscape, runs, params=space),
                   "Gradient runs (stuck) and the ES run over the landscape, the view cropped "
                   "to the paths and the landscape's minimum (white cross). Each run has its "
                   "own colour and fades in with time; the ES path is thinned to at most 120 "
                   "points.")
    sec.paragraphs.append(
        f"Antithetic ES (sigma 0.1, one pair, step 0.01, clipped), {cfg.es_steps} steps; "
        f"the many-seed numbers use the {cfg.seeds} keys {SEED_KEYS}, and every ES result "
        "from (-2, -0.5) in this report is those same runs. Medians and quartiles carry "
        "95% percentile-bootstrap intervals. ES "
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
    keys = seed_keys(cfg.seeds)  # the same seeds as section_es: one number per quantity
    known = rep.state.es_finals.get("ES from (-2, -0.5)")
    with rep.stage("ES variants", total=len(variants), unit="variants") as st:
        for label, (est, step) in variants.items():
            if label == "ES (study)" and known is not None:
                finals[label] = known
            else:
                run = outer_train(meta, space, est, STUDY_START, n, clipped_sgd(step), keys)
                finals[label] = analysis.evaluate_points(meta, space, run.final())
            st.advance(1, label)
    grads = rep.state.gradient_runs
    refs = {}
    for label, traj in grads.items():
        refs[label] = true_loss(meta, space, {k: v[-1] for k, v in traj.items()})
    rep.figure(sec, "es_improvements.png",
               plot.distributions(finals, refs,
                                  title=f"Final true outer loss over {cfg.seeds} seeds"),
               "Each ES variant from (-2, -0.5): box (quartiles, whiskers to 1.5 IQR) and "
               "every seed as a point; dashed lines: the gradient runs' end points.")
    rows, medians = [], {}
    for label, vals in finals.items():
        q = stats.quartiles(vals)
        medians[label] = q["median"]
        rows.append([label, q["median"].format(), q["q25"].format(), q["q75"].format(),
                     f"{np.min(vals):.3f}"])
        rep.number(f"ES variant '{label}': median final true loss [95% CI]",
                   q["median"].format())
    sec.tables.append((["variant", "median [95% CI]", "q25 [95% CI]", "q75 [95% CI]", "best"],
                       rows))
    low, separated = stats.lowest(medians)
    beaten = [k for k, v in medians.items() if refs and v.high < min(refs.values())]
    if separated:
        ranking = (f"'{low}' has the lowest median ({medians[low].format()}), its interval "
                   "below every other variant's")
    else:
        ranking = (f"the medians cannot be ranked at {cfg.seeds} seeds: the lowest, "
                   f"'{low}' ({medians[low].format()}), overlaps "
                   + ", ".join(f"'{k}'" for k in stats.tied_with(medians, low))
                   + " within 95% intervals")
    sec.paragraphs.append(
        f"All variants start from (-2, -0.5) with the same {cfg.seeds} seeds as the section "
        f"above (so 'ES (study)' is those runs). Measured here: {ranking}. "
        + (f"{len(beaten)} of {len(medians)} variants have a median whose whole interval lies "
           "below both gradient runs' end points." if refs else "No gradient runs to compare "
           "with.")
    )
    sec.paragraphs.append(
        "Annealed sigma decays geometrically from 0.1 to 0.01 over the run; the decaying step "
        "goes from 0.01 to 0.0001. Shrinking sigma alone lets the estimate see the ripples "
        "again while the step stays large, so it is combined with a decaying step."
    )
