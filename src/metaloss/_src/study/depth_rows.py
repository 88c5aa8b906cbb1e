"""The atlas rows and figure of the double-double zooms (:mod:`.depth`, issue 24).

Per boundary (Liu's at one roughness, or the tanh network's) two rows: how deep the
zoom went (the width, relative to its start, of the narrowest window that still held
more than one label change; beside float64's relative spacing 2^-52), and a
verdict computed from the levels whose window is narrower than :data:`DEEP` relative
to its start (past float64, which cannot place two points in such a window):

- ``"stays fractal"``: every such level has a determined share of at least
  :data:`MIN_DETERMINED` and a crossing dimension of at least :data:`MIN_DIMENSION`;
- ``"undetermined"``: some such level has a determined share below
  :data:`MIN_DETERMINED`; the row's value is then the uncertainty-exponent dimension
  (:func:`~metaloss._src.analysis.uncertainty.uncertainty_dimension`, double-double
  runs at float64 points) of the narrowest level window at least
  :data:`UNCERTAINTY_WIDTH` wide (relative), where float64 can still place the
  perturbed points: the windows that fail are too narrow for float64 coordinates;
- ``"smooth"``: all determined, but some level crosses fewer times than
  :data:`MIN_DIMENSION` allows (a single crossing has dimension 0);
- ``"not past float64"``: the zoom ended (its levels spent, or no label change left)
  before that depth.

Measured (2026-12-07, nice'd on the shared 2-core CPU machine, 254 s for the whole
precision part before the width-16 network; with it 469 s wall, 301 s CPU at load 5
against 43 s, 17 s for main's code then: ``_depth(False, out)`` of
``metaloss._src.study.atlas``, i.e. what ``metaloss atlas`` runs; Liu 13 levels of
128 x 300 steps, tries 8; the tanh networks 18 levels of 32, tries 3):

- Liu 1.5x the onset: crossing dimension 0.58-0.63 from 1e-3 to 3e-10 wide, 0.40 at
  2.4e-12, 0.23 at 1.9e-14, then one crossing (0.00) in every level from 1.5e-16 to
  4.5e-27; determined share 1.00 throughout: ``"smooth"``.
- Liu 3x the onset: crossing dimension 0.83-0.90 at every level from 6e-4 down to
  4.5e-27; determined share 0.94-1.00 down to 7.3e-23 wide, 0.87 at 5.8e-25, 0.70 at
  4.5e-27: ``"undetermined"``, uncertainty-exponent dimension 0.997 [0.988, 1.005]
  (exponent 0.003, 2000 samples, window 3.1e-10 wide at lr 1.0140226334).
- tanh width 16 (the paper's width), 100 steps: crossing dimension 0.57-0.79 from 30
  down to 3.5e-11 wide (5-15 changes per 31 cells), 0.47 at 1.1e-12 and 3.7e-14
  (relative 8.7e-16: 32 points float64 cannot tell apart), then one crossing (0.00) from
  1.2e-15 to 1.3e-24 wide (relative 3.2e-26); determined share 1.00 throughout:
  ``"smooth"``. float64's flags equal double-double's on 88-100% of the points of the
  levels it resolves.
- tanh width 4, 50 steps: crossing dimension 0.64-0.79 from 12 down to 4.4e-10 wide,
  0.32-0.47 from 1.4e-11 to 4.7e-16, then one crossing (0.00) from 1.5e-17 to 5.3e-25
  wide; determined share 1.00 throughout: ``"smooth"``.

The width-16 network at 200 steps (``scripts/precision_depth_network.py --steps 200``,
the atlas's sizes, not in the atlas for its cost: 965 s wall at load 5-8): crossing
dimension 0.57-0.75 at every level from 1.2e-15 down to 1.3e-24 wide (2.8e-17 to
3.2e-26 relative; 0.32-0.64 from 1e-9 to 3.7e-14), determined share 97-100%:
``"stays fractal"``. With 16 points per level (``--size 16 --tries 2 --levels 20``) the
zoom takes another path, fractal (0.41-0.72) from 1.5e-17 to 1.9e-23 relative with a
determined share falling from 94% to 69%: ``"undetermined"``.

A boundary of a finite number of steps is a finite set of smooth pieces; the zoom
measures the width below which it is one (width 16 at 100 steps: ~1e-15, relative
~3e-17; width 4 at 50 steps: ~1e-17; Liu 1.5x at 300 steps: ~1e-16), or, where the
dynamics are more chaotic (Liu 3x), where double-double's rounding starts to decide the
labels before that.
"""

from __future__ import annotations

import math

from metaloss._src.errors import InputError
from metaloss._src.plot.style import figure
from metaloss._src.study.findings import Finding

