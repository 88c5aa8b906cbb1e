"""``metaloss atlas``: Liu's onset of fractality and Sohl-Dickstein's fractal boundary,
recomputed at sizes that fit 2 cores, with the papers' values beside ours."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import click

from metaloss._src.errors import check_int

EXAMPLES = """

\b
Examples:
  metaloss atlas --out atlas/            # about a minute on 2 cores
  metaloss atlas --width 16 --size 256 --steps 500 --levels 5 --out atlas16/
"""


@click.command(epilog=EXAMPLES)
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Output directory (created if missing).")
@click.option("--quick", is_flag=True, help="Tiny sizes (seconds): a smoke test.")
@click.option("--width", type=int, default=None,
              help="Width of the mean-field network (default 8; the paper's is 16, about "
                   "15x the cost per step).")
@click.option("--size", type=int, default=None,
              help="Points per axis of each zoom level (default 96).")
@click.option("--steps", type=int, default=None,
              help="Training steps of the network (default 200; the paper: 500-1000).")
@click.option("--levels", type=int, default=None,
              help="Zoom levels into the network's boundary, the first view included "
                   "(default 3).")
@click.option("--seed", type=int, default=0, show_default=True, help="PRNG seed.")
def atlas(out, quick, width, size, steps, levels, seed):
    """Reproduce two fractal trainability findings and measure their dimensions."""
    from metaloss._src.grid.io import check_writable_dir
    from metaloss._src.study.atlas import QUICK, AtlasSettings

    cfg = QUICK if quick else AtlasSettings()
    given = {"width": width, "size": size, "sd_steps": steps, "levels": levels}
    for name, value in given.items():
        if value is not None:
            check_int(f"--{name.removeprefix('sd_')}", value, 16 if name == "size" else 1)
    cfg = dataclasses.replace(cfg, **{k: v for k, v in given.items() if v is not None})
    outdir = check_writable_dir(out)
    _run(cfg, seed, outdir)


def _run(cfg, seed: int, outdir: Path) -> None:
    import jax

    from metaloss._src import plot
    from metaloss._src.cli.atlas_report import write_report
    from metaloss._src.cli.zoom_report import dimension_rows, write_tables
    from metaloss._src.problems import CRITICAL_ROUGHNESS
    from metaloss._src.study.atlas import PAPER_SD_RANGE, liu_onset, onset, sd_zoom

    key = jax.random.key(seed)
    t0 = time.perf_counter()
    click.echo(f"[1/2] Liu (2024): {len(cfg.roughness)} roughness values x {cfg.lrs} learning "
               f"rates x {cfg.liu_steps} steps, float64 ...")
    da, rows = liu_onset(cfg, key)
    written = [outdir / "liu_dimensions.png", outdir / "liu_boundary.png"]
    plot.save(plot.roughness_dimension(rows, CRITICAL_ROUGHNESS), written[0])
    plot.save(plot.roughness_barcode(da, cfg.roughness), written[1])
    below, above = onset(rows)
    click.echo(f"      onset of a fractal boundary between roughness {below} and {above} "
               f"(paper: {CRITICAL_ROUGHNESS:.4f}); {time.perf_counter() - t0:.1f} s")

    t1 = time.perf_counter()
    sd_dir = outdir / "meanfield"
    sd_dir.mkdir(exist_ok=True)
    click.echo(f"[2/2] Sohl-Dickstein (2024): {cfg.nonlinearity} width {cfg.width}, "
               f"{cfg.levels} levels of {cfg.size}^2 x {cfg.sd_steps} steps, float64 ...")

    def level_done(level, da):
        path = sd_dir / f"level{level.index}.png"
        mag = cfg.factor ** level.index
        plot.save(plot.heatmap(da, vmax=None, title=f"level {level.index} (x{mag:.3g})"), path)
        click.echo(f"      level {level.index}: {float(da['diverged'].mean()):.0%} not "
                   f"converged; wrote {path}")

    results = sd_zoom(cfg, key, store=sd_dir / "zoom.zarr", on_level=level_done)
    sd_rows = dimension_rows(results, cfg.factor)
    written += write_tables(sd_rows, sd_dir)
    nan = lambda v: math.nan if v == "" else v  # noqa: E731
    fig = plot.dimension_depth(
        [r["depth"] for r in sd_rows], [nan(r["dimension"]) for r in sd_rows],
        [nan(r["ci_low"]) for r in sd_rows], [nan(r["ci_high"]) for r in sd_rows],
        title="Mean-field network: boundary dimension against zoom depth",
        reference=(*PAPER_SD_RANGE, "range reported by Sohl-Dickstein (2024)"))
    plot.save(fig, sd_dir / "dimensions.png")
    frames = [sd_dir / f"level{level.index}.png" for level, _ in results]
    written += [sd_dir / "dimensions.png", plot.animate(frames, sd_dir / "zoom.gif")]
    dims = ", ".join(f"{r['dimension']:.3f}" if r["dimension"] != "" else "none"
                     for r in sd_rows)
    click.echo(f"      dimension per level: {dims} (paper: {PAPER_SD_RANGE[0]}-"
               f"{PAPER_SD_RANGE[1]}); {time.perf_counter() - t1:.1f} s")
    depth, depth_rows = _depth(cfg, outdir)
    written.append(outdir / "precision_depth.png")
    numbers = {"settings": dataclasses.asdict(cfg), "seed": seed, "liu": rows,
               "liu_onset": [below, above], "critical_roughness": CRITICAL_ROUGHNESS,
               "meanfield": sd_rows, "paper_meanfield_range": list(PAPER_SD_RANGE),
               "precision_depth": depth, "precision_findings": depth_rows,
               "seconds": round(time.perf_counter() - t0, 1)}
    from metaloss._src.grid.io import write_text

    written.append(write_text(outdir / "atlas.json", json.dumps(numbers, indent=1,
                                                                 default=_jsonable)))
    written.append(write_report(numbers, outdir))
    click.echo(f"wrote {len(written)} files to {outdir} in {numbers['seconds']} s: "
               + ", ".join(str(p.relative_to(outdir)) for p in written))


def _depth(cfg, outdir: Path):
    """Issue 24's rows: Liu's boundary zoomed in double-double (1.5x and 3x the onset)."""
    from metaloss._src import plot
    from metaloss._src.study.depth import depth_figure, depth_findings, depth_zoom

    t = time.perf_counter()
    levels = 4 * cfg.levels
    click.echo(f"[+] precision: Liu's boundary at 1.5x and 3x the onset, {levels} levels of "
               f"128 learning rates x 300 steps, double-double ...")
    rows = [row for r in (1.5, 3.0) for row in depth_zoom(r, levels=levels)]
    plot.save(depth_figure(rows), outdir / "precision_depth.png")
    found = [f.to_json() for f in depth_findings(rows, 300)]
    for f in found:
        deepest = "none" if f["value"] is None else f"{f['value']:.3g} wide"
        click.echo(f"      {f['finding']}: deepest multi-crossing window {deepest}; "
                   f"{f['explanation']}")
    click.echo(f"      {time.perf_counter() - t:.1f} s")
    return rows, found


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)
