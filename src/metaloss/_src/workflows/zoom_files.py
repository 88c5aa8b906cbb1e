"""The dimension table of ``metaloss zoom``: one row per level, as CSV and Markdown."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from metaloss._src.analysis.fractal import boundary_cells, boundary_dimension

COLUMNS = ("level", "magnification", "depth", "dtype", "cell_ulps", "box", "diverged_share",
           "boundary_cells", "dimension", "ci_low", "ci_high", "r2", "note")


def dimension_rows(results, factor: float) -> list[dict]:
    """A row per ``(Level, DataArray)``: the box, the float type, and the boundary
    dimension of the level's ``diverged`` mask with its 95% interval (empty, with a
    note, where the level has no boundary). The box gives each axis's ends with the
    digits that tell them apart (at least 10; ``hi + lo`` past float64)."""
    from metaloss._src.precision.exact import ends

    rows = []
    for level, da in results:
        mask = np.asarray(da["diverged"], bool)
        mag = float(factor) ** level.index
        row = {
            "level": level.index, "magnification": mag, "depth": math.log10(mag),
            "dtype": level.dtype, "cell_ulps": level.cell_ulps,
            "box": "; ".join(f"{n} {ends(v, least=10)}" for n, v in level.axes.items()),
            "diverged_share": float(mask.mean()), "boundary_cells": 0,
            "dimension": "", "ci_low": "", "ci_high": "", "r2": "", "note": "",
        }
        if not boundary_cells(mask).any():
            row["note"] = ("no boundary: every run diverges" if mask.all()
                           else "no boundary: no run diverges")
        else:
            est = boundary_dimension(mask)
            row.update(boundary_cells=est.boundary, dimension=est.dimension, ci_low=est.ci[0],
                       ci_high=est.ci[1], r2=est.r2)
        rows.append(row)
    return rows


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def write_tables(rows: list[dict], outdir: Path) -> list[Path]:
    """``dimensions.csv`` (full precision) and ``dimensions.md``; returns their paths."""
    from metaloss._src.grid.io import write_text

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()}
                     for r in rows)
    shown = ("level", "magnification", "dtype", "box", "diverged_share", "boundary_cells",
             "dimension", "ci", "r2", "note")
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    for r in rows:
        ci = f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]" if r["dimension"] != "" else ""
        cells = {**r, "ci": ci, "dimension": (f"{r['dimension']:.3f}" if r["dimension"] != ""
                                              else "")}
        lines.append("| " + " | ".join(_fmt(cells[c]) for c in shown) + " |")
    note = ("Dimension of the boundary of each level's `diverged` mask by "
            "`boundary_dimension(method='box')` (metaloss's box counting: powers-of-two boxes "
            "up to a quarter of the grid, sizes holding at least 10 boundary boxes fitted, "
            "least-squares slope, 95% pairs-bootstrap interval). The atlas also offers "
            "Liu's `crossings` and Sohl-Dickstein's `sohl-dickstein` estimators "
            "(docs/fractal-dimension.md).")
    return [write_text(outdir / "dimensions.csv", buf.getvalue()),
            write_text(outdir / "dimensions.md", note + "\n\n" + "\n".join(lines) + "\n")]
