"""Issue 24's done-when check: `metaloss landscape --precision double-double` on a
64-point learning-rate window 1e-20 wide around a point of Liu's boundary
(cosine_quadratic, roughness 1.5x the onset, x0 = 10, 300 steps of SGD), against the
diverged flags of 60-digit mpmath.

    .venv/bin/python scripts/precision_window.py [--points 64] [--width 1e-20]
        [--roughness 1.5] [--steps 300] [--x0 10] [--low 0.98 --high 1.06]
        [--split 16] [--beam 8] [--out /tmp/window.nc]

Finds the window by a beam descent in double-double (`descend`): each level splits
every kept window into --split blocks, scans each block on --points points and keeps
the --beam blocks with the most label changes, down to blocks --width wide. Following
only one crossing tends to land on the smooth main edge of the boundary, where a 1e-20
window holds a single change; the beam stays in the fractal part, where the changes
persist at every depth. The script then runs the CLI on the best window, recomputes
each point's flag in mpmath at --dps digits and prints the agreement, the label
changes and what float64 makes of the window.
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


def block_changes(flags: np.ndarray, blocks: int, n: int) -> np.ndarray:
    """Label changes inside each of ``blocks`` consecutive scans of ``n`` points."""
    f = np.asarray(flags).reshape(blocks, n)
    return (f[:, 1:] != f[:, :-1]).sum(axis=1)


def descend(meta, a: Fraction, b: Fraction, width: Fraction, n: int, split: int = 16,
            beam: int = 8, log=print):
    """A window ``width`` wide inside [a, b] with many label changes, found by a beam
    descent in double-double.

    Each level scans every kept window on ``split`` blocks of ``n`` points (the block
    is the next level's candidate window, ``split`` times narrower, never narrower
    than ``width``) and keeps the ``beam`` blocks with the most label changes, over
    all kept windows. A boundary whose fine structure dies out along one path
    (the smooth main edge: one crossing per window) is abandoned for the fractal
    part, where the changes persist. Returns (changes, low, high) of the best
    final window, or None when no block holds a change.
    """
    kept = [(a, b)]
    while True:
        h = max((kept[0][1] - kept[0][0]) / split, width)
        cands = []
        for lo, hi in kept:
            k = max(1, int(round((hi - lo) / h)))
            pts = [p for j in range(k) for p in grid(lo + j * h, lo + (j + 1) * h, n)]
            counts = block_changes(dd_flags(meta, pts), k, n)
            cands += [(int(c), lo + j * h, lo + (j + 1) * h) for j, c in enumerate(counts) if c]
        if not cands:
            return None
        cands.sort(key=lambda c: -c[0])
        kept = [(lo, hi) for _, lo, hi in cands[:beam]]
        log(f"  width {float(h):.2e}: best {beam} windows hold "
            f"{[c[0] for c in cands[:beam]]} label changes")
        if h == width:
            return cands[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=64)
    ap.add_argument("--width", default="1e-20")
    ap.add_argument("--roughness", type=float, default=1.5)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--dps", type=int, default=60)
    ap.add_argument("--x0", type=float, default=10.0)
    ap.add_argument("--low", default="0.98")
    ap.add_argument("--high", default="1.06")
    ap.add_argument("--split", type=int, default=16)
    ap.add_argument("--beam", type=int, default=8)
    ap.add_argument("--out", default="/tmp/precision_window.nc")
    args = ap.parse_args()
    jax.config.update("jax_enable_x64", True)
    delta = args.roughness * CRITICAL_ROUGHNESS
    meta = MetaLoss(CosineQuadratic(delta=delta, x0=args.x0), "sgd", steps=args.steps)
    width, n = Fraction(args.width), args.points
    print(f"beam descent from [{args.low}, {args.high}] to windows {args.width} wide "
          f"({args.split} blocks per window, beam {args.beam}):")
    best = descend(meta, Fraction(args.low), Fraction(args.high), width, n, args.split,
                   args.beam)
    if best is None:
        raise SystemExit(f"no label change in [{args.low}, {args.high}] at these settings")
    print(f"chosen window: {best[0]} label changes in double-double")
    a, b = best[1], best[2]
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
    with mpmath.workdps(args.dps + 20):
        more = np.array([mp_diverged(delta, q, args.steps, args.x0) for q in pts])
    print(f"mpmath {args.dps + 20} digits agrees with {args.dps} on "
          f"{int((more == want).sum())}/{n} flags")
    print(f"window [{sa}, {sb}]: {n} points, {len(np.unique(da['lr'].values))} distinct "
          f"float64 values")
    print(f"mpmath {args.dps} digits: {int(want.sum())} diverged, "
          f"{int((want[1:] != want[:-1]).sum())} label changes")
    print(f"double-double agrees with mpmath on {(got == want).mean():.1%} of points "
          f"({int((got == want).sum())}/{n})")


if __name__ == "__main__":
    main()
