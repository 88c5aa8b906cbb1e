"""The three boundary-dimension estimators on known sets and on Liu's Fig. 2 masks.

Prints the tables of docs/fractal-dimension.md:

    .venv/bin/python scripts/compare_estimators.py [--level 20]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "core"))
from test_fractal_methods import cantor_line, disk, koch_snowflake, noise  # noqa: E402

from metaloss._src.analysis.fractal import boundary_dimension as bd  # noqa: E402
from metaloss._src.study import liu  # noqa: E402


def fmt(est) -> str:
    return f"{est.dimension:.3f}"


def known_sets() -> None:
    print("| set | exact | box | crossings | sohl-dickstein |\n|---|---|---|---|---|")
    c = cantor_line(18)
    print(f"| Cantor, 2^18 + 1 points | {math.log(2) / math.log(3):.3f} | {fmt(bd(c))} | "
          f"{fmt(bd(c, method='crossings'))} | - |")
    r = noise(2**18 + 1)
    print(f"| random labels, 2^18 + 1 points | 1 | {fmt(bd(r))} | "
          f"{fmt(bd(r, method='crossings'))} | - |")
    for name, mask, exact in (("Koch snowflake, 1024^2", koch_snowflake(1024, 6),
                               math.log(4) / math.log(3)),
                              ("disk, 1024^2", disk(1024), 1.0),
                              ("random labels, 512^2", noise((512, 512)), 2.0)):
        print(f"| {name} | {exact:.3f} | {fmt(bd(mask))} | - | "
              f"{fmt(bd(mask, method='sohl-dickstein'))} |")


def liu_masks(level: int) -> None:
    pub = liu.published()
    print("\n| Liu mask | crossings | box | box sizes fitted | Liu's counts, levels <= N | "
          "median local slope, crossings (8 finest) | median local slope, box (8 finest) |")
    print("|---|---|---|---|---|---|---|")
    key = {"additive": "fig2a_additive", "multiplicative": "fig2b_multiplicative"}
    for family in ("additive", "multiplicative"):
        m = liu.fig2_mask(family, level, 1000, jax.random.key(0))
        c, b = bd(m, method="crossings"), bd(m)
        paper, _ = liu.liu_fit(pub[key[family]], level)
        print(f"| {liu.FIGURE[family]} ({family}), 2^{level} + 1 | {fmt(c)} | {fmt(b)} | "
              f"{b.fit_range[0]}-{b.fit_range[1]} | {paper:.3f} | "
              f"{np.nanmedian(c.slopes[-8:]):.3f} | {np.nanmedian(b.slopes[:8]):.3f} |")
        full = b.counts[0]
        print(f"|   boundary cells {int(full)}; box counts at 1, 2, 4, 8 cells: "
              f"{b.counts[:4].tolist()}; changes on levels N, N-1, N-2, N-3: "
              f"{c.counts[::-1][:4].tolist()} | | | | | | |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--level", type=int, default=20)
    args = ap.parse_args()
    known_sets()
    liu_masks(args.level)
