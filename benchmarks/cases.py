"""The benchmark's items (a)-(e): each returns table rows measured in this process.

A row is a dict: ``item``, ``what``, ``ours`` / ``ref`` (seconds or a note),
``ratio`` (ref / ours), ``target``, ``met`` and ``error`` (max |value - float64|
at non-chaotic points, see :func:`baselines.smooth_mask`, or an agreement figure).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import baselines
import metaloss as ml
import profiling
from common import Timing, fmt_seconds, fresh_process, repeat, timed
from metaloss.estimators import ES, Backprop


def study_meta(fast: bool = True) -> ml.MetaLoss:
    return ml.MetaLoss(ml.problems.Wavy1D(fast=fast), ml.optimizers.SGDM(), steps=50)


def study_axes(n: int) -> dict[str, np.ndarray]:
    return {"lr": ml.logspace(-3, 2, n), "momentum": 1 - ml.logspace(-3, 0, n)}


def default_chunk() -> int | None:
    """metaloss's CPU default; one call for the whole 2000 x 2000 grid on accelerators."""
    return None if jax.default_backend() == "cpu" else 1 << 22


def row(item, what, ours, ref=None, target="", met=None, error="", ratio=None):
    if ratio is None and isinstance(ours, Timing) and isinstance(ref, Timing):
        ratio = ref.median / ours.median
    return {"item": item, "what": what, "ours": ours, "ref": ref, "ratio": ratio,
            "target": target, "met": met, "error": error}


def err_text(values, ref, mask, stride) -> str:
    sub = np.asarray(values)[::stride, ::stride]
    return f"{baselines.max_error(sub, ref, mask):.1e}"


def reference_for(n: int, stride: int):
    axes = study_axes(n)
    return baselines.smooth_mask(axes["lr"][::stride], axes["momentum"][::stride])


def landscape_2d(cfg, ref, mask) -> list[dict]:
    """(a): metaloss.landscape against the study's jit(vmap(vmap)) formulation."""
    n, s, chunk = cfg["n2d"], cfg["stride"], default_chunk()
    axes = study_axes(n)
    colds = [fresh_process("landscape_cold", {"n": n, "chunk": chunk})["seconds"]
             for _ in range(cfg["cold_repeats"])]
    meta = study_meta()
    values = ml.landscape(meta, axes, chunk=chunk, progress=False).values
    warm = repeat(lambda: ml.landscape(meta, axes, chunk=chunk, progress=False), cfg["repeats"])
    plain_meta = study_meta(fast=False)
    plain_vals = ml.landscape(plain_meta, axes, chunk=chunk, progress=False).values
    plain = repeat(lambda: ml.landscape(plain_meta, axes, chunk=chunk, progress=False), 2)

    jax.clear_caches()
    lr_grid, mom_grid = jnp.meshgrid(jnp.asarray(axes["lr"], jnp.float32),
                                     jnp.asarray(axes["momentum"], jnp.float32), indexing="ij")
    fn = baselines.study_grid_fn()
    base_cold, base_vals = timed(lambda: np.asarray(fn(lr_grid, mom_grid)))
    base = repeat(lambda: fn(lr_grid, mom_grid).block_until_ready(), cfg["baseline_repeats"])
    base_err = err_text(base_vals, ref, mask, s)
    what = f"{n} x {n} landscape, 50 steps"
    rows = [
        row("a", f"{what}, warm", warm, base, ">= 20x", base.median / warm.median >= 20,
            f"{err_text(values, ref, mask, s)} (ref {base_err})"),
        row("a", f"{what}, cold: first call (metaloss in a fresh process, the baseline "
            "after jax.clear_caches())", Timing(colds), Timing([base_cold]),
            error="values as warm"),
        row("a", f"{what}, warm, metaloss with plain jnp.sin/cos", plain, base,
            error=err_text(plain_vals, ref, mask, s)),
    ]
    return rows


def sweep_1d(cfg) -> list[dict]:
    """(b): the 5000-point learning-rate sweep at momentum 0.9, time to first result."""
    n, k = cfg["sweep_n"], cfg["cold_repeats"]
    ours = Timing([fresh_process("sweep_cold", {"n": n})["seconds"] for _ in range(k)])
    base = Timing([fresh_process("study_sweep_cold", {"n": n})["seconds"] for _ in range(k)])
    lrs = ml.logspace(-3, 2, n)
    ref, mask = baselines.smooth_mask(lrs, np.array([0.9]))
    vals = ml.landscape(study_meta(), {"lr": lrs, "momentum": 0.9}, progress=False).values
    base_vals = np.asarray(baselines.study_sweep_fn()(jnp.asarray(lrs, jnp.float32), 0.9))
    err = (f"{baselines.max_error(vals[:, None], ref, mask):.1e} "
           f"(ref {baselines.max_error(base_vals[:, None], ref, mask):.1e})")
    return [row("b", f"{n}-point sweep, first result incl. compilation", ours, base, "<= 1 s",
                ours.median <= 1.0, err)]


