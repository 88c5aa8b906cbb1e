"""Every outer-gradient estimator on the same footing, over many seeds.

:func:`compare` trains the study's outer coordinates (log10 lr, log10(1 - momentum))
with each estimator from the same random starting points plus the study's two
starts, under the same budget of inner steps, all seeds in one vmapped
:func:`~metaloss.outer_train` call per estimator. It then evaluates the *true*
outer loss at every end point and measures how each estimator's gradient
estimates behave as the unroll grows
(:func:`metaloss.analysis.gradients.gradient_sweep`): the picture of exploding
exact gradients against bounded smoothed ones.

The low-loss basin is defined from the landscape itself: a run ends in it when
its final true outer loss is at or below the ``basin_quantile`` (default 5%)
quantile of the outer loss over a grid of the study's box, i.e. it found a
setting among the best 5% of the box.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np
import optax
import xarray as xr

from metaloss.analysis import evaluate_points
from metaloss.analysis.gradients import LENGTHS, gradient_sweep
from metaloss.estimators import ES, PES, Backprop, Estimator, Forward, TruncatedBackprop
from metaloss.estimators.spec import label
from metaloss.landscape import atomic_path, landscape
from metaloss.landscape.io import check_writable_dir, write_text
from metaloss.meta import MetaLoss
from metaloss.outer import outer_train
from metaloss.space import Space
from metaloss.study import BOX, STUDY_OPTIMIZER, STUDY_STARTS, study_setup


def default_estimators() -> tuple[Estimator, ...]:
    return (Backprop(), Forward(), TruncatedBackprop(K=10), ES(std=0.1, pairs=1),
            ES(std=0.1, pairs=16), PES(std=0.1, pairs=1, K=10))



def initial_points(n: int, key: jax.Array, box=BOX) -> dict[str, np.ndarray]:
    """``n`` uniform points in ``box`` followed by the study's two starts: ``(n + 2,)`` each."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"seeds must be an integer >= 0, got {n!r}")
    keys = jax.random.split(key, len(box))
    out = {}
    for k, (name, (lo, hi)) in zip(keys, box.items(), strict=True):
        u = np.asarray(jax.random.uniform(k, (n,), minval=lo, maxval=hi), dtype=float)
        out[name] = np.concatenate([u, [s[name] for s in STUDY_STARTS]])
    return out


@dataclasses.dataclass(frozen=True)
class Runs:
    """One estimator's outer-training runs from every starting point.

    Attributes:
      label: the estimator's :func:`label`.
      outer_steps: outer steps each run took.
      inner_steps: inner steps each run used (the budget actually spent).
      wall_s: wall time of the one vmapped call for all runs, compilation excluded.
      compile_s: its compilation time.
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


def run_estimator(meta, space, est, init, keys, budget, optimizer) -> Runs:
    """Trains every start in ``init`` (name -> ``(runs,)``) for ``budget`` inner steps.

    The call runs twice, so that ``wall_s`` times the compiled loop alone and
    ``compile_s`` the compilation (first call minus second).
    """
    per_step = est.inner_steps(meta)
    steps = max(1, int(budget // per_step))
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        run = outer_train(meta, space, est, init, steps, optimizer, keys)
        params = jax.block_until_ready(run.params)
        times.append(time.perf_counter() - t0)
    final = evaluate_points(meta, space, run.final())
    return Runs(label(est), steps, round(steps * per_step), times[1],
                max(times[0] - times[1], 0.0),
                {k: np.asarray(v, float) for k, v in params.items()}, final)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """What :func:`compare` measured.

    Attributes:
      runs: one :class:`Runs` per estimator, in the order given.
      threshold: the basin threshold (true outer loss) and ``basin_quantile``, the
        landscape quantile it was set at.
      landscape: the outer loss over the box (for the threshold and the figures).
      sweep: the :func:`gradient_sweep` dataset, or ``None`` when skipped.
      budget: inner steps each run was allowed.
    """

    runs: list[Runs]
    threshold: float
    basin_quantile: float
    landscape: xr.DataArray
    sweep: xr.Dataset | None
    budget: int

    def table(self) -> list[dict[str, Any]]:
        """One row per estimator: final true-loss quartiles, basin share, cost."""
        rows = []
        for r in self.runs:
            q25, med, q75 = np.quantile(r.final_loss, [0.25, 0.5, 0.75])
            start_a, start_b = r.final_loss[-2:]
            rows.append({
                "estimator": r.label, "outer_steps": r.outer_steps,
                "inner_steps": r.inner_steps, "median": med, "q25": q25, "q75": q75,
                "in_basin": float(np.mean(r.final_loss <= self.threshold)),
                "start_a": start_a, "start_b": start_b, "wall_s": r.wall_s,
                "compile_s": r.compile_s,
            })
        return rows


COLUMNS = {
    "estimator": "estimator", "outer_steps": "outer steps", "inner_steps": "inner steps/run",
    "median": "median", "q25": "q25", "q75": "q75", "in_basin": "in basin",
    "start_a": "from (-2, -0.5)", "start_b": "from (0, -1.5)",
    "wall_s": "wall s", "compile_s": "compile s",
}
"""Table columns and their headers; the ``start_*`` columns are the study's two starts."""


