"""The report's chaos section: the study's plane as loss, Lyapunov exponent and gradient
norm side by side, and the dimension of its divergence boundary.

The computation is :func:`metaloss._src.study.report.chaos_plane.compute_plane`; this module
draws it and states its numbers.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from metaloss._src import plot
from metaloss._src.study.report.chaos_plane import FACTOR, STRONG, ChaosPlane, compute_plane
from metaloss._src.study.report.document import Report
from metaloss._src.study.settings import StudySettings, study_setup


def _share(k: int, n: int) -> str:
    return f"{k / n:.1%}" if n else "n/a"


def section_chaos(rep: Report, cfg: StudySettings) -> None:
    """Chaos: Lyapunov exponents, gradient norms and the divergence boundary."""
    _, space = study_setup()
    n = cfg.chaos_n
    sec = rep.section("Chaos and the divergence boundary")
    plane = compute_plane(n, stage=rep.stage)
    rep.record("chaos", plane.meta)
    c = plane.counts()
    maps = [plane.maps[v] for v in ("outer_loss", "lyapunov", "gradnorm")]
    with rep.stage("chaos: figures"):
        rep.figure(sec, "chaos_plane.png",
                   plot.measure_panels(maps, params=space, vmax={"outer_loss": 10.0},
                                       title=f"The study's plane, {n} x {n}, divergence factor "
                                             f"{FACTOR:g}"),
                   "Left to right: the outer loss (clipped at 10), the finite-time maximal "
                   "Lyapunov exponent of inner training (per step; red: nearby runs separate, "
                   "blue: they converge) and the norm of the exact outer gradient (log "
                   "scale), over log10(lr) and log10(1 - momentum). Red cells diverged "
                   f"(factor {FACTOR:g}); grey cells did not diverge but hold inf or NaN.")
        if plane.boundary is not None:
            mask = xr.DataArray(plane.diverged, dims=maps[0].dims,
                                coords={d: maps[0][d] for d in maps[0].dims})
            rep.figure(sec, "chaos_boundary.png",
                       plot.boundary_box_counts(mask, plane.boundary, params=space,
                                                coarse=plane.coarse),
                       "The divergence mask and its boundary cells (left); boxes of side s "
                       "that hold a boundary cell against 1/s, log-log, with the fitted "
                       "slope, at the grid's resolution and at half of it (right).")
    _numbers(rep, plane, c)
    known = rep.state.landscape
    default_diverged = None if known is None else int(np.asarray(known["diverged"]).sum())
    sec.paragraphs += _text(plane, c, n, default_diverged)


def _numbers(rep: Report, plane: ChaosPlane, c: dict[str, int]) -> None:
    cells, trained = c["cells"], c["cells"] - c["diverged"]
    lam = plane.trained()
    rep.number("chaos: plane size (cells)", str(cells))
    rep.number(f"chaos: diverged cells (factor {FACTOR:g})",
               f"{c['diverged']} ({_share(c['diverged'], cells)})")
    rep.number("chaos: fraction of the plane with Lyapunov exponent > 0",
               f"{_share(c['chaotic'], cells)} ({_share(c['chaotic'], trained)} of the runs "
               "that did not diverge)")
    rep.number(f"chaos: fraction of the plane with Lyapunov exponent > {STRONG:g}",
               _share(c["strongly chaotic"], cells))
    if lam.size:
        rep.number("chaos: Lyapunov exponent per step, median [min, max] of trained runs",
                   f"{np.median(lam):.3g} [{lam.min():.3g}, {lam.max():.3g}]")
    for name in ("outer_loss", "lyapunov", "gradnorm"):
        rep.number(f"chaos: {name} non-finite cells that did not diverge",
                   str(c[f"{name} non-finite"]))
    rep.number("chaos: correlation of Lyapunov exponent and log10 gradient norm",
               plane.gradient_correlation())
    if plane.boundary is None:
        rep.number("chaos: divergence boundary dimension", "n/a (no boundary)")
        return
    b = plane.boundary
    rep.number("chaos: divergence boundary dimension, method box [95% CI]",
               f"{b.dimension:.3f} [{b.ci[0]:.3f}, {b.ci[1]:.3f}]")
    rep.number("chaos: divergence boundary cells, fitted box sides, fit R^2",
               f"{b.boundary}, {b.fit_range[0]}-{b.fit_range[1]}, {b.r2:.4f}")
    if plane.sohl is not None:
        rep.number("chaos: divergence boundary dimension, method sohl-dickstein "
                   "(Sohl-Dickstein 2024's estimator) [95% CI]",
                   f"{plane.sohl.dimension:.3f} [{plane.sohl.ci[0]:.3f}, "
                   f"{plane.sohl.ci[1]:.3f}]")
    if plane.coarse is not None:
        rep.number("chaos: divergence boundary dimension at half resolution, method box [95% CI]",
                   f"{plane.coarse.dimension:.3f} [{plane.coarse.ci[0]:.3f}, "
                   f"{plane.coarse.ci[1]:.3f}]")


def _follows(r: float) -> str:
    said = f"the correlation of the exponent with log10 of the gradient norm is {r:.2f}"
    if r > 0.5:
        return f"The gradient norm follows the exponent: {said}, as a norm growing like " \
            "exp(lambda T) would give."
    return f"The gradient norm does not simply follow the exponent: {said}."


def _nonfinite_gradient(plane: ChaosPlane, bad: int) -> str:
    if not bad:
        return ""
    g = np.asarray(plane.maps["gradnorm"].values, float)
    inf = int((np.isposinf(g) & ~plane.diverged).sum())
    return (f" {bad} runs that do not diverge have a non-finite gradient norm (grey), "
            + ("all infinite: the gradient overflowed the floating-point range."
               if inf == bad else f"{inf} of them infinite (overflow), the rest NaN."))


def _text(plane: ChaosPlane, c: dict[str, int], n: int,
          default_diverged: int | None) -> list[str]:
    cells, trained = c["cells"], c["cells"] - c["diverged"]
    lam = plane.trained()
    paras = [
        f"The study's box on a {n} x {n} grid, three measures from the same 50-step unroll: the "
        "outer loss; the finite-time maximal Lyapunov exponent of the inner training map over "
        "its whole state (x and the momentum buffer; Benettin's method, Jacobian-vector "
        "products, natural log per step), positive where nearby runs separate; and the norm of "
        "the exact outer gradient with respect to (lr, momentum), backpropagated through the "
        "unroll.",
        "Which runs diverge needs a stricter policy than the default (factor 1000): the "
        "study's loss grows only like log |x| however far x is thrown"
        + (f", and the landscape above, with the default, has {default_diverged} diverged "
           "cells" if default_diverged is not None else "")
        + f". Here a run diverges once a step's loss exceeds {FACTOR:g} (|L0| + 1) = "
        f"{plane.threshold:.2f} (L0 the starting loss), which takes |x| above about "
        f"{plane.escape:.3g}: the iterate has escaped far beyond the wells of the "
        "loss. This is an event of each run (the divergence flag of the unroll), where a "
        "level set of the mean loss would depend on an arbitrary level and blur the 50 steps "
        f"together; it is the policy of `metaloss zoom --divergence {FACTOR:g}`, so the "
        "dimensions are comparable. "
        f"{c['diverged']} of {cells} cells ({_share(c['diverged'], cells)}) diverge; the "
        "three measures flag " + ("the same cells" if plane.masks_agree()
                                  else "different cells (they should not)") + ".",
    ]
    if lam.size:
        paras.append(
            f"The Lyapunov exponent is positive on {_share(c['chaotic'], cells)} of the plane "
            f"({_share(c['chaotic'], trained)} of the runs that do not diverge), and above "
            f"{STRONG:g} per step, a more than 150-fold separation of nearby runs over the 50 "
            f"steps, on {_share(c['strongly chaotic'], cells)}. Its median over the runs that "
            f"do not diverge is {np.median(lam):.3g} per step (range {lam.min():.3g} to "
            f"{lam.max():.3g}). " + _follows(plane.gradient_correlation())
            + _nonfinite_gradient(plane, c["gradnorm non-finite"]))
    b = plane.boundary
    if b is None:
        paras.append("The divergence mask has no boundary at this size, so it has no "
                     "dimension.")
        return paras
    return paras + [_boundary_text(b, plane.coarse)]


def _boundary_text(b, coarse) -> str:
    verdict = ("above 1, the dimension of a smooth curve, with all of its interval: the "
               "boundary is rough at every scale measured." if b.ci[0] > 1
               else "not clearly above 1, the dimension of a smooth curve.")
    half = ""
    if coarse is not None:
        half = (f" At half the resolution (every other grid line) the estimate is "
                f"{coarse.dimension:.3f} [{coarse.ci[0]:.3f}, {coarse.ci[1]:.3f}]"
                + (": it grows with the resolution, so finer grids see more of the "
                   "boundary's detail." if coarse.dimension < b.ci[0] else "."))
    return (f"The boundary between diverging and trained runs has box-counting dimension "
            f"{b.dimension:.3f} (95% bootstrap interval {b.ci[0]:.3f} to {b.ci[1]:.3f}; "
            f"{b.boundary} boundary cells, box sides {int(b.sizes[0])} to {int(b.sizes[-1])} "
            f"cells, fit R^2 {b.r2:.4f}): {verdict}{half} The interval says how far the counts "
            "are from one power law over these box sizes, not sampling noise; `metaloss zoom` "
            "follows the dimension into deeper levels.")
