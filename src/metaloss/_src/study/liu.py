"""Liu (2024) with the paper's procedure: the masks, by metaloss and by Liu's kernels.

Y. Liu, "Complex fractal trainability boundary can arise from trivial non-convexity"
(2024, arXiv:2406.13971). We follow the code (liuyz0/FractalBoundary) where it is more
precise than the text, and say where:

- Fig. 2a / 2b (``exp-1.jl`` / ``exp-0.jl``): gradient descent from ``x0 = 1`` on
  ``x^2 + 0.2 cos(2 pi x / 0.1)`` (additive) or ``x^2 (1 + 0.2 cos(2 pi x / 0.1))``
  (multiplicative), 1000 steps, float64, ``2**N + 1`` learning rates
  ``linspace(0, 1.5)``; a run diverged once a loss after a step exceeds 1e8.
- The sweep (``gpuexp-4-2.py``, Fig. 2c and 3a): the additive family from ``x0 = 5``,
  1000 steps, learning rates ``1.5 k / (2**N - 1)`` for ``k < 2**N`` behind one
  leading label 0 (``2**N + 1`` labels); a run diverged when the sum of its 1000
  losses reaches 1e16 or is not a number.

metaloss computes each mask with its own engine (:func:`landscape` of a
:class:`MetaLoss`); its divergence rule is a threshold on every step's loss, set to
the paper's bound. :func:`reference_mask` is a plain transcription of Liu's kernels
(library ``sin``/``cos``, Liu's own rule), so that the atlas can count the learning
rates on which the two disagree.
"""

from __future__ import annotations

import dataclasses
import math
from functools import partial
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.analysis.uncertainty import uncertainty_dimension
from metaloss._src.grid.compute import landscape
from metaloss._src.meta import MetaLoss
from metaloss._src.problems import CRITICAL_ROUGHNESS, CosineQuadratic, ModulatedQuadratic
from metaloss._src.unroll import Divergence

FAMILIES = {"additive": CosineQuadratic, "multiplicative": ModulatedQuadratic}
FIG2 = {"delta": 0.2, "lam": 0.1, "x0": 1.0}
FIG2_BOUND = 1e8
SWEEP_BOUND = 1e16
SWEEP_X0 = 5.0
FIGURE = {"additive": "Fig. 2a", "multiplicative": "Fig. 2b"}


@dataclasses.dataclass(frozen=True)
class LiuSettings:
    """Sizes of the Liu part of the atlas.

    Attributes:
      fig2_level: Fig. 2 uses ``2**fig2_level + 1`` learning rates (Liu: 2**32 + 1).
      sweep_level: the sweep uses ``2**sweep_level + 1`` per roughness (Liu: 2**20 + 1).
      steps: gradient-descent steps (Liu: 1000).
      ratios: roughness ``delta / lam**2`` in units of the convexity threshold
        ``1 / (2 pi^2)``.
      lams: wavelengths of the sweep; ``delta = ratio * lam**2 / (2 pi^2)``.
      reference: also run the transcription of Liu's kernels and count disagreements.
      uncertainty_samples: learning rates drawn for the uncertainty-exponent dimension
        of each Fig. 2 boundary (a third estimate of D, beside crossings and boxes).
    """

    fig2_level: int = 22
    sweep_level: int = 18
    steps: int = 1000
    ratios: tuple[float, ...] = (0.5, 0.9, 1.1, 1.5, 2.0, 5.0, 20.0, 100.0)
    lams: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    reference: bool = True
    uncertainty_samples: int = 100000


QUICK = LiuSettings(fig2_level=12, sweep_level=10, uncertainty_samples=20000)
PAPER = LiuSettings(fig2_level=24, sweep_level=20)


def fig2_rates(level: int) -> np.ndarray:
    """``exp-0.jl``'s learning rates: ``2**level + 1`` points of ``linspace(0, 1.5)``."""
    return np.linspace(0.0, 1.5, 2**level + 1)


def sweep_rates(level: int) -> np.ndarray:
    """``gpuexp-4-2.py``'s: ``1.5 k / (2**level - 1)``, ``k < 2**level``."""
    return 1.5 * np.arange(2**level) / (2**level - 1)


def liu_meta(family: str, deltas, lam: float, x0: float, steps: int, bound: float) -> MetaLoss:
    """Liu's gradient descent on one family as a :class:`MetaLoss` whose divergence
    flag is Liu's (the loss passing ``bound``)."""
    problem = FAMILIES[family](delta=float(deltas[0]), lam=lam, x0=x0)
    # the engine's threshold is factor * (|L0| + 1), and L0 = f(x0) varies a little with
    # delta: the factor is set from their mean, so every row's threshold is the paper's
    # bound to within max |L0 - mean| / (mean + 1) (exact for a single delta)
    with jax.enable_x64(True):
        loss0 = [abs(float(dataclasses.replace(problem, delta=float(d)).loss(
            jnp.asarray(x0, jnp.float64)))) for d in deltas]
    return MetaLoss(problem, "sgd", steps=steps,
                    divergence=Divergence(bound / (float(np.mean(loss0)) + 1.0)))


def fig2_uncertainty(family: str, steps: int, samples: int, key):
    """The uncertainty-exponent dimension of Fig. 2's boundary (float64), over Liu's
    learning rates ``(0, 1.5]`` (from ``1e-4``: rate 0 never moves)."""
    meta = liu_meta(family, [FIG2["delta"]], FIG2["lam"], FIG2["x0"], steps, FIG2_BOUND)
    with jax.enable_x64(True):
        return uncertainty_dimension(meta, {"lr": (1e-4, 1.5)}, samples=samples, key=key)


