"""Float64 landscapes: the study's problem with fastmath's float64 sin/cos against XLA's.

Deep zooms need float64. Run: ``python benchmarks/float64.py [N]`` (default 1000): an
N x N landscape of the study (50 steps) in float64, warm, median of 5 runs each, with
``Wavy1D(fast=True)`` (fastmath) and ``Wavy1D(fast=False)`` (jnp.sin/cos), and the
ratio; prints point-steps per second.
"""

import sys
import time

import jax
import numpy as np

import metaloss as ml


def main(n: int = 1000, repeats: int = 5) -> dict[str, float]:
    axes = {"lr": ml.logspace(-3, 2, n), "momentum": 1 - ml.logspace(-3, 0, n)}
    seconds = {}
    with jax.enable_x64(True):
        for fast in (False, True):
            meta = ml.MetaLoss(ml.problems.Wavy1D(fast=fast), ml.optimizers.SGDM(), steps=50)
            ml.landscape(meta, axes, progress=False)  # compile
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                ml.landscape(meta, axes, progress=False)
                times.append(time.perf_counter() - t0)
            seconds["fastmath" if fast else "XLA sin/cos"] = float(np.median(times))
    for name, s in seconds.items():
        print(f"{name}: {s:.3f} s, {n * n * 50 / s:.3g} point-steps/s")
    print(f"ratio: {seconds['XLA sin/cos'] / seconds['fastmath']:.2f}x")
    return seconds


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
