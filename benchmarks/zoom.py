"""One deep-zoom level (issue 11): the study's problem, 1024 x 1024, in float64.

Times :func:`metaloss._src.grid.zoom.compute_level` on a level that the zoom's own rule
puts in float64 (a box 10**4 times narrower than the study's view, around a point of
the divergence boundary, so that its narrowest cells are under one float32 ulp wide;
the point is found by following the boundary down four 128 x 128 levels, each
re-centred on the boundary cell nearest its middle), warm: the first call compiles,
the next ``--repeats`` are timed (median). Beside it,
in the same run, the same level forced to float32 and the boundary dimension of the
level's ``diverged`` mask (box counting on 1024 x 1024).

Usage::

    .venv/bin/python benchmarks/zoom.py             # about half a minute on 2 cores
    .venv/bin/python benchmarks/zoom.py --repeats 5

Target (issue 11): under 5 s for the float64 level on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load_average, machine  # noqa: E402

CENTER = {"lr": 1.03, "momentum": 0.97}
TARGET_S = 5.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed runs (median)")
    ap.add_argument("--size", type=int, default=1024, help="points per axis")
    args = ap.parse_args(argv)

    import jax
    import numpy as np

    import metaloss as ml
    from metaloss._src.grid.zoom import compute_level, parse_view_axis, plan
    from metaloss._src.unroll import Divergence
    from metaloss._src.workflows.zoom import pick_center

    load0 = load_average()
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50,
                       divergence=Divergence(2.0))
    view = [parse_view_axis("lr=log:1e-3:1e2"), parse_view_axis("momentum=1mlog:1e-3:1")]
    key = jax.random.key(0)
    center = CENTER
    for k in range(1, 5):  # follow the boundary down, so the deep level still has one
        coarse = plan(view, center, 10.0, k + 1, 128)[k]
        da = compute_level(meta, coarse, key, progress=False)
        center = pick_center(np.asarray(da["diverged"]), coarse.axes)
    level = plan(view, center, 10.0, 5, args.size)[4]

    def timed(lv):
        compute_level(meta, lv, key, progress=False)  # compile
        times, da = [], None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            da = compute_level(meta, lv, key, progress=False)
            times.append(time.perf_counter() - t0)
        return statistics.median(times), da

    t64, da = timed(level)
    t32, _ = timed(dataclasses.replace(level, dtype="float32"))
    t0 = time.perf_counter()
    est = ml.analysis.boundary_dimension(np.asarray(da["diverged"]))
    t_dim = time.perf_counter() - t0
    where = ", ".join(f"{n} {v:.10g}" for n, v in center.items())
    points = da.size * 50
    info = machine()
    print(f"- CPU: {info.get('cpu', '?')}; load average at start {load0}, at end "
          f"{load_average()}")
    print(f"- level: {args.size} x {args.size}, x1e4 around {where}, "
          f"narrowest cell {level.cell_ulps:.3g} float32 ulps -> {level.dtype}")
    print(f"- float64 level: {t64:.2f} s (median of {args.repeats}, warm), "
          f"{points / t64:.3g} point-steps/s; target < {TARGET_S:g} s: "
          f"{'met' if t64 < TARGET_S else 'not met'}")
    print(f"- same level in float32: {t32:.2f} s; float64 / float32 = {t64 / t32:.2f}x")
    print(f"- boundary dimension of its diverged mask: {t_dim:.2f} s "
          f"(dimension {est.dimension:.3f}, 95% interval [{est.ci[0]:.3f}, {est.ci[1]:.3f}], "
          f"{int(np.asarray(da['diverged']).sum())} diverged)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
