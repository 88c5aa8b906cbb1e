"""Sohl-Dickstein's six boundaries measured by the uncertainty exponent (issue 24).

A third estimate of each Table 1 dimension, beside the paper's estimator on the zoom
sequence (:func:`~metaloss._src.study.sohl.table1`) and our box counting of its frames
(:mod:`~metaloss._src.study.sohl_frames`): the uncertainty-exponent dimension of
Grebogi, McDonald, Ott and Yorke (1983), measured with
:func:`~metaloss._src.analysis.uncertainty.uncertainty_dimension_of` on the outcome of
the notebook's training (:func:`~metaloss._src.study.sohl_train.scores`: the
convergence score's sign, True where the run did not converge, the score > 0).

The box is one frame of the same zoom sequence (:data:`FRAME`: frame 2, 9/16 of a
decade wide with the default zoom x4 per frame), in the same log10 hyperparameter
coordinates, and the perturbations :data:`EPS` run from 1e-1 to 1e-4 of the frame's
side. Those scales (0.06 to 6e-5 decades) are about those the box count of frames 2 to 5
spans (from a frame's width down to a cell of the deepest, 9e-5 decades); the smallest
eps reaches 0.6 of that cell.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import jax
import numpy as np

from metaloss._src.analysis.uncertainty import UncertaintyDimension, uncertainty_dimension_of
from metaloss._src.errors import InputError
from metaloss._src.study.findings import Finding, within
from metaloss._src.study.sohl import PAPER, SohlSettings
from metaloss._src.study.sohl_train import BY_NAME, SohlConfig, scores

FRAME = 2
"""The zoom sequence's frame whose bounds are the box (the last frame where the sequence
is shorter)."""
EPS = tuple(10.0 ** -(k / 2) for k in range(2, 9))
"""Perturbations relative to the frame's side: 1e-1 to 1e-4 in half decades."""
SAMPLES = {"tanh_single_datapoint": 32000, "identity": 32000}
"""Points drawn per configuration in the full atlas (each trained ``1 + len(EPS)``
times): :data:`DEFAULT_SAMPLES`, or more for the two that train about 30 times faster
(one training point; the linear network) and whose boundaries, nearly smooth, leave
few points that change outcome."""
DEFAULT_SAMPLES = 4000
QUICK_SAMPLES = 256
"""Points drawn per configuration by ``metaloss atlas --quick``."""
TOLERANCE = 0.2
"""Agreement with the paper's value: within 0.2, the criterion issue 24 sets for the
uncertainty exponent on Liu's boundaries (it is another estimator than the paper's)."""
DEFAULTS = SohlSettings()
UNDETERMINED = 0.05
"""A row notes the share of points whose outcome changes at the smallest eps when it is
at least this (a share that hardly falls with eps: undetermined outcomes)."""
AXES = ("log10 y", "log10 x")
"""The box's names: the image's rows (the output-layer learning rate, or the learning
rate) and columns (the input-layer learning rate, or the weight offset), log10."""


def frame_box(bounds) -> dict[str, tuple[float, float]]:
    """A frame's ``(mn1, mx1, mn2, mx2)`` as a box in log10 coordinates."""
    mn1, mx1, mn2, mx2 = (float(b) for b in bounds)
    return {AXES[0]: (mn1, mx1), AXES[1]: (mn2, mx2)}


def outcome(cfg: SohlConfig | str, settings: SohlSettings = DEFAULTS
            ) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """``{log10 y, log10 x} -> flags``: True where the notebook's training does not
    converge (score > 0), at ``settings``' width, steps and variant."""
    cfg = BY_NAME[cfg] if isinstance(cfg, str) else cfg

    def flags_fn(points):
        h = np.stack([10.0 ** points[AXES[1]], 10.0 ** points[AXES[0]]], axis=-1)
        s = scores(cfg, h, width=settings.width, steps=settings.steps,
                   variant=settings.variant, chunk=settings.chunk)
        return s > 0

    return flags_fn