def outer_loops(cfg) -> list[dict]:
    """(c): compiled outer training against a Python loop over a jitted step."""
    meta = study_meta()
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
    init = {"lr": -2.0, "momentum": -0.5}
    rows = []
    for est, steps, target in ((ES(std=0.1, pairs=1), cfg["es_steps"], ">= 50x"),
                               (Backprop(), cfg["bp_steps"], "")):
        opt = optax.chain(optax.clip(10.0), optax.sgd(0.01))

        def compiled(key, est=est, steps=steps, opt=opt):
            return jax.block_until_ready(ml.outer_train(meta, space, est, init, steps, opt, key))

        cold, run = timed(lambda compiled=compiled: compiled(jax.random.key(0)))
        warm = repeat(lambda compiled=compiled: compiled(jax.random.key(0)), cfg["repeats"])
        loop = baselines.python_loop_driver(meta, space, est, opt)
        final, _ = loop(init, steps, jax.random.key(0))  # compiles the step
        loop_t = repeat(lambda loop=loop, steps=steps: loop(init, steps, jax.random.key(0)), 3)
        diff = max(abs(float(run.final()[n]) - float(final[n])) for n in space.names)
        met = (loop_t.median / warm.median >= 50) if target else None
        rows.append(row("c", f"{steps} {est.name} steps (compile {cold - warm.median:.1f} s)",
                        warm, loop_t, target, met, f"final coords differ by {diff:.1e}"))
        if target and steps == 3000 and (floor := profiling.es_native_floor()) is not None:
            rows.append(row("c", "3000 ES steps in hand-written C, same arithmetic, no RNG "
                            "(native/es_floor.c): the most any implementation could reach",
                            Timing([floor]), loop_t,
                            error="a floor: 150,000 dependent inner steps"))
    study = baselines.study_es_driver()
    study((-2.0, -0.5), 2, jax.random.key(0))  # compiles its outer loss
    study_t = repeat(lambda: study((-2.0, -0.5), cfg["es_steps"], jax.random.key(0)), 2)
    rows.append(row("c", f"{cfg['es_steps']} ES steps vs the study's own loop (eager noise, "
                    "clip and update around a jitted loss)", rows[0]["ours"], study_t,
                    error="same algorithm, its own random draws"))
    n = cfg["es_batch"]
    keys = jax.random.split(jax.random.key(1), n)
    opt = optax.chain(optax.clip(10.0), optax.sgd(0.01))

    def batch():
        return jax.block_until_ready(
            ml.outer_train(meta, space, ES(std=0.1, pairs=1), init, cfg["es_steps"], opt, keys))

    cold, runs = timed(batch)
    warm = repeat(batch, 2)
    rows.append(row("c", f"{n} ES runs x {cfg['es_steps']} steps, one vmapped call", warm,
                    target="<= 10 s", met=warm.median <= 10.0,
                    error=f"cold {cold:.1f} s; {int(np.isfinite(runs.losses).all(axis=1).sum())}"
                    f"/{n} runs finite"))
    return rows


def streamed(cfg) -> list[dict]:
    """(d): a large landscape streamed to disk: wall time and peak RSS of a fresh process.

    The comparison time is the in-memory ``n2d x n2d`` landscape measured again just
    before, so that a change in the machine's load since (a) does not skew the ratio.
    """
    n, small = cfg["stream_n"], cfg["n2d"]
    meta, axes, chunk = study_meta(), study_axes(small), default_chunk()
    ml.landscape(meta, axes, chunk=chunk, progress=False)
    warm_2d = repeat(lambda: ml.landscape(meta, axes, chunk=chunk, progress=False), 3).median
    tmp = Path(tempfile.mkdtemp(prefix="metaloss-bench-"))
    try:
        out = fresh_process("stream", {"n": n, "path": str(tmp / "big.zarr"),
                                       "chunk": chunk}, timeout=3600)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    factor = (n / small) ** 2
    gib = out["peak_rss"] / 2**30
    note = (f"{out['how']}, fresh process, compilation included; "
            f"RSS after imports {out['rss_before'] / 2**30:.2f} GiB; "
            f"store {out['store_bytes'] / 2**20:.0f} MiB")
    return [
        row("d", f"{n} x {n} streamed to disk, against {factor:.0f} x the in-memory "
            f"{small} x {small} time ({fmt_seconds(warm_2d)})", Timing([out["seconds"]]),
            Timing([factor * warm_2d]), f"<= {factor:.0f}x", out["seconds"] <= factor * warm_2d,
            note, ratio=out["seconds"] / warm_2d),
        row("d", f"{n} x {n} streamed to disk: peak RSS", f"{gib:.2f} GiB", None, "<= 1.5 GiB",
            gib <= 1.5),
    ]


def numpy_reference(cfg, ref, mask) -> list[dict]:
    """(e): NumPy float32, vectorized over the grid, same divergence rule.

    Runs alternate with metaloss's, so both medians see the same machine load.
    """
    n, s, chunk = cfg["n2d"], cfg["stride"], default_chunk()
    axes = study_axes(n)
    meta = study_meta()
    ml.landscape(meta, axes, chunk=chunk, progress=False)
    ours, theirs = [], []
    for _ in range(cfg["numpy_repeats"]):
        ours.append(timed(lambda: ml.landscape(meta, axes, chunk=chunk, progress=False))[0])
        t, (vals, _) = timed(lambda: baselines.numpy_landscape(axes["lr"], axes["momentum"]))
        theirs.append(t)
    return [row("e", f"{n} x {n} landscape, NumPy float32 (1 thread), runs alternated",
                Timing(ours), Timing(theirs), error=f"ref {err_text(vals, ref, mask, s)}")]
