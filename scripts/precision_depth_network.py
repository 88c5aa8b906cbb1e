"""Issue 24: the tanh network's boundary zoomed in double-double, along lr/layer0.

    nice .venv/bin/python scripts/precision_depth_network.py [--small] [--width 16]
        [--steps 100] [--levels 18] [--size 32] [--tries 3] [--check 0]
        [--check-levels 2] [--digits 60]

The atlas's configuration (:data:`metaloss._src.study.depth.TANH`: meanfield_mlp tanh
width 16, SGD, 100 steps, lr/layer1 fixed at 160, lr/layer0 from [40, 70]; with
``--small`` :data:`~metaloss._src.study.depth.TANH_SMALL`: width 4, 50 steps,
lr/layer1 10, lr/layer0 from [10, 22]) at any width and steps; the
divergence flag (loss above 1e3 (|L0| + 1)) as the label. Prints one JSON line per level
(:func:`metaloss._src.study.depth.zoom_line`), then the verdict
(:func:`metaloss._src.study.depth_rows.verdict`) and the seconds.

With ``--check N``, the first ``--check-levels`` levels' windows are checked as
``scripts/precision_depth.py`` checks Liu's: ``N`` evenly spaced points of each level's
scan, their double-double flags against the same training in ``--digits``-digit
decimal arithmetic (Python's ``decimal``, correctly rounded; NumPy object arrays, the
gradient written out as the double-double rule writes it); prints the share that agree.
About 10-30 s per point at width 16 and 100 steps.
"""

from __future__ import annotations

import argparse
import decimal
import json
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np

from metaloss._src.problems.meanfield import _draw
from metaloss._src.study.depth import TANH, TANH_SMALL, _flags, network, tanh_meta, tanh_zoom
from metaloss._src.study.depth_rows import verdict


def reference_diverged(meta, lr0: Fraction, digits: int = 60) -> bool:
    """The double-double unroll's divergence flag (:mod:`metaloss._src.precise.unroll`,
    ``mean`` objective: any loss before an update above ``factor (|L0| + 1)``) of a
    tanh ``meanfield_mlp`` at ``lr/layer0 = lr0``, in ``digits``-digit decimals."""
    p = meta.problem
    ctx = decimal.Context(prec=digits, Emax=10**8, Emin=-10**8)
    with decimal.localcontext(ctx):
        exact = np.vectorize(Decimal, otypes=[object])
        a, b, x, y = (exact(v) for v in _draw(p.width, p.points, p.seed))
        lr0 = Decimal(lr0.numerator) / lr0.denominator
        lr1 = Decimal(dict(meta.fixed)["lr/layer1"])
        inv_sqrt_w, inv_w = 1 / Decimal(p.width).sqrt(), 1 / Decimal(p.width)
        sqrt2, n = Decimal(2).sqrt(), Decimal(p.points)
        tanh = np.vectorize(lambda u: 1 - 2 / ((2 * u).exp() + 1), otypes=[object])
        threshold = None
        for _ in range(meta.steps):
            h = tanh(sqrt2 * (x @ a) * inv_sqrt_w)
            r = (h @ b) * inv_w - y
            loss = (r * r).sum() / n
            if threshold is None:
                threshold = Decimal(meta.divergence.factor) * (abs(loss) + 1)
            if not loss.is_finite() or abs(loss) > threshold:
                return True
            dy = r * (2 / n)
            db = (h.T @ dy) * inv_w
            dz = (dy @ b.T) * inv_w * sqrt2 * (1 - h * h) * inv_sqrt_w
            a, b = a - lr0 * (x.T @ dz), b - lr1 * db
    return False


def window_points(row: dict, points: int) -> list[Fraction]:
    """``points`` evenly spaced points of the level ``row``'s scan (exactly its scan
    points: rebuilt from the row's exact start and width, which the float ``start``
    cannot give once the window is narrower than float64's spacing there)."""
    a, width = Fraction(row["exact_start"]), Fraction(row["exact_width"])
    size = row["size"]
    return [a + width * int(i) / (size - 1)
            for i in np.linspace(0, size - 1, points).round().astype(int)]


def check(meta, rows, levels: int, points: int, digits: int) -> list[dict]:
    """Per level (the first ``levels``): the share of ``points`` evenly spaced scan
    points (:func:`window_points`) whose double-double flag equals the decimal
    reference's."""
    out = []
    for row in rows[:levels]:
        pts = window_points(row, points)
        got = _flags(meta, "lr/layer0", pts)
        t = time.perf_counter()
        want = np.array([reference_diverged(meta, q, digits) for q in pts])
        out.append({"level": row["level"], "width": row["width"], "checked": points,
                    "dd_agrees": float((got == want).mean()), "diverged": int(want.sum()),
                    "seconds": round(time.perf_counter() - t, 1)})
        print(json.dumps(out[-1]), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="TANH_SMALL instead of TANH")
    ap.add_argument("--width", type=int, help="default: the network's")
    ap.add_argument("--steps", type=int, help="default: the network's")
    ap.add_argument("--levels", type=int, default=18)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--check", type=int, default=0, help="points per checked level")
    ap.add_argument("--check-levels", type=int, default=2)
    ap.add_argument("--digits", type=int, default=60)
    args = ap.parse_args()
    net = TANH_SMALL if args.small else TANH
    t = time.perf_counter()
    rows = tanh_zoom(net, width=args.width, steps=args.steps, levels=args.levels,
                     size=args.size, tries=args.tries)
    for row in rows:
        print(json.dumps(row))
    print(f"verdict: {verdict(rows)}; {time.perf_counter() - t:.1f} s", flush=True)
    if args.check:
        rec = network(net, width=args.width, steps=args.steps)
        check(tanh_meta(rec), rows, args.check_levels, args.check, args.digits)


if __name__ == "__main__":
    main()
