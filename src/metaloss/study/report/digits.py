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

from metaloss import optimizers, plot, problems
from metaloss.grid import landscape, save_netcdf
from metaloss.meta import MetaLoss
from metaloss.space import Log10, OneMinusLog10, Space, logspace
from metaloss.study.report.document import Report
from metaloss.unroll import Divergence


@dataclasses.dataclass(frozen=True)
class DigitsSettings:
    """Grid size per axis, inner steps, MLP width and the divergence factor."""

    n: int = 64
    steps: int = 100
    hidden: int = 32
    factor: float = 3.0
    chunk: int | None = None  # default: blocks of 16 points (metaloss.grid.executor.cpu_block)

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
    slope = (np.polyfit(np.log10(1 - b["momentum"][has]), np.log10(b["critical_lr"][has]), 1)[0]
             if has.sum() >= 3 else float("nan"))
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
    rep.number("MLP digits: slope of log10 critical lr against log10(1 - momentum)", slope)
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
        f"{cfg.steps} steps. Along the momentum axis the critical learning rate scales as "
        f"(1 - momentum)^{slope:.2f}; a slope of 1 would mean the effective step "
        "lr / (1 - momentum) alone decides divergence."
    )
