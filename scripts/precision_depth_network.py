"""Issue 24: the tanh network's boundary zoomed in double-double, along one learning rate.

    nice .venv/bin/python scripts/precision_depth_network.py [--width 4] [--steps 100]
        [--levels 12] [--size 64] [--tries 3] [--range 0.5 40]

The mean-field tanh network (meanfield_mlp, SGD with one learning rate for both layers),
the divergence flag (loss above 1e3 (|L0| + 1)) as the label, zoomed with
:func:`metaloss._src.study.depth.zoom_line`: per level the width, label changes, the
crossing dimension log(changes) / log(size - 1) and float64's agreement with
double-double where float64 resolves the points.
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction

import jax

import metaloss as ml
from metaloss._src.study.depth import zoom_line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=4)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--levels", type=int, default=12)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--range", nargs=2, default=["0.5", "40"])
    args = ap.parse_args()
    jax.config.update("jax_enable_x64", True)
    meta = ml.MetaLoss(f"meanfield_mlp(width={args.width})", "sgd", steps=args.steps)
    t = time.perf_counter()
    rows = zoom_line(meta, "lr", Fraction(args.range[0]), Fraction(args.range[1]),
                     levels=args.levels, size=args.size, tries=args.tries)
    for row in rows:
        print(json.dumps(row))
    print(f"{time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