DEEP = 1e-16
"""Levels narrower than this relative to their start are past float64 (2^-52 = 2.2e-16
is its relative spacing)."""
FLOAT64_DEPTH = (f"float64 spacing 2^-52 = 2.2e-16 relative (past float64 here: below "
                 f"{DEEP:g} relative)")
"""The depth row's reference: the depth is the narrowest window's width relative to its
start (a window 3.7e-14 wide at 42 is 8.7e-16 relative, about five float64 numbers,
while one 1e-14 wide at 1 holds about 45)."""
MIN_DETERMINED = 0.9
MIN_DIMENSION = 0.2
"""At 128 points per level, 3 label changes give log 3 / log 127 = 0.23; at 32 points,
3 give 0.32. A boundary that has become a single point crosses once (dimension 0)."""
UNCERTAINTY_WIDTH = 1e-10
"""The uncertainty exponent is measured in the narrowest level window at least this wide
relative to its start, so that perturbations down to 1e-4 of it stay above float64's
spacing."""


def verdict(rows: list[dict]) -> str:
    """The verdict of the module docstring for one boundary's levels."""
    deep = [r for r in rows if r["relative_width"] < DEEP]
    if not deep:
        return "not past float64"
    if min(r["determined"] for r in deep) < MIN_DETERMINED:
        return "undetermined"
    if min(r["dimension"] for r in deep) < MIN_DIMENSION:
        return "smooth"
    return "stays fractal"


def profile(rows: list[dict]) -> str:
    """Compact per-level list ``log10(width):dimension/determined share``."""
    return " ".join(f"{math.log10(r['width']):.1f}:{r['dimension']:.2f}/{r['determined']:.2f}"
                    for r in rows)


def uncertainty_window(rows: list[dict]) -> tuple[float, float]:
    """``(low, high)`` of the narrowest level at least :data:`UNCERTAINTY_WIDTH` wide
    relative to its start."""
    wide = [r for r in rows if r["relative_width"] >= UNCERTAINTY_WIDTH] or rows[:1]
    r = min(wide, key=lambda row: row["width"])
    return r["start"], r["start"] + r["width"]


def boundary_findings(name: str, rows: list[dict], settings: str, paper: str,
                      uncertainty=None) -> list[Finding]:
    """The two rows of one boundary. ``uncertainty(low, high)`` returns an
    :class:`~metaloss._src.analysis.uncertainty.UncertaintyDimension` of that window; it
    is called only when the verdict is ``"undetermined"``, and where it raises
    :class:`InputError` (too few outcomes change there) the row keeps the verdict as its
    value and says why."""
    multi = [r for r in rows if r["changes"] > 1]
    deepest = min(multi, key=lambda r: r["relative_width"]) if multi else None
    f64 = [r["float64_agrees"] for r in rows if r["float64_agrees"] is not None]
    deep = [r for r in rows if r["relative_width"] < DEEP]
    share = min((r["determined"] for r in deep), default=None)
    note = (f"deepest level {rows[-1]['width']:.3g} wide ({rows[-1]['relative_width']:.3g} "
            f"relative); per level log10(width):crossing dimension/determined share: "
            f"{profile(rows)}")
    if deepest is not None:
        note = (f"narrowest window with > 1 label change {deepest['width']:.3g} wide at "
                f"{deepest['start']:.10g}; " + note)
    if f64:
        span = f"{min(f64):.0%}" + ("" if min(f64) == max(f64) else f" to {max(f64):.0%}")
        note += (f"; float64 flags equal double-double's on {span} of the points of the "
                 f"{len(f64)} levels it resolves")
    depth = Finding(paper, f"depth of the fractal boundary, {name}", FLOAT64_DEPTH,
                    None if deepest is None else deepest["relative_width"], None,
                    "1-D double-double zoom; narrowest window with > 1 label change, "
                    "width / start", settings, None, note)
    v = verdict(rows)
    value, ci, method = v, None, (f"levels narrower than {DEEP:g} (relative): determined "
                                  f"share >= {MIN_DETERMINED} and crossing dimension >= "
                                  f"{MIN_DIMENSION}")
    extra = ""
    if v == "undetermined" and uncertainty is not None:
        low, high = uncertainty_window(rows)
        try:
            u = uncertainty(low, high)
        except InputError as err:  # too few changes in the window: a note, as sohl's rows
            extra = (f"; uncertainty exponent not measured in [{low:.17g}, {high:.17g}]: "
                     f"{err}")
        else:
            value, ci = round(float(u.dimension), 4), tuple(float(c) for c in u.ci)
            method = "uncertainty-exponent dimension (double-double), as undetermined"
            extra = (f"; uncertainty exponent {u.exponent:.3f} in [{low:.17g}, {high:.17g}] "
                     f"({u.samples} samples)")
    ddims = [r["dimension"] for r in deep]
    settled = []
    for r in rows:
        if r["determined"] < MIN_DETERMINED:
            break
        settled.append(r)
    text = "the zoom did not get past float64"
    if deep:
        text = (f"{len(deep)} levels past float64: crossing dimension {min(ddims):.2f} to "
                f"{max(ddims):.2f}, determined share {share:.2f} or more")
        if settled:
            tail = [r["dimension"] for r in settled if r["relative_width"] < DEEP]
            text += (f"; determined share >= {MIN_DETERMINED} down to "
                     f"{settled[-1]['width']:.3g} wide")
            if tail:
                text += f", crossing dimension {min(tail):.2f} to {max(tail):.2f} there"
    summary = Finding(paper, f"past float64, {name}: {v}", "float64 cannot tell", value,
                      ci, method, settings, None, text + extra)
    return [depth, summary]