def _cell(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if key in ("outer_steps", "inner_steps"):
        return str(int(value))
    if key == "in_basin":
        return f"{100 * value:.0f}%"
    return f"{value:.2f}" if key.endswith("_s") else f"{value:.3f}"


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The table as CSV, full precision, machine-readable column names."""
    lines = [",".join(COLUMNS)]
    lines += [",".join(str(r[k]) if isinstance(r[k], str) else repr(float(r[k]))
                       for k in COLUMNS) for r in rows]
    return "\n".join(lines) + "\n"


def format_rows(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    """The table's cells as rounded strings, columns in :data:`COLUMNS` order."""
    return [[_cell(k, r[k]) for k in COLUMNS] for r in rows]


def to_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The table as a GitHub-flavoured markdown table, rounded for reading."""
    lines = ["| " + " | ".join(COLUMNS.values()) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells) + " |" for cells in format_rows(rows)]
    return "\n".join(lines) + "\n"


def settings(quick: bool = False) -> dict[str, Any]:
    """:func:`compare`'s keyword arguments for a full run or a quick one (seconds, for tests)."""
    if not quick:
        return {}
    return {"estimators": (Backprop(), ES(std=0.1, pairs=1), PES(std=0.1, pairs=1, K=10)),
            "seeds": 8, "budget": 5_000, "grid": 48, "lengths": (10, 100), "samples": 8}


def compare(
    estimators: Sequence[Estimator] | None = None,
    *,
    seeds: int = 64,
    budget: int = 100_000,
    meta: MetaLoss | None = None,
    optimizer: optax.GradientTransformation = STUDY_OPTIMIZER,
    key: jax.Array | None = None,
    grid: int = 200,
    basin_quantile: float = 0.05,
    lengths: Sequence[int] | None = LENGTHS,
    samples: int = 64,
    log=None,
) -> Comparison:
    """Runs every estimator from ``seeds`` random starts plus the study's two.

    Args:
      estimators: default :func:`default_estimators`.
      seeds: random starting points, uniform in :data:`BOX`.
      budget: inner steps per run; each estimator takes
        ``budget // estimator.inner_steps(meta)`` outer steps.
      meta: the meta-loss over (lr, momentum); default the study's.
      optimizer: the outer optimizer, the same for every estimator.
      key: PRNG key (default ``jax.random.key(0)``); every estimator gets the same
        starts and run keys.
      grid: landscape resolution per axis (for the basin threshold and figures).
      basin_quantile: the landscape quantile that defines the low-loss basin.
      lengths: unroll lengths for :func:`gradient_sweep`, or ``None`` to skip it.
      samples: keys per point in the sweep.
      log: optional ``str -> None`` for progress lines.

    Returns:
      :class:`Comparison`.
    """
    estimators = list(default_estimators() if estimators is None else estimators)
    if not estimators:
        raise ValueError("compare needs at least one estimator")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be an integer >= 1, got {budget!r}")
    if not 0 < basin_quantile < 1:
        raise ValueError(f"basin quantile must lie in (0, 1), got {basin_quantile!r}")
    default_meta, space = study_setup()
    meta = default_meta if meta is None else meta
    log = log or (lambda _: None)
    k_start, k_run, k_sweep = jax.random.split(jax.random.key(0) if key is None else key, 3)
    init = initial_points(seeds, k_start)
    keys = jax.random.split(k_run, seeds + 2)
    land = landscape(meta, {n: space[n].forward(np.linspace(*BOX[n], grid))
                            for n in space.names})
    threshold = float(np.quantile(land.values, basin_quantile))
    runs = []
    for est in estimators:
        runs.append(run_estimator(meta, space, est, init, keys, budget, optimizer))
        log(f"{runs[-1].label}: {runs[-1].outer_steps} outer steps, {runs[-1].wall_s:.1f} s")
    sweep = None
    if lengths:
        points = {n: np.array([s[n] for s in STUDY_STARTS]) for n in space.names}
        sweep = gradient_sweep(meta, space, estimators, points, k_sweep, lengths, samples)
        log("gradient sweep done")
    return Comparison(runs, threshold, basin_quantile, land, sweep, budget)


def save(cmp: Comparison, out, space: Space | None = None) -> dict[str, Path]:
    """Writes the table (CSV, markdown), the figures and the sweep data into ``out``."""
    from metaloss import plot
    from metaloss.plot import compare as figs

    space = study_setup()[1] if space is None else space
    out = check_writable_dir(out)
    rows = cmp.table()
    paths = {"csv": out / "compare.csv", "markdown": out / "compare.md",
             "final_loss": out / "compare_final_loss.png",
             "trajectories": out / "compare_trajectories.png"}
    for key, text in (("csv", to_csv(rows)), ("markdown", to_markdown(rows))):
        write_text(paths[key], text)
    plot.save(figs.final_losses({r.label: r.final_loss for r in cmp.runs}, cmp.threshold),
              paths["final_loss"])
    plot.save(figs.trajectories(cmp.landscape, {r.label: r.params for r in cmp.runs},
                                params=space), paths["trajectories"])
    if cmp.sweep is not None:
        paths["gradients"] = out / "compare_gradients.png"
        plot.save(figs.gradient_sweep(cmp.sweep), paths["gradients"])
        paths["sweep"] = out / "compare_sweep.nc"
        with atomic_path(paths["sweep"]) as tmp:
            cmp.sweep.to_netcdf(tmp, engine="h5netcdf")
    return paths
