"""The study's sections of ``metaloss reproduce``: inner problem, sweeps, landscape,
gradient and ES outer training, and the improvements the study suggests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
import optax

from metaloss import analysis, estimators, plot
from metaloss.landscape import landscape, save_netcdf
from metaloss.outer import outer_train
from metaloss.space import logspace
from metaloss.study import STUDY_START, UNSTABLE_START, clipped_sgd, study_setup

if TYPE_CHECKING:
    from metaloss.report import Report, StudySettings


def _fmt_point(p) -> str:
    return "(" + ", ".join(f"{float(v):.3f}" for v in p.values()) + ")"


def section_inner(rep: Report, cfg: StudySettings) -> None:
    meta, _ = study_setup()
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
    meta, _ = study_setup()
    sec = rep.section("Outer loss against the learning rate")
    with rep.stage("lr sweep"):
        da = landscape(meta, {"lr": logspace(-3, 2, cfg.sweep_n), "momentum": 0.9})
    rep.figure(sec, "lr_sweep.png",
               plot.sweep(da, ylim=(0, 5), title=f"{cfg.sweep_n} learning rates, momentum 0.9"),
               "Mean inner loss over 50 steps against the learning rate.")
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
    meta, space = study_setup()
    sec = rep.section("The 2-D landscape")
    with rep.stage("2-D landscape"):
        da = landscape(meta, {"lr": logspace(-3, 2, cfg.grid_n),
                              "momentum": 1 - logspace(-3, 0, cfg.grid_n)})
    with rep.stage("save landscape"):
        save_netcdf(da, rep.out / "landscape.nc")
    rep.state["landscape"] = da
    rep.figure(sec, "landscape.png",
               plot.heatmap(da, params=space, title=f"Outer loss, {cfg.grid_n} x {cfg.grid_n}"),
               "Outer loss over log10(lr) and log10(1 - momentum), clipped at 10.")
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


def _true_loss(meta, space, point) -> float:
    coords = {k: np.asarray(v) for k, v in point.items()}
    return float(analysis.evaluate_points(meta, space, coords))


NEIGHBOURHOOD_LABEL = "mean outer loss within sigma 0.05 of the end (512 samples)"


def _neighbourhood(meta, space, point) -> float:
    """Mean outer loss over Gaussian perturbations of the end point: how good the region is,
    not only the point, which on a rippled surface is partly luck."""
    rng = np.random.default_rng(0)
    coords = {k: float(v) + 0.05 * rng.standard_normal(512) for k, v in point.items()}
    return float(np.mean(analysis.evaluate_points(meta, space, coords)))


def section_gradient(rep: Report, cfg: StudySettings) -> None:
    meta, space = study_setup()
    sec = rep.section("Outer training by gradients through the unroll")
    runs, curves = {}, {}
    for label, start in (("gradient from (-2, -0.5)", STUDY_START),
                         ("gradient from (0, -1.5)", UNSTABLE_START)):
        with rep.stage(label):
            run = outer_train(meta, space, estimators.Backprop(), start, cfg.grad_steps,
                              clipped_sgd(0.01), jax.random.key(0))
            end = run.final()
            wide = analysis.slices(meta, space, end, 0.05, cfg.slice_n)
            narrow = analysis.slices(meta, space, end, 0.002, cfg.slice_n)
        runs[label] = {k: np.asarray(v) for k, v in run.params.items()}
        gnorm = np.sqrt(sum(np.asarray(g, float) ** 2 for g in run.grads.values()))
        curves[label] = {"losses": np.asarray(run.losses), "grad_norm": gnorm, "clip": 10.0}
        rep.number(f"{label}: median gradient norm over the last half", float(
            np.median(gnorm[len(gnorm) // 2:])))
        bumps = [_local_minima(ds) for ds in (wide, narrow)]
        rep.number(f"{label}: local minima along the slices, half-width 0.05 / 0.002",
                   f"{bumps[0]} / {bumps[1]}")
        true = _true_loss(meta, space, end)
        rep.number(f"{label}: final (log10 lr, log10(1-mom))", _fmt_point(end))
        rep.number(f"{label}: final true outer loss", true)
        rep.number(f"{label}: {NEIGHBOURHOOD_LABEL}", _neighbourhood(meta, space, end))
        tag = "grad_study" if start is STUDY_START else "grad_unstable"
        fig = plot.slice_plot([wide, narrow], title=f"Slices around the end, {label}")
        rep.figure(sec, f"slices_{tag}.png", fig,
                   f"Outer loss along each coordinate around the end point of the {label} run.")
    rep.state["gradient_runs"] = runs
    rep.figure(sec, "gradient_runs.png", plot.outer_curves(curves),
               "Outer loss and outer-gradient norm per step of both gradient runs; the dotted "
               "line is the clipping level.")
    sec.paragraphs.append(
        f"{cfg.grad_steps} steps of SGD (step 0.01, gradients clipped to [-10, 10]). Once a run "
        "reaches the rippled region its exact gradients are orders of magnitude above the "
        "clip, so every step is a clipped jump that the next ripple reverses: the run stops "
        "making progress. The slices show the surface the gradient sees around the end point "
        "at two scales; the key numbers count their local minima (the ripples)."
    )


def _local_minima(ds) -> int:
    """Interior local minima summed over a slices dataset's variables."""
    total = 0
    for var in ds.data_vars.values():
        v = np.asarray(var.values, float)
        total += int(np.sum((v[1:-1] < v[:-2]) & (v[1:-1] < v[2:])))
    return total


