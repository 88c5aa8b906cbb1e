"""``metaloss landscape`` and ``metaloss export``."""

from __future__ import annotations

import json
import time
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

    from metaloss._src.grid import landscape as compute
    from metaloss._src.grid import save_netcdf
    from metaloss._src.grid.io import write_text

    meta = build_meta(problem, optimizer, steps, objective, divergence, sets)
    grid = unique(axes, "--axis")
    both = sorted(set(grid) & {k for k, _ in meta.fixed})
    if both:
        raise InputError(f"{both[0]!r} is both an --axis and a --set")
    check_parent(out)
    t0 = time.perf_counter()
    stats = None
    if store:
        from metaloss._src.grid.compute import prepare
        from metaloss._src.grid.fill import store_landscape
        from metaloss._src.measures import get as get_measure

        x64 = jax.config.jax_enable_x64 if precision is None else precision == "float64"
        if precision == "double-double":
            da, stats = _store_dd(meta, grid, out, seed, resume, _tile(tile), chunk, measure)
        else:
            with jax.enable_x64(x64):
                meta_s, grid_s, key_s = prepare(meta, grid, jax.random.key(seed))
                da, stats = store_landscape(meta_s, grid_s, out, key=key_s, resume=resume,
                                            tile=_tile(tile), chunk=chunk,
                                            measure=get_measure(measure))
    else:
        da = compute(meta, grid, measure=measure, chunk=chunk, key=jax.random.key(seed),
                     precision=precision)
    elapsed = time.perf_counter() - t0
    if jax.process_index() != 0:
        return  # process 0 reports for a distributed run
    if not store:
        save_netcdf(da, out)
    if plot_path:
        from metaloss._src import plot

        vmax = colour_ceiling(da.name, vmax)
        if da.ndim == 2:
            fig = plot.heatmap(da, params=meta.default_space(list(da.dims)), vmax=vmax)
        else:
            fig = plot.sweep(da)
        plot.save(fig, plot_path)
    finite = np.isfinite(da.values)
    div = int(np.asarray(da["diverged"]).sum())
    summary = {"seconds": elapsed, "points": int(da.size),
               "non_finite": int((~finite).sum()), "diverged": div}
    if precision is not None:
        summary["precision"] = precision
    if precision == "double-double":
        summary["float64_determined"] = _determined_share(meta, grid, da, seed)
    if stats is None:
        work = f"{da.size} points in {elapsed:.2f} s"
    else:
        summary.update(tiles=stats.total, tiles_reused=stats.resumed,
                       tiles_computed=stats.computed, tiles_repaired=stats.repaired)
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
    click.echo(f"wrote {out}: {work}, {best}{int((~finite).sum())} non-finite, "
               f"{div} diverged{shared}; summary in {Path(out).with_suffix('.json')}")


def _store_dd(meta, grid, out, seed, resume, tile, chunk, measure):
    """A double-double landscape into the store ``out``: ``(DataArray, TileStats)``."""
    import jax

    from metaloss._src.grid.ddstore import store_landscape_dd
    from metaloss._src.grid.doubled import prepare_dd
    from metaloss._src.measures import LOSS
    from metaloss._src.measures import get as get_measure

    if get_measure(measure).name != LOSS.name:
        raise InputError("--precision double-double computes the outer loss only "
                         f"(--measure loss), not {get_measure(measure).name!r}")
    meta_d, grid_d, residues = prepare_dd(meta, grid)
    return store_landscape_dd(meta_d, grid_d, residues, out,
                              key=meta_d.key_or_default(jax.random.key(seed)),
                              resume=resume, tile=tile, chunk=chunk)


def _determined_share(meta, grid, da, seed) -> float:
    """Share of points whose float64 diverged flag equals the double-double one."""
    import jax
    import numpy as np

    from metaloss._src.grid import landscape as compute

    low = compute(meta, grid, key=jax.random.key(seed), precision="float64")
    return float((np.asarray(low["diverged"]) == np.asarray(da["diverged"])).mean())


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
