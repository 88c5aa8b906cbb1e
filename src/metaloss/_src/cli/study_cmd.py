"""``metaloss reproduce`` and ``metaloss compare``."""

from __future__ import annotations

import math
import time

import click

from metaloss._src.cli.options import (
    COUNT,
    build_meta,
    build_space,
    describe_point,
    problem_options,
    renamed_option,
)
from metaloss._src.cli.types import ParamKind
from metaloss._src.errors import InputError
from metaloss._src.spec import REGISTRY


@click.command(epilog="\n\n\b\nExamples:\n  metaloss reproduce --out results\n"
                      "  metaloss reproduce --out quick/ --quick")
@click.option("--out", required=True, type=click.Path(), help="Output directory.")
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


@click.command(epilog=COMPARE_EXAMPLES)
@problem_options
@click.option("--param", "params", type=ParamKind(), multiple=True, metavar="NAME=KIND",
              help="Outer parameter and its parametrization (log, lin, 1mlog); repeatable. "
                   "Default: every hyperparameter not --set, lr log, momenta 1mlog.")
@click.option("--box", "boxes", multiple=True, metavar="NAME=LOW:HIGH",
              help="Range of random starts per outer parameter, in outer coordinates "
                   "(default: log -3:2, 1mlog -3:0, the study's; lin needs one).")
@click.option("--starts", type=COUNT, default=None, metavar="N",
              help="Number of random starts in the box [default: 64; 8 with --quick], plus "
                   "the study's "
                   "two starts when training the study's (lr, momentum).")
@click.option("--estimators", "spec", default=None, metavar="SPECS",
              help="Comma-separated estimator specs, NAME or NAME(key=value, ...), NAME one of "
                   f"{', '.join(REGISTRY.names('estimator'))}; or 'all'. Default: backprop, "
                   "forward, truncated(K=10), es(pairs=1), es(pairs=16), pes(K=10); 'all' "
                   "adds nres(K=10), guided_es(alpha=0.5), hybrid(pairs=4).")
@click.option("--budget", type=COUNT, default=None,
              help="Inner steps per run [default: 100000; 5000 with --quick].")
@click.option("--outer-step", type=float, default=None, metavar="STEP",
              help="Step of the outer SGD (gradients clipped to [-10, 10]) [default: 0.01, "
                   "the study's].")
@click.option("--maps", "maps", is_flag=True,
              help="Also judge every estimator against its truth on a grid over the box: "
                   "compare_maps.nc and one figure per quantity (bias, variance, cosine, "
                   "dominance). Needs a problem that draws no random numbers.")
@click.option("--size", "map_size", type=COUNT, default=None, metavar="N",
              help="Grid points per axis of the maps [default: 32; 6 with --quick].")
@renamed_option("--seeds", "--starts", "starts", type=COUNT)
@renamed_option("--map-size", "--size", "map_size", type=COUNT)
@click.option("--map-samples", type=COUNT, default=None,
              help="Estimates per pixel and estimator [default: 64; 4 with --quick].")
@click.option("--out", required=True, type=click.Path(), help="Output directory.")
@click.option("--quick", is_flag=True, help="Few seeds, three estimators, small sweep (seconds).")
@click.option("--quiet", is_flag=True,
              help="Print only the table and the output path (no stages or bars).")
def compare(problem, optimizer, steps, objective, divergence, sets, seed, params, boxes, starts,
            spec, budget, outer_step, maps, map_size, map_samples, out, quick, quiet):
    """Compare outer-gradient estimators over many seeds: table, figures, report."""
    import jax

    from metaloss._src import plot
    from metaloss._src.estimators import get_list
    from metaloss._src.grid.io import check_writable_dir
    from metaloss._src.study.report.compare import section_compare
    from metaloss._src.study.report.document import Report
    from metaloss._src.study.settings import NAMED_STARTS
    from metaloss._src.workflows.compare_settings import default_estimators

    if outer_step is not None and not (math.isfinite(outer_step) and outer_step > 0):
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
    if outer_step is not None:
        from metaloss._src.study.settings import clipped_sgd

        overrides["optimizer"] = clipped_sgd(outer_step)
        overrides["outer_step"] = outer_step
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