def section_es(rep: Report, cfg: StudySettings) -> None:
    meta, space = study_setup()
    sec = rep.section("Outer training by evolution strategies")
    es = estimators.ES(std=0.1, pairs=1)
    with rep.stage("ES"):
        run = outer_train(meta, space, es, STUDY_START, cfg.es_steps, clipped_sgd(0.01),
                          jax.random.key(0))
    end = run.final()
    true = _true_loss(meta, space, end)
    rep.number("ES from (-2, -0.5), seed 0: final (log10 lr, log10(1-mom))", _fmt_point(end))
    rep.number("ES from (-2, -0.5), seed 0: final true outer loss", true)
    rep.number(f"ES from (-2, -0.5), seed 0: {NEIGHBOURHOOD_LABEL}",
               _neighbourhood(meta, space, end))
    finals = {}
    with rep.stage("ES over seeds"):
        keys = jax.random.split(jax.random.key(1), cfg.seeds)
        for label, start in (("(-2, -0.5)", STUDY_START), ("(0, -1.5)", UNSTABLE_START)):
            many = outer_train(meta, space, es, start, cfg.es_steps, clipped_sgd(0.01), keys)
            finals[f"ES from {label}"] = analysis.evaluate_points(meta, space, many.final())
    for label, vals in finals.items():
        q = np.percentile(vals, [25, 50, 75])
        rep.number(f"{label}, {cfg.seeds} seeds: final true loss median [q25, q75]",
                   f"{q[1]:.3f} [{q[0]:.3f}, {q[2]:.3f}]")
    rep.state["es_finals"] = finals
    runs = dict(rep.state.get("gradient_runs", {}))
    runs["ES from (-2, -0.5), seed 0"] = {k: np.asarray(v) for k, v in run.params.items()}
    if "landscape" in rep.state:
        rep.figure(sec, "trajectories.png",
                   plot.trajectories(rep.state["landscape"], runs, params=space),
                   "Gradient runs (stuck) and the ES run over the landscape.")
    sec.paragraphs.append(
        f"Antithetic ES (sigma 0.1, one pair, step 0.01, clipped), {cfg.es_steps} steps. ES "
        "follows the Gaussian-smoothed loss, so it crosses ripples a gradient cannot and "
        "settles in the broad low-loss basin. The loss at the exact end point of one run is "
        "still a draw from a rippled surface, hence the many-seed numbers and the "
        "neighbourhood means in the key numbers."
    )


def section_improvements(rep: Report, cfg: StudySettings) -> None:
    meta, space = study_setup()
    sec = rep.section("Improving ES: annealed sigma, more pairs, smaller steps")
    n = cfg.es_steps
    decay = optax.exponential_decay(0.01, n, 0.01)
    variants = {
        "ES (study)": (estimators.ES(0.1, 1), 0.01),
        "8 pairs": (estimators.ES(0.1, 8), 0.01),
        "annealed sigma": (estimators.AnnealedES(0.1, 0.01, n, 1), 0.01),
        "decaying step": (estimators.ES(0.1, 1), decay),
        "all three": (estimators.AnnealedES(0.1, 0.01, n, 8), decay),
    }
    if rep.quick:  # each variant compiles its own loop: keep the quick run short
        variants = {k: variants[k] for k in ("ES (study)", "all three")}
    finals = {}
    keys = jax.random.split(jax.random.key(2), cfg.seeds)
    with rep.stage("ES variants"):
        for label, (est, step) in variants.items():
            run = outer_train(meta, space, est, STUDY_START, n, clipped_sgd(step), keys)
            finals[label] = analysis.evaluate_points(meta, space, run.final())
    grads = rep.state.get("gradient_runs", {})
    refs = {}
    for label, traj in grads.items():
        refs[label] = _true_loss(meta, space, {k: v[-1] for k, v in traj.items()})
    rep.figure(sec, "es_improvements.png",
               plot.distributions(finals, refs,
                                  title=f"Final true outer loss over {cfg.seeds} seeds"),
               "Each ES variant from (-2, -0.5); dashed lines: the gradient runs' end points.")
    rows = []
    for label, vals in finals.items():
        q = np.percentile(vals, [25, 50, 75])
        rows.append([label, f"{q[1]:.3f}", f"{q[0]:.3f}", f"{q[2]:.3f}", f"{np.min(vals):.3f}"])
        rep.number(f"ES variant '{label}': median final true loss", float(q[1]))
    sec.tables.append((["variant", "median", "q25", "q75", "best"], rows))
    med = {k: float(np.median(v)) for k, v in finals.items()}
    iqr = {k: float(np.subtract(*np.percentile(v, [75, 25]))) for k, v in finals.items()}
    low, tight = min(med, key=med.get), min(iqr, key=iqr.get)
    beaten = [k for k, v in med.items() if refs and v < min(refs.values())]
    sec.paragraphs.append(
        f"Measured here: the lowest median is '{low}' ({med[low]:.3f}), the narrowest "
        f"interquartile range '{tight}' ({iqr[tight]:.3f}); "
        + (f"{len(beaten)} of {len(med)} variants have a median below both gradient runs' "
           "end points." if refs else "no gradient runs to compare with.")
    )
    sec.paragraphs.append(
        "Annealed sigma decays geometrically from 0.1 to 0.01 over the run; the decaying step "
        "goes from 0.01 to 0.0001. Shrinking sigma alone lets the estimate see the ripples "
        "again while the step stays large, so it is combined with a decaying step."
    )
