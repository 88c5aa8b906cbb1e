"""The explorer's speed through HTTP (issue 12): warm views of the study's landscape.

Serves the study's meta-loss with ``metaloss.explore`` (uvicorn in a thread of this
process, on a free localhost port) and times, from a ``urllib`` client in the main
thread, whole requests for views of 256 x 256 and 1024 x 1024 points as JSON and as
the binary ``format=f32`` frame: request, computation, encoding, transfer and
decoding. Every timed view has a box not asked for before (as a zoom would), all of
the same size, so nothing is cached but the compiled program. Beside each it times
``ml.landscape`` on the same axes in the same run, the baseline of the ratio.

Usage::

    .venv/bin/python benchmarks/explore.py              # about a minute on 2 cores
    .venv/bin/python benchmarks/explore.py --repeats 3

Targets (issue 12): 256 x 256 <= 0.1 s and 1024 x 1024 <= 0.4 s warm, end to end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load_average, machine  # noqa: E402

TARGETS = {256: 0.1, 1024: 0.4}


def box(n: int, k: int) -> list[tuple[str, str]]:
    """The study's view, its lower lr bound moved a little for every ``k``."""
    lo = 10 ** (-3 + 0.01 * k)
    return [("axis", f"lr=log:{lo:.6g}:1e2:{n}"), ("axis", f"momentum=1mlog:1e-3:1:{n}")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=7, help="timed views per row (median)")
    ap.add_argument("--sizes", default="256,1024", help="points per axis, comma-separated")
    args = ap.parse_args(argv)

    import jax

    import metaloss as ml
    from metaloss._src.explore.encode import from_f32
    from metaloss._src.explore.server import background
    from metaloss._src.grid.axes import parse_axis
    from metaloss.explore import Explorer

    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50)
    key = jax.random.key(0)
    explorer = Explorer(meta, key, tuple(v for _, v in box(256, 0)))
    load_start = load_average()
    counter = iter(range(1, 10**6))
    rows = []
    with background(explorer) as url:

        def fetch(query):
            full = url + "api/landscape?" + urllib.parse.urlencode(query)
            with urllib.request.urlopen(full, timeout=600) as r:
                return r.read()

        decode = {"json": json.loads, "f32": from_f32}
        for n in (int(s) for s in args.sizes.split(",")):
            for fmt in ("f32", "json"):
                fetch([*box(n, 0), ("format", fmt)])  # compile this size, warm the path
                reps = args.repeats if fmt == "f32" or n <= 256 else max(3, args.repeats // 2)
                total, server = [], []
                for _ in range(reps):
                    query = [*box(n, next(counter)), ("format", fmt)]
                    t0 = time.perf_counter()
                    out = decode[fmt](fetch(query))
                    total.append(time.perf_counter() - t0)
                    server.append((out[0] if fmt == "f32" else out)["seconds"])
                raw = []
                for _ in range(reps):
                    axes = dict(parse_axis(spec) for _, spec in box(n, next(counter)))
                    t0 = time.perf_counter()
                    ml.landscape(meta, axes, key=key, progress=False)
                    raw.append(time.perf_counter() - t0)
                rows.append((n, fmt, float(np.median(total)), float(np.median(server)),
                             float(np.median(raw)), reps))
    info = machine()
    print(f"- CPU: {info['cpu']}\n- Versions: {info['versions']}")
    print(f"- Load average at start: {load_start}, at end: {load_average()}")
    print()
    print("| view | format | end to end (median) | server's computation | ml.landscape "
          "alone | ratio | target | met | runs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, fmt, total, server, raw, reps in rows:
        target = TARGETS.get(n) if fmt == "f32" else None
        met = "" if target is None else ("yes" if total <= target else "**no**")
        print(f"| {n} x {n} | {fmt} | {total * 1e3:.1f} ms | {server * 1e3:.1f} ms | "
              f"{raw * 1e3:.1f} ms | {total / raw:.2f}x | "
              f"{'' if target is None else f'<= {target} s'} | {met} | {reps} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
