"""The estimator-comparison section of ``metaloss reproduce`` (and of ``metaloss compare``)."""

from __future__ import annotations

from typing import Any

import jax

from metaloss._src.estimators import ES, PES, Backprop
from metaloss._src.study.report.document import Report
from metaloss._src.study.report.maps import maps_summary
from metaloss._src.study.settings import BOX, NAMED_STARTS, StudySettings, study_setup
from metaloss._src.workflows import compare_files
from metaloss._src.workflows.compare import compare
from metaloss._src.workflows.compare_settings import (
    Basin,
    Maps,
    Sweep,
    Training,
    default_estimators,
)

FLAT = {"seeds": "training", "budget": "training", "optimizer": "training",
        "grid": "basin", "basin_quantile": "basin", "lengths": "sweep", "samples": "sweep",
        "maps": "maps", "map_samples": "maps"}
"""Flat argument names (a command line's) -> the :func:`compare` setting they belong to."""


def study_comparison(quick: bool = False) -> dict[str, Any]:
    """The comparison's arguments for the study, flat (see :data:`FLAT`): its meta-loss,
    space, box and two starts, at full size or reduced (``quick``, seconds)."""
    meta, space = study_setup()
    args = {"meta": meta, "space": space, "box": BOX, "starts": NAMED_STARTS,
            "key": jax.random.key(0)}
    if quick:
        args.update(estimators=(Backprop(), ES(std=0.1, pairs=1), PES(std=0.1, pairs=1, K=10)),
                    seeds=8, budget=5_000, grid=48, lengths=(10, 100), samples=8,
                    maps=6, map_samples=4)
    else:  # the report shows every estimator, with its maps
        args.update(estimators=default_estimators(every=True), maps=32, map_samples=64)
    return args


def grouped(args: dict[str, Any]) -> dict[str, Any]:
    """Flat arguments as :func:`compare`'s: ``seeds``, ``budget`` and ``optimizer`` into a
    :class:`Training`, ``grid`` and ``basin_quantile`` into a :class:`Basin`, ``lengths``
    and ``samples`` into a :class:`Sweep` (``lengths=None``: none), ``maps`` (points per
    axis, or ``None``) and ``map_samples`` into :class:`Maps`."""
    out = {k: v for k, v in args.items() if k not in FLAT}
    flat = {k: v for k, v in args.items() if k in FLAT}
    out["training"] = Training(**{k: flat[k] for k in ("seeds", "budget", "optimizer")
                                  if k in flat})
    out["basin"] = Basin(**{name: flat[k] for k, name in (("grid", "grid"),
                                                          ("basin_quantile", "quantile"))
                            if k in flat})
    if flat.get("lengths", True) is None:
        out["sweep"] = None
    else:
        out["sweep"] = Sweep(**{k: flat[k] for k in ("lengths", "samples") if k in flat})
    if flat.get("maps") is not None:
        out["maps"] = Maps(flat["maps"], **({"samples": flat["map_samples"]}
                                            if "map_samples" in flat else {}))
    return out


def section_compare(rep: Report, cfg: StudySettings | None = None, **overrides) -> None:
    """Estimators compared from many starts under one budget.

    ``overrides`` replace :func:`study_comparison`'s arguments (any meta-loss, space
    and box)."""
    sec = rep.section("Estimators compared over many seeds")
    args = {**study_comparison(rep.quick), **overrides}
    settings = grouped(args)
    rep.record("compare", args["meta"])
    n_est = len(args.get("estimators") or default_estimators())
    steps = n_est + (1 if args.get("lengths", True) else 0) + (1 if args.get("maps") else 0)
    with rep.stage("estimator comparison", total=steps, unit="steps") as st:
        cmp = compare(**settings, log=lambda what: st.advance(1, what))
    with rep.stage("comparison figures"):
        paths = cmp.save(rep.out)
    rows = cmp.table()
    sec.tables.append((compare_files.headers(rows), compare_files.format_rows(rows)))
    for key, caption in (
        ("final_loss", "Final true outer loss per estimator over all starts: box and every "
                       "run as a point; red markers: the study's two starts; dashed: the "
                       "basin threshold."),
        ("trajectories", "Every start's outer-training path over the landscape, one panel per "
                         "estimator on one colour scale; paths thinned and fading in with time, "
                         "the study's starts in white."),
        ("gradients", "Norm of the mean gradient estimate and the estimates' variance "
                      "against unroll length, at the study's two starts; a zero variance "
                      "(an exact estimator) is drawn on the floor line."),
        ("maps_cosine", "Mean cosine between one estimate and the truth it targets, per pixel."),
        ("maps_bias", "Norm of the mean estimate minus the truth, per pixel (log scale)."),
        ("maps_variance", "Variance (trace) of one estimate, per pixel (log scale)."),
        ("maps_dominance", "log10(squared bias / variance) of one estimate: orange where "
                           "bias dominates its error, purple where variance does."),
    ):
        if key in paths:
            sec.figures.append((paths[key].name, caption))
    rep.number("compare: basin threshold (landscape 5% quantile)", cmp.threshold)
    for r in rows:
        rep.number(f"compare: {r['estimator']}: median final true loss [95% CI]; in basin",
                   f"{r['median'].format()}; {r['in_basin'].format(percent=True)}")
    sec.paragraphs.append(
        f"Each estimator trains ({', '.join(cmp.space.names)}) from the same "
        f"{len(cmp.runs[0].final_loss) - len(cmp.starts)} uniform random starts in the box"
        + (f" and {len(cmp.starts)} named starts" if cmp.starts else "")
        + f", with {cmp.budget} inner steps per run: an estimator that spends "
        "more inner steps per outer step takes fewer outer steps. All use one outer optimizer "
        f"({settings['training'].describe()}). A run ends in the low-loss basin when its "
        f"final true outer loss is at most {cmp.threshold:.3f}, the "
        f"{cmp.basin_quantile:.0%} quantile "
        f"of the landscape over the box. Medians, quartiles and basin shares carry 95% "
        f"percentile-bootstrap intervals over the {len(cmp.runs[0].final_loss)} runs; every "
        f"run's start and end point is in compare_runs.csv. {cmp.ranking()}"
    )
    if cmp.sweep is not None:
        sw = cmp.sweep
        short, long = int(sw.length[0]), int(sw.length[-1])
        worst = [sw["norm"].max("point"), sw["variance"].max("point")]
        sec.tables.append((
            ["estimator", f"norm at {short} steps", f"norm at {long} steps",
             f"variance at {short}", f"variance at {long}"],
            [[str(e)] + [f"{float(a.sel(estimator=e)[i]):.3g}" for a in worst for i in (0, -1)]
             for e in sw.estimator.values],
        ))
        sec.paragraphs.append(
            "The second table gives, at the worse of the two study starts, the norm of the "
            "mean gradient estimate and the estimates' variance at the shortest and longest "
            "unroll: exact gradients through the unroll grow with its length where the "
            "dynamics are chaotic, while smoothed (ES, PES) and truncated estimates stay "
            "bounded in norm; PES pays for its unbiasedness with variance that grows with "
            "the number of windows."
        )
    if cmp.maps is not None:
        headers, cells, paragraph = maps_summary(cmp.maps)
        sec.tables.append((headers, cells))
        sec.paragraphs.append(paragraph)
        for row in cells:
            rep.number(f"maps: {row[0]}: median cosine, bias dominates", f"{row[3]}, {row[6]}")
