"""The cost of ``metaloss atlas`` per part (issue 23): seconds and multiples of a baseline.

Runs ``metaloss atlas`` in a fresh process ``--repeats`` times and reads the seconds per
part from each run's ``atlas.json`` (Liu Fig. 2, Liu sweep, the six Sohl-Dickstein
configurations, the seed study, the double-double depth rows). The baseline, measured
in the same run before and after, is a warm float64 landscape of ``cosine_quadratic``
(65536 learning rates x 1000 steps): each part is also given as a multiple of it, which
is what to compare across machines. Prints a Markdown section for RESULTS.md.

Usage::

    .venv/bin/python benchmarks/atlas_parts.py --quick --repeats 3
    .venv/bin/python benchmarks/atlas_parts.py --repeats 1          # the CPU default
    .venv/bin/python benchmarks/atlas_parts.py --paper --repeats 1  # on a GPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load_average, machine  # noqa: E402


def baseline(repeats: int = 3) -> float:
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    import metaloss as ml
    from metaloss._src.unroll import Divergence

    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.1), "sgd", steps=1000,
                       divergence=Divergence(1e6))
    axes = {"lr": np.linspace(0.98, 1.06, 1 << 16)}
    ml.landscape(meta, axes, progress=False)  # compile
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        ml.landscape(meta, axes, progress=False).values.sum()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--paper", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    flag = ["--quick"] if args.quick else ["--paper"] if args.paper else []
    load0 = load_average()
    base = [baseline()]
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "metaloss", "atlas", *flag, "--out", tmp],
                           check=True, stdout=subprocess.DEVNULL)
            runs.append(json.loads((Path(tmp) / "atlas.json").read_text())["seconds"])
    base.append(baseline())
    b = statistics.median(base)
    mode = flag[0] if flag else "(CPU default)"
    print(f"### `metaloss atlas {mode}`: seconds per part, median of {len(runs)}\n")
    where = ", ".join(f"{k} {v}" for k, v in machine().items())
    print(f"{where}; load average {load0} at the start, {load_average()} at the end. "
          f"Baseline: warm cosine_quadratic landscape, 65536 x 1000 steps, float64: "
          f"{b:.3f} s (median of the runs before and after).\n")
    print("| part | seconds | x baseline |\n|---|---|---|")
    for part in runs[0]:
        sec = statistics.median(r[part] for r in runs)
        print(f"| {part} | {sec:.1f} | {sec / b:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