def _metaloss_diverged(family: str, lrs: np.ndarray, deltas, lam: float, x0: float,
                       steps: int, bound: float, key) -> np.ndarray:
    """``(len(lrs), len(deltas))`` diverged flags from metaloss's engine; the learning
    rate 0 (which never moves) is not computed: metaloss asks for positive rates."""
    meta = liu_meta(family, deltas, lam, x0, steps, bound)
    positive = lrs > 0
    out = np.zeros((lrs.size, len(deltas)), bool)
    with jax.enable_x64(True):
        da = landscape(meta, {"lr": lrs[positive], "delta": np.asarray(deltas, float)},
                       key=key, progress=False)
        out[positive] = np.asarray(da["diverged"], bool)
    return out


def fig2_mask(family: str, level: int, steps: int, key) -> np.ndarray:
    """The ``2**level + 1`` labels of Fig. 2 (True: diverged), by metaloss."""
    return _metaloss_diverged(family, fig2_rates(level), [FIG2["delta"]], FIG2["lam"],
                              FIG2["x0"], steps, FIG2_BOUND, key)[:, 0]


def sweep_masks(lam: float, deltas, level: int, steps: int, key) -> np.ndarray:
    """``(2**level + 1, len(deltas))`` labels of the sweep at one wavelength, by
    metaloss, with Liu's leading label 0."""
    body = _metaloss_diverged("additive", sweep_rates(level), deltas, lam, SWEEP_X0, steps,
                              SWEEP_BOUND, key)
    return np.concatenate([np.zeros((1, len(deltas)), bool), body])


@partial(jax.jit, static_argnames=("family", "steps", "rule"))
def _liu_kernel(lrs, delta, lam, x0, *, family: str, steps: int, rule: str):
    two_pi = 2.0 * jnp.pi

    def loss(x):
        if family == "additive":
            return x**2 + delta * jnp.cos(two_pi * x / lam)
        return x**2 * (1.0 + delta * jnp.cos(two_pi * x / lam))

    def grad(x):
        if family == "additive":
            return 2.0 * x - two_pi * delta * jnp.sin(two_pi * x / lam) / lam
        return (2.0 * x * (1.0 + delta * jnp.cos(two_pi * x / lam))
                - two_pi * x**2 * delta * jnp.sin(two_pi * x / lam) / lam)

    def body(_, carry):
        x, flag, total = carry
        nx = x - lrs * grad(x)
        value = loss(nx)
        if rule == "break":  # exp-0/1.jl: stop (keep the flag) once a loss passes 1e8
            x = jnp.where(flag, x, nx)
            flag = flag | (value > FIG2_BOUND)
        else:  # gpuexp-4-2.py: no break, the losses summed
            x, total = nx, total + value
        return x, flag, total

    x = jnp.full(lrs.shape, x0)
    init = (x, jnp.zeros(lrs.shape, bool), jnp.zeros(lrs.shape))
    _, flag, total = jax.lax.fori_loop(0, steps, body, init)
    return flag if rule == "break" else ~(total < SWEEP_BOUND)  # NaN counts as diverged


def reference_mask(family: str, lrs: np.ndarray, delta: float, lam: float, x0: float,
                   steps: int, rule: str, block: int = 1 << 20) -> np.ndarray:
    """Liu's kernel transcribed (``rule="break"``: ``exp-0/1.jl``; ``"sum"``:
    ``gpuexp-4-2.py``), float64, in blocks of ``block`` learning rates."""
    out = []
    with jax.enable_x64(True):
        for i in range(0, lrs.size, block):
            part = jnp.asarray(lrs[i:i + block], jnp.float64)
            out.append(np.asarray(_liu_kernel(part, delta, lam, x0, family=family,
                                              steps=steps, rule=rule)))
    return np.concatenate(out)


def delta_for(ratio: float, lam: float) -> float:
    """``delta`` whose roughness ``delta / lam**2`` is ``ratio`` times the threshold."""
    return ratio * CRITICAL_ROUGHNESS * lam**2


def published() -> dict[str, np.ndarray]:
    """Liu's published label-change counts (``data/liu2024_counts.npz``; see its
    README for the files they come from)."""
    ref = resources.files("metaloss._src.study").joinpath("data/liu2024_counts.npz")
    with ref.open("rb") as f, np.load(f) as z:
        return {k: z[k] for k in z.files}


def liu_fit(counts, top: int) -> tuple[float, float]:
    """Liu's estimator on published counts: ``(slope, standard error)`` of ``np.polyfit``
    of ``log2(count)`` on the level over levels ``<= top`` with more than one change;
    ``(0, 0)`` with fewer than three such levels (his ``gpuexp-4-2.ipynb``)."""
    c = np.asarray(counts, float)[: top + 1]
    n = np.arange(c.size)
    ok = c > 1
    if ok.sum() < 3:
        return 0.0, 0.0
    if ok.sum() == 3:
        return float(np.polyfit(n[ok], np.log2(c[ok]), 1)[0]), 0.0
    p, cov = np.polyfit(n[ok], np.log2(c[ok]), 1, cov=True)
    return float(p[0]), float(math.sqrt(cov[0, 0]))
