"""The seed study's qualitative findings as numbers: gradient runs stuck, ES better.

The seed study (``reproduce``) trains the (learning rate, momentum) of SGD with momentum
on its 1-D rippled loss from (log10 lr, log10(1 - momentum)) = (-2, -0.5), once by
exact gradients through the unroll (clipped SGD) and once by ES. This recomputes the
two runs with the study's own settings and states what it claims as numbers: how much
of the start's outer loss each run removes, and how the two end losses compare.
"""

from __future__ import annotations

import jax
import numpy as np

from metaloss._src import estimators
from metaloss._src.outer import outer_train
from metaloss._src.study.findings import Finding
from metaloss._src.study.report.common import true_loss
from metaloss._src.study.settings import STUDY_START, StudySettings, clipped_sgd, study_setup

STUCK = 0.5
"""A gradient run counts as stuck when it keeps more than half of its start's outer loss
after its steps, as the study's text says it does once it reaches the ripples."""


def seed_findings(quick: bool = False) -> tuple[dict, list[Finding]]:
    """``(numbers, rows)``: the two runs' start, end and loss ratios, and two findings."""
    cfg = StudySettings.quick() if quick else StudySettings()
    meta, space = study_setup()
    start = true_loss(meta, space, {k: np.asarray(v) for k, v in STUDY_START.items()})
    ends = {}
    for name, est, steps in (("gradient", estimators.Backprop(), cfg.grad_steps),
                             ("es", estimators.ES(std=0.1, pairs=1), cfg.es_steps)):
        run = outer_train(meta, space, est, STUDY_START, steps, clipped_sgd(0.01),
                          jax.random.key(0))
        ends[name] = {"loss": true_loss(meta, space, run.final()), "steps": steps,
                      "final": {k: float(v) for k, v in run.final().items()}}
    g, e = ends["gradient"]["loss"], ends["es"]["loss"]
    numbers = {"start_loss": start, **{f"{k}_{f}": v[f] for k, v in ends.items()
                                       for f in ("loss", "steps", "final")}}
    where = (f"seed study, start (-2, -0.5), clipped SGD 0.01; gradient {cfg.grad_steps} "
             f"steps, ES(std 0.1, 1 pair) {cfg.es_steps} steps, seed 0")
    rows = [
        Finding("seed study", "gradient through the unroll gets stuck (end / start loss)",
                "stuck", g / start, None, "exact gradient (backprop), true outer loss", where,
                g / start > STUCK,
                f"start loss {start:.4g}, end {g:.4g}: the run keeps {g / start:.1%} of it "
                f"(stuck means more than {STUCK:.0%})."),
        Finding("seed study", "ES ends lower than the gradient run (ES / gradient end loss)",
                "lower", e / g, None, "ES vs backprop, true outer loss", where, e < g,
                f"ES ends at {e:.4g}, the gradient run at {g:.4g}."),
    ]
    return numbers, rows
