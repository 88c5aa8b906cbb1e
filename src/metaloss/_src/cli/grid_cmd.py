"""``metaloss landscape`` and ``metaloss export``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from metaloss._src.cli.options import (
    COUNT,
    Command,
    build_meta,
    colour_ceiling,
    problem_options,
    warn_renamed,
)
from metaloss._src.cli.types import Axis, Spec, unique
from metaloss._src.errors import InputError


def store_options(fn):
    opts = [
        click.option("--resume", is_flag=True,
                     help="Continue an unfinished .zarr store (only its missing tiles)."),
        click.option("--tile", default=None, metavar="N,N",
                     show_default="near-square, about 1/16 of the grid, 65536 to 4194304 "
                                  "points",
                     help="Tile shape of a .zarr store, in grid points per axis."),
        click.option("--distributed", is_flag=True,
                     help="Share the tiles of a .zarr store among jax.distributed processes."),
        click.option("--coordinator", default=None, metavar="HOST:PORT",
                     show_default="from Slurm or Open MPI", help="Process 0's address."),
        click.option("--num-processes", type=COUNT, default=None, metavar="N",
                     show_default="from Slurm or Open MPI", help="Processes in the run."),
        click.option("--process-id", type=COUNT, default=None, metavar="INDEX",
                     show_default="from Slurm or Open MPI",
                     help="This process's index, from 0 to N - 1."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


MEASURE = Spec("measure")
PLOT_SUFFIXES = (".png", ".pdf", ".svg")

EXAMPLES = """

\b
Examples:
  metaloss landscape --axis lr=log:1e-3:1e2:2000 --axis momentum=1mlog:1e-3:1:2000 \\
      --out landscape.nc --plot landscape.png
  metaloss landscape --axis lr=log:1e-3:1e2:5000 --set momentum=0.9 --out sweep.nc
  metaloss landscape --measure lyapunov --axis lr=log:1e-3:1e2:512 \\
      --axis momentum=1mlog:1e-3:1:512 --out lyapunov.nc --plot lyapunov.png
  metaloss landscape --axis lr=log:1e-3:1e2:10000 --axis momentum=1mlog:1e-3:1:10000 \\
      --out big.zarr --resume
