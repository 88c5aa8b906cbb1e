"""``metaloss reproduce`` and ``metaloss compare``."""

from __future__ import annotations

import math
import time

import click

from metaloss._src.cli.options import (
    COUNT,
    Command,
    build_meta,
    build_space,
    describe_point,
    problem_options,
    renamed_option,
)
from metaloss._src.cli.types import ParamKind
from metaloss._src.errors import InputError
from metaloss._src.spec import REGISTRY


@click.command(cls=Command, epilog="\n\n\b\nExamples:\n  metaloss reproduce --out results\n"
                                 "  metaloss reproduce --out quick/ --quick")
@click.option("--out", required=True, type=click.Path(), metavar="DIR",
              help="Output directory: the figures (*.png), the landscapes (landscape.nc, "
                   "mlp_digits_landscape.nc), the comparison's tables and data (compare*.csv, "
                   "compare*.nc), report.md and report.html.")
@click.option("--quick", is_flag=True, help="Reduced sizes (about 30 s), for tests.")
@click.option("--quiet", is_flag=True,
              help="Print only the report's path at the end (no stages, bars or summary).")
def reproduce(out, quick, quiet):
    """Run the whole study: figures, landscape.nc, report.md and report.html."""
    from metaloss._src import plot
    from metaloss._src.study.console import SUMMARY_NUMBERS, Console
    from metaloss._src.study.report.contents import headline
    from metaloss._src.study.report.pipeline import reproduce as run

    console = Console(quiet=quiet)
    t0 = time.perf_counter()
    # Figures are drawn and written by a worker process while the next sections compute
    # (here, not in the library's reproduce: starting processes is the application's
    # choice, not something a library call does behind its caller's back).
    with plot.in_background():
        rep = run(out, quick=quick, console=console)
    console.summary(rep.out, rep.files(), headline(rep.numbers, SUMMARY_NUMBERS),
                    total=len(rep.numbers))
    click.echo(f"wrote {rep.out / 'report.html'} ({time.perf_counter() - t0:.1f} s)")


DEFAULT_BOX = {"Log10": (-3.0, 2.0), "OneMinusLog10": (-3.0, 0.0)}
"""Default box per parametrization, in outer coordinates: the study's."""

COMPARE_EXAMPLES = """

\b
Examples:
  metaloss compare --out cmp/
  metaloss compare --out cmp/ --starts 16 --estimators "backprop, es(pairs=16, std=0.05), pes(K=25)"
  metaloss compare --out cmp/ --maps --size 48 --map-samples 128 \\
      --estimators "truncated(K=10), es, nres(K=10), guided_es(alpha=0.5), hybrid(pairs=4)"
  metaloss compare --out cmp/ --problem "quadratic(dim=10)" --optimizer adam \\
      --param lr=log --param b1=1mlog --set b2=0.999 --set eps=1e-8
"""


def _box(specs, space) -> dict[str, tuple[float, float]]:
    from metaloss._src.grid.axes import number, split_assignment

    given = {}
    for spec in specs:
        name, rest = split_assignment(spec, "box")
        lo, sep, hi = rest.partition(":")
        if not sep:
            raise InputError(f"bad box {spec!r}: expected NAME=LOW:HIGH (outer coordinates)")
        if name in given:
            raise InputError(f"--box {name!r} is given twice")
        given[name] = (number(lo, spec), number(hi, spec))
    unknown = [n for n in given if n not in space.names]
    if unknown:
        raise InputError(f"--box names {unknown[0]!r}, which is not an outer parameter")
    box = {}
    for n in space.names:
        default = DEFAULT_BOX.get(type(space[n]).__name__)
        if n not in given and default is None:
            raise InputError(f"give the range of {n!r} with --box {n}=LOW:HIGH")
        box[n] = given.get(n, default)
    return box


@click.command(cls=Command, epilog=COMPARE_EXAMPLES)
@problem_options
@click.option("--param", "params", type=ParamKind(), multiple=True, metavar="NAME=KIND",
              show_default="every hyperparameter not --set; lr log, momenta 1mlog",
              help="Outer parameter and its parametrization (log, lin, 1mlog); repeatable.")
@click.option("--box", "boxes", multiple=True, metavar="NAME=LOW:HIGH",
              show_default="the study's: log -3:2, 1mlog -3:0; lin has none",
              help="Range of random starts per outer parameter, in outer coordinates "
                   "(log10(lr) for a log parameter); repeatable.")
@click.option("--starts", type=COUNT, default=None, metavar="N",
              show_default="64; 8 with --quick",
              help="Random starts, uniform in the box, plus the study's two starts when "
                   "training the study's (lr, momentum).")
@click.option("--estimators", "spec", default=None, metavar="SPECS",
              show_default="backprop, forward, truncated(K=10), es(pairs=1), es(pairs=16), "
                           "pes(K=10); with --quick backprop, es(pairs=1), pes(K=10)",
              help="Comma-separated estimator specs, NAME or NAME(key=value, ...), NAME one of "
                   f"{', '.join(REGISTRY.names('estimator'))}; or 'all', which adds "
                   "nres(K=10), guided_es(alpha=0.5), hybrid(pairs=4) to the default six.")
