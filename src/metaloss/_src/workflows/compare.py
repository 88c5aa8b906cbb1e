"""Every outer-gradient estimator on the same footing, over many seeds.

:func:`compare` trains the outer coordinates of any meta-loss and space with each
estimator from the same random starting points in a box (plus any named starts),
under the same budget of inner steps, all seeds in one vmapped, compiled
:func:`~metaloss.outer_train` call per estimator. It then evaluates the *true*
outer loss at every end point and measures how each estimator's gradient
estimates behave as the unroll grows (:func:`metaloss._src.analysis.gradient_sweep`):
the picture of exploding exact gradients against bounded smoothed ones; with :class:`Maps`,
every estimator against its truth on a grid (:func:`metaloss._src.analysis.estimator_maps`).
The training loops and the sweep's estimators are jobs for two threads
(:class:`~metaloss._src.workflows.lanes.Lanes`), the maps run in a third: compiling is most of a
comparison's time, and XLA compiles without holding the GIL.

The low-loss basin is defined from the landscape itself: a run ends in it when its
final true outer loss is at or below the :class:`Basin` ``quantile`` (default 5%)
quantile of the outer loss over the box, i.e. it found a setting among the best 5% of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import jax
import numpy as np

from metaloss._src.analysis import estimator_maps, evaluate_points
from metaloss._src.analysis.gradients import SweepPlan
from metaloss._src.analysis.maps import check_maps
from metaloss._src.errors import InputError, check_int
from metaloss._src.estimators import Estimator
from metaloss._src.grid import landscape
from metaloss._src.meta import MetaLoss
from metaloss._src.outer import compile_outer_train
from metaloss._src.space import Space
from metaloss._src.workflows.compare_settings import (
    BASIN,
    SWEEP,
    TRAINING,
    Basin,
    Maps,
    Sweep,
    Training,
    default_estimators,
)
from metaloss._src.workflows.comparison import Comparison, Runs
from metaloss._src.workflows.lanes import Lanes

Box = Mapping[str, tuple[float, float]]


def check_box(space: Space, box: Box) -> dict[str, tuple[float, float]]:
    """``box`` with one ``(low, high)`` per outer coordinate of ``space``, low < high."""
    missing = [n for n in space.names if n not in box]
    extra = [n for n in box if n not in space.names]
    if missing or extra:
        raise InputError(f"the box must give exactly {', '.join(space.names)}; "
                         f"missing {missing or 'none'}, unexpected {extra or 'none'}")
    out = {}
    for n in space.names:
        lo, hi = (float(v) for v in box[n])
        if not lo < hi:
            raise InputError(f"box for {n!r} must have low < high, got ({lo:g}, {hi:g})")
        out[n] = (lo, hi)
    return out


def initial_points(n: int, key: jax.Array, box: Box,
                   starts: Mapping[str, Mapping[str, float]] = {}) -> dict[str, np.ndarray]:
    """``n`` uniform points in ``box`` followed by the named ``starts``: ``(n + len(starts),)``."""
    n = check_int("seeds", n, minimum=0)
    keys = jax.random.split(key, len(box))
    out = {}
    for k, (name, (lo, hi)) in zip(keys, box.items(), strict=True):
        u = np.asarray(jax.random.uniform(k, (n,), minval=lo, maxval=hi), dtype=float)
        out[name] = np.concatenate([u, [float(s[name]) for s in starts.values()]])
    return out


def run_estimator(meta, space, est, init, keys, budget, optimizer, key=None) -> Runs:
    """Trains every start in ``init`` (name -> ``(runs,)``) for ``budget`` inner steps.

    The loop is compiled ahead of time, so ``compile_s`` and ``wall_s`` come from
    one training, not two. ``key`` is the inner runs' key for the true losses at
    the end points (needed for stochastic problems).
    """
    per_step = est.inner_steps(meta)
    steps = max(1, int(budget // per_step))
    t0 = time.perf_counter()
    call, init = compile_outer_train(meta, space, est, init, steps, optimizer, keys)
    t1 = time.perf_counter()
    run = call(init, keys)
    params = jax.block_until_ready(run.params)
    t2 = time.perf_counter()
    params = {k: np.asarray(v, float) for k, v in params.items()}
    # end points sliced on the host (on the device, each length compiles a slicing program)
    final = evaluate_points(meta, space, {k: v[:, -1] for k, v in params.items()}, key)
    return Runs(est.name, steps, round(steps * per_step), t2 - t1, t1 - t0, params, final)


def _threshold(meta, space, box, grid, quantile, key):
    if len(space) <= 2:
        axes = {n: space[n].forward(np.linspace(*box[n], grid)) for n in space.names}
        land = landscape(meta, axes, key=key)
        return float(np.quantile(land.values, quantile)), land
    rng = np.random.default_rng(0)
    pts = {n: rng.uniform(*box[n], grid * grid) for n in space.names}
    return float(np.quantile(evaluate_points(meta, space, pts, key), quantile)), None


def compare(
    meta: MetaLoss,
    space: Space,
    box: Box,
    *,
    key: jax.Array,
    estimators: Sequence[Estimator] | None = None,
    starts: Mapping[str, Mapping[str, float]] | None = None,
    training: Training = TRAINING,
    basin: Basin = BASIN,
    sweep: Sweep | None = SWEEP,
    maps: Maps | None = None,
    log: Callable[[str], None] | None = None,
) -> Comparison:
    """Trains with every estimator from ``training.seeds`` random starts in ``box`` plus
    the named ``starts``, and measures where each ends.

    Args:
      meta: the meta-loss (any problem, optimizer and objective).
      space: the outer coordinates that training moves.
      box: name -> ``(low, high)`` in outer coordinates, for every name of ``space``.
      key: PRNG key; every estimator gets the same starts and run keys, and the
        inner runs of stochastic problems take their randomness from it.
      estimators: default :func:`default_estimators`.
      starts: named starting points (label -> outer coordinates) run after the
        random ones, e.g. the study's two; they get their own table columns.
      training: the random starts' number, the inner-step budget per run and the outer
        optimizer (:class:`Training`).
      basin: how the low-loss basin's threshold is measured (:class:`Basin`).
      sweep: the gradient sweep (:class:`Sweep`), or ``None`` to skip it.
      maps: estimator maps over the box (:class:`Maps`), or ``None`` for none.
      log: optional ``str -> None`` for progress lines.

    Returns:
      :class:`Comparison`; ``.table()`` for the numbers, ``.save(dir)`` for the files.
    """
    if key is None:
        raise InputError("compare needs a key, e.g. key=jax.random.key(0)")
    estimators = list(default_estimators() if estimators is None else estimators)
    if not estimators:
        raise InputError("compare needs at least one estimator")
    budget = training.budget
    box = check_box(space, box)
    starts = {k: {n: float(v[n]) for n in space.names} for k, v in (starts or {}).items()}
    for est in estimators:
        est.check(meta)
        if est.inner_steps(meta) > budget:
            raise InputError(f"budget {budget} is below one outer step of {est.name} "
                             f"({est.inner_steps(meta):g} inner steps)")
    if maps is not None:  # refuse before the runs, not after them
        check_maps(meta, space, estimators, maps.samples, size=maps.size)
    log = log or (lambda _: None)
    k_start, k_run, k_sweep = jax.random.split(key, 3)
    inner_key = jax.random.fold_in(key, 3) if meta.problem.needs_key else None
    init = initial_points(training.seeds, k_start, box, starts)
    keys = jax.random.split(k_run, training.seeds + len(starts))
    at = starts or {"centre": {n: sum(box[n]) / 2 for n in space.names}}
    points = {n: np.array([s[n] for s in at.values()]) for n in space.names}
    plan = sweep and SweepPlan(meta, space, points, k_sweep, sweep.lengths, sweep.samples)
    # Compiling is most of the time: training loops and sweeps are jobs for two threads, so
    # both cores compile to the end; the maps get a third. Results do not depend on order.
    with Lanes(2 + (maps is not None)) as lanes:
        ds = None
        if maps is not None:
            axes = {k: space[k].forward(np.linspace(*box[k], maps.size)) for k in space.names}
            ds = lanes.start(estimator_maps, meta, space, estimators, axes,
                             samples=maps.samples, key=jax.random.fold_in(key, 4))
        land = lanes.start(_threshold, meta, space, box, basin.grid, basin.quantile, inner_key)
        jobs = [(lanes.start(run_estimator, meta, space, est, init, keys, budget,
                             training.transform, inner_key), plan and lanes.start(plan.run, est))
                for est in estimators]
        runs, rows = [], []
        for train, job in jobs:
            runs.append(train.result())
            log(f"{runs[-1].label}: {runs[-1].outer_steps} outer steps, "
                f"{runs[-1].wall_s:.1f} s")
            if job is not None:
                rows.append(job.result())
        if plan:
            log("gradient sweep done")
        threshold, land = land.result()
        if ds is not None:
            ds = ds.result()
            log("estimator maps done")
    swept = plan.dataset(estimators, rows) if plan else None
    return Comparison(runs, threshold, basin.quantile, land, swept, budget, starts, space, ds)
