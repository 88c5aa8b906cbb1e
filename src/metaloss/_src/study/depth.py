"""How deep Liu's fractal boundary goes: a 1-D learning-rate zoom in double-double
(issue 24), for the atlas.

Level 0 scans ``[0.98, 1.06]`` with ``size`` learning rates; each next level is one
cell of the level before, so ``size - 1`` times narrower: of up to ``tries`` cells that
hold a label change (evenly picked), the one whose own scan changes most. Every value
is an exact rational rounded once to double-double, so levels far below float64's
resolution keep distinct points. Per level: the label changes, the crossing dimension
``log(changes) / log(size - 1)`` (a self-similar boundary of dimension ``D`` crosses a
window's ``n`` cells about ``n^D`` times), and, while the window is wide enough for
float64 to hold distinct points, the share of points whose float64 flag equals the
double-double one. ``scripts/precision_depth.py`` checks the double-double flags against
60-digit mpmath as well.
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import numpy as np

from metaloss._src.grid.compute import landscape
from metaloss._src.meta import MetaLoss
from metaloss._src.plot.style import new_figure
from metaloss._src.precise.unroll import evaluate
from metaloss._src.problems import CRITICAL_ROUGHNESS, CosineQuadratic
from metaloss._src.study.findings import Finding

RANGE = (Fraction("0.98"), Fraction("1.06"))


def _flags(meta, name: str, pts: list[Fraction]) -> np.ndarray:
    hi = np.array([float(q) for q in pts])
    lo = np.array([float(q - Fraction(float(h))) for q, h in zip(pts, hi, strict=True)])
    return evaluate(meta, {name: (hi, lo)})[2]


def _scan(meta, name: str, a: Fraction, b: Fraction, size: int):
    pts = [a + (b - a) * i / (size - 1) for i in range(size)]
    f = _flags(meta, name, pts)
    return pts, f, np.flatnonzero(f[1:] != f[:-1])


def depth_zoom(roughness: float, *, steps: int = 300, levels: int = 12, size: int = 128,
               tries: int = 8, x0: float = 10.0) -> list[dict]:
    """The rows of one roughness (in units of the onset ``1 / (2 pi^2)``)."""
    meta = MetaLoss(CosineQuadratic(delta=roughness * CRITICAL_ROUGHNESS, x0=x0), "sgd",
                    steps=steps)
    rows = zoom_line(meta, "lr", *RANGE, levels=levels, size=size, tries=tries)
    return [{"roughness": roughness, **row} for row in rows]


def zoom_line(meta, name: str, a: Fraction, b: Fraction, *, levels: int = 12,
              size: int = 128, tries: int = 8) -> list[dict]:
    """The 1-D double-double zoom of the module docstring along hyperparameter ``name``
    from ``[a, b]`` (any meta-loss with a double-double route; the ``diverged`` flag)."""
    rows = []
    for level in range(levels):
        pts, flags, ch = _scan(meta, name, a, b, size)
        floats = np.array([float(q) for q in pts])
        f64 = None
        if len(np.unique(floats)) == size:
            with jax.enable_x64(True):
                low = np.asarray(landscape(meta, {name: floats})["diverged"])
            f64 = float((low == flags).mean())
        rows.append({"level": level, "width": float(b - a), "start": float(a),
                     "changes": int(ch.size),
                     "dimension": math.log(ch.size) / math.log(size - 1) if ch.size > 1
                     else 0.0, "float64_agrees": f64})
        if ch.size == 0:
            break
        picks = ch[np.linspace(0, ch.size - 1, min(tries, ch.size)).round().astype(int)]
        counts = [_scan(meta, name, pts[i], pts[i + 1], size)[2].size for i in picks]
        i = picks[int(np.argmax(counts))]
        a, b = pts[i], pts[i + 1]
    return rows


def depth_findings(rows: list[dict], steps: int) -> list[Finding]:
    """One row per roughness: the narrowest window that still held more than one label
    change, and the dimension there."""
    out = []
    for r in sorted({row["roughness"] for row in rows}):
        mine = [row for row in rows if row["roughness"] == r]
        multi = [row for row in mine if row["changes"] > 1]
        deepest = min(multi, key=lambda row: row["width"]) if multi else None
        f64 = [row["float64_agrees"] for row in mine if row["float64_agrees"] is not None]
        out.append(Finding(
            "Liu 2024", f"depth of the fractal boundary, roughness {r:g}x the onset",
            "float64 zooms stop near 1e-14 wide", None if deepest is None else
            deepest["width"], None,
            "1-D double-double zoom; narrowest window with > 1 label change",
            f"cosine_quadratic x0=10, SGD, {steps} steps, {len(mine)} levels", None,
            ("no window holds more than one crossing" if deepest is None else
             f"crossing dimension {deepest['dimension']:.2f} there; deepest level "
             f"{mine[-1]['width']:.3g} wide; float64 flags equal double-double's on "
             f"{min(f64):.0%} to {max(f64):.0%} of the points of the levels it resolves"
             if f64 else "")))
    return out


def depth_figure(rows: list[dict]):
    """Crossing dimension against window width, one line per roughness; float64's
    resolution (1e-14 of the learning rate) marked."""
    fig, ax = new_figure(6.5, 4)
    for r in sorted({row["roughness"] for row in rows}):
        mine = [row for row in rows if row["roughness"] == r]
        ax.semilogx([row["width"] for row in mine], [row["dimension"] for row in mine], "o-",
                    label=f"roughness {r:g}x the onset")
    ax.axvline(1e-14, color="0.5", lw=0.8, ls="--", label="float64 resolution")
    ax.invert_xaxis()
    ax.set_xlabel("window width (learning rate)")
    ax.set_ylabel("crossing dimension log(changes) / log(cells)")
    ax.set_title("Liu's boundary zoomed in double-double")
    ax.legend(fontsize=8)
    return fig
