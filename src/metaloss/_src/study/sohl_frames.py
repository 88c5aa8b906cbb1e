"""Each Sohl-Dickstein frame measured alone, by the paper's estimator and by ours.

:func:`metaloss._src.study.sohl.table1` measures a zoom sequence as a whole (the
paper's median over every frame's local slopes). These rows add, from the same frames,
how the dimension moves with depth (the paper's estimator per frame) and our box
counting of each frame's diverged mask, so that every Table 1 row stands beside ours.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from metaloss._src.analysis.fractal import boundary_dimension
from metaloss._src.errors import InputError
from metaloss._src.study.findings import Finding, within
from metaloss._src.study.sohl import PAPER, findings


def frame_dimensions(images: Sequence[np.ndarray], method: str) -> list[float]:
    """``method``'s dimension of each image alone: the signed score for
    ``"sohl-dickstein"``, the diverged mask (score > 0) for ``"box"``; images without a
    boundary (or too small for the method) are left out."""
    dims = []
    for img in images:
        arr = np.asarray(img)
        with contextlib.suppress(InputError):
            dims.append(boundary_dimension(arr if method == "sohl-dickstein" else arr > 0,
                                           method=method, resamples=0).dimension)
    return dims


def frame_findings(table: list[dict], frames: Mapping[str, Sequence[np.ndarray]],
                   settings: str) -> list[Finding]:
    """The table's findings, each explained by its frames' own medians, followed by one
    box-counting row per configuration (mean over frames, interval their range). Adds
    ``frame_dimensions``, ``box`` and ``box_frames`` to each row of ``table``."""
    paper_rows, box_rows = [], []
    for found, r in zip(findings(table), table, strict=True):
        images = frames.get(r["config"], [])
        sd = r["frame_dimensions"] = frame_dimensions(images, "sohl-dickstein")
        shown = ", ".join("nan" if not math.isfinite(d) else f"{d:.2f}" for d in sd)
        paper_rows.append(dataclasses.replace(found, explanation=(
            f"{found.explanation}. Median of each frame alone, from the widest to the "
            f"deepest: {shown or 'none'}")))
        box = r["box_frames"] = frame_dimensions(images, "box")
        r["box"] = float(np.mean(box)) if box else math.nan
        ci = (min(box), max(box)) if box else None
        box_rows.append(Finding(
            PAPER, f"Table 1: {r['title']}, box counting", r["paper_value"], r["box"], ci,
            "box (metaloss) on each frame's diverged mask, mean over frames", settings,
            within(r["paper_value"], r["box"], ci, 0.05) if box else False,
            f"Same frames as the row above, another estimator: per frame "
            f"{', '.join(f'{d:.2f}' for d in box) or 'none'} against the sohl-dickstein "
            f"median {r['dimension']:.3f}."))
    return paper_rows + box_rows
