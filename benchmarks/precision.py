"""Double-double against float64 on cosine_quadratic and meanfield_mlp, in one run
(issue 24's speed target: at most 15x the float64 cost).

    nice .venv/bin/python benchmarks/precision.py [--repeats 3] [--check-fma]

Each case computes the same landscape with ``precision="float64"`` and
``precision="double-double"``; times are the median of warm calls (compilation
excluded, reported apart), the two precisions' calls alternating, by wall clock and by
this process's CPU time, on whatever device JAX uses.

``--check-fma`` first measures, on the current backend, whether jit contracts
``a * b + c`` into a fused multiply-add and whether Dekker's two-product written
without optimization barriers stays exact (against exact rationals): the evidence for
which of ``precision.dd``'s barriers a backend needs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import numpy as np

import metaloss as ml
from metaloss._src.grid.axes import parse_axis

CASES = [
    ("cosine_quadratic, SGD, 4096 lrs x 300 steps",
     ml.MetaLoss(ml.problems.CosineQuadratic(delta=1.5 * ml.problems.CRITICAL_ROUGHNESS),
                 "sgd", steps=300), "lr=lin:0.98:1.06:4096"),
    ("meanfield_mlp(width=8, tanh), SGD, 64 lrs x 100 steps",
     ml.MetaLoss("meanfield_mlp(width=8)", "sgd", steps=100, divergence=None),
     "lr=lin:0.5:8:64"),
]


def timed(fns, repeats):
    """Per function: (first call s, median warm wall s, median warm CPU s). The warm
    calls alternate between the functions, so that all see the same load; CPU time
    (this process, all threads) is the steadier figure on a shared machine."""
    first, wall, cpu = [], [[] for _ in fns], [[] for _ in fns]
    for fn in fns:
        t0 = time.perf_counter()
        fn()
        first.append(time.perf_counter() - t0)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[i].append(time.perf_counter() - t0)
            cpu[i].append(time.process_time() - c0)
    return [(f, statistics.median(w), statistics.median(c))
            for f, w, c in zip(first, wall, cpu, strict=True)]


def check_fma(n=20000, seed=0):
    """Print the FMA-contraction and barrier-free two-product checks."""
    from fractions import Fraction

    import jax.numpy as jnp

    splitter = 134217729.0

    def bare_two_prod(a, b):
        p, ta, tb = a * b, splitter * a, splitter * b
        ah, bh = ta - (ta - a), tb - (tb - b)
        al, bl = a - ah, b - bh
        return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl

    def wrong(a, b, p, e):
        exact = [Fraction(float(x)) * Fraction(float(y)) for x, y in zip(a, b, strict=True)]
        got = [Fraction(float(u)) + Fraction(float(v)) for u, v in zip(p, e, strict=True)]
        return sum(x != y for x, y in zip(exact, got, strict=True))

    rng = np.random.default_rng(seed)
    with jax.enable_x64(True):
        a = rng.standard_normal(n) * np.exp(rng.uniform(-20, 20, n))
        b = rng.standard_normal(n) * np.exp(rng.uniform(-20, 20, n))
        fused = np.asarray(jax.jit(lambda a, b, c: a * b + c)(a, b, -(a * b)))
        p, e = jax.jit(bare_two_prod)(jnp.asarray(a), jnp.asarray(b))
        print(f"fma check ({jax.default_backend()}, {n} random pairs over 35 decades): "
              f"a*b + c contracted on {int((fused != 0).sum())}; barrier-free two-product "
              f"inexact on {wrong(a, b, np.asarray(p), np.asarray(e))}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--check-fma", action="store_true")
    args = ap.parse_args()
    if args.check_fma:
        check_fma()
    print(f"device: {jax.devices()[0].device_kind}; JAX {jax.__version__}")
    print("| case | float64 warm | double-double warm | ratio | CPU f64 / dd, ratio | "
          "first call f64 / dd | flags equal |")
    print("|---|---|---|---|---|---|---|")
    for name, meta, spec in CASES:
        axis, values = parse_axis(spec)
        out = {}

        def run(p, axis=axis, values=values, meta=meta, out=out):
            out[p] = ml.landscape(meta, {axis: values}, precision=p)

        f64, ddt = timed([lambda: run("float64"), lambda: run("double-double")], args.repeats)
        same = float((np.asarray(out["float64"]["diverged"])
                      == np.asarray(out["double-double"]["diverged"])).mean())
        print(f"| {name} | {f64[1] * 1e3:.1f} ms | {ddt[1] * 1e3:.1f} ms | "
              f"{ddt[1] / f64[1]:.1f}x | {f64[2] * 1e3:.1f} / {ddt[2] * 1e3:.1f} ms, "
              f"{ddt[2] / f64[2]:.1f}x | {f64[0]:.1f} s / {ddt[0]:.1f} s | {same:.1%} |")


if __name__ == "__main__":
    main()
