"""``metaloss atlas``: the fractal-boundary papers number by number (Liu 2024, Sohl-
Dickstein 2024), with each paper's own procedure and estimator beside ours, the seed
study's findings as numbers, and one table of findings."""

from __future__ import annotations

import dataclasses

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
    from metaloss._src.study.atlas import atlas as compute

    result = compute(quick=quick, liu=liu_cfg, sohl=sd_cfg, seed=seed, log=click.echo)
    written = [p for name, p in result.save(outdir).items() if not name.startswith("pes/")]
    click.echo(f"{result.agree} of {len(result.findings)} findings agree with the paper; wrote "
               f"{len(written)} files to {outdir} in {result.numbers['seconds']['total']} s: "
               + ", ".join(str(p.relative_to(outdir)) for p in written))
