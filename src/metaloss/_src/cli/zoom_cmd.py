"""``metaloss zoom``: a deep zoom into a 2-D landscape, and the boundary dimension per level."""

from __future__ import annotations

from pathlib import Path

import click

from metaloss._src.cli.options import (
    COUNT,
    OPTIONS,
    Command,
    build_meta,
    colour_ceiling,
    problem_options,
)
from metaloss._src.cli.types import ExactValue, Spec, unique
from metaloss._src.errors import InputError

STUDY_VIEW = ("lr=log:1e-3:1e2", "momentum=1mlog:1e-3:1")

EXAMPLES = """

\b
Examples:
  metaloss zoom --divergence 2 --auto --factor 4 --levels 6 --out zoom/
  metaloss zoom --divergence 2 --center lr=1.03 --center momentum=0.97 \\
      --factor 10 --levels 8 --size 512 --out deep/
  metaloss zoom --divergence 2 --auto --levels 6 --out zoom/ --resume
"""


@click.command(cls=Command, epilog=EXAMPLES)
@problem_options
@click.option("--axis", "axes", multiple=True, metavar="NAME=KIND:A:B",
              show_default="the study's lr=log:1e-3:1e2 and momentum=1mlog:1e-3:1",
              help="An axis of the starting view (give two, in order), in the landscape's "
                   "grammar without N: KIND log, lin or 1mlog; A and B hyperparameter values, "
                   "every digit kept (a view narrower than float64 runs in double-double).")
@click.option("--center", "centers", type=ExactValue(), multiple=True, metavar="NAME=VALUE",
              help="The zoom's centre, a hyperparameter value (not an outer coordinate) per "
                   "axis (repeat per axis). Every digit counts: levels past float64 are "
                   "centred on the exact decimal.")
@click.option("--auto", is_flag=True,
              help="Centre on the divergence boundary: the boundary cell of the first level "
                   "nearest its middle.")
@click.option("--factor", type=float, default=4.0, metavar="FACTOR",
              help="Each level is FACTOR times narrower on every axis, in the axes' outer "
                   "coordinates (> 1).")
@click.option("--levels", type=COUNT, default=5, metavar="N",
              help="Levels, the starting view included (>= 1).")
@click.option("--size", type=COUNT, default=256, metavar="N",
              help="Grid points per axis at every level (>= 16, for box counting).")
@click.option("--chunk", type=COUNT, default=None, metavar="POINTS",
              show_default="chosen per device",
              help="Grid points per device per compiled call.")
@click.option("--measure", type=Spec("measure"), default="loss",
              help="What each level computes (as for landscape), e.g. trainability: its "
                   "'diverged' mask (not converged) is then the boundary measured.")
@click.option("--float64", "float64", is_flag=True,
              help="Compute every level in float64 (by default only levels whose cells "
                   "float32 cannot resolve).")
@click.option("--precision", type=click.Choice(["float32", "float64", "double-double"]),
              default=None, metavar="PRECISION", show_default="float32",
              help="The lowest precision of any level: float32, float64 (the same as "
                   "--float64) or double-double (every level in double-double, the outer "
                   "loss only). Deeper levels still move up by themselves.")
@click.option("--determined", is_flag=True,
              help="Recompute each level at the next precision (float32 -> float64 -> "
                   "double-double where supported), grey the pixels whose diverged flag "
                   "changes and report their share.")
@click.option("--vmax", type=float, default=None, metavar="VALUE",
              show_default="10 for the outer loss, none for other measures",
              help="Colour-scale ceiling of the level images, in the measure's units.")
@click.option("--resume", is_flag=True,
              help="Continue an unfinished zoom in --out (finished levels are only read).")
