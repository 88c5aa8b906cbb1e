"""How deep a trainability boundary stays fractal: a 1-D learning-rate zoom in
double-double (issue 24), for the atlas. Two boundaries: Liu's (``cosine_quadratic``,
SGD, :func:`depth_zoom`) and Sohl-Dickstein's tanh network at the paper's width
(:data:`TANH`) and a small one (:data:`TANH_SMALL`), :func:`tanh_zoom`; the rows and the
verdict are built in :mod:`.depth_rows`.

Level 0 scans the start window (Liu: ``[0.98, 1.06]``) with ``size`` learning rates;
each next level is one cell of the level before, so ``size - 1`` times narrower: of up
to ``tries`` cells that hold a label change (evenly picked), the one whose own scan
changes most (that scan is the next level's). Every value is an exact rational rounded
once to double-double, so levels far below float64's resolution keep distinct points.
Per level: the label changes, the crossing dimension ``log(changes) / log(size - 1)`` (a
self-similar boundary of dimension ``D`` crosses a window's ``n`` cells about ``n^D``
times), the share of *determined* points (the flag does not move when the learning rate moves by
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
from metaloss._src.precision.exact import hilo, residues
from metaloss._src.problems import CRITICAL_ROUGHNESS, CosineQuadratic, MeanFieldMLP

RANGE = (Fraction("0.98"), Fraction("1.06"))
ULPS = 4
"""A pixel is *determined* when its flag equals the flags at ``q (1 +- ULPS 2^-104)``:
a few units in the last place of double-double (53 + 53 bits)."""
TANH = {"width": 16, "steps": 100, "lr/layer1": Fraction(160),
        "range": (Fraction(40), Fraction(70))}
"""The tanh network's zoom at the paper's width: Sohl-Dickstein's mean-field tanh MLP
(``meanfield_mlp`` width 16, full batch, SGD with per-layer learning rates),
``lr/layer0`` zoomed from ``range`` with ``lr/layer1`` fixed at 160, where a float64
scan of ``lr/layer0`` in ``[30, 70]`` (161 points) changes label 26 times at 100 steps
(none in ``[0.01, 1e5]`` at ``lr/layer1`` 30 or below, every point diverged at 250 and
above). 100 steps, the notebook's default (the paper: 500 or 1000): a width-16
double-double step costs ~0.64 ms per point on one CPU core, so this zoom takes ~2.5 min
of CPU uncontended (301 s of CPU for the atlas's whole precision part at load 5, 17 s
without it) and the paper's steps 15-30 min; and a boundary judged undetermined (one
200-step zoom is, ``docs/precision/README.md``) gets a double-double uncertainty
exponent of 2000 x 5 runs, another ~20 min at 200 steps. At 200 steps the boundary
stays fractal to 3e-26 relative (same README); at 100 it turns smooth near 3e-17."""
TANH_SMALL = {"width": 4, "steps": 50, "lr/layer1": Fraction(10),
              "range": (Fraction(10), Fraction(22))}
"""A small tanh network beside it (width 4, 50 steps, ``lr/layer1`` 10), where a float64
scan of ``lr/layer0`` in ``[10, 40]`` (121 points) changes label 15 times."""
NETWORKS = (TANH, TANH_SMALL)
"""The tanh networks the atlas zooms."""


def _pair(pts: list[Fraction]) -> tuple[np.ndarray, np.ndarray]:
    return hilo(residues(np.array([float(q) for q in pts]), pts))


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
    """The rows of one roughness (in units of the onset ``1 / (2 pi^2)``), each with its
    ``steps`` and ``x0``."""
    rows = zoom_line(liu_meta(roughness, steps, x0), "lr", *RANGE, levels=levels,
                     size=size, tries=tries)
    return [{"boundary": f"Liu {roughness:g}x onset", "roughness": roughness,
             "steps": steps, "x0": x0, **row} for row in rows]


def tanh_meta(net: dict = TANH, *, width: int | None = None,
              steps: int | None = None) -> MetaLoss:
    """The tanh network of ``net`` (:data:`TANH` or :data:`TANH_SMALL`; ``lr/layer1``
    fixed), at ``width`` and ``steps`` when given instead of ``net``'s."""
    return MetaLoss(MeanFieldMLP(width=width or net["width"]), "sgd",
                    steps=steps or net["steps"], fixed={"lr/layer1": float(net["lr/layer1"])})


def network(net: dict = TANH, *, width: int | None = None, steps: int | None = None
            ) -> dict:
    """``net`` as the rows record it (JSON: floats), ``width`` and ``steps`` overriding."""
    return {"width": width or net["width"], "steps": steps or net["steps"],
            "lr/layer1": float(net["lr/layer1"]), "range": [float(q) for q in net["range"]]}


def tanh_zoom(net: dict = TANH, *, width: int | None = None, steps: int | None = None,
              levels: int = 12, size: int = 64, tries: int = 3) -> list[dict]:
    """The rows of a tanh network's boundary along ``lr/layer0`` (``net``'s range), each
    with ``network`` (:func:`network`)."""
    rec = network(net, width=width, steps=steps)
    rows = zoom_line(tanh_meta(net, width=width, steps=steps), "lr/layer0", *net["range"],
                     levels=levels, size=size, tries=tries)
    name = f"tanh width {rec['width']}, {rec['steps']} steps"
    return [{"boundary": name, "roughness": None, "network": rec, **row} for row in rows]


def zoom_line(meta, name: str, a: Fraction, b: Fraction, *, levels: int = 12,
              size: int = 128, tries: int = 8) -> list[dict]:
    """The 1-D double-double zoom of the module docstring along hyperparameter ``name``
    from ``[a, b]`` (any meta-loss with a double-double route; the ``diverged`` flag).
    Each row has its window's ``start`` and ``width`` as floats and, exactly,
    ``exact_start`` and ``exact_width`` (``str`` of a :class:`~fractions.Fraction`): the
    level's scan points are ``exact_start + exact_width i / (size - 1)``, which the float
    ``start`` cannot give once the window is narrower than float64's spacing there."""
    rows, scan = [], None
    for level in range(levels):
        pts, flags, ch = scan or _scan(meta, name, a, b, size)
        floats = np.array([float(q) for q in pts])
        f64 = None
        if len(np.unique(floats)) == size:
            with jax.enable_x64(True):
                low = np.asarray(landscape(meta, {name: floats})["diverged"])
            f64 = float((low == flags).mean())
        rows.append({"level": level, "width": float(b - a), "start": float(a),
                     "exact_start": str(a), "exact_width": str(b - a),
                     "relative_width": float((b - a) / abs(a)) if a else float(b - a),
                     "size": size, "changes": int(ch.size),
                     "dimension": math.log(ch.size) / math.log(size - 1) if ch.size > 1
                     else 0.0, "float64_agrees": f64,
                     "determined": determined_share(meta, name, pts, flags)})
        if ch.size == 0 or level == levels - 1:
            break
        picks = ch[np.linspace(0, ch.size - 1, min(tries, ch.size)).round().astype(int)]
        scans = [_scan(meta, name, pts[i], pts[i + 1], size) for i in picks] \
            if picks.size > 1 else [None]
        best = int(np.argmax([0 if s is None else s[2].size for s in scans]))
        a, b, scan = pts[picks[best]], pts[picks[best] + 1], scans[best]
    return rows