def measure(cfg: SohlConfig | str, bounds, settings: SohlSettings = DEFAULTS, *,
            samples: int = DEFAULT_SAMPLES, eps: Sequence[float] = EPS,
            key: jax.Array | None = None) -> UncertaintyDimension:
    """The uncertainty-exponent dimension of ``cfg``'s boundary in the frame ``bounds``
    (log10 ``(mn1, mx1, mn2, mx2)``)."""
    return uncertainty_dimension_of(outcome(cfg, settings), frame_box(bounds), eps=eps,
                                    samples=samples, key=key)


def findings(table: list[dict], bounds: Mapping[str, Sequence], settings: SohlSettings,
             *, samples: int | None = None, quick: bool = False, frame: int = FRAME,
             log: Callable | None = None) -> list[Finding]:
    """One uncertainty-exponent row per row of ``table`` (:func:`sohl.table1`'s, after
    :func:`sohl_frames.frame_findings` where its ``box`` is wanted), on frame ``frame``
    of the configuration's zoom sequence (``bounds``: name -> each frame's bounds).
    Adds ``uncertainty`` (with ``ci``, ``frame``, ``bounds``, ``eps``, ``fractions``,
    ``samples``, ``nonconverged_share``, ``seconds``, ``cpu_seconds``) to each row of ``table``.
    ``samples`` (default :data:`SAMPLES`, or :data:`QUICK_SAMPLES` with ``quick``)
    points per configuration."""
    log = log or (lambda _: None)
    out = []
    for r in table:
        seq = bounds.get(r["config"], [])
        if not seq:
            continue
        k = min(frame, len(seq) - 1)
        n = samples or (QUICK_SAMPLES if quick else
                        SAMPLES.get(r["config"], DEFAULT_SAMPLES))
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            u = measure(r["config"], seq[k], settings, samples=n)
        except InputError as err:
            u, why = None, str(err)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        width = seq[k][1] - seq[k][0]
        where = (f"frame {k} of the zoom sequence ({width:.3g} decades wide), {n} "
                 f"points, eps {min(EPS):.0e}-{max(EPS):.0e} of the frame")
        text = f"{settings.describe()}; {where}"
        box, sd = r.get("box", math.nan), r["dimension"]
        if u is None:
            r["uncertainty"] = {"frame": k, "bounds": list(seq[k]), "samples": n,
                                "seconds": seconds, "error": why}
            out.append(Finding(PAPER, f"Table 1: {r['title']}, uncertainty exponent",
                               r["paper_value"], math.nan, None, METHOD, text, False, why))
            log(f"      {r['config']}: uncertainty exponent: {why}")
            continue
        r["uncertainty"] = {"dimension": u.dimension, "ci": list(u.ci), "frame": k,
                            "bounds": list(seq[k]), "eps": u.eps.tolist(),
                            "fractions": u.fractions.tolist(), "samples": u.samples,
                            "nonconverged_share": u.diverged_share, "seconds": seconds,
                            "cpu_seconds": cpu}
        shares = ", ".join(f"{f:.3g}" for f in u.fractions)
        flat = (f" {u.fractions[0]:.0%} of the points change outcome even at eps "
                f"{u.eps[0]:.0e}: outcomes undetermined at every scale probed, which pull D "
                "towards 2." if u.fractions[0] >= UNDETERMINED else "")
        out.append(Finding(
            PAPER, f"Table 1: {r['title']}, uncertainty exponent", r["paper_value"],
            u.dimension, u.ci, METHOD, text,
            within(r["paper_value"], u.dimension, None, TOLERANCE),
            f"A third estimator on the same boundary: the share of points whose outcome "
            f"changes, from eps {u.eps[0]:.0e} to {u.eps[-1]:.0e}, is {shares} "
            f"(slope {u.exponent:.3f}); "
            f"{u.diverged_share:.0%} of the points do not converge. Beside it the "
            f"sohl-dickstein median {sd:.3f} over the zoom sequence and box counting "
            f"{box:.3f} (mean over its frames); agreement within {TOLERANCE} (another "
            f"estimator).{flat}"))
        log(f"      {r['config']}: uncertainty dimension {u.dimension:.3f} "
            f"[{u.ci[0]:.3f}, {u.ci[1]:.3f}] (paper {r['paper_value']}); "
            f"{seconds:.1f} s ({cpu:.1f} s CPU)")
    return out


METHOD = ("uncertainty exponent (metaloss), D = 2 - alpha, on the outcome score > 0 in one "
          "frame; interval: bootstrap over the points")