def depth_figure(rows: list[dict]):
    """Crossing dimension (top) and determined share (bottom) against window width
    relative to its start, one line per boundary; float64's relative spacing 2^-52 and
    127 times it (the narrowest window holding 128 distinct float64 points) marked."""
    fig = figure(6.5, 6)
    top, bottom = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2, sharex=None)
    for name in dict.fromkeys(r["boundary"] for r in rows):
        mine = [r for r in rows if r["boundary"] == name]
        x = [r["relative_width"] for r in mine]
        top.semilogx(x, [r["dimension"] for r in mine], "o-", label=name)
        bottom.semilogx(x, [r["determined"] for r in mine], "o-", label=name)
    for ax in (top, bottom):
        ax.axvline(2.0**-52, color="0.4", lw=0.8, ls="--", label="float64 spacing (2^-52)")
        ax.axvline(127 * 2.0**-52, color="0.6", lw=0.8, ls=":", label="127 x 2^-52")
        ax.invert_xaxis()
    bottom.axhline(MIN_DETERMINED, color="0.7", lw=0.8)
    bottom.set_xlabel("window width / window start (learning rate)")
    top.set_ylabel("crossing dimension\nlog(changes) / log(cells)")
    bottom.set_ylabel("determined share")
    top.set_title("Boundaries zoomed in double-double")
    top.legend(fontsize=7)
    return fig


def atlas_findings(rows: list[dict], *, quick: bool = False, key=None) -> list[Finding]:
    """The rows of every boundary in ``rows`` (from :func:`.depth.depth_zoom`, whose rows
    say their ``steps`` and ``x0``, and :func:`.depth.tanh_zoom`, whose rows say their
    ``network``).
    An undetermined boundary gets its uncertainty exponent from 256 points with
    ``quick``, else 2000, double-double, ``eps`` 1e-1 to 1e-4 of the window."""
    import jax

    from metaloss._src.analysis.uncertainty import uncertainty_dimension
    from metaloss._src.study import depth

    key = jax.random.key(0) if key is None else key
    samples = 256 if quick else 2000
    out = []
    for name in dict.fromkeys(r["boundary"] for r in rows):
        mine = [r for r in rows if r["boundary"] == name]
        zoom = f"{mine[0]['size']} points x {len(mine)} levels"
        if mine[0]["roughness"] is None:
            t = mine[0]["network"]
            meta = depth.tanh_meta(t)  # the record has the keys tanh_meta reads
            axis, (lo, hi) = "lr/layer0", t["range"]
            settings = (f"meanfield_mlp tanh width {t['width']}, SGD, {t['steps']} steps, "
                        f"lr/layer1 = {t['lr/layer1']:g}, lr/layer0 from "
                        f"[{lo:g}, {hi:g}], {zoom}")
            paper = "Sohl-Dickstein 2024"
        else:
            steps, x0 = mine[0]["steps"], mine[0]["x0"]
            meta, axis = depth.liu_meta(mine[0]["roughness"], steps, x0), "lr"
            settings = (f"cosine_quadratic x0={x0:g}, SGD, {steps} steps, lr from "
                        f"[{float(depth.RANGE[0]):g}, {float(depth.RANGE[1]):g}], {zoom}")
            paper = "Liu 2024"

        def uncertainty(low, high, meta=meta, axis=axis):
            return uncertainty_dimension(meta, {axis: (low, high)},
                                         eps=(1e-1, 1e-2, 1e-3, 1e-4), samples=samples,
                                         key=key, precision="double-double")

        out += boundary_findings(name, mine, settings, paper, uncertainty)
    return out
