"""The cost of a Lyapunov map against the loss landscape of the same grid (issue 11).

Times ``ml.landscape`` (the outer loss) and ``ml.lyapunov`` (Benettin's method, a
tangent pushed through every inner step with ``jax.jvp``) on the study's problem and
grid, warm (compiled once before timing), alternating the measures so that both
see the same load, and reports the medians and their ratio; ``--gradnorm`` adds the
exact outer-gradient norm. Prints a Markdown section for RESULTS.md.

Usage::

    .venv/bin/python benchmarks/lyapunov.py                   # 512 x 512, 50 steps
    .venv/bin/python benchmarks/lyapunov.py --n 256 --repeats 3 --renorm 1 5

Target (issue 11): a Lyapunov map costs at most 3x the loss landscape.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load_average, machine  # noqa: E402

TARGET = 3.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=512, help="grid points per axis")
    ap.add_argument("--steps", type=int, default=50, help="inner steps")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per measure")
    ap.add_argument("--renorm", type=int, nargs="+", default=[1],
                    help="Lyapunov renormalisation intervals to time")
    ap.add_argument("--gradnorm", action="store_true", help="also time the gradient norm")
    args = ap.parse_args(argv)

    import jax

    import metaloss as ml
    from common import timed

    load_start = load_average()
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=args.steps)
    axes = {"lr": ml.logspace(-3, 2, args.n), "momentum": 1 - ml.logspace(-3, 0, args.n)}
    measures = {"loss": ml.Loss()}
    measures.update({f"lyapunov(renorm={r})": ml.Lyapunov(renorm=r) for r in args.renorm})
    if args.gradnorm:
        measures["gradnorm"] = ml.GradNorm()

    def run(m):
        return lambda: np.asarray(ml.landscape(meta, axes, measure=m, progress=False))

    compile_s = {name: timed(run(m))[0] for name, m in measures.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(args.repeats):
        for name, m in measures.items():
            times[name].append(timed(run(m))[0])
    median = {name: float(np.median(t)) for name, t in times.items()}

    info = machine()
    points = args.n * args.n
    print(f"- CPU: {info['cpu']}\n- Versions: {info['versions']}")
    print(f"- JAX devices: {jax.devices()}")
    print(f"- Load average at start: {load_start}, at end: {load_average()}")
    print(f"- Grid: the study's problem, {args.n} x {args.n}, {args.steps} steps, float32; "
          f"medians of {args.repeats} warm runs")
    print()
    print("| measure | median | point-steps / s | ratio to loss | first call | target | met |")
    print("|---|---|---|---|---|---|---|")
    for name, t in median.items():
        ratio = t / median["loss"]
        target, met = ("", "")
        if name.startswith("lyapunov"):
            target, met = f"<= {TARGET:g}x", "yes" if ratio <= TARGET else "no"
        print(f"| {name} | {t:.3f} s | {points * args.steps / t:.3g} | {ratio:.2f}x | "
              f"{compile_s[name]:.2f} s | {target} | {met} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
