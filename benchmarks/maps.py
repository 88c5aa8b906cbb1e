"""Estimator maps: 8 estimators on a 64 x 64 grid, 256 estimates per pixel (issue 14).

Target: under 60 s on 2 CPU cores, one compiled program per estimator. Times one
cold call for all of them (compilation and truths included), with each
estimator's share, then checks that a second call on another grid of the same size class with
another sample count of the same class compiles nothing.

    PYTHONPATH=src .venv/bin/python benchmarks/maps.py [--size 64] [--samples 256]
"""

from __future__ import annotations

import argparse
import os
import time

import jax
import numpy as np
from jax import monitoring

from metaloss._src.study.settings import BOX, study_setup
from metaloss.analysis import estimator_maps
from metaloss.estimators import get_list

ESTIMATORS = ("backprop, forward, truncated(K=10), es(std=0.1, pairs=1), pes(std=0.1, K=10), "
              "nres(std=0.1, K=10), guided_es(std=0.1, alpha=0.5), hybrid(std=0.1, pairs=4)")


class Compiles:
    def __init__(self):
        self.count = 0
        monitoring.register_event_duration_secs_listener(self)

    def __call__(self, event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            self.count += 1


def axes(n: int, shift: float = 0.0):
    meta, space = study_setup()
    return {k: space[k].forward(np.linspace(lo + shift, hi - shift, n))
            for k, (lo, hi) in BOX.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--samples", type=int, default=256)
    args = ap.parse_args()
    meta, space = study_setup()
    estimators = get_list(ESTIMATORS)
    compiles = Compiles()
    print(f"{len(estimators)} estimators, {args.size} x {args.size} grid, {args.samples} "
          f"estimates per pixel; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    t0 = time.perf_counter()
    ds = estimator_maps(meta, space, estimators, axes(args.size), samples=args.samples,
                        key=jax.random.key(0), log=lambda line: print("  " + line))
    total = time.perf_counter() - t0
    print(f"one call, cold: {total:.1f} s ({compiles.count} compilations; each ES-type "
          "truth is computed with the first estimator that needs it)")
    for e, cos in zip(ds["estimator"].values, ds["cosine"].median(("lr", "momentum")).values,
                      strict=True):
        print(f"  {e}: median cosine {float(cos):.2f}")
    before = compiles.count
    fewer = args.samples * 4 // 5  # the same size class of estimates and points
    t0 = time.perf_counter()
    estimator_maps(meta, space, estimators, axes(args.size - 3, 0.1), samples=fewer,
                   key=jax.random.key(1))
    print(f"again on a {args.size - 3}^2 grid with {fewer} samples: "
          f"{time.perf_counter() - t0:.1f} s, {compiles.count - before} new compilations; "
          f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
