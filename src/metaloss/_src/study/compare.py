"""Every outer-gradient estimator on the same footing, over many seeds.

:func:`compare` trains the outer coordinates of any meta-loss and space with each
estimator from the same random starting points in a box (plus any named starts),
under the same budget of inner steps, all seeds in one vmapped, compiled
:func:`~metaloss.outer_train` call per estimator. It then evaluates the *true*
outer loss at every end point and measures how each estimator's gradient
estimates behave as the unroll grows (:func:`metaloss._src.analysis.gradient_sweep`):
the picture of exploding exact gradients against bounded smoothed ones; with ``maps``,
every estimator against its truth on a grid (:func:`metaloss._src.analysis.estimator_maps`).
The training loops and the sweep's estimators are jobs for two threads
(:class:`~metaloss._src.study.lanes.Lanes`), the maps run in a third: compiling is most of a
comparison's time, and XLA compiles without holding the GIL.

The low-loss basin is defined from the landscape itself: a run ends in it when its
final true outer loss is at or below the ``basin_quantile`` (default 5%) quantile
of the outer loss over the box, i.e. it found a setting among the best 5% of it.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np
import optax
import xarray as xr

from metaloss._src.analysis import estimator_maps, evaluate_points, stats
from metaloss._src.analysis.gradients import LENGTHS, SweepPlan
from metaloss._src.analysis.maps import check_maps
from metaloss._src.errors import InputError, check_int, check_range
from metaloss._src.estimators import Estimator, get_list
from metaloss._src.grid import landscape
from metaloss._src.meta import MetaLoss
from metaloss._src.outer import compile_outer_train
from metaloss._src.space import Space
from metaloss._src.study.lanes import Lanes
from metaloss._src.study.settings import STUDY_OPTIMIZER

Box = Mapping[str, tuple[float, float]]


DEFAULT_ESTIMATORS = "backprop, forward, truncated(K=10), es(pairs=1), es(pairs=16), pes(K=10)"
ALL_ESTIMATORS = DEFAULT_ESTIMATORS + ", nres(K=10), guided_es(alpha=0.5), hybrid(pairs=4)"


def default_estimators(every: bool = False) -> tuple[Estimator, ...]:
    return tuple(get_list(ALL_ESTIMATORS if every else DEFAULT_ESTIMATORS))


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


@dataclasses.dataclass(frozen=True)
class Runs:
    """One estimator's outer-training runs from every starting point.

    Attributes:
      label: the estimator's spec (:func:`metaloss._src.spec.label`).
      outer_steps: outer steps each run took.
      inner_steps: inner steps each run used (the budget actually spent).
      wall_s: wall time of the one vmapped call for all runs, compilation excluded
        (while other jobs of :func:`compare` compile in other threads).
      compile_s: its compilation time (measured apart, ahead of time).
      params: name -> ``(runs, outer_steps + 1)`` trajectories in outer coordinates.
      final_loss: ``(runs,)`` true outer loss at each end point.
    """

    label: str
    outer_steps: int
    inner_steps: int
    wall_s: float
    compile_s: float
    params: dict[str, np.ndarray]
    final_loss: np.ndarray


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


@dataclasses.dataclass(frozen=True)
class Comparison:
    """What :func:`compare` measured.

    Attributes:
      runs: one :class:`Runs` per estimator, in the order given.
      threshold: the basin threshold (true outer loss), set at ``basin_quantile``
        of the landscape.
      landscape: the outer loss over the box (a grid for 1 or 2 outer coordinates;
        ``None`` beyond, where random points of the box set the threshold).
      sweep: the :func:`gradient_sweep` dataset, or ``None`` when skipped.
      budget: inner steps each run was allowed.
      starts: the named starts, which are the last runs of every estimator.
      space: the outer space.
      maps: the :func:`~metaloss._src.analysis.estimator_maps` dataset, or ``None``.
    """

    runs: list[Runs]
    threshold: float
    basin_quantile: float
    landscape: xr.DataArray | None
    sweep: xr.Dataset | None
    budget: int
    starts: dict[str, dict[str, float]]
    space: Space
    maps: xr.Dataset | None = None

    def table(self) -> list[dict[str, Any]]:
        """One row per estimator: final true-loss quartiles and basin share (each a
        :class:`~metaloss._src.analysis.stats.Estimate` with its 95% bootstrap interval over
        the runs), the named starts' end losses, cost."""
        return [dict(row) for row in self._rows]

    @functools.cached_property
    def _rows(self) -> list[dict[str, Any]]:
        """:meth:`table`'s rows, bootstrapped once (a report asks for them several times)."""
        rows = []
        for r in self.runs:
            q = stats.quartiles(r.final_loss)
            tail = r.final_loss[len(r.final_loss) - len(self.starts):]
            row = {"estimator": r.label, "outer_steps": r.outer_steps,
                   "inner_steps": r.inner_steps, "median": q["median"], "q25": q["q25"],
                   "q75": q["q75"], "in_basin": stats.share(r.final_loss <= self.threshold)}
            row.update({f"from {name}": float(v) for name, v in zip(self.starts, tail,
                                                                     strict=True)})
            row.update({"wall_s": r.wall_s, "compile_s": r.compile_s})
            rows.append(row)
        return rows

    def ranking(self) -> str:
        """Which estimator has the lowest median final loss, in words that claim no more
        than the intervals allow."""
        medians = {r["estimator"]: r["median"] for r in self.table()}
        best, separated = stats.lowest(medians)
        if len(medians) == 1:
            return f"One estimator: {best} ({medians[best].format()})."
        if separated:
            return (f"Lowest median: {best} ({medians[best].format()}), its 95% interval below "
                    "every other estimator's.")
        tied = stats.tied_with(medians, best)
        return (f"No estimator's median is separated from the rest: the lowest, {best} "
                f"({medians[best].format()}), overlaps {', '.join(tied)} within 95% intervals.")


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
    seeds: int = 64,
    budget: int = 100_000,
    optimizer: optax.GradientTransformation = STUDY_OPTIMIZER,
    grid: int = 200,
    basin_quantile: float = 0.05,
    lengths: Sequence[int] | None = LENGTHS,
    samples: int = 64,
    maps: int | None = None,
    map_samples: int = 64,
    log: Callable[[str], None] | None = None,
) -> Comparison:
    """Runs every estimator from ``seeds`` random starts in ``box`` plus the named ``starts``.

    Args:
      meta: the meta-loss (any problem, optimizer and objective).
      space: the outer coordinates that training moves.
      box: name -> ``(low, high)`` in outer coordinates, for every name of ``space``.
      key: PRNG key; every estimator gets the same starts and run keys, and the
        inner runs of stochastic problems take their randomness from it.
      estimators: default :func:`default_estimators`.
      starts: named starting points (label -> outer coordinates) run after the
        random ones, e.g. the study's two; they get their own table columns.
      seeds: random starting points, uniform in ``box``.
      budget: inner steps per run; each estimator takes
        ``budget // estimator.inner_steps(meta)`` outer steps (refused when that is 0).
      optimizer: the outer optimizer, the same for every estimator.
      grid: landscape resolution per axis (for the basin threshold and figures).
      basin_quantile: the landscape quantile that defines the low-loss basin.
      lengths: unroll lengths for :func:`gradient_sweep` at the named starts (or at
        the box's centre without any), or ``None`` to skip it.
      samples: keys per point in the sweep.
      maps: points per axis of the estimator maps over the box, or ``None`` for none.
      map_samples: estimates per pixel and estimator in the maps.
      log: optional ``str -> None`` for progress lines.

    Returns:
      :class:`Comparison`.
    """
    if key is None:
        raise InputError("compare needs a key, e.g. key=jax.random.key(0)")
    estimators = list(default_estimators() if estimators is None else estimators)
    if not estimators:
        raise InputError("compare needs at least one estimator")
    budget = check_int("budget", budget)
    check_range("basin quantile", basin_quantile, 0.0, 1.0, closed=(False, False))
    grid = check_int("grid", grid, minimum=2)
    box = check_box(space, box)
    starts = {k: {n: float(v[n]) for n in space.names} for k, v in (starts or {}).items()}
    for est in estimators:
        est.check(meta)
        if est.inner_steps(meta) > budget:
            raise InputError(f"budget {budget} is below one outer step of {est.name} "
                             f"({est.inner_steps(meta):g} inner steps)")
    if maps is not None:  # refuse before the runs, not after them
        check_maps(meta, space, estimators, map_samples, size=maps)
    log = log or (lambda _: None)
    k_start, k_run, k_sweep = jax.random.split(key, 3)
    inner_key = jax.random.fold_in(key, 3) if meta.problem.needs_key else None
    init = initial_points(seeds, k_start, box, starts)
    keys = jax.random.split(k_run, seeds + len(starts))
    at = starts or {"centre": {n: sum(box[n]) / 2 for n in space.names}}
    points = {n: np.array([s[n] for s in at.values()]) for n in space.names}
    plan = SweepPlan(meta, space, points, k_sweep, lengths, samples) if lengths else None
    # Compiling is most of the time: training loops and sweeps are jobs for two threads, so
    # both cores compile to the end; the maps get a third. Results do not depend on order.
    with Lanes(2 + (maps is not None)) as lanes:
        ds = None
        if maps is not None:
            axes = {k: space[k].forward(np.linspace(*box[k], maps)) for k in space.names}
            ds = lanes.start(estimator_maps, meta, space, estimators, axes,
                             samples=map_samples, key=jax.random.fold_in(key, 4))
        land = lanes.start(_threshold, meta, space, box, grid, basin_quantile, inner_key)
        jobs = [(lanes.start(run_estimator, meta, space, est, init, keys, budget, optimizer,
                             inner_key), plan and lanes.start(plan.run, est))
                for est in estimators]
        runs, rows = [], []
        for train, sweep in jobs:
            runs.append(train.result())
            log(f"{runs[-1].label}: {runs[-1].outer_steps} outer steps, "
                f"{runs[-1].wall_s:.1f} s")
            if sweep is not None:
                rows.append(sweep.result())
        if plan is not None:
            log("gradient sweep done")
        threshold, land = land.result()
        if ds is not None:
            ds = ds.result()
            log("estimator maps done")
    sweep = plan and plan.dataset(estimators, rows)
    return Comparison(runs, threshold, basin_quantile, land, sweep, budget, starts, space, ds)
