"""``metaloss atlas``: the fractal-boundary papers number by number (Liu 2024, Sohl-
Dickstein 2024), with each paper's own procedure and estimator beside ours, the seed
study's findings as numbers, and one table of findings."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import click

from metaloss._src.cli.options import COUNT, SEED, STEPS, Command
from metaloss._src.errors import check_int

EXAMPLES = """

\b
Examples:
  metaloss atlas --quick --out atlas/    # seconds: every row at tiny sizes
  metaloss atlas --out atlas/            # the CPU default (minutes on 2 cores)
  metaloss atlas --paper --out atlas/    # the papers' scale: for a GPU
"""


@click.command(cls=Command, epilog=EXAMPLES)
@click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Output directory (created if missing): atlas.json (the findings table), "
                   "atlas.md, the figures (*.png) and the PES paper's files under pes/.")
@click.option("--quick", is_flag=True, help="Tiny sizes (seconds): a smoke test.")
@click.option("--paper", is_flag=True,
              help="The papers' scale: Liu's sweep at 2^20 + 1 learning rates, Fig. 2 at "
                   "2^24 + 1; Sohl-Dickstein width 16, 1000 steps, 4096^2 frames. For a GPU.")
@click.option("--width", type=COUNT, default=None, metavar="N",
              show_default="8; 4 with --quick, 16 with --paper",
              help="Width of the Sohl-Dickstein networks, in hidden units (the paper's: 16).")
@click.option("--size", type=COUNT, default=None, metavar="N",
              show_default="96; 32 with --quick, 4096 with --paper",
              help="Grid points per axis of each Sohl-Dickstein frame (>= 16).")
@click.option("--steps", type=STEPS, default=None, metavar="N",
              show_default="100; 20 with --quick, 1000 with --paper",
              help="Training steps of the Sohl-Dickstein networks (the paper: 500-1000).")
@click.option("--levels", type=COUNT, default=None, metavar="N",
              show_default="6; 2 with --quick, 34 with --paper",
              help="Frames per Sohl-Dickstein zoom sequence, the first included.")
@click.option("--seed", type=SEED, default=0, metavar="SEED", help="PRNG seed.")
def atlas(out, quick, paper, width, size, steps, levels, seed):
    """Reproduce the fractal-trainability papers' numbers beside ours."""
    from metaloss._src.errors import InputError
    from metaloss._src.grid.io import check_writable_dir
    from metaloss._src.study import liu, sohl

    if quick and paper:
        raise InputError("--quick and --paper exclude each other")
    liu_cfg = liu.QUICK if quick else liu.PAPER if paper else liu.LiuSettings()
    sd_cfg = sohl.QUICK if quick else sohl.PAPER_SCALE if paper else sohl.SohlSettings()
    given = {"width": width, "resolution": size, "steps": steps, "frames": levels}
    names = {"resolution": "--size", "frames": "--levels"}
    for name, value in given.items():
        if value is not None:
            check_int(names.get(name, f"--{name}"), value, 16 if name == "resolution" else 1)
    sd_cfg = dataclasses.replace(sd_cfg, **{k: v for k, v in given.items() if v is not None})
    outdir = check_writable_dir(out)
    _run(liu_cfg, sd_cfg, quick, seed, outdir)


