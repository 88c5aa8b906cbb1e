"""The estimator-comparison section of ``metaloss reproduce`` (and of ``metaloss compare``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metaloss.report import Report, StudySettings


def section_compare(rep: Report, cfg: StudySettings | None = None, **overrides) -> None:
    """Every estimator from many starts under one budget; ``overrides`` go to ``compare``."""
    from metaloss import compare

    sec = rep.section("Estimators compared over many seeds")
    with rep.stage("estimator comparison"):
        cmp = compare.compare(**{**compare.settings(rep.quick), **overrides})
    with rep.stage("comparison figures"):
        paths = compare.save(cmp, rep.out)
    rows = cmp.table()
    sec.tables.append((list(compare.COLUMNS.values()), compare.format_rows(rows)))
    for key, caption in (
        ("final_loss", "Final true outer loss per estimator over all starts; red markers: the "
                       "study's two starts; dashed: the basin threshold."),
        ("trajectories", "Every start's outer-training path over the landscape."),
        ("gradients", "Norm of the mean gradient estimate and the estimates' variance "
                      "against unroll length, at the study's two starts."),
    ):
        if key in paths:
            sec.figures.append((paths[key].name, caption))
    rep.number("compare: basin threshold (landscape 5% quantile)", cmp.threshold)
    for r in rows:
        rep.number(f"compare: {r['estimator']}: median final true loss [q25, q75], in basin",
                   f"{r['median']:.3f} [{r['q25']:.3f}, {r['q75']:.3f}], {r['in_basin']:.0%}")
    best = min(rows, key=lambda r: r["median"])
    sec.paragraphs.append(
        f"Each estimator trains (log10 lr, log10(1 - momentum)) from the same "
        f"{len(cmp.runs[0].final_loss) - 2} uniform random starts in the study's box and the "
        f"study's two starts, with {cmp.budget} inner steps per run: an estimator that spends "
        "more inner steps per outer step takes fewer outer steps. All use the study's outer "
        "optimizer (clip 10, SGD step 0.01). A run ends in the low-loss basin when its final "
        f"true outer loss is at most {cmp.threshold:.3f}, the {cmp.basin_quantile:.0%} quantile "
        f"of the landscape over the box. Lowest median: {best['estimator']} "
        f"({best['median']:.3f}, {best['in_basin']:.0%} of runs in the basin)."
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
