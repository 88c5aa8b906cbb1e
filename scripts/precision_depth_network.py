"""Issue 24: the tanh network's boundary zoomed in double-double, along lr/layer0.

    nice .venv/bin/python scripts/precision_depth_network.py [--width 4] [--steps 50]
        [--levels 18] [--size 32] [--tries 3]

The atlas's configuration (:data:`metaloss._src.study.depth.TANH`: meanfield_mlp tanh,
SGD, lr/layer1 fixed at 10, lr/layer0 from [10, 22]) at any width and steps; the
divergence flag (loss above 1e3 (|L0| + 1)) as the label. Prints one JSON line per level
(:func:`metaloss._src.study.depth.zoom_line`), then the verdict
(:func:`metaloss._src.study.depth_rows.verdict`) and the seconds.
"""

from __future__ import annotations

import argparse
import json
import time

from metaloss._src.study.depth import TANH, tanh_zoom
from metaloss._src.study.depth_rows import verdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=TANH["width"])
    ap.add_argument("--steps", type=int, default=TANH["steps"])
    ap.add_argument("--levels", type=int, default=18)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--tries", type=int, default=3)
    args = ap.parse_args()
    t = time.perf_counter()
    rows = tanh_zoom(width=args.width, steps=args.steps, levels=args.levels,
                     size=args.size, tries=args.tries)
    for row in rows:
        print(json.dumps(row))
    print(f"verdict: {verdict(rows)}; {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
