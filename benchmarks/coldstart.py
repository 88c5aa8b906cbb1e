"""Cold and warm wall times of ``metaloss compare`` and ``metaloss reproduce`` (issue 13).

Each run is a fresh process, as a user starts it. *Cold*: an empty compilation cache
(a new ``METALOSS_CACHE_DIR``), so every program compiles; *warm*: the same command
again with the cache the cold run filled. With ``--baseline PATH`` (another checkout's
``src``), the baseline's runs are interleaved with this checkout's in the same session,
so that both see the same machine load: compare their medians, not numbers from
different days. The load average before and after is printed beside the table, since
on a shared machine it moves the times more than most changes do.

Usage::

    .venv/bin/python benchmarks/coldstart.py                     # compare, 3 x cold + warm
    .venv/bin/python benchmarks/coldstart.py --only compare,reproduce --repeat 3 \\
        --baseline ../main/src

Targets (issue 13, on 2 cores): the default ``compare`` cold in at most 12 s, the whole
``reproduce`` (``make reproduce``) in at most 60 s. The shared machine's speed moves
from day to day, so ``--reference PATH`` (the ``src`` of a checkout of the code the
issue measured: f3222ff, the last commit whose suite has the 302 tests the issue
reports) times that code's own default ``compare``, cold, interleaved with the rest:
the issue measured it at 20.9 s, and the ratio gives how much slower the machine runs
today, by which the table's times are scaled back (from the medians, and *paired*:
each run against the reference run just before it, whose median is less moved by a
change of load in the middle of a session)::

    git worktree add /tmp/filing f3222ff
    .venv/bin/python benchmarks/coldstart.py --only compare,reproduce --repeat 3 \
        --reference /tmp/filing/src
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = {"compare": ["compare", "--quiet"], "reproduce": ["reproduce", "--quiet"],
            "compare-quick": ["compare", "--quick", "--quiet"]}
"""What each name runs; ``--out`` is added."""

ISSUE_COMPARE_S = 20.9
"""The default ``compare`` of the code issue 13 measured (f3222ff), as the issue timed it
("default run 20.9 s")."""

TARGETS = {"compare": 12.0, "reproduce": 60.0}
"""Issue 13's targets in seconds on 2 cores, cold."""

ENTRY = "import sys; from metaloss.cli import main; sys.exit(main())"
"""The console script's body: works for checkouts with and without ``__main__``."""


def run(src: Path, command: str, cache: Path, out: Path) -> tuple[float, float]:
    """``(wall s, CPU s of the child)`` of one command in a fresh interpreter."""
    return run_args(src, [*COMMANDS[command], "--out", str(out)], cache)


def run_args(src: Path, argv: list[str], cache: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(src), "METALOSS_CACHE_DIR": str(cache)}
    env.pop("JAX_ENABLE_X64", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", ENTRY, *argv], env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"{' '.join(argv)} failed with {src}:\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="compare", help=f"comma-separated: {', '.join(COMMANDS)}")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another checkout's src, timed interleaved with --src")
    ap.add_argument("--reference", type=Path, default=None,
                    help="the src of the code issue 13 measured (f3222ff): its default "
                         "compare, cold, measures today's machine against the issue's")
    args = ap.parse_args()
    sources = {"this": args.src.resolve()}
    if args.baseline is not None:
        sources = {"baseline": args.baseline.resolve(), **sources}
    commands = [c.strip() for c in args.only.split(",")]
    times: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    load = os.getloadavg()[0]
    reference: list[float] = []
    with tempfile.TemporaryDirectory(prefix="metaloss-coldstart-") as tmp:
        for i in range(args.repeat):
            if args.reference is not None:  # that commit has no compilation cache: cold
                wall, _ = run_args(args.reference.resolve(),
                                   ["compare", "--out", str(Path(tmp) / f"ref-{i}")],
                                   Path(tmp) / f"ref-cache-{i}")
                reference.append(wall)
                print(f"reference compare: {wall:.1f} s wall", file=sys.stderr, flush=True)
            for command in commands:
                for name, src in sources.items():
                    cache = Path(tmp) / f"cache-{command}-{name}-{i}"
                    for kind in ("cold", "warm"):
                        out = Path(tmp) / f"out-{command}-{name}-{i}-{kind}"
                        wall, cpu = run(src, command, cache, out)
                        times.setdefault((command, name, kind), []).append((wall, cpu))
                        print(f"{command} {name} {kind}: {wall:.1f} s wall, {cpu:.1f} s CPU",
                              file=sys.stderr, flush=True)
    print(f"load average (1 min) before {load:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{os.cpu_count()} CPUs; medians of {args.repeat} runs\n")
    print("| command | source | cold wall s | warm wall s | cold CPU s | warm CPU s |")
    print("|---|---|---|---|---|---|")
    for command in commands:
        for name in sources:
            cells = []
            for col in (0, 1):
                for kind in ("cold", "warm"):
                    cells.append(statistics.median(t[col] for t in times[command, name, kind]))
            print(f"| {command} | {name} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    if reference:
        ref = statistics.median(reference)
        slower = ref / ISSUE_COMPARE_S
        print(f"\nreference (the issue's code's default compare, cold): "
              f"{', '.join(f'{w:.1f}' for w in reference)} s, median "
              f"{ref:.1f} s against the issue's {ISSUE_COMPARE_S} s: "
              f"the machine runs {slower:.2f}x slower today\n")
        print("| command | source | cold wall s today | scaled to the issue's machine | "
              "paired | target |")
        print("|---|---|---|---|---|---|")
        for command in commands:
            for name in sources:
                runs = [t[0] for t in times[command, name, "cold"]]
                cold = statistics.median(runs)
                # each run against the reference timed just before it, then the median
                paired = statistics.median(w / r for w, r in zip(runs, reference, strict=True))
                target = TARGETS.get(command.split("-")[0])
                target = "" if target is None else f"{target:g}"
                print(f"| {command} | {name} | {cold:.1f} | {cold / slower:.1f} | "
                      f"{paired * ISSUE_COMPARE_S:.1f} | {target} |")


if __name__ == "__main__":
    main()