def _run(liu_cfg, sd_cfg, quick: bool, seed: int, outdir: Path) -> None:
    import jax

    from metaloss._src import plot
    from metaloss._src.cli.atlas_report import write_report
    from metaloss._src.study import liu_rows, sohl
    from metaloss._src.study.seed_rows import seed_findings
    from metaloss._src.study.sohl_frames import frame_findings

    key = jax.random.key(seed)
    seconds, t0 = {}, time.perf_counter()
    written = []

    def part(name):
        seconds[name] = round(time.perf_counter() - tick[0], 1)
        tick[0] = time.perf_counter()

    tick = [t0]
    click.echo(f"[1/4] Liu (2024) Fig. 2a/2b: 2^{liu_cfg.fig2_level} + 1 learning rates x "
               f"{liu_cfg.steps} steps, float64 ...")
    fig2 = liu_rows.fig2_rows(liu_cfg, key, click.echo)
    plot.save(plot.liu_counts(fig2), outdir / "liu_counts.png")
    part("liu_fig2")
    click.echo(f"[2/4] Liu (2024) sweep: {len(liu_cfg.ratios)} roughness values x "
               f"{len(liu_cfg.lams)} wavelengths x 2^{liu_cfg.sweep_level} + 1 learning rates "
               "...")
    sweep = liu_rows.sweep_rows(liu_cfg, key, click.echo)
    summary = liu_rows.sweep_summary(sweep, liu_cfg)
    cells = liu_rows.paper_sweep(liu_cfg.sweep_level)
    plot.save(plot.liu_sweep(summary, cells), outdir / "liu_sweep.png")
    found = liu_rows.findings(fig2, summary, liu_cfg) + liu_rows.onset_findings(summary, liu_cfg)
    written += [outdir / "liu_counts.png", outdir / "liu_sweep.png"]
    part("liu_sweep")

    click.echo(f"[3/4] Sohl-Dickstein (2024) Table 1: {len(sd_cfg.configs)} configurations, "
               f"{sd_cfg.describe()} ...")
    frames: dict[str, list] = {}

    def on_frame(cfg, k, bounds, img):
        frames.setdefault(cfg.name, []).append(img)
        click.echo(f"      {cfg.name}: frame {k} done")

    table = sohl.table1(sd_cfg, on_frame=on_frame)
    for r in table:
        click.echo(f"      {r['title']}: {r['dimension']:.3f} (paper {r['paper_value']}); "
                   f"{r['seconds']:.1f} s")
    found += frame_findings(table, frames, sd_cfg.describe())
    plot.save(plot.sd_frames(frames, table), outdir / "sd_frames.png")
    written.append(outdir / "sd_frames.png")
    part("sohl_dickstein")

    click.echo("[4/4] the seed study's findings: gradient and ES runs ...")
    seed_numbers, seed_rows = seed_findings(quick=quick)
    found += seed_rows
    part("seed_study")
    click.echo("[+] Vicol et al. (2021, PES): influence balancing and the toy regression ...")
    from metaloss._src.study.pes_paper import atlas_findings

    pes_numbers, pes_rows = atlas_findings(quick=quick, out=outdir / "pes")
    found += pes_rows
    part("pes_paper")
    depth, depth_rows = _depth(quick, outdir)
    found += depth_rows
    written.append(outdir / "precision_depth.png")
    part("precision_depth")

    seconds["total"] = round(time.perf_counter() - t0, 1)
    numbers = {"settings": {"liu": dataclasses.asdict(liu_cfg), "sohl_dickstein":
                            sd_cfg.describe(), "quick": quick}, "seed": seed,
               "findings": [f.to_json() for f in found],
               "liu": {"fig2": fig2, "sweep": sweep, "summary": summary, "paper_cells": cells},
               "sohl_dickstein": [{k: v for k, v in r.items() if k != "finding"}
                                  for r in table],
               "seed_study": seed_numbers, "pes_paper": pes_numbers,
               "precision_depth": depth,
               "precision_findings": [f.to_json() for f in depth_rows],
               "seconds": seconds}
    from metaloss._src.grid.io import write_text

    written.append(write_text(outdir / "atlas.json", json.dumps(numbers, indent=1,
                                                                 default=_jsonable)))
    written.append(write_report(numbers, found, outdir))
    agree = sum(f.agrees is True for f in found)
    click.echo(f"{agree} of {len(found)} findings agree with the paper; wrote {len(written)} "
               f"files to {outdir} in {seconds['total']} s: "
               + ", ".join(str(p.relative_to(outdir)) for p in written))


def _depth(quick: bool, outdir: Path):
    """Issue 24's rows: Liu's boundary (1.5x and 3x the onset) and the tanh network's,
    zoomed in double-double."""
    from metaloss._src import plot
    from metaloss._src.study import depth, depth_rows

    t = time.perf_counter()
    levels, tanh = (10, dict(levels=2, size=16, tries=1)) if quick else \
        (13, dict(levels=18, size=32, tries=3))
    click.echo(f"[+] precision: Liu's boundary at 1.5x and 3x the onset, {levels} levels of "
               f"128 learning rates x 300 steps; the tanh network (width "
               f"{depth.TANH['width']}, {depth.TANH['steps']} steps), {tanh['levels']} levels "
               f"of {tanh['size']}; double-double ...")
    rows = [row for r in (1.5, 3.0) for row in depth.depth_zoom(r, levels=levels)]
    rows += depth.tanh_zoom(**tanh)
    plot.save(depth_rows.depth_figure(rows), outdir / "precision_depth.png")
    found = depth_rows.atlas_findings(rows, quick=quick)
    for f in found:
        click.echo(f"      {f.finding}" + ("" if isinstance(f.value, str) else
                                              f": {f.value:.3g}" if f.value is not None
                                              else ": none"))
    click.echo(f"      {time.perf_counter() - t:.1f} s")
    return rows, found


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return str(value)
