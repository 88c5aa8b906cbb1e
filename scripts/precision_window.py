"""Issue 24's done-when check: `metaloss landscape --precision double-double` on a
64-point learning-rate window 1e-20 wide around a point of Liu's boundary
(cosine_quadratic, roughness 1.5x the onset, x0 = 10, 300 steps of SGD), against the
diverged flags of 60-digit mpmath.

    .venv/bin/python scripts/precision_window.py [--points 64] [--width 1e-20]
        [--roughness 1.5] [--steps 300] [--x0 10] [--out /tmp/window.nc]

Finds boundary points by zooming in double-double: a 64-point scan of [0.98, 1.06],
then repeatedly a 64-point scan of the cell around a label change (of up to 8 such
cells, the one whose own scan has most changes), down to the window's width. Every
coarse change is followed, and the window with the most label changes is checked:
the script runs the CLI on it, then recomputes each point's flag in mpmath at --dps
digits and prints the agreement, the label changes and what float64 makes of the
window.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from fractions import Fraction

import jax
import mpmath
import numpy as np

from metaloss._src.grid.io import load_netcdf
from metaloss._src.meta import MetaLoss
from metaloss._src.precise import unroll as precise
from metaloss._src.precision import exact
from metaloss._src.problems.cosine import CRITICAL_ROUGHNESS, CosineQuadratic

FACTOR = 1e3


def mp_diverged(delta, lr: Fraction, steps: int, x0: float = 10.0) -> bool:
    """The unroll's rule in mpmath at the current precision."""
    lr = mpmath.mpf(lr.numerator) / lr.denominator
    delta = mpmath.mpf(delta)
    k = 2 * mpmath.pi
    x = mpmath.mpf(x0)
    threshold = FACTOR * (abs(x * x + delta * mpmath.cos(k * x)) + 1)
    for _ in range(steps):
        loss = x * x + delta * mpmath.cos(k * x)
        if not mpmath.isfinite(loss) or abs(loss) > threshold:
            return True
        x = x - lr * (2 * x - delta * k * mpmath.sin(k * x))
    return False


def dd_flags(meta, pts: list[Fraction]) -> np.ndarray:
    hi = np.array([float(q) for q in pts])
    lo = np.array([float(q - Fraction(float(h))) for q, h in zip(pts, hi, strict=True)])
    return precise.evaluate(meta, {"lr": (hi, lo)})[2]


def grid(a: Fraction, b: Fraction, n: int) -> list[Fraction]:
    return [a + (b - a) * i / (n - 1) for i in range(n)]


def changes(meta, a, b, n) -> tuple[list[Fraction], np.ndarray]:
    pts = grid(a, b, n)
    f = dd_flags(meta, pts)
    return pts, np.flatnonzero(f[1:] != f[:-1])


def zoom(meta, a, b, width, n, tries=8):
    """A window ``width`` wide around a label change: at each level, of up to ``tries``
    cells that hold a change (evenly picked), the one whose own scan changes most."""
    while b - a > width:
        pts, ch = changes(meta, a, b, n)
        if ch.size == 0:
            return None
        picks = ch[np.linspace(0, ch.size - 1, min(tries, ch.size)).round().astype(int)]
        counts = [changes(meta, pts[i], pts[i + 1], n)[1].size for i in picks]
        i = picks[int(np.argmax(counts))]
        a, b = pts[i], pts[i + 1]
    centre = (a + b) / 2
    return centre - width / 2, centre + width / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=64)
    ap.add_argument("--width", default="1e-20")
    ap.add_argument("--roughness", type=float, default=1.5)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--dps", type=int, default=60)
    ap.add_argument("--x0", type=float, default=10.0)
    ap.add_argument("--out", default="/tmp/precision_window.nc")
    args = ap.parse_args()
    jax.config.update("jax_enable_x64", True)
    delta = args.roughness * CRITICAL_ROUGHNESS
    meta = MetaLoss(CosineQuadratic(delta=delta, x0=args.x0), "sgd", steps=args.steps)
    width, n = Fraction(args.width), args.points
    coarse = grid(Fraction("0.98"), Fraction("1.06"), n)
    f = dd_flags(meta, coarse)
    changes = np.flatnonzero(f[1:] != f[:-1])
    print(f"coarse scan of [0.98, 1.06]: {changes.size} label changes")
    best = None
    for i in changes:
        win = zoom(meta, coarse[i], coarse[i + 1], width, n)
        if win is None:
            continue
        fl = dd_flags(meta, grid(*win, n))
        k = int((fl[1:] != fl[:-1]).sum())
        print(f"  change near lr {float(coarse[i]):.5f}: {k} label changes in the window")
        if best is None or k > best[0]:
            best = (k, win)
    if best is None:
        raise SystemExit("no label change in [0.98, 1.06] at these settings")
    a, b = best[1]
    sa, sb = exact.decimal(float(a), float(a - Fraction(float(a))), 34), \
        exact.decimal(float(b), float(b - Fraction(float(b))), 34)
    cmd = [sys.executable, "-m", "metaloss", "landscape", "--problem",
           f"cosine_quadratic(delta={delta!r}, x0={args.x0!r})", "--optimizer", "sgd", "--steps",
           str(args.steps), "--precision", "double-double", "--axis", f"lr=lin:{sa}:{sb}:{n}",
           "--out", args.out]
    print("$", " ".join(cmd[2:]))
    print(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip())
    da = load_netcdf(args.out)
    got = np.asarray(da["diverged"])
    pts = [Fraction(float(h)) + Fraction(float(lo))
           for h, lo in zip(da["lr"].values, da["lr_lo"].values, strict=True)]
    with mpmath.workdps(args.dps):
        want = np.array([mp_diverged(delta, q, args.steps, args.x0) for q in pts])
    print(f"window [{sa}, {sb}]: {n} points, {len(np.unique(da['lr'].values))} distinct "
          f"float64 values")
    print(f"mpmath {args.dps} digits: {int(want.sum())} diverged, "
          f"{int((want[1:] != want[:-1]).sum())} label changes")
    print(f"double-double agrees with mpmath on {(got == want).mean():.1%} of points "
          f"({int((got == want).sum())}/{n})")


if __name__ == "__main__":
    main()
