"""metaloss speed and scale benchmark (``make bench``).

Measures, in this process and on this machine, the study's landscape, the 1-D
sweep, compiled outer training, a streamed 10000 x 10000 landscape and a NumPy
reference (items (a)-(e) of issue 3), prints a table and, for a full run,
writes ``benchmarks/RESULTS.md``. Every speed figure is a median of several runs
and every ratio is against a baseline measured in the same run.

Usage::

    .venv/bin/python benchmarks/run.py            # full run, about 5-10 minutes on 2 cores
    .venv/bin/python benchmarks/run.py --quick    # smoke run, small sizes, about a minute
    .venv/bin/python benchmarks/run.py --only a,e # some items (no RESULTS.md unless --out)

Runs unchanged on a GPU build of JAX (on accelerators the landscape is evaluated in
chunks of 2**22 points instead of the CPU default).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# On a GPU the fresh-process measurements start while this process holds memory:
# allocate on demand instead of grabbing 75% of the device up front.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases  # noqa: E402
import profiling  # noqa: E402
from common import load_average, machine  # noqa: E402
from results_md import load_json, print_table, save_json, write_results  # noqa: E402

FULL = {"n2d": 2000, "stride": 8, "repeats": 5, "cold_repeats": 3, "baseline_repeats": 2,
        "sweep_n": 5000, "es_steps": 3000, "bp_steps": 100, "es_batch": 1024,
        "stream_n": 10000, "numpy_repeats": 3, "profile_n": 500}
QUICK = {"n2d": 300, "stride": 4, "repeats": 3, "cold_repeats": 1, "baseline_repeats": 1,
         "sweep_n": 5000, "es_steps": 300, "bp_steps": 20, "es_batch": 64,
         "stream_n": 1200, "numpy_repeats": 1, "profile_n": 200}
ITEMS = "abcdep"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    ap.add_argument("--only", default=ITEMS,
                    help="items to run, e.g. 'a,e' (p = profile); default all")
    ap.add_argument("--out", type=Path, default=None,
                    help="write the results here (default: benchmarks/RESULTS.md for a full "
                    "run of every item, nothing otherwise)")
    ap.add_argument("--render", type=Path, default=None, metavar="JSON",
                    help="only re-render RESULTS.md (or --out) from a saved results.json")
    args = ap.parse_args(argv)
    if args.render is not None:
        info, cfg, rows, prof, quick, date = load_json(args.render)
        out = args.out or Path(__file__).resolve().parent / "RESULTS.md"
        write_results(out, info, cfg, rows, prof, quick, date)
        print(f"wrote {out}")
        return 0
    cfg = QUICK if args.quick else FULL
    only = {c for c in args.only.replace(",", "") if c in ITEMS}
    out = args.out
    if out is None and not args.quick and only == set(ITEMS):
        out = Path(__file__).resolve().parent / "RESULTS.md"

    info = machine()
    info["load_start"] = load_average()
    print("\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    t_start = time.perf_counter()
    rows, prof = [], {}
    ref = mask = None
    if only & set("ae"):
        ref, mask = cases.reference_for(cfg["n2d"], cfg["stride"])
        info["mask"] = (f"{int(mask.sum())} of {mask.size} points of every "
                        f"{cfg['stride']}th row and column are non-chaotic")
    if "a" in only:
        section("a: 2-D landscape")
        rows += cases.landscape_2d(cfg, ref, mask)
    if "b" in only:
        section("b: 1-D sweep")
        rows += cases.sweep_1d(cfg)
    if "c" in only:
        section("c: outer training")
        rows += cases.outer_loops(cfg)
    if "d" in only:
        section("d: streamed landscape")
        rows += cases.streamed(cfg)
    if "e" in only:
        section("e: NumPy reference")
        rows += cases.numpy_reference(cfg, ref, mask)
    if "p" in only:
        section("profile")
        prof = {
            "accuracy": profiling.sincos_accuracy(),
            "elementwise": profiling.elementwise(),
            "variants": profiling.landscape_variants(cfg["profile_n"]),
            "es": profiling.es_costs(cfg["es_steps"]),
        }
    info["load_end"] = load_average()
    info["total"] = f"{time.perf_counter() - t_start:.0f} s"
    print_table(rows, prof)
    if out is not None:
        write_results(out, info, cfg, rows, prof, quick=args.quick)
        save_json(out.with_suffix(".json"), info, cfg, rows, prof, quick=args.quick)
        print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


def section(name: str) -> None:
    print(f"-- {name}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
