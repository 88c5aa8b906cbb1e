"""The PES paper's two toy tasks, measured: findings rows for the atlas.

Vicol, Metz & Sohl-Dickstein, "Unbiased Gradient Estimation in Unrolled Computation
Graphs with Persistent Evolution Strategies" (ICML 2021), Sec. 5.1, with the settings
of their code (google-research ``persistent_es/influence_balancing.py`` and
``toy_regression.py``) where it differs from the text:

- **Influence balancing** (:class:`~metaloss._src.systems.InfluenceBalancing`): each
  window is judged by the loss at its end (objective ``window_end(K)``, K the
  estimator's window); outer SGD with step ``1e-4`` for 3000 iterations from
  ``theta = 0.5``; 1000 particles (500 antithetic pairs), ``std = 0.1``. The code never
  restarts its inner runs; here they restart every ``steps = 1000`` steps, long past
  the chain's transient.
- **Toy regression** (:class:`~metaloss._src.systems.ToyRegression`): the loss summed
  over the 100-step unroll (objective ``mean``, the sum over 100: Adam is blind to the
  scale); windows of ``K = 10``; outer Adam (``1e-2``, ``b1 = 0.99``, ``b2 = 0.999``, no
  clipping: the code's defaults, :data:`TOY_OUTER`) for 20000 iterations from
  ``(-4, -4)``; 100 particles, ``std = 0.3`` for PES and ``1.0`` for truncated ES. The
  same task also goes through :func:`metaloss.workflows.compare` with that optimizer
  (:func:`toy_comparison`): every estimator from starts near ``(-4, -4)`` under one
  budget of inner steps.

``python -m metaloss._src.study.pes_paper --out DIR`` runs everything, writes
``pes_paper.json``, ``pes_paper.md`` and ``toy_regression.png`` (the paper's
trajectory figure), and prints the table; ``--quick`` runs a reduced version.
:func:`findings` returns the rows.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import jax
import numpy as np
import optax

from metaloss._src import estimators as E
from metaloss._src.estimators.estimate import estimate
from metaloss._src.meta import MetaLoss
from metaloss._src.outer import outer_train
from metaloss._src.space import Linear, Space
from metaloss._src.study.findings import Finding, markdown
from metaloss._src.systems import InfluenceBalancing, ToyRegression
from metaloss._src.workflows.compare import compare
from metaloss._src.workflows.compare_settings import Basin, OuterOptimizer, Training

PAPER = "Vicol et al. 2021"
OPTIMUM = -1.0 / 6.0
"""The long-horizon optimum of influence balancing (``s[0] -> -6 theta``)."""
TOY_OUTER = OuterOptimizer("adam", 1e-2, b1=0.99, b2=0.999)
"""The toy regression's outer optimizer in the paper's code (``outer_optimizer='adam'``,
``outer_lr=1e-2``, ``outer_b1=0.99``, ``outer_b2=0.999``, ``outer_clip=-1``)."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Sizes of the runs; :data:`FULL` is the paper code's, :data:`QUICK` a smoke test."""

    ib_steps: int = 1000
    ib_iterations: int = 3000
    ib_lr: float = 1e-4
    ib_pairs: int = 500
    ib_samples: int = 32
    ib_sample_pairs: int = 100
    uoro_factor: int = 64
    toy_iterations: int = 20000
    toy_pairs: int = 50
    toy_budget: int = 2_000_000
    toy_starts: int = 2
    grid: int = 121
    seed: int = 3


FULL = Settings()
QUICK = Settings(ib_steps=1000, ib_pairs=50, ib_samples=8, ib_sample_pairs=16,
                 toy_iterations=300, toy_pairs=8, toy_budget=20_000, grid=21)


def _influence(K: int, steps: int) -> MetaLoss:
    return MetaLoss(InfluenceBalancing(), steps=steps, objective=f"window_end(K={K})")


def influence_estimates(s: Settings = FULL) -> list[dict[str, Any]]:
    """Signed estimates at ``theta = 0.5`` (the paper's start): mean, stderr, exact."""
    n = s.ib_samples
    # UORO's one random rank-one tangent per window is far noisier: more whole runs
    runs = ((E.TruncatedBackprop(K=1), n), (E.TruncatedBackprop(K=10), n),
            (E.TruncatedES(K=10, pairs=s.ib_sample_pairs), n),
            (E.PES(K=10, pairs=s.ib_sample_pairs), n), (E.RTRL(K=10), n),
            (E.UORO(K=10), n * s.uoro_factor))
    rows = []
    for est, samples in runs:
        meta = _influence(est.K, s.ib_steps)
        r = estimate(meta, est, {"theta": 0.5}, jax.random.key(s.seed), samples=samples)
        rows.append({"estimator": est.name, "objective": meta.objective.name,
                     "mean": float(r.mean["theta"]), "stderr": float(r.stderr["theta"]),
                     "exact": float(r.exact["theta"]), "samples": samples})
    return rows


