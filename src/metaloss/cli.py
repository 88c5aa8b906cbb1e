"""The ``metaloss`` command line. Bad input exits 2 with one line on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import click

from metaloss import cli_parse


def _meta(problem: str, optimizer: str, steps: int, objective: str, divergence: float):
    from metaloss import optimizers, problems
    from metaloss.meta import MetaLoss
    from metaloss.unroll import Divergence

    if not divergence >= 0:
        raise ValueError(f"--divergence must be >= 0 (0 turns detection off), got {divergence:g}")
    policy = Divergence(divergence) if divergence > 0 else None
    return MetaLoss(problems.get(problem), optimizers.get(optimizer), steps=steps,
                    objective=objective, divergence=policy)


_problem_opts = [
    click.option("--problem", default="wavy1d", show_default=True,
                 help="Inner problem: a registered name, name(k=v, ...) or module:attribute."),
    click.option("--optimizer", default="sgdm", show_default=True, help="Inner optimizer."),
    click.option("--steps", type=int, default=50, show_default=True, help="Inner steps."),
    click.option("--objective", default="mean", show_default=True,
                 help="Outer objective: mean, final, val_mean or val_final."),
    click.option("--divergence", type=float, default=1e3, show_default=True, metavar="FACTOR",
                 help="A run diverges once its loss exceeds FACTOR * (|L0| + 1) or is not "
                      "finite; it is then frozen and records that cap. 0: no detection, "
                      "inf/NaN kept as they come."),
    click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                 help="Hold a hyperparameter fixed (repeatable)."),
    click.option("--seed", type=int, default=0, show_default=True, help="PRNG seed."),
]


def problem_options(fn):
    for opt in reversed(_problem_opts):
        fn = opt(fn)
    return fn


def store_options(fn):
    opts = [
        click.option("--resume", is_flag=True,
                     help="Continue an unfinished .zarr store (only its missing tiles)."),
        click.option("--tile", default=None, metavar="N,N",
                     help="Tile shape of a .zarr store, one size per axis (default: "
                          "near-square, about 1/16 of the grid, 65536 to 4194304 points)."),
        click.option("--distributed", is_flag=True,
                     help="Share the tiles of a .zarr store among jax.distributed processes."),
        click.option("--coordinator", default=None, metavar="HOST:PORT",
                     help="Process 0's address (default: from Slurm or Open MPI)."),
        click.option("--num-processes", type=int, default=None,
                     help="Processes in the run (default: from Slurm or Open MPI)."),
        click.option("--process-id", type=int, default=None,
                     help="This process's index (default: from Slurm or Open MPI)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="metaloss")
def cli():
    """Explore hyperparameter meta-loss landscapes of unrolled optimization."""


@cli.command()
@click.option("--out", required=True, type=click.Path(), help="Output directory.")
@click.option("--quick", is_flag=True, help="Reduced sizes (about 30 s), for tests.")
def reproduce(out, quick):
    """Run the whole study: figures, landscape.nc, report.md and report.html."""
    from metaloss.report import reproduce as run

    rep = run(out, quick=quick)
    click.echo(f"wrote {rep.out / 'report.html'} ({rep.timings['total']:.1f} s)")


@cli.command()
@problem_options
@click.option("--axis", "axes", multiple=True, required=True, metavar="NAME=KIND:A:B:N",
              help="A grid axis, KIND log, lin or 1mlog (repeatable, in order).")
@click.option("--chunk", type=int, default=None,
              help="Grid points per device per compiled call.")
@click.option("--out", required=True, type=click.Path(),
              help="Output: a NetCDF file (.nc), or a Zarr store (.zarr) written tile by tile.")
@click.option("--plot", "plot_path", type=click.Path(), default=None,
              help="Also draw the landscape to this PNG.")
@click.option("--vmax", type=float, default=10.0, show_default=True,
              help="Colour-scale ceiling of the plot.")
@store_options
def landscape(problem, optimizer, steps, objective, divergence, sets, seed, axes, chunk, out,
              plot_path, vmax, resume, tile, distributed, coordinator, num_processes, process_id):
    """Compute the outer loss on a grid and save it."""
    store_flags = {"--resume": resume, "--tile": tile, "--distributed": distributed}
    store = _store_mode(out, store_flags, coordinator, num_processes, process_id)
    import jax
    import numpy as np

    from metaloss.landscape import landscape as compute
    from metaloss.landscape import save_netcdf
    from metaloss.landscape.io import write_text

    meta = _meta(problem, optimizer, steps, objective, divergence)
    grid = dict(cli_parse.parse_axis(a) for a in axes)
    fixed = cli_parse.parse_sets(sets)
    both = sorted(set(grid) & set(fixed))
    if both:
        raise ValueError(f"{both[0]!r} is both an --axis and a --set")
    _check_out(out)
    t0 = time.perf_counter()
    da = compute(meta, {**grid, **fixed}, chunk=chunk, key=jax.random.key(seed),
                 store=out if store else None, resume=resume, tile=_tile(tile))
    elapsed = time.perf_counter() - t0
    if jax.process_index() != 0:
        return  # process 0 reports for a distributed run
    if not store:
        save_netcdf(da, out)
    if plot_path:
        from metaloss import plot

        if da.ndim == 2:
            params = {n: cli_parse.default_param(n) for n in da.dims}
            fig = plot.heatmap(da, params=params, vmax=vmax)
        else:
            fig = plot.sweep(da)
        plot.save(fig, plot_path)
    finite = np.isfinite(da.values)
    div = int(np.asarray(da["diverged"]).sum())
    write_text(Path(out).with_suffix(".json"),
               json.dumps({"seconds": elapsed, "points": int(da.size),
                           "non_finite": int((~finite).sum()), "diverged": div}, indent=1))
    click.echo(f"wrote {out}: {da.size} points in {elapsed:.2f} s, min {np.nanmin(da.values):.4g}, "
               f"{int((~finite).sum())} non-finite, {div} diverged")


def _store_mode(out, store_flags, coordinator, num_processes, process_id) -> bool:
    """Whether ``out`` is a Zarr store; joins ``jax.distributed`` (before any JAX work)."""
    store = Path(out).suffix == ".zarr"
    cluster_flags = (coordinator, num_processes, process_id)
    if any(v is not None for v in cluster_flags) and not store_flags["--distributed"]:
        raise ValueError("--coordinator, --num-processes and --process-id need --distributed")
    used = [flag for flag, value in store_flags.items() if value]
    if used and not store:
        raise ValueError(f"{used[0]} needs --out PATH.zarr (a store), got {out!r}")
    if store_flags["--distributed"]:
        from metaloss.landscape import distributed as dist

        dist.initialize(coordinator, num_processes, process_id)
    return store


def _tile(spec: str | None):
    if spec is None:
        return None
    try:
        return tuple(int(v) for v in spec.split(","))
    except ValueError:
        raise ValueError(f"--tile must be sizes separated by commas, like 256,256; got {spec!r}")\
            from None


@cli.command()
@click.argument("store", type=click.Path())
@click.argument("out", type=click.Path())
def export(store, out):
    """Write a finished .zarr landscape store to a NetCDF file."""
    from metaloss.landscape import export_netcdf

    _check_out(out)
    click.echo(f"wrote {export_netcdf(store, out)}")


def _check_out(out):
    from metaloss.landscape.io import check_writable_dir

    parent = Path(out).parent
    check_writable_dir(parent if str(parent) else ".")


@cli.command()
@problem_options
@click.option("--estimator", default="backprop", show_default=True,
              help="backprop, forward, truncated, es or pes, or a spec such as "
                   "'es:pairs=8:std=0.05' (as in compare).")
@click.option("--std", type=float, default=0.1, show_default=True, help="ES/PES sigma.")
@click.option("--pairs", type=int, default=1, show_default=True, help="ES/PES antithetic pairs.")
@click.option("--truncation", type=int, default=10, show_default=True,
              help="Window K of truncated backprop and PES.")
@click.option("--param", "params", multiple=True, metavar="NAME=KIND",
              help="Outer parameter and its parametrization (log, lin, 1mlog); repeatable. "
                   "Default: every hyperparameter not --set, lr log, momenta 1mlog.")
@click.option("--init", "inits", multiple=True, metavar="NAME=VALUE",
              help="Start, in outer coordinates (default: the study's (-2, -0.5)).")
@click.option("--outer-steps", type=int, default=100, show_default=True)
@click.option("--step-size", type=float, default=0.01, show_default=True, help="Outer SGD step.")
@click.option("--clip", type=float, default=10.0, show_default=True,
              help="Clip outer gradients to [-clip, clip].")
@click.option("--out", required=True, type=click.Path(), help="Output directory.")
def train(problem, optimizer, steps, objective, divergence, sets, seed, estimator, std, pairs,
          truncation, params, inits, outer_steps, step_size, clip, out):
    """Outer-train hyperparameters with an estimator; save the trajectory."""
    import jax
    import numpy as np
    import optax

    from metaloss import analysis, plot
    from metaloss.landscape.io import atomic_path, check_writable_dir, write_text
    from metaloss.outer import outer_train
    from metaloss.space import Space

    meta = _meta(problem, optimizer, steps, objective, divergence)
    fixed = cli_parse.parse_sets(sets)
    free = [n for n in meta.hparam_names if n not in fixed]
    space = Space(cli_parse.parse_params(params, free))
    given = cli_parse.parse_sets(inits)
    study = {"lr": -2.0, "momentum": -0.5}
    init = {n: given.get(n, study.get(n)) for n in space.names}
    missing = [n for n, v in init.items() if v is None]
    if missing:
        raise ValueError(f"give a start for {missing[0]!r} with --init {missing[0]}=VALUE")
    extra = [n for n in given if n not in space.names]
    if extra:
        raise ValueError(f"--init names {extra[0]!r}, which is not an outer parameter")
    if not (step_size > 0 and clip > 0):
        raise ValueError("--step-size and --clip must be positive")
    if fixed:
        meta = dataclasses.replace(meta, fixed=fixed)
    est = cli_parse.build_estimator(estimator, std=std, pairs=pairs, truncation=truncation)
    out_dir = check_writable_dir(out)
    opt = optax.chain(optax.clip(clip), optax.sgd(step_size))
    t0 = time.perf_counter()
    run = outer_train(meta, space, est, init, outer_steps, opt, jax.random.key(seed))
    traj = {k: np.asarray(v) for k, v in run.params.items()}
    elapsed = time.perf_counter() - t0
    final = {k: float(v[-1]) for k, v in traj.items()}
    true = float(analysis.evaluate_points(meta, space, final))
    with atomic_path(out_dir / "run.npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, losses=np.asarray(run.losses), **{f"params_{k}": v for k, v in traj.items()})
    summary = {"estimator": repr(est), "final": final, "final_true_loss": true,
               "seconds": elapsed, "outer_steps": outer_steps, "fixed": fixed}
    write_text(out_dir / "run.json", json.dumps(summary, indent=1))
    fig = plot.training_curve(np.asarray(run.losses), title=f"Outer loss, {est!r}")
    fig.axes[0].set_xlabel("outer step")
    plot.save(fig, out_dir / "outer_loss.png")
    click.echo(f"final {final}, true outer loss {true:.4g} ({elapsed:.1f} s); wrote {out_dir}")


@cli.command()
@click.option("--seeds", type=int, default=None,
              help="Random starts in the study's box, plus its two starts [default: 64; 8 "
                   "with --quick].")
@click.option("--estimators", "spec", default=None, metavar="LIST",
              help="Comma-separated estimators, each NAME[:OPTION=VALUE...] with NAME one of "
                   "backprop, forward, truncated, es, pes; e.g. 'backprop,es:pairs=16,pes:K=20'. "
                   "Default: backprop, forward, truncated:K=10, es:pairs=1, es:pairs=16, pes:K=10.")
@click.option("--budget", type=int, default=None,
              help="Inner steps per run [default: 100000; 5000 with --quick].")
@click.option("--seed", type=int, default=0, show_default=True, help="PRNG seed.")
@click.option("--out", required=True, type=click.Path(), help="Output directory.")
@click.option("--quick", is_flag=True, help="Few seeds, three estimators, small sweep (seconds).")
def compare(seeds, spec, budget, seed, out, quick):
    """Compare outer-gradient estimators over many seeds: table, figures, report."""
    import jax

    from metaloss.estimators import parse_estimators
    from metaloss.landscape.io import check_writable_dir
    from metaloss.report import Report, section_compare

    overrides = {"key": jax.random.key(seed)}
    for name, value in (("seeds", seeds), ("budget", budget)):
        if value is not None:
            overrides[name] = value
    if spec is not None:
        overrides["estimators"] = parse_estimators(spec)
    rep = Report(check_writable_dir(out), quick)
    t0 = time.perf_counter()
    section_compare(rep, None, **overrides)
    rep.timings["total"] = time.perf_counter() - t0
    rep.write()
    click.echo((rep.out / "compare.md").read_text(), nl=False)
    click.echo(f"wrote {rep.out} ({rep.timings['total']:.1f} s)")


def main(argv=None) -> int:
    """Entry point: runs the command, mapping bad input to one line and exit code 2."""
    try:
        cli.main(args=argv, standalone_mode=False, prog_name="metaloss")
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help() if e.ctx else str(e))
        return 2
    except click.UsageError as e:
        click.echo(f"error: {' '.join(e.format_message().split())}", err=True)
        return 2
    except click.ClickException as e:
        click.echo(f"error: {' '.join(e.format_message().split())}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except (ValueError, OSError) as e:
        click.echo(f"error: {' '.join(str(e).split())}", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
