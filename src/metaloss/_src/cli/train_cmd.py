"""``metaloss train``: outer training with one estimator."""

from __future__ import annotations

import json
import time

import click

from metaloss._src.cli.options import (
    COUNT,
    STEPS,
    Command,
    build_meta,
    build_space,
    describe_point,
    problem_options,
    renamed_option,
    start_point,
)
from metaloss._src.cli.types import Assignment, ParamKind
from metaloss._src.errors import InputError
from metaloss._src.spec import REGISTRY

ESTIMATOR_FLAGS = {"--std": "std", "--pairs": "pairs", "--K": "K"}
"""Shorthand flags and the estimator option each one sets."""

EXAMPLES = """

\b
Examples:
  metaloss train --estimator backprop --outer-steps 100 --out run/
  metaloss train --estimator "es(std=0.1, pairs=1)" --outer-steps 3000 --out run/
  metaloss train --estimator pes --K 10 --set momentum=0.9 --out run/
"""


def build_estimator(spec: str, flags: dict[str, object]):
    """The estimator ``spec`` names, with the shorthand ``flags`` (``--std`` etc., those
    given) added to its options. A flag the estimator has no option for, or one the
    spec sets too, is refused: nothing is silently ignored."""
    from metaloss._src.estimators import get
    from metaloss._src.spec import accepted_options, build, split, split_top_level

    given = {flag: v for flag, v in flags.items() if v is not None}
    items = split_top_level(spec)
    if len(items) > 1:
        raise InputError(f"expected one estimator, got {len(items)} in {spec!r}")
    parts = split("estimator", spec)
    if parts is None:  # module:attribute
        if given:
            raise InputError(f"{next(iter(given))} cannot change {spec!r}")
        return get(spec)
    name, options = parts
    factory = REGISTRY.get("estimator", name).factory
    accepted = accepted_options(factory) or ()
    for flag, value in given.items():
        field = ESTIMATOR_FLAGS[flag]
        if field not in accepted:
            raise InputError(f"{flag} does not apply to {name}, which takes "
                             f"{', '.join(accepted) or 'no options'}")
        if field in options:
            raise InputError(f"{flag} and the spec {spec!r} both set {field}")
        options[field] = value
    return build("estimator", name, options, spec)


@click.command(cls=Command, epilog=EXAMPLES)
@problem_options
@click.option("--estimator", default="backprop", metavar="ESTIMATOR",
              help="The outer-gradient estimator: NAME or NAME(key=value, ...), NAME one of "
                   f"{', '.join(REGISTRY.names('estimator'))}; e.g. 'es(std=0.05, pairs=8)'.")
@click.option("--std", type=float, default=None, metavar="STD",
              help="Shorthand for the estimator's std option, the perturbations' standard "
                   "deviation in outer coordinates (ES, PES, NRES, Guided ES, hybrid).")
@click.option("--pairs", type=COUNT, default=None, metavar="N",
              help="Shorthand for the estimator's pairs option, antithetic perturbation "
                   "pairs per estimate (ES, PES, NRES, Guided ES, hybrid).")
@click.option("--K", "K", type=COUNT, default=None, metavar="STEPS",
              help="Shorthand for the estimator's K, its window in inner steps (truncated, "
                   "PES, NRES; Guided ES: its surrogate's horizon).")
@renamed_option("--truncation", "--K", "K", type=COUNT)
@click.option("--param", "params", type=ParamKind(), multiple=True, metavar="NAME=KIND",
              show_default="every hyperparameter not --set; lr log, momenta 1mlog",
              help="Outer parameter and its parametrization (log, lin, 1mlog); repeatable.")
@click.option("--init", "inits", type=Assignment(), multiple=True, metavar="NAME=VALUE",
              show_default="the study's lr 0.01, momentum 0.684; others the optimizer's",
              help="Start as a hyperparameter value (not an outer coordinate), e.g. --init "
                   "lr=0.01 (repeatable).")
@click.option("--init-coord", "init_coords", type=Assignment(), multiple=True,
              metavar="NAME=U",
              help="Start in outer coordinates (not hyperparameter values) instead, e.g. "
                   "--init-coord lr=-2 for log10(lr) = -2 (repeatable).")
@click.option("--outer-steps", type=STEPS, default=100, metavar="N",
              help="Outer training steps (one estimate and one update each), at most 10^7.")
@click.option("--step-size", type=float, default=0.01, metavar="STEP",
              help="Outer SGD step size, in outer coordinates.")
@click.option("--clip", type=float, default=10.0, metavar="C",
              help="Clip outer gradients (with respect to outer coordinates) to [-C, C].")
@click.option("--out", required=True, type=click.Path(), metavar="DIR",
              help="Output directory; train writes run.npz (outer loss and trajectory in "
                   "outer coordinates per step), run.json (start, end, true outer loss, "
                   "configuration) and outer_loss.png.")
def train(problem, optimizer, steps, objective, divergence, sets, seed, estimator, std, pairs,
          K, params, inits, init_coords, outer_steps, step_size, clip, out):
    """Outer-train hyperparameters with an estimator; save the trajectory.

    Writes run.npz, run.json and outer_loss.png into --out.
    """
    import jax
    import numpy as np
    import optax

    from metaloss._src import analysis, plot
    from metaloss._src.grid.io import atomic_path, check_writable_dir, write_text
    from metaloss._src.outer import outer_train
    from metaloss._src.study.settings import STUDY_START
    meta = build_meta(problem, optimizer, steps, objective, divergence, sets)
    fixed = dict(meta.fixed)
    space = build_space(meta, params)
    init = start_point(meta, space, inits, init_coords, STUDY_START)
    if not (step_size > 0 and clip > 0):
        raise InputError("--step-size and --clip must be positive")
    est = build_estimator(estimator, {"--std": std, "--pairs": pairs,
                                      "--K": K})
    note = est.check(meta)
    if note:
        click.echo(f"note: {note}")
    out_dir = check_writable_dir(out)
    opt = optax.chain(optax.clip(clip), optax.sgd(step_size))
    key = jax.random.key(seed)
    k_outer, k_inner = jax.random.split(key)
    inner_key = k_inner if meta.problem.needs_key else None
    t0 = time.perf_counter()
    run = outer_train(meta, space, est, init, outer_steps, opt, k_outer if inner_key is not None
                      else key)
    traj = {k: np.asarray(v) for k, v in run.params.items()}
    elapsed = time.perf_counter() - t0
    final = {k: float(v[-1]) for k, v in traj.items()}
    true = float(analysis.evaluate_points(meta, space, final, inner_key))
    with atomic_path(out_dir / "run.npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, losses=np.asarray(run.losses), **{f"params_{k}": v for k, v in traj.items()})
    final_values = {k: float(v) for k, v in space.to_hparams(final).items()}
    summary = {"estimator": est.name, "start": init, "final": final,
               "final_values": final_values, "final_true_loss": true,
               "seconds": elapsed, "outer_steps": outer_steps, "fixed": fixed,
               "config": meta.describe()}
    write_text(out_dir / "run.json", json.dumps(summary, indent=1))
    plot.save(plot.outer_training(np.asarray(run.losses), est.name), out_dir / "outer_loss.png")
    click.echo(f"start {describe_point(space, init)}")
    click.echo(f"final {describe_point(space, final)}")
    click.echo(f"true outer loss at the end {true:.4g}; {outer_steps} outer steps in "
               f"{elapsed:.1f} s; wrote {out_dir}")
