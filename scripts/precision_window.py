"""Issue 24's done-when check: double-double against 60-digit mpmath on a learning-rate
window 1e-20 wide around a point of Liu's boundary (cosine_quadratic, roughness 1.5x
the onset, x0 = 10, 300 steps of SGD).

    .venv/bin/python scripts/precision_window.py [--points 64] [--width 1e-20]

Finds a boundary point by a coarse double-double scan of [0.95, 1.5] and bisection in
mpmath, lays ``points`` learning rates (exact decimals) over the window, and prints the
share of points whose double-double diverged flag equals mpmath's, the number of label
changes in the window (by mpmath), and what float64 makes of the window.
"""

from __future__ import annotations

import argparse
from fractions import Fraction

import jax
import mpmath
import numpy as np

from metaloss._src.optimizers.sgd import SGD
from metaloss._src.precision import dd, unroll_dd
from metaloss._src.problems.cosine import CRITICAL_ROUGHNESS, CosineQuadratic

STEPS, FACTOR = 300, 1e3


def mp_diverged(problem, lr: Fraction, steps=STEPS) -> bool:
    """The same rule as the unroll, in mpmath at the current precision."""
    lr = mpmath.mpf(lr.numerator) / lr.denominator
    delta, lam = mpmath.mpf(problem.delta), mpmath.mpf(problem.lam)
    k = 2 * mpmath.pi / lam
    x = mpmath.mpf(problem.x0)
    threshold = FACTOR * (abs(x * x + delta * mpmath.cos(k * x)) + 1)
    for _ in range(steps):
        loss = x * x + delta * mpmath.cos(k * x)
        if not mpmath.isfinite(loss) or loss > threshold:
            return True
        x = x - lr * (2 * x - delta * k * mpmath.sin(k * x))
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--width", default="1e-20")
    parser.add_argument("--dps", type=int, default=60)
    parser.add_argument("--pick", type=int, default=-1,
                        help="which coarse label change to refine (default: the middle one)")
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)
    mpmath.mp.dps = args.dps
    problem = CosineQuadratic(delta=1.5 * CRITICAL_ROUGHNESS, lam=1.0, x0=10.0)
    opt = SGD()
    coarse = unroll_dd.linspace("0.95", "1.5", 4096)
    _, flags = unroll_dd.run(problem, opt, STEPS, coarse)
    flags = np.asarray(flags)
    change = np.flatnonzero(flags[1:] != flags[:-1])
    print(f"coarse scan: {len(change)} label changes in [0.95, 1.5]")
    i = change[len(change) // 2 if args.pick < 0 else args.pick]
    lo = dd.to_fraction(float(coarse.hi[i]), float(coarse.lo[i]))
    hi = dd.to_fraction(float(coarse.hi[i + 1]), float(coarse.lo[i + 1]))
    f_lo = mp_diverged(problem, lo)
    while hi - lo > Fraction(1, 10**24):
        mid = (lo + hi) / 2
        if mp_diverged(problem, mid) == f_lo:
            lo = mid
        else:
            hi = mid
    centre = Fraction(round(lo * 10**24), 10**24)
    half = Fraction(args.width) / 2
    pts = [centre - half + 2 * half * j / (args.points - 1) for j in range(args.points)]
    lr = dd.DD(*(jax.numpy.asarray(v) for v in zip(*map(dd.from_fraction, pts), strict=True)))
    _, got = unroll_dd.run(problem, opt, STEPS, lr)
    got = np.asarray(got)
    want = np.array([mp_diverged(problem, p) for p in pts])
    f64 = np.array([float(p) for p in pts])
    print(f"centre lr = {float(centre)!r} (exact {centre.numerator}/{centre.denominator})")
    print(f"window width {args.width}: {args.points} points, "
          f"{len(np.unique(f64))} distinct float64 values")
    print(f"mpmath {args.dps} digits: {int(want.sum())} diverged, "
          f"{int((want[1:] != want[:-1]).sum())} label changes")
    agree = float((got == want).mean())
    print(f"double-double agrees with mpmath on {agree:.1%} of points "
          f"({int((got == want).sum())}/{args.points})")


if __name__ == "__main__":
    main()