@click.option("--budget", type=COUNT, default=None, metavar="STEPS",
              show_default="100000; 5000 with --quick",
              help="Inner steps each training run may spend: an estimator that spends more "
                   "inner steps per outer step takes fewer outer steps.")
@click.option("--outer-optimizer", type=click.Choice(["sgd", "adam"]), default="sgd",
              metavar="NAME", show_default=True,
              help="Outer optimizer of every estimator: sgd (gradients clipped to [-10, 10], "
                   "the study's) or adam (optax.adam, no clipping).")
@click.option("--outer-step", type=float, default=0.01, metavar="STEP", show_default=True,
              help="Step size of the outer optimizer (Adam's learning rate), in outer "
                   "coordinates per outer step.")
@click.option("--outer-b1", type=float, default=0.9, metavar="B1", show_default=True,
              help="Adam's first-moment decay, the share of the running mean of gradients "
                   "kept over outer steps (adam only; the PES paper's toy regression uses "
                   "0.99).")
@click.option("--maps", "maps", is_flag=True,
              help="Also judge every estimator against its truth on a grid over the box: "
                   "compare_maps.nc and one figure per quantity (bias, variance, cosine, "
                   "dominance). Needs a problem that draws no random numbers.")
@click.option("--size", "map_size", type=COUNT, default=None, metavar="N",
              show_default="32; 6 with --quick", help="Grid points per axis of the maps.")
@renamed_option("--seeds", "--starts", "starts", type=COUNT)
@renamed_option("--map-size", "--size", "map_size", type=COUNT)
@click.option("--map-samples", type=COUNT, default=None, metavar="N",
              show_default="64; 4 with --quick", help="Estimates per pixel and estimator.")
@click.option("--out", required=True, type=click.Path(), metavar="DIR",
              help="Output directory: the table (compare.csv, compare.md), every run "
                   "(compare_runs.csv), the gradient sweep (compare_sweep.nc), the figures "
                   "(compare_*.png), with --maps compare_maps.nc, and report.md, report.html.")
@click.option("--quick", is_flag=True,
              help="Reduced sizes, for tests: 8 random starts, three estimators, a budget of "
                   "5000 inner steps, a two-length gradient sweep and 6 x 6 maps.")
@click.option("--quiet", is_flag=True,
              help="Print only the table and the output path (no stages or bars).")
def compare(problem, optimizer, steps, objective, divergence, sets, seed, params, boxes, starts,
            spec, budget, outer_optimizer, outer_step, outer_b1, maps, map_size, map_samples,
            out, quick, quiet):
    """Compare outer-gradient estimators from many random starts: table, figures, report."""
    import jax

    from metaloss._src import plot
    from metaloss._src.estimators import get_list
    from metaloss._src.grid.io import check_writable_dir
    from metaloss._src.study.report.compare import section_compare
    from metaloss._src.study.report.document import Report
    from metaloss._src.study.settings import NAMED_STARTS
    from metaloss._src.workflows.compare_settings import OuterOptimizer, default_estimators

    if not (math.isfinite(outer_step) and outer_step > 0):
        raise InputError(f"--outer-step={outer_step} must be finite and > 0")
    meta = build_meta(problem, optimizer, steps, objective, divergence, sets)
    space = build_space(meta, params)
    box = _box(boxes, space)
    study_like = space == meta.default_space(["lr", "momentum"]) if set(space.names) == {
        "lr", "momentum"} else False
    overrides = {"meta": meta, "space": space, "box": box, "key": jax.random.key(seed),
                 "starts": NAMED_STARTS if study_like else {}}
    for name, value in (("seeds", starts), ("budget", budget), ("maps", map_size),
                        ("map_samples", map_samples)):
        if value is not None:
            overrides[name] = value
    overrides["optimizer"] = OuterOptimizer(outer_optimizer, outer_step, b1=outer_b1)
    if not maps:
        if map_size is not None or map_samples is not None:
            raise InputError("--size and --map-samples need --maps")
        overrides["maps"] = None
    if spec is not None:
        overrides["estimators"] = (default_estimators(every=True) if spec.strip() == "all"
                                   else get_list(spec))
    elif not quick:
        overrides["estimators"] = default_estimators()
    from metaloss._src.study.console import Console

    rep = Report(check_writable_dir(out), quick, console=Console(quiet=quiet))
    t0 = time.perf_counter()
    with plot.in_background():
        section_compare(rep, None, **overrides)
    rep.timings["total"] = time.perf_counter() - t0
    rep.write()
    click.echo((rep.out / "compare.md").read_text(), nl=False)
    for name, start in overrides["starts"].items():
        click.echo(f"start {name}: {describe_point(space, start)}")
    low = {n: lo for n, (lo, _) in box.items()}
    high = {n: hi for n, (_, hi) in box.items()}
    click.echo(f"random starts between {describe_point(space, low)}")
    click.echo(f"                  and {describe_point(space, high)}")
    rep.console.summary(rep.out, rep.files(), [])
    click.echo(f"wrote {rep.out} ({rep.timings['total']:.1f} s)")