def influence_training(s: Settings = FULL) -> dict[str, dict[str, Any]]:
    """Outer SGD on ``theta`` from 0.5 with each estimator of the paper's Fig. 4."""
    space = Space({"theta": Linear()})
    out = {}
    for est in (E.TruncatedBackprop(K=1), E.TruncatedBackprop(K=10),
                E.TruncatedBackprop(K=100), E.TruncatedES(K=1, pairs=s.ib_pairs),
                E.PES(K=1, pairs=s.ib_pairs), E.PES(K=10, pairs=s.ib_pairs), E.RTRL(K=1)):
        if s.ib_steps < est.K:  # a window longer than the run
            continue
        t0 = time.perf_counter()
        run = outer_train(_influence(est.K, s.ib_steps), space, est, {"theta": 0.5},
                          s.ib_iterations, optax.sgd(s.ib_lr), jax.random.key(s.seed))
        theta = np.asarray(run.params["theta"])
        out[est.name] = {"final": float(theta[-1]), "last_tenth_mean": float(
            theta[-max(1, len(theta) // 10):].mean()), "seconds": time.perf_counter() - t0}
    return out


def toy_training(s: Settings = FULL) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray]]:
    """Outer Adam on the schedule's two log-rates from (-4, -4) with each estimator of the
    paper's toy-regression figure: final point, its summed meta-objective, and paths."""
    meta = MetaLoss(ToyRegression(), steps=100)
    space = Space({"theta0": Linear(), "theta1": Linear()})
    opt = TOY_OUTER.transform()
    start = {"theta0": -4.0, "theta1": -4.0}
    out, paths = {}, {}
    for est in (E.Backprop(), E.TruncatedBackprop(K=10), E.RTRL(K=10),
                E.TruncatedES(K=10, pairs=s.toy_pairs, std=1.0),
                E.PES(K=10, pairs=s.toy_pairs, std=0.3)):
        run = outer_train(meta, space, est, start, s.toy_iterations, opt, jax.random.key(s.seed))
        final = {k: float(v[-1]) for k, v in run.params.items()}
        out[est.name] = {**final, "sum_loss": 100 * float(meta(final))}
        paths[est.name] = {k: np.asarray(v) for k, v in run.params.items()}
    out["start"] = {**start, "sum_loss": 100 * float(meta(start))}
    return out, paths


def toy_comparison(s: Settings = FULL) -> dict[str, dict[str, float]]:
    """:func:`~metaloss.workflows.compare` on the toy regression with :data:`TOY_OUTER`:
    truncated backprop, truncated ES and PES from ``toy_starts`` random starts in
    ``[-4.1, -3.9]^2`` under ``toy_budget`` inner steps each; per estimator the median
    final summed loss (100 times the mean over the 100 steps) and its 95% interval."""
    meta = MetaLoss(ToyRegression(), steps=100)
    space = Space({"theta0": Linear(), "theta1": Linear()})
    ests = [E.TruncatedBackprop(K=10), E.TruncatedES(K=10, pairs=s.toy_pairs, std=1.0),
            E.PES(K=10, pairs=s.toy_pairs, std=0.3)]
    cmp = compare(meta, space, {"theta0": (-4.1, -3.9), "theta1": (-4.1, -3.9)},
                  key=jax.random.key(s.seed), estimators=ests, sweep=None,
                  training=Training(s.toy_starts, s.toy_budget, TOY_OUTER), basin=Basin(grid=8))
    return {r["estimator"]: {"median": 100 * r["median"].value, "low": 100 * r["median"].low,
                             "high": 100 * r["median"].high, "outer_steps": r["outer_steps"]}
            for r in cmp.table()}


def toy_figure(paths: dict[str, dict[str, np.ndarray]], s: Settings = FULL):
    """The paper's figure: the summed meta-objective over (initial, final) log-rate, with
    each estimator's outer-training path."""
    from metaloss._src import plot
    from metaloss._src.grid.compute import landscape

    meta = MetaLoss(ToyRegression(), steps=100)
    axis = np.linspace(-8.0, 4.0, s.grid)
    da = landscape(meta, {"theta0": axis, "theta1": axis}, progress=False) * 100
    return plot.trajectories(da, paths, vmax=None, crop_view=False,
                             title="Toy regression: summed loss over the 100-step unroll")


def _moves_away(final: float) -> bool:
    return math.isfinite(final) and abs(final - OPTIMUM) > abs(0.5 - OPTIMUM)


def findings(results: dict[str, Any]) -> list[Finding]:
    """Findings rows from :func:`run`'s results."""
    rows = []
    ib = "influence balancing, n=23, start theta=0.5"
    for r in results["influence_estimates"]:
        name, mean, se, exact = r["estimator"], r["mean"], r["stderr"], r["exact"]
        ci = (mean - 3 * se, mean + 3 * se)
        unbiased = name.startswith(("pes", "rtrl", "uoro"))
        if unbiased:
            agrees = ci[0] - 1e-4 * abs(exact) <= exact <= ci[1] + 1e-4 * abs(exact)
            claim = f"unbiased: the full gradient {exact:.4g}"
        else:
            agrees = bool(np.sign(mean) != np.sign(exact) and abs(mean) > 3 * se)
            claim = f"opposite sign to the full gradient {exact:.4g}"
        rows.append(Finding(PAPER, f"gradient at theta=0.5, {name}", claim, mean, ci,
                            f"ml.estimate, mean of {r.get('samples', '')} independent whole "
                            "runs of windows, 3 SE",
                            f"{ib}, {r['objective']}, steps={results['settings']['ib_steps']}",
                            bool(agrees)))
    s = results["settings"]
    train = f"{ib}, SGD {s['ib_lr']:g}, {s['ib_iterations']} iterations"
    for name, r in results["influence_training"].items():
        converges = name.startswith(("pes", "rtrl", "truncated(K=100)"))
        if converges:
            agrees = abs(r["final"] - OPTIMUM) < 0.02
            rows.append(Finding(PAPER, f"outer training, {name}", round(OPTIMUM, 4), r["final"],
                                (r["final"] - 0.02, r["final"] + 0.02), "final theta, "
                                "tolerance 0.02", train, bool(agrees)))
        else:
            rows.append(Finding(PAPER, f"outer training, {name}", "moves away from -1/6",
                                r["final"], None, "final theta", train,
                                _moves_away(r["final"])))
    toy = results["toy_training"]
    others = {k: v["sum_loss"] for k, v in toy.items() if not k.startswith(("pes", "start"))}
    pes = next(v for k, v in toy.items() if k.startswith("pes"))
    best_other = min(others.values())
    exact = toy.get("backprop")
    note = "" if exact is None else (
        f"exact gradient descent (backprop) ends at summed loss {exact['sum_loss']:.4g}, "
        f"theta=({exact['theta0']:.3g}, {exact['theta1']:.3g}); start "
        f"{toy['start']['sum_loss']:.4g}")
    rows.append(Finding(PAPER, "toy regression, PES reaches the low region", "PES lowest "
                        "(its path ends near the optimum of the heatmap)", pes["sum_loss"],
                        None, "summed loss of a 100-step unroll at the final point",
                        f"{TOY_OUTER.describe()}, {s['toy_iterations']} iterations, start "
                        f"(-4, -4); best other: {best_other:.4g} ({min(others, key=others.get)})",
                        bool(pes["sum_loss"] < best_other), note))
    cmp = results.get("toy_comparison")
    if cmp:
        pes_name = next(k for k in cmp if k.startswith("pes"))
        others = {k: v for k, v in cmp.items() if k != pes_name}
        rival = min(others, key=lambda k: others[k]["median"])
        p = cmp[pes_name]
        rows.append(Finding(
            PAPER, "toy regression through compare, PES lowest", "PES lowest; truncated "
            "backprop and truncated ES stay higher", p["median"], (p["low"], p["high"]),
            "median final summed loss over the starts, 95% bootstrap interval",
            f"workflows.compare, {TOY_OUTER.describe()}, budget {s['toy_budget']} inner steps, "
            f"{s['toy_starts']} starts in [-4.1, -3.9]^2; next: {rival} "
            f"{others[rival]['median']:.4g} [{others[rival]['low']:.4g}, "
            f"{others[rival]['high']:.4g}]", bool(p["high"] < others[rival]["low"])))
    return rows


def measure(s: Settings = FULL) -> tuple[dict[str, Any], list[Finding], Any]:
    """Runs every measurement: ``(results, rows, the toy-regression trajectory figure)``."""
    t0 = time.perf_counter()
    toy, paths = toy_training(s)
    results = {"settings": dataclasses.asdict(s), "influence_estimates": influence_estimates(s),
               "influence_training": influence_training(s), "toy_training": toy,
               "toy_comparison": toy_comparison(s)}
    results["seconds"] = time.perf_counter() - t0
    return results, findings(results), toy_figure(paths, s)


def texts(results: dict[str, Any], rows: list[Finding]) -> dict[str, str]:
    """File name -> text: ``pes_paper.json`` (the results and the rows) and ``pes_paper.md``."""
    return {"pes_paper.json": json.dumps({**results, "findings": [r.to_json() for r in rows]},
                                         indent=1),
            "pes_paper.md": "\n".join(markdown(rows)) + "\n"}


def run(s: Settings = FULL, out: Path | None = None) -> tuple[dict[str, Any], list[Finding]]:
    """Runs every measurement; with ``out``, writes the JSON, the table and the figure."""
    results, rows, figure = measure(s)
    if out is not None:
        from metaloss._src import plot

        out.mkdir(parents=True, exist_ok=True)
        for name, text in texts(results, rows).items():
            (out / name).write_text(text)
        plot.save(figure, out / "toy_regression.png")
    return results, rows


def atlas_findings(quick: bool = False, out: Path | None = None
                   ) -> tuple[dict[str, Any], list[Finding]]:
    """The atlas's part: every measurement at the paper code's sizes (about a minute on
    one CPU core) or :data:`QUICK`'s; with ``out``, also writes ``pes_paper.json``,
    ``pes_paper.md`` and ``toy_regression.png`` there. Returns ``(results, rows)``."""
    return run(QUICK if quick else FULL, out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    _, rows = run(QUICK if args.quick else FULL, args.out)
    print("\n".join(markdown(rows)))


if __name__ == "__main__":
    main()
