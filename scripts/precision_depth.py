"""Issue 24's finding: how deep Liu's boundary stays fractal, in double-double.

    .venv/bin/python scripts/precision_depth.py [--roughness 1.5 3] [--steps 300]
        [--levels 12] [--size 512] [--check 24] [--out precision_depth.json]

For each roughness (in units of the onset 1/(2 pi^2); cosine_quadratic, x0 = 10, SGD),
a 1-D zoom into the learning-rate boundary: level 0 is [0.98, 1.06]; each next level is
the cell (of up to 8 holding a label change) whose own scan changes most, so each is
``size - 1`` times narrower. Per level it reports the width, the label changes in a
``size``-point double-double scan, the crossing dimension ``log(changes) / log(size -
1)`` (a self-similar boundary of dimension D crosses a window's n cells ~ n^D times),
and the share of ``check`` evenly spaced points whose double-double flag equals
60-digit mpmath's (determined at double-double precision), and float64's where the
window is wide enough for float64 to hold distinct points. Writes the rows as atlas
findings (metaloss._src.study.findings.Finding) and a figure beside the JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from fractions import Fraction
from pathlib import Path

import jax
import mpmath
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from precision_window import changes, dd_flags, mp_diverged  # noqa: E402

from metaloss._src.meta import MetaLoss  # noqa: E402
from metaloss._src.problems.cosine import CRITICAL_ROUGHNESS, CosineQuadratic  # noqa: E402
from metaloss._src.study.findings import Finding  # noqa: E402


def zoom_rows(r, steps, levels, size, check, tries=8):
    delta = r * CRITICAL_ROUGHNESS
    meta = MetaLoss(CosineQuadratic(delta=delta), "sgd", steps=steps)
    meta64 = meta
    a, b = Fraction("0.98"), Fraction("1.06")
    rows = []
    for level in range(levels):
        pts, ch = changes(meta, a, b, size)
        sample = [pts[i] for i in np.linspace(0, size - 1, check).round().astype(int)]
        got = dd_flags(meta, sample)
        with mpmath.workdps(60):
            want = np.array([mp_diverged(delta, q, steps) for q in sample])
        f64 = None
        floats = np.array([float(q) for q in sample])
        if len(np.unique(floats)) == len(floats):
            with jax.enable_x64(True):
                f64 = float(np.mean([bool(meta64.evaluate({"lr": v}, differentiable=False)
                                          .diverged) == w for v, w in zip(floats, want,
                                                                          strict=True)]))
        row = {"roughness": r, "level": level, "width": float(b - a),
               "changes": int(ch.size),
               "dimension": math.log(ch.size) / math.log(size - 1) if ch.size > 1 else 0.0,
               "dd_determined": float((got == want).mean()), "float64_determined": f64}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if ch.size == 0:
            break
        picks = ch[np.linspace(0, ch.size - 1, min(tries, ch.size)).round().astype(int)]
        counts = [changes(meta, pts[i], pts[i + 1], size)[1].size for i in picks]
        i = picks[int(np.argmax(counts))]
        a, b = pts[i], pts[i + 1]
    return rows


def findings(rows, steps):
    out = []
    for r in sorted({row["roughness"] for row in rows}):
        mine = [row for row in rows if row["roughness"] == r]
        fractal = [row for row in mine if row["changes"] > 1]
        deepest = min((row["width"] for row in fractal), default=None)
        settled = [row for row in mine if row["dd_determined"] >= 0.95]
        out.append(Finding(
            "issue 24", f"depth of Liu's fractal boundary, roughness {r:g}x onset",
            "float64 zooms stop near 1e-14", deepest, None,
            "1-D double-double zoom, label changes per 512-point window",
            f"cosine_quadratic x0=10, SGD, {steps} steps", None,
            f"deepest window with more than one label change: {deepest:.3g}; "
            f"double-double matches 60-digit mpmath on >= 95% of checked points down to "
            f"width {min((x['width'] for x in settled), default=float('nan')):.3g}"
            if deepest else "no multi-crossing window").to_json())
    return out


def figure(rows, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for r in sorted({row["roughness"] for row in rows}):
        mine = [row for row in rows if row["roughness"] == r]
        w = [row["width"] for row in mine]
        ax.semilogx(w, [row["dimension"] for row in mine], "o-", label=f"D, {r:g}x onset")
        ax.semilogx(w, [row["dd_determined"] for row in mine], "s--",
                    label=f"share determined (dd = mpmath), {r:g}x")
    ax.axvline(1e-14, color="grey", lw=0.8)
    ax.invert_xaxis()
    ax.set_xlabel("window width in learning rate")
    ax.set_ylabel("crossing dimension / share")
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roughness", type=float, nargs="+", default=[1.5, 3.0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--levels", type=int, default=12)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--check", type=int, default=24)
    ap.add_argument("--out", default="precision_depth.json")
    args = ap.parse_args()
    jax.config.update("jax_enable_x64", True)
    rows = [row for r in args.roughness
            for row in zoom_rows(r, args.steps, args.levels, args.size, args.check)]
    out = Path(args.out)
    out.write_text(json.dumps({"rows": rows, "findings": findings(rows, args.steps)},
                              indent=1))
    figure(rows, out.with_suffix(".png"))
    print(f"wrote {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