"""


@click.command(cls=Command, epilog=EXAMPLES)
@problem_options
@click.option("--axis", "axes", type=Axis(), multiple=True, required=True,
              metavar="NAME=KIND:A:B:N",
              help="A grid axis (repeatable, in order): KIND log (N values log-spaced from A "
                   "to B), lin (evenly spaced) or 1mlog (1 - v, v log-spaced: momenta). A and B "
                   "are hyperparameter values (for 1mlog, of v = 1 - the hyperparameter); N "
                   "is the number of grid points. "
                   "NAME is an optimizer or problem hyperparameter, or NAME/GROUP for one "
                   "parameter group (lr/layer0). E.g. lr=log:1e-3:1e2:256.")
@click.option("--measure", type=MEASURE, default="loss",
              help=f"What to compute at each point: {MEASURE.choices()} (the outer loss, "
                   "the finite-time maximal Lyapunov exponent of inner training per step, "
                   "the norm of the exact outer gradient over every hyperparameter, or a "
                   "score that is negative where training converged).")
@click.option("--chunk", type=COUNT, default=None, metavar="POINTS",
              show_default="chosen per device",
              help="Grid points per device per compiled call.")
@click.option("--out", required=True, type=click.Path(), metavar="PATH",
              help="Output: a NetCDF file (.nc), or a Zarr store (.zarr) written tile by tile.")
@click.option("--plot", "plot_path", type=click.Path(), default=None, metavar="PATH",
              help="Also draw the landscape to this image (.png, .pdf or .svg).")
@click.option("--vmax", type=float, default=None, metavar="VALUE",
              show_default="10 for the outer loss, none for other measures",
              help="Colour-scale ceiling of the plot, in the measure's units (for lyapunov, "
                   "the largest absolute exponent shown).")
@click.option("--precision", type=click.Choice(["float32", "float64", "double-double"]),
              default=None, metavar="PRECISION", show_default="JAX's: float32 unless x64 is on",
              help="Arithmetic of the inner runs: float32, float64 or double-double. "
                   "double-double carries ~32 digits (axes keep every digit of A and B, "
                   "stored as NAME_lo beside NAME in .nc and .zarr; outer loss only) and "
                   "reports the share of points whose diverged flag float64 gets right.")
@store_options
def landscape(problem, optimizer, steps, objective, divergence, sets, seed, axes, measure,
              chunk, out, plot_path, vmax, precision, resume, tile, distributed, coordinator,
              num_processes, process_id):
    """Compute the outer loss (or another measure) on a grid and save it."""
    from metaloss._src.grid.io import check_parent, check_suffix

    check_suffix(out, (".nc", ".zarr"), "--out")
    if plot_path:
        check_suffix(plot_path, PLOT_SUFFIXES, "--plot")
        check_parent(plot_path)
    store_flags = {"--resume": resume, "--tile": tile, "--distributed": distributed}
    store = _store_mode(out, store_flags, coordinator, num_processes, process_id)
    import jax
    import numpy as np

    from metaloss._src.grid import save_netcdf
    from metaloss._src.grid.io import write_text
    from metaloss._src.workflows.landscape import landscape as compute

    meta = build_meta(problem, optimizer, steps, objective, divergence, sets)
    grid = unique(axes, "--axis")
    both = sorted(set(grid) & {k for k, _ in meta.fixed})
    if both:
        raise InputError(f"{both[0]!r} is both an --axis and a --set")
    check_parent(out)
    result = compute(meta, grid, key=jax.random.key(seed), store=out if store else None,
                     resume=resume, tile=_tile(tile), chunk=chunk, measure=measure,
                     precision=precision)
    if jax.process_index() != 0:
        return  # process 0 reports for a distributed run
    da, summary, stats = result.data, result.summary, result.tiles
    if not store:
        save_netcdf(da, out)
    if plot_path:
        from metaloss._src import plot

        plot.save(result.figure(colour_ceiling(da.name, vmax)), plot_path)
    finite = np.isfinite(da.values)
    elapsed = result.seconds
    if stats is None:
        work = f"{da.size} points in {elapsed:.2f} s"
    else:
        work = (f"{da.size} points; {stats.computed} of {stats.total} tiles computed in "
                f"{elapsed:.2f} s" + (f", {stats.resumed} reused from before" if stats.resumed
                                      else "")
                + (f", {stats.repaired} damaged tiles recomputed" if stats.repaired else ""))
    write_text(Path(out).with_suffix(".json"), json.dumps(summary, indent=1))
    best = ""
    if finite.any():
        best = f"min {np.nanmin(da.values):.4g}, "
        if da.name != "outer_loss":
            best += f"max {np.nanmax(da.values):.4g}, "
    shared = ""
    if "float64_determined" in summary:
        shared = f", float64 gets {summary['float64_determined']:.1%} of the flags right"
    click.echo(f"wrote {out}: {work}, {best}{summary['non_finite']} non-finite, "
               f"{summary['diverged']} diverged{shared}; summary in "
               f"{Path(out).with_suffix('.json')}")


def _store_mode(out, store_flags, coordinator, num_processes, process_id) -> bool:
    """Whether ``out`` is a Zarr store; joins ``jax.distributed`` (before any JAX work)."""
    store = Path(out).suffix == ".zarr"
    cluster_flags = (coordinator, num_processes, process_id)
    if any(v is not None for v in cluster_flags) and not store_flags["--distributed"]:
        raise InputError("--coordinator, --num-processes and --process-id need --distributed")
    used = [flag for flag, value in store_flags.items() if value]
    if used and not store:
        raise InputError(f"{used[0]} needs --out PATH.zarr (a store), got {out!r}")
    if store_flags["--distributed"]:
        from metaloss._src.grid import distributed as dist

        dist.initialize(coordinator, num_processes, process_id)
    return store


def _tile(spec: str | None):
    if spec is None:
        return None
    try:
        return tuple(int(v) for v in spec.split(","))
    except ValueError:
        raise InputError(f"--tile must be sizes separated by commas, like 256,256; got {spec!r}")\
            from None


@click.command(cls=Command, epilog="\n\n\b\nExample:\n  metaloss export big.zarr --out big.nc")
@click.argument("store", type=click.Path())
@click.argument("old_out", metavar="", required=False, default=None, type=click.Path())
@click.option("--out", type=click.Path(), default=None, metavar="PATH.nc",
              help="The NetCDF file to write (.nc; its directory must exist).")
def export(store, old_out, out):
    """Write a finished .zarr landscape store to a NetCDF file.

    STORE is a finished Zarr store written by `metaloss landscape --out STORE.zarr`
    (an unfinished one is refused: complete it with --resume first). OLD_OUT, the
    output as a second argument, is the deprecated spelling of --out.
    """
    if old_out is not None:
        warn_renamed("the output as a second argument", "--out")
        if out is not None:
            raise InputError("the output is given twice (second argument and --out); "
                             "give only --out")
        out = old_out
    if out is None:
        raise InputError("give the NetCDF file to write with --out PATH.nc")
    from metaloss._src.grid import export_netcdf
    from metaloss._src.grid.io import check_parent, check_suffix

    check_suffix(store, (".zarr",), "the store")
    check_suffix(out, (".nc",), "the NetCDF output")
    check_parent(out)
    click.echo(f"wrote {export_netcdf(store, out)}")
