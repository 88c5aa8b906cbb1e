"""``atlas.md``: the findings table first, then each paper's numbers and how they were
measured, beside what the paper reports."""

from __future__ import annotations

import math
from pathlib import Path


def _num(v, digits: int = 3) -> str:
    if v is None or v == "" or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def liu_section(n: dict) -> list[str]:
    cfg, liu = n["settings"]["liu"], n["liu"]
    lines = [
        "## 1. Liu (2024): a fractal learning-rate boundary from a trivial non-convexity",
        "",
        "Procedure: Liu's code (liuyz0/FractalBoundary), followed where the text is less "
        "precise. Fig. 2 (`exp-1.jl`, `exp-0.jl`): gradient descent from x0 = 1 on "
        "`x^2 + 0.2 cos(2 pi x / 0.1)` (additive) and `x^2 (1 + 0.2 cos(2 pi x / 0.1))` "
        f"(multiplicative, metaloss's `modulated_quadratic`), {cfg['steps']} steps, float64, "
        "learning rates `linspace(0, 1.5, 2^N + 1)`, diverged once a loss passes 1e8. Sweep "
        "(`gpuexp-4-2.py`): the additive family from x0 = 5, learning rates "
        "`1.5 k / (2^N - 1)` behind a leading label 0, diverged when the summed losses reach "
        "1e16 (metaloss applies that bound to every step's loss; the reference column "
        "counts what that changes). Estimators: `crossings` is Liu's (label changes on "
        "nested sub-grids, slope of log2(count) over levels with more than one change); "
        "`box` is metaloss's box counting. Liu's numbers are refitted from his published "
        "counts over the same levels as ours.",
        "",
        "| figure | family | learning rates | crossings (Liu's) | box (ours) | box sizes | "
        "Liu's counts, same levels | Liu's counts, all levels | largest count difference | "
        "reference disagreements |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in liu["fig2"]:
        ref = (f"{r['reference_mismatch']} of {r['reference_points']}"
               if "reference_mismatch" in r else "-")
        lines.append(
            f"| {r['figure']} | {r['family']} | 2^{r['level']} + 1 | {_num(r['crossings'])} | "
            f"{_num(r['box'])} | {r['box_range'][0]}-{r['box_range'][1]} | {_num(r['paper'])} "
            f"| {_num(r['paper_full'])} (2^{r['paper_levels']}) | "
            f"{_num(100 * r['count_rel_diff'], 1)}% | {ref} |")
    lines += ["", "![label changes per level](liu_counts.png)", "",
              f"Sweep: mean over the wavelengths {', '.join(f'{x:g}' for x in cfg['lams'])} "
              f"at 2^{cfg['sweep_level']} + 1 learning rates; Liu's value is the mean of his "
              "sweep cells within a factor 1.25 of the roughness.", "",
              "| roughness / threshold | crossings (Liu's) | range | box (ours) | range | "
              "Liu's cells | their mean |", "|---|---|---|---|---|---|---|"]
    for s in liu["summary"]:
        lines.append(
            f"| {s['ratio']:g} | {_num(s['crossings'])} | {_num(s['crossings_range'][0])}-"
            f"{_num(s['crossings_range'][1])} | {_num(s['box'])} | {_num(s['box_range'][0])}-"
            f"{_num(s['box_range'][1])} | {s['paper_cells']} | {_num(s['paper'])} |")
    lines += ["", "Every sweep run:", "",
              "| roughness / threshold | lam | delta | diverged | changes at the finest level "
              "| crossings | box | reference disagreements |", "|---|---|---|---|---|---|---|---|"]
    for r in liu["sweep"]:
        ref = (f"{r['reference_mismatch']} of {r['reference_points']}"
               if "reference_mismatch" in r else "-")
        lines.append(f"| {r['ratio']:g} | {r['lam']:g} | {r['delta']:.4g} | {r['diverged']} | "
                     f"{r['changes']} | {_num(r['crossings'])} | {_num(r['box'])} | {ref} |")
    lines += ["", "![dimension against roughness](liu_sweep.png)", "",
              "Why the two estimators differ on the same mask, with the numbers: "
              "`docs/fractal-dimension.md`.", ""]
    return lines


def sd_section(n: dict) -> list[str]:
    rows = n["sohl_dickstein"]
    lines = [
        "## 2. Sohl-Dickstein (2024): the boundary of neural network trainability",
        "",
        "Procedure: the paper's notebook (Sohl-Dickstein/fractal), followed where it differs "
        "from the text: the input-layer offset is added inside every training step, "
        "minibatch indices are drawn per step while the loss is read on the full batch, the "
        "convergence score is the notebook's, and the data set has as many points as the "
        "network has parameters. Estimator: the notebook's -- edges are the 2x2 "
        "neighbourhoods where the score changes sign, box-counted as "
        "`porespy.metrics.boxcount` counts them; the dimension is the median of all local "
        "slopes over a zoom sequence. Zoom centres are chosen automatically on the boundary "
        "(the paper's were chosen by hand).",
        "",
        f"Settings here: {n['settings']['sohl_dickstein']}. The paper's: width 16, 500-1000 "
        "steps, 4096^2 frames, zooms over more than ten decades (`metaloss atlas --paper`, "
        "for a GPU).",
        "",
        "| configuration | paper | sohl-dickstein (paper's) | inter-quartile range | "
        "bootstrap interval | box (ours), mean over frames | frames | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        iqr = "-" if not r["iqr"] else f"[{_num(r['iqr'][0])}, {_num(r['iqr'][1])}]"
        ci = "-" if not r["ci"] else f"[{_num(r['ci'][0])}, {_num(r['ci'][1])}]"
        lines.append(f"| {r['title']} | {r['paper_value']} | {_num(r['dimension'])} | {iqr} | "
                     f"{ci} | {_num(r.get('box'))} | {r['frames']} | {r['seconds']:.1f} |")
    lines += ["", "![first and last frames](sd_frames.png)", ""]
    return lines


def seed_section(n: dict) -> list[str]:
    s = n["seed_study"]
    return ["## 3. The seed study's findings as numbers", "",
            f"From (log10 lr, log10(1 - momentum)) = (-2, -0.5), true outer loss "
            f"{s['start_loss']:.4g}: exact gradients ({s['gradient_steps']} clipped steps) end "
            f"at {s['gradient_loss']:.4g}, ES ({s['es_steps']} steps) at {s['es_loss']:.4g}.",
            ""]


def precision_section(numbers: dict) -> list[str]:
    """How deep Liu's and the tanh networks' boundaries stay fractal, zoomed in
    double-double (issue 24)."""
    rows = numbers.get("precision_depth") or []
    if not rows:
        return []
    out = ["## 4. Deeper than float64", "",
           "Liu's learning-rate boundary and the tanh networks' (lr/layer0) zoomed in "
           "double-double (~32 digits), each level one cell of the last; crossing "
           "dimension = log(label changes) / log(cells); a point is determined when its "
           "flag survives moving the learning rate by 4 x 2^-104 (relative) either way. "
           "![depth](precision_depth.png)", "",
           "| boundary | level | width | label changes | crossing dimension | determined | "
           "float64 = double-double |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        f64 = "-" if r["float64_agrees"] is None else f"{r['float64_agrees']:.0%}"
        out.append(f"| {r.get('boundary', r.get('roughness'))} | {r['level']} | "
                   f"{r['width']:.3g} | {r['changes']} | {r['dimension']:.2f} | "
                   f"{r.get('determined', float('nan')):.0%} | {f64} |")
    for f in numbers.get("precision_findings", []):
        value = "-" if f["value"] is None else (f"{f['value']:.3g}" if isinstance(
            f["value"], float) else str(f["value"]))
        shown = "" if f["finding"].endswith(f": {value}") else f": {value}"
        out += ["", f"- {f['finding']}{shown} ({f['explanation']})."]
    return out + [""]


PES_SECTION = [
    "## Vicol et al. (2021): truncation bias and PES", "",
    "Influence balancing and the toy regression, with each estimator's numbers beside "
    "the paper's: `pes/pes_paper.md`; the rows are in the findings table above.", ""]


def write_report(numbers: dict, found, outdir: Path) -> Path:
    """Writes ``atlas.md`` in ``outdir`` and returns its path."""
    from metaloss._src.grid.io import write_text
    from metaloss._src.study.findings import markdown

    secs = numbers["seconds"]
    agree = sum(f.agrees is True for f in found)
    differ = sum(f.agrees is False for f in found)
    text = "\n".join([
        "# The fractal-boundary atlas", "",
        f"Computed in {secs['total']} s (seed {numbers['seed']}): "
        + ", ".join(f"{k} {v} s" for k, v in secs.items() if k != "total") + ".", "",
        "## Findings", "",
        f"{len(found)} rows: {agree} agree with the paper within the stated uncertainty, "
        f"{differ} differ; each difference is explained below the table from measurements.",
        "", *markdown(found), "",
        *(liu_section(numbers) if "liu" in numbers else []),
        *(sd_section(numbers) if "sohl_dickstein" in numbers else []),
        *(seed_section(numbers) if "seed_study" in numbers else []),
        *(PES_SECTION if "pes_paper" in numbers else []),
        *precision_section(numbers)])
    return write_text(outdir / "atlas.md", text)
