"""How deep a trainability boundary stays fractal: a 1-D learning-rate zoom in
double-double (issue 24), for the atlas. Two boundaries: Liu's (``cosine_quadratic``,
SGD, :func:`depth_zoom`) and Sohl-Dickstein's tanh network (:data:`TANH`,
:func:`tanh_zoom`); the rows and the verdict are built in :mod:`.depth_rows`.

Level 0 scans the start window (Liu: ``[0.98, 1.06]``) with ``size`` learning rates;
each next level is one cell of the level before, so ``size - 1`` times narrower: of up
to ``tries`` cells that hold a label change (evenly picked), the one whose own scan
changes most. Every value is an exact rational rounded once to double-double, so levels
far below float64's resolution keep distinct points. Per level: the label changes, the
crossing dimension ``log(changes) / log(size - 1)`` (a self-similar boundary of
dimension ``D`` crosses a window's ``n`` cells about ``n^D`` times), the share of
*determined* points (the flag does not move when the learning rate moves by
:data:`ULPS` units of ``2^-104``, relative, either way), and, while the window is wide
enough for float64 to hold distinct points, the share of points whose float64 flag
equals the double-double one. ``scripts/precision_depth.py`` checks the double-double
flags against 60-digit mpmath as well.
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import numpy as np

from metaloss._src.grid.compute import landscape
from metaloss._src.meta import MetaLoss
from metaloss._src.precise.unroll import evaluate
from metaloss._src.problems import CRITICAL_ROUGHNESS, CosineQuadratic, MeanFieldMLP

RANGE = (Fraction("0.98"), Fraction("1.06"))
ULPS = 4
"""A pixel is *determined* when its flag equals the flags at ``q (1 +- ULPS 2^-104)``:
a few units in the last place of double-double (53 + 53 bits)."""
TANH = {"width": 4, "steps": 50, "lr/layer1": Fraction(10), "range": (Fraction(10),
                                                                        Fraction(22))}
"""The tanh network's zoom: Sohl-Dickstein's mean-field tanh MLP (``meanfield_mlp``,
full batch, SGD with per-layer learning rates), ``lr/layer0`` zoomed from ``range`` with
``lr/layer1`` fixed at 10, where a float64 scan of ``lr/layer0`` in ``[10, 40]`` (121
points) changes label 15 times at 50 steps."""


def _pair(pts: list[Fraction]) -> tuple[np.ndarray, np.ndarray]:
    hi = np.array([float(q) for q in pts])
    lo = np.array([float(q - Fraction(float(h))) for q, h in zip(pts, hi, strict=True)])
    return hi, lo


def _flags(meta, name: str, pts: list[Fraction]) -> np.ndarray:
    return evaluate(meta, {name: _pair(pts)})[2]


def _scan(meta, name: str, a: Fraction, b: Fraction, size: int):
    pts = [a + (b - a) * i / (size - 1) for i in range(size)]
    f = _flags(meta, name, pts)
    return pts, f, np.flatnonzero(f[1:] != f[:-1])


def determined_share(meta, name: str, pts: list[Fraction], flags: np.ndarray, *,
                     ulps: int = ULPS) -> float:
    """Share of ``pts`` whose ``flags`` equal the double-double flags at both
    ``q (1 + ulps 2^-104)`` and ``q (1 - ulps 2^-104)`` (exact, then rounded once)."""
    rel = Fraction(ulps, 2**104)
    up = _flags(meta, name, [q * (1 + rel) for q in pts])  # two calls of one shape:
    down = _flags(meta, name, [q * (1 - rel) for q in pts])  # one compilation
    return float(((up == flags) & (down == flags)).mean())


def liu_meta(roughness: float, steps: int = 300, x0: float = 10.0) -> MetaLoss:
    """Liu's problem at ``roughness`` times the onset, SGD."""
    return MetaLoss(CosineQuadratic(delta=roughness * CRITICAL_ROUGHNESS, x0=x0), "sgd",
                    steps=steps)


def depth_zoom(roughness: float, *, steps: int = 300, levels: int = 12, size: int = 128,
               tries: int = 8, x0: float = 10.0) -> list[dict]:
    """The rows of one roughness (in units of the onset ``1 / (2 pi^2)``)."""
    rows = zoom_line(liu_meta(roughness, steps, x0), "lr", *RANGE, levels=levels,
                     size=size, tries=tries)
    return [{"boundary": f"Liu {roughness:g}x onset", "roughness": roughness, **row}
            for row in rows]


def tanh_meta(width: int = TANH["width"], steps: int = TANH["steps"]) -> MetaLoss:
    """The tanh network of :data:`TANH` (``lr/layer1`` fixed)."""
    return MetaLoss(MeanFieldMLP(width=width), "sgd", steps=steps,
                    fixed={"lr/layer1": float(TANH["lr/layer1"])})


def tanh_zoom(*, width: int = TANH["width"], steps: int = TANH["steps"], levels: int = 12,
              size: int = 64, tries: int = 3) -> list[dict]:
    """The rows of the tanh network's boundary along ``lr/layer0`` (:data:`TANH`)."""
    rows = zoom_line(tanh_meta(width, steps), "lr/layer0", *TANH["range"], levels=levels,
                     size=size, tries=tries)
    return [{"boundary": "tanh network", "roughness": None, **row} for row in rows]


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
                     "relative_width": float((b - a) / abs(a)) if a else float(b - a),
                     "size": size, "changes": int(ch.size),
                     "dimension": math.log(ch.size) / math.log(size - 1) if ch.size > 1
                     else 0.0, "float64_agrees": f64,
                     "determined": determined_share(meta, name, pts, flags)})
        if ch.size == 0:
            break
        picks = ch[np.linspace(0, ch.size - 1, min(tries, ch.size)).round().astype(int)]
        counts = [_scan(meta, name, pts[i], pts[i + 1], size)[2].size
                  for i in picks] if picks.size > 1 else [0]
        i = picks[int(np.argmax(counts))]
        a, b = pts[i], pts[i + 1]
    return rows
