"""``metaloss reproduce`` section: the (lr, momentum) landscape of an MLP on real data.

The study's phenomenon on a problem researchers train: a tanh MLP on scikit-learn's
digits, minibatch SGD with momentum, the study's outer loss (mean training loss over
the unroll). Where the learning rate is too large for the momentum, training
diverges; the section draws those cells in the diverged colour, counts them, and
measures the trainable / divergent boundary along the momentum axis.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from metaloss._src import optimizers, plot, problems
from metaloss._src.grid import landscape, save_netcdf
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Log10, OneMinusLog10, Space, logspace
from metaloss._src.study.report.document import Report
from metaloss._src.unroll import Divergence


@dataclasses.dataclass(frozen=True)
class DigitsSettings:
    """Grid size per axis, inner steps, MLP width and the divergence factor."""

    n: int = 64
    steps: int = 100
    hidden: int = 32
    factor: float = 3.0
    chunk: int | None = None  # default: blocks of 16 points (metaloss._src.grid.memory.cpu_block)

    @classmethod
    def quick(cls) -> DigitsSettings:
        return cls(n=12, steps=30)


def digits_objects(cfg: DigitsSettings):
    meta = MetaLoss(problems.MLPDigits(cfg.hidden), optimizers.SGDM(), steps=cfg.steps,
                    divergence=Divergence(cfg.factor))
    return meta, Space({"lr": Log10(), "momentum": OneMinusLog10()})


def boundary(da) -> dict[str, np.ndarray]:
    """Per momentum: the smallest diverged lr (NaN if none) and the trainable cells above it.

    Returns ``{"momentum", "critical_lr", "islands"}``, each of shape ``(n_momentum,)``.
    """
    div = np.asarray(da["diverged"].transpose("lr", "momentum"))
    lrs = np.asarray(da.lr)
    first = np.where(div.any(axis=0), div.argmax(axis=0), -1)
    critical = np.where(first >= 0, lrs[np.maximum(first, 0)], np.nan)
    above = np.arange(len(lrs))[:, None] > first[None, :]
    islands = np.sum(above & ~div & (first[None, :] >= 0), axis=0)
    return {"momentum": np.asarray(da.momentum), "critical_lr": critical, "islands": islands}


def _val_accuracy(meta: MetaLoss, lr: float, mom: float) -> float:
    @jax.jit
    def run(hp):
        state, _ = meta.run(hp, meta.init_state(jax.random.key(0)), meta.steps,
                            differentiable=False)
        return meta.problem.accuracy(state.params)

    return float(run(meta.hparams({"lr": lr, "momentum": mom})))


def section_mlp_digits(rep: Report, _study_cfg=None) -> None:
    """An MLP on digits: its (lr, momentum) landscape."""
    cfg = DigitsSettings.quick() if rep.quick else DigitsSettings()
    meta, space = digits_objects(cfg)
    rep.record("MLP on digits", meta)
    sec = rep.section("An MLP on real data: the trainable / divergent boundary")
    with rep.stage("MLP digits landscape"):
        da = landscape(meta, {"lr": logspace(-3, 2, cfg.n),
                              "momentum": 1 - logspace(-3, 0, cfg.n)},
                       chunk=cfg.chunk, key=jax.random.key(0))
        save_netcdf(da, rep.out / "mlp_digits_landscape.nc")
    vals, div = da.values, np.asarray(da["diverged"])
    threshold = cfg.factor * (float(meta.init_state(jax.random.key(0)).loss0) + 1.0)
    i = np.unravel_index(np.argmin(np.where(div | ~np.isfinite(vals), np.inf, vals)), vals.shape)
    best_lr, best_mom = float(da.lr[i[0]]), float(da.momentum[i[1]])
    with rep.stage("MLP digits best cell"):
        acc = _val_accuracy(meta, best_lr, best_mom)
    b = boundary(da)
    has = np.isfinite(b["critical_lr"]) & (b["momentum"] > 0)
    law = fit_power_law(1 - b["momentum"][has], b["critical_lr"][has])
    chance = float(np.log(10.0))
    rep.figure(sec, "mlp_digits_landscape.png",
               plot.heatmap(da, params=space, vmax=chance,
                            vmax_label=f"ln 10 = {chance:.2f}, the chance level",
                            title=f"MLP on digits, {cfg.n} x {cfg.n}, {cfg.steps} steps"),
               f"Mean minibatch training loss of a 64-{cfg.hidden}-10 tanh MLP over "
               f"{cfg.steps} steps of SGD with momentum (batch 128), colours clipped at the "
               f"chance loss ln 10 = {chance:.2f}; red cells diverged (loss above "
               f"{threshold:.3g}); the white cross marks the lowest cell.")
    n_div = int(div.sum())
    share = f"{n_div} of {div.size} ({100 * n_div / div.size:.1f}%)"
    rep.number("MLP digits: diverged cells", share)
    rep.number("MLP digits: divergence threshold (nats)", threshold)
    rep.number("MLP digits: best cell (lr, momentum)", f"({best_lr:.4g}, {best_mom:.4g})")
    rep.number("MLP digits: best mean training loss", float(vals[i]))
    rep.number("MLP digits: validation accuracy at the best cell", acc)
    if law is not None:
        rep.number("MLP digits: slope of log10 critical lr against log10(1 - momentum)",
                   f"{law.slope:.3f} (R2 {law.r2:.3f}, {law.n} momenta in "
                   f"[{1 - law.x_high:.4g}, {1 - law.x_low:.4g}])")
    rep.number("MLP digits: trainable cells above the boundary", str(int(b["islands"].sum())))
    rows = []
    for target in (0.0, 0.9, 0.99, 0.999):
        j = int(np.argmin(np.abs(b["momentum"] - target)))
        crit = b["critical_lr"][j]
        rows.append([f"{b['momentum'][j]:.4g}", "none" if np.isnan(crit) else f"{crit:.3g}",
                     str(int(b["islands"][j]))])
    sec.tables.append((["momentum", "smallest diverged lr", "trainable cells above it"], rows))
    sec.paragraphs.append(
        f"A run counts as diverged once a minibatch loss exceeds {cfg.factor:g} (L0 + 1) = "
        f"{threshold:.3g} nats, about {threshold / chance:.1f} times the chance loss; it is then "
        "frozen and records that threshold (the capped value). A tanh network's loss grows "
        "with the learning rate but stays finite, so this threshold, not an overflow, draws "
        f"the boundary. {n_div} of {div.size} cells diverged. The best cell, lr {best_lr:.3g} and "
        f"momentum {best_mom:.3g}, reaches {100 * acc:.1f}% validation accuracy after "
        f"{cfg.steps} steps. " + _law_sentence(law)
    )


@dataclasses.dataclass(frozen=True)
class PowerLaw:
    """A least-squares line through (log10 x, log10 y): slope, R^2, points and x range."""

    slope: float
    r2: float
    n: int
    x_low: float
    x_high: float


def fit_power_law(x, y, min_points: int = 4) -> PowerLaw | None:
    """``y ~ x**slope`` fitted in log-log, or ``None`` with fewer than ``min_points``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < min_points:
        return None
    lx, ly = np.log10(x), np.log10(y)
    slope, icpt = np.polyfit(lx, ly, 1)
    resid = ly - (slope * lx + icpt)
    total = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / total if total > 0 else 0.0
    return PowerLaw(float(slope), r2, int(x.size), float(x.min()), float(x.max()))


def _law_sentence(law: PowerLaw | None) -> str:
    if law is None:
        return ("Too few momenta have a diverged learning rate on this grid to fit how the "
                "critical learning rate depends on the momentum.")
    where = (f"over {law.n} momenta from {1 - law.x_high:.3g} to {1 - law.x_low:.4g}")
    if law.r2 < 0.9:
        return (f"A power law in (1 - momentum) does not describe the critical learning rate "
                f"{where} (R^2 {law.r2:.2f} for the best line in log-log), so none "
                "is stated.")
    return (f"{where.capitalize()}, the critical learning rate follows (1 - momentum) to the "
            f"power {law.slope:.2f} (least squares in log-log, R^2 {law.r2:.3f}); an "
            "exponent of 1 would mean the effective step lr / (1 - momentum) alone decides "
            "divergence.")
