"""The study's first sections: the inner problem, the outer loss against the learning
rate, and the 2-D landscape."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src import plot
from metaloss._src.grid import landscape, save_netcdf
from metaloss._src.space import logspace
from metaloss._src.study.report.document import Report
from metaloss._src.study.settings import StudySettings, study_setup


def section_inner(rep: Report, cfg: StudySettings) -> None:
    """The inner problem and one training run."""
    meta, _ = study_setup()
    rep.record("study", meta)
    sec = rep.section("Inner problem")
    with rep.stage("inner problem"):
        xs = np.linspace(-5, 5, 2001)
        ys = np.asarray(jax.vmap(meta.problem.loss)(jnp.asarray(xs)))
        is_min = (ys[1:-1] < ys[:-2]) & (ys[1:-1] < ys[2:])
        minima = [(float(x), float(y)) for x, y in zip(xs[1:-1][is_min], ys[1:-1][is_min],
                                                         strict=True)]
        res = meta.evaluate({"lr": 0.1, "momentum": 0.9}, trajectory=True)
    path = (np.asarray(res.trajectory), np.asarray(meta.problem.loss(res.trajectory)))
    rep.figure(sec, "inner_loss.png", plot.inner_loss(xs, ys, minima, path=path),
               "The inner loss log(x^2 + 1 + sin 3x) + 1.5 with its minima, and the 50 SGD "
               "iterates (lr 0.1, momentum 0.9) coloured by step.")
    rep.figure(sec, "training_curve.png",
               plot.training_curve(np.asarray(res.losses), np.asarray(res.trajectory),
                                   title="SGD with momentum, lr 0.1, momentum 0.9, from x = -4"),
               "Inner loss per step (left axis) and x (right axis).")
    for x, y in minima:
        rep.number(f"inner minimum at x = {x:.3f}", y)
    traj = np.asarray(res.trajectory)
    sec.paragraphs.append(
        f"Training from x = -4 passes x = {traj[np.argmin(np.asarray(res.losses))]:.2f} "
        f"(lowest loss {float(np.min(res.losses)):.3f}) and ends at x = {traj[-1]:.2f} "
        f"with loss {float(res.losses[-1]):.3f}: momentum carries it out of the global "
        "minimum into the local one."
    )


def section_sweep(rep: Report, cfg: StudySettings) -> None:
    """The outer loss against the learning rate."""
    meta, _ = study_setup()
    sec = rep.section("Outer loss against the learning rate")
    with rep.stage("lr sweep"):
        da = landscape(meta, {"lr": logspace(-3, 2, cfg.sweep_n), "momentum": 0.9})
    rep.figure(sec, "lr_sweep.png",
               plot.sweep(da, ylim=(0, 5), title=f"{cfg.sweep_n} learning rates, momentum 0.9"),
               "Mean inner loss over 50 steps against the learning rate; the y-axis is cut at "
               "5, values above it are drawn at the top edge (red triangles, counted in the "
               "legend).")
    vals = da.values
    jumps = np.abs(np.diff(vals))
    rep.number("lr sweep: median absolute change between neighbouring learning rates",
               float(np.nanmedian(jumps)))
    sec.paragraphs.append(
        f"Neighbouring learning rates (a factor {10 ** (5 / (cfg.sweep_n - 1)):.5f} apart) change "
        f"the outer loss by up to {float(np.nanmax(jumps)):.2f}: the deterministic unroll "
        "looks noisy."
    )


def section_landscape(rep: Report, cfg: StudySettings) -> None:
    """The 2-D landscape over (lr, momentum)."""
    meta, space = study_setup()
    sec = rep.section("The 2-D landscape")
    with rep.stage("2-D landscape"):
        da = landscape(meta, {"lr": logspace(-3, 2, cfg.grid_n),
                              "momentum": 1 - logspace(-3, 0, cfg.grid_n)})
    with rep.stage("save landscape"):
        save_netcdf(da, rep.out / "landscape.nc")
    rep.state.landscape = da
    rep.figure(sec, "landscape.png",
               plot.heatmap(da, params=space, title=f"Outer loss, {cfg.grid_n} x {cfg.grid_n}"),
               "Outer loss over log10(lr) and log10(1 - momentum), colours clipped at 10; "
               "the white cross marks the lowest cell (its value in the legend).")
    vals = da.values
    finite = np.isfinite(vals)
    i = np.unravel_index(np.argmin(np.where(finite, vals, np.inf)), vals.shape)
    lr, mom = float(da.lr[i[0]]), float(da.momentum[i[1]])
    rep.number("landscape minimum", float(vals[i]))
    rep.number("landscape minimum at (lr, momentum)", f"({lr:.4g}, {mom:.4g})")
    rep.number("landscape minimum at (log10 lr, log10(1 - mom))",
               f"({np.log10(lr):.3f}, {np.log10(1 - mom):.3f})")
    rep.number("landscape non-finite cells", str(int((~finite).sum())))
    rep.number("landscape diverged cells", str(int(np.asarray(da["diverged"]).sum())))
    sec.paragraphs.append(
        f"{vals.size} grid points. Low loss needs moderate learning rates and high momentum "
        "damping; the landscape is rippled at every scale, with bands periodic in log lr."
    )
