"""Throughput of the atlas's two problems (issue 11): point-steps per second.

Times warm ``ml.landscape`` runs (compiled once before timing; medians of several)
of Liu's ``cosine_quadratic`` (gradient descent, float64, one learning rate per point:
Liu reports 2^20 runs x 1000 steps in 1.62 s in float64 on a GPU, 6.5e8 run-steps per
second) and of Sohl-Dickstein's ``meanfield_mlp`` (tanh, per-layer learning rates,
float64; the issue asks for 1024 x 1024 x 1000 steps on a GPU) with the trainability
measure, on whatever devices JAX finds. Prints a Markdown section for RESULTS.md.

Usage::

    .venv/bin/python benchmarks/atlas.py                      # CPU-sized defaults
    .venv/bin/python benchmarks/atlas.py --liu-runs 1048576 --mlp-n 1024 --mlp-steps 1000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load_average, machine, timed  # noqa: E402

LIU_GPU = 2**20 * 1000 / 1.62
"""Liu (2024)'s float64 GPU figure, run-steps per second."""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--liu-runs", type=int, default=1 << 16, help="learning rates (runs)")
    ap.add_argument("--liu-steps", type=int, default=1000)
    ap.add_argument("--mlp-n", type=int, default=32, help="grid points per axis")
    ap.add_argument("--mlp-steps", type=int, default=100)
    ap.add_argument("--widths", type=int, nargs="+", default=[8, 16])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    import metaloss as ml
    from metaloss._src.measures import Trainability
    from metaloss._src.unroll import Divergence

    load_start = load_average()
    cases = {}
    liu = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.1), "sgd", steps=args.liu_steps,
                      divergence=Divergence(1e6))
    cases[f"cosine_quadratic, {args.liu_runs} runs x {args.liu_steps} steps"] = (
        liu, {"lr": np.linspace(0.98, 1.06, args.liu_runs)}, "loss",
        args.liu_runs * args.liu_steps)
    for width in args.widths:
        mlp = ml.MetaLoss(ml.problems.MeanFieldMLP(width=width), "sgd", steps=args.mlp_steps,
                          divergence=None)
        axes = {f"lr/layer{i}": np.logspace(-3, 6, args.mlp_n) for i in (0, 1)}
        cases[f"meanfield_mlp(width={width}), {args.mlp_n}^2 x {args.mlp_steps} steps"] = (
            mlp, axes, Trainability(), args.mlp_n**2 * args.mlp_steps)

    rows = []
    for name, (meta, axes, measure, work) in cases.items():
        def run(meta=meta, axes=axes, measure=measure):
            return np.asarray(ml.landscape(meta, axes, measure=measure, progress=False))

        first = timed(run)[0]
        times = [timed(run)[0] for _ in range(args.repeats)]
        rows.append((name, first, float(np.median(times)), work))

    info = machine()
    print(f"- CPU: {info['cpu']}\n- Versions: {info['versions']}")
    print(f"- JAX devices: {jax.devices()}")
    print(f"- Load average at start: {load_start}, at end: {load_average()}")
    print(f"- float64; medians of {args.repeats} warm runs")
    print()
    print("| case | first call | median | point-steps / s |")
    print("|---|---|---|---|")
    for name, first, t, work in rows:
        print(f"| {name} | {first:.2f} s | {t:.3f} s | {work / t:.3g} |")
    print(f"\nLiu (2024) on a GPU: {LIU_GPU:.3g} run-steps / s in float64.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