@click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Output directory: zoom.zarr, level<k>.png, zoom.gif, dimensions.csv/.md/.png.")
def zoom(problem, optimizer, steps, objective, divergence, sets, seed, axes, centers, auto,
         factor, levels, size, chunk, measure, float64, precision, determined, vmax, resume,
         out):
    """Zoom into a 2-D landscape level by level, each recomputed at full resolution.

    Level 0 is the starting view; each further level is FACTOR times narrower around
    the centre (in the axes' own coordinates: log10 lr, log10(1 - momentum)). A level
    whose cells come near float32 resolution runs in float64, one past float64's in
    double-double (its points exact; the outer loss only, for the problems and
    optimizers the double-double unroll supports), and the output says so; a zoom
    deeper than that is refused before anything is computed (with --auto, once level 0
    has given the centre). The boundary of the 'diverged' mask
    (see --divergence) is the trainability boundary whose box-counting dimension the
    table gives per level.
    """
    from metaloss._src.analysis.fractal import MIN_SIDE
    from metaloss._src.grid.io import check_writable_dir
    from metaloss._src.grid.zoom import parse_view_axis, plan

    view = [parse_view_axis(s) for s in (axes or STUDY_VIEW)]
    if len(view) != 2:
        raise InputError(f"a zoom needs two --axis options, got {len(view)}")
    center = unique(centers, "--center") or None
    if auto == (center is not None):
        raise InputError("give either --center NAME=VALUE for each axis or --auto")
    if float64 and precision not in (None, "float64"):
        raise InputError(f"--float64 contradicts --precision {precision}")
    if size < MIN_SIDE:
        raise InputError(f"--size must be >= {MIN_SIDE} (box counting needs it), got {size}")
    try:  # every check of the plan before the output directory is made
        planned = plan(view, center, factor, levels, size,
                       floor="float64" if float64 else (precision or "float32"))
    except InputError as e:
        raise spelled(e) from None
    meta = build_meta(problem, optimizer, steps, objective, divergence, sets)
    both = sorted({ax.name for ax in view} & {k for k, _ in meta.fixed})
    if both:
        raise InputError(f"{both[0]!r} is both an --axis and a --set")
    meta.check({ax.name: ax.values(ax.lo, ax.hi, 2) for ax in view})
    from metaloss._src.measures import get as get_measure
    from metaloss._src.workflows.zoom import check_deep

    measure = get_measure(measure)
    try:
        check_deep(meta, planned, measure)
    except InputError as e:
        raise spelled(e) from None
    vmax = colour_ceiling(measure.variable, vmax)
    outdir = check_writable_dir(out)
    try:
        _run(meta, view, center, factor, levels, size, seed, chunk, vmax, resume, outdir,
             measure=measure, float64=float64, determined=determined, precision=precision)
    except InputError as e:
        raise spelled(e) from None


ZOOM_OPTIONS = {**OPTIONS, "store": "--out DIR", "factor": "--factor", "levels": "--levels",
                "size": "--size", "auto": "--auto", "divergence": "--divergence FACTOR"}
"""How this command spells the zoom's arguments: :data:`OPTIONS`, but ``--out`` is a
directory (the zoom's store is ``zoom.zarr`` inside it)."""


def spelled(error: InputError) -> InputError:
    """``error`` (the library's) with its arguments spelled as this command's options."""
    return InputError(error.spelled(ZOOM_OPTIONS))


def _run(meta, view, center, factor, levels, size, seed, chunk, vmax, resume, outdir: Path,
         *, measure, float64, determined=False, precision=None):
    import jax

    from metaloss._src.grid.zoom import EPS, MIN_ULPS
    from metaloss._src.precision.exact import ends
    from metaloss._src.workflows.zoom import zoom as compute
    from metaloss._src.workflows.zoom_result import save_level

    space = meta.default_space([ax.name for ax in view])

    def report(level, da):
        box = ", ".join(f"{n} {ends(v)}" for n, v in level.axes.items())
        rel = level.cell_ulps * EPS["float32"]  # the cells' own need, without the option
        need = "float32" if level.cell_ulps >= MIN_ULPS else \
            "float64" if rel >= MIN_ULPS * EPS["float64"] else "double-double"
        why = (f"{level.dtype}: its narrowest cell is {level.cell_ulps:.3g} float32 ulps wide"
               if level.dtype != "float32" else "float32")
        if need == "double-double":
            why = (f"double-double: its narrowest cell is {rel / EPS['float64']:.3g} float64 "
                   f"ulps wide (float64 needs {MIN_ULPS})")
        if float64 and level.cell_ulps >= MIN_ULPS:
            why = "float64 (--float64)"
        if precision in ("float64", "double-double") and level.dtype == precision != need:
            why = f"{precision} (--precision)"
        path = save_level(outdir, level, da, space, factor, vmax)
        settled = ""
        if "determined" in da.coords:
            settled = (f"; {da.attrs['determined_share']:.1%} determined against "
                       f"{da.attrs['determined_against']}")
        click.echo(f"level {level.index}: {box}; {why}; "
                   f"{int(da['diverged'].sum())} of {da.size} diverged{settled}; wrote {path}")

    result = compute(meta, view, center, factor, levels, size, key=jax.random.key(seed),
                     store=outdir / "zoom.zarr", resume=resume, chunk=chunk, on_level=report,
                     measure=measure, float64=float64, determined=determined,
                     precision=precision)
    for row in result.table():
        if row["note"]:
            click.echo(f"level {row['level']}: {row['note']}")
    written = result.save(outdir, vmax=vmax, images=False)
    written = {k: p for k, p in written.items() if not k.startswith("level")}
    dims = ", ".join("none" if d is None else f"{d:.3f}" for d in result.dimensions)
    click.echo(f"boundary dimension per level: {dims}; wrote {result.store}, "
               + ", ".join(p.name for p in written.values()))
