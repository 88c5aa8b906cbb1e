"""Where the time goes: elementwise costs, landscape variants, chunk sizes, ES step costs.

Small, quick measurements whose ratios explain the headline numbers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import metaloss as ml
from common import repeat
from metaloss._src import fastmath
from metaloss._src.grid import executor as grid_mod
from metaloss._src.problems.wavy import wavy_loss_fast
from metaloss.estimators import ES


def _ns_per(fn, n, reps=15):
    fn()
    return repeat(fn, reps).median / n * 1e9


def elementwise(n: int = 1 << 20) -> list[tuple[str, float]]:
    """ns per element, XLA (jit) against NumPy, float32 in [-15, 15].

    ``n`` is large so that dispatch does not dominate; ``x + 1`` shows the floor
    (memory traffic and dispatch) under every XLA row.
    """
    x_np = np.random.default_rng(0).uniform(-15, 15, n).astype(np.float32)
    pos_np = np.abs(x_np) + 0.5
    x, pos = jnp.asarray(x_np), jnp.asarray(pos_np)
    out = []
    for name, f, arg in (("XLA x + 1 (floor)", lambda v: v + 1.0, x),
                         ("XLA sin", jnp.sin, x), ("XLA cos", jnp.cos, x),
                         ("XLA log", jnp.log, pos),
                         ("XLA sin + cos", lambda v: jnp.sin(v) + jnp.cos(v), x),
                         ("fastmath.sincos (sin + cos)", lambda v: sum(fastmath.sincos(v)), x)):
        jf = jax.jit(f)
        out.append((name, _ns_per(lambda jf=jf, arg=arg: jf(arg).block_until_ready(), n)))
    for name, f, arg in (("NumPy sin", np.sin, x_np), ("NumPy cos", np.cos, x_np),
                         ("NumPy log", np.log, pos_np)):
        out.append((name, _ns_per(lambda f=f, arg=arg: f(arg), n)))
    return out


@dataclasses.dataclass(frozen=True)
class NoTrig(ml.problems.Wavy1D):
    """The study's loss with sin 3x replaced by 0.1x: what the unroll costs without trig."""

    def loss(self, params, key=None):
        return jnp.log(params * params + 1.0 + 0.1 * params) + 1.5


def minimal_scan(lr, mom, steps=50):
    """The same update hand-fused: fast sincos, no records, no divergence checks."""
    vg = jax.vmap(jax.value_and_grad(wavy_loss_fast))

    def body(carry, _):
        x, v, acc = carry
        loss, g = vg(x)
        v = mom * v + g
        return (x - lr * v, v, acc + loss), None

    z = jnp.zeros_like(lr)
    (_, _, acc), _ = jax.lax.scan(body, (z - 4.0, z, z), None, length=steps)
    return acc / steps


@contextlib.contextmanager
def _grid_settings(**values):
    """Temporarily replaces functions of metaloss._src.grid.executor (for the variants)."""
    old = {k: getattr(grid_mod, k) for k in values}
    for k, v in values.items():
        setattr(grid_mod, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(grid_mod, k, v)


def landscape_variants(n: int = 500) -> list[tuple[str, float]]:
    """ns per (grid point x inner step) for metaloss.landscape variants on n x n."""
    axes = {"lr": ml.logspace(-3, 2, n), "momentum": 1 - ml.logspace(-3, 0, n)}
    per = n * n * 50
    out = []
    wavy = ml.problems.Wavy1D()
    one_worker = {"workers_for": lambda devs: 1}
    unblocked = {"workers_for": lambda devs: 1, "cpu_block": lambda meta, devs: None}
    for name, problem, chunk, objective, settings in (
        ("metaloss default (chunks up to 262144, blocks of 512, one call per core)", wavy,
         None, "mean", {}),
        ("chunk 65536", wavy, 1 << 16, "mean", {}),
        ("chunk 16384", wavy, 1 << 14, "mean", {}),
        ("one call at a time (one core)", wavy, None, "mean", one_worker),
        ("no blocks, one call at a time on XLA's threads, chunk 65536 (the previous "
         "default)", wavy, 1 << 16, "mean", unblocked),
        ("plain jnp.sin/cos", ml.problems.Wavy1D(fast=False), None, "mean", {}),
        ("trig removed (cost of the unroll itself)", NoTrig(), None, "mean", {}),
        ("objective='final' (no running loss sum)", wavy, None, "final", {}),
    ):
        meta = ml.MetaLoss(problem, ml.optimizers.SGDM(), steps=50, objective=objective)
        with _grid_settings(**settings):
            out.append((name, _ns_per(
                lambda meta=meta, chunk=chunk: ml.landscape(meta, axes, chunk=chunk,
                                                            progress=False),
                per, reps=3)))
    lr = jnp.asarray(np.logspace(-3, 2, 1 << 14), jnp.float32)
    mom = jnp.asarray(np.linspace(0.0, 0.999, 1 << 14), jnp.float32)
    f = jax.jit(minimal_scan)
    out.append(("hand-fused scan, no records/divergence, 16384 points at once",
                _ns_per(lambda: f(lr, mom).block_until_ready(), (1 << 14) * 50)))
    return out


def es_native_floor() -> float | None:
    """Seconds for 3000 ES steps in plain C (``native/es_floor.c``), or None without
    a C compiler: the latency of the dependent inner steps, a floor for item (c)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    src = Path(__file__).resolve().parent / "native" / "es_floor.c"
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "es_floor"
        build = subprocess.run([cc, "-O3", "-march=native", "-ffp-contract=fast", str(src),
                                "-o", str(exe), "-lm"], capture_output=True, text=True)
        if build.returncode != 0:
            return None
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
        return float(json.loads(run.stdout)["seconds"])


def es_costs(steps: int = 3000) -> list[tuple[str, float]]:
    """Microseconds per outer ES step: compiled (1 and 50 inner steps), its random
    numbers alone, and the bare cost of calling a jitted step from Python."""
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
    init = {"lr": -2.0, "momentum": -0.5}
    opt = optax.chain(optax.clip(10.0), optax.sgd(0.01))
    out = []
    for inner in (1, 50):
        meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=inner)

        def run(meta=meta):
            return jax.block_until_ready(
                ml.outer_train(meta, space, ES(), init, steps, opt, jax.random.key(0)))

        run()
        out.append((f"compiled ES, {inner} inner step(s)", repeat(run, 5).median / steps * 1e6))

    @jax.jit
    def rng_only(key):
        def step(acc, k):  # what ES draws per step: a key split and two normals
            k_noise, _ = jax.random.split(k)
            return acc + jax.random.normal(k_noise, (1, 2)).sum(), None

        return jax.lax.scan(step, 0.0, jax.random.split(key, steps))[0]

    rng_only(jax.random.key(0)).block_until_ready()
    t = repeat(lambda: rng_only(jax.random.key(1)).block_until_ready(), 5).median
    out.append(("compiled scan of ES's random draws only", t / steps * 1e6))

    noop = jax.jit(lambda params, state, key: (params, state))
    params = {n: jnp.float32(v) for n, v in init.items()}
    state = opt.init(params)
    keys = list(jax.random.split(jax.random.key(2), steps))

    def loop():
        p, st = params, state
        for k in keys:
            p, st = noop(p, st, k)
        return jax.block_until_ready(p)

    loop()
    out.append(("Python loop calling a jitted no-op step (dispatch only)",
                repeat(loop, 3).median / steps * 1e6))
    floor = es_native_floor()
    if floor is not None:
        out.append(("hand-written C, same arithmetic, no RNG (native/es_floor.c: a floor)",
                    floor / 3000 * 1e6))
    return out


def sincos_accuracy(n: int = 1 << 20) -> list[tuple[str, str]]:
    """Max error in float32 ulp of sin and cos against float64, per input range."""

    def ulps(got, exact):
        return np.max(np.abs(got - exact) / np.spacing(np.abs(exact).astype(np.float32)))

    out = []
    rng = np.random.default_rng(1)
    fast = jax.jit(fastmath.sincos)
    for bound in (100.0, 1e3, 1e5):
        x = rng.uniform(-bound, bound, n).astype(np.float32)
        xd = x.astype(np.float64)
        s, c = (np.asarray(v, np.float64) for v in fast(x))
        es, ec = np.sin(xd), np.cos(xd)
        cells = [
            f"{ulps(s, es):.1f} / {ulps(c, ec):.1f}",
            f"{ulps(np.asarray(jnp.sin(x), np.float64), es):.1f} / "
            f"{ulps(np.asarray(jnp.cos(x), np.float64), ec):.1f}",
            f"{ulps(np.sin(x).astype(np.float64), es):.1f} / "
            f"{ulps(np.cos(x).astype(np.float64), ec):.1f}",
            f"{max(np.max(np.abs(s - es)), np.max(np.abs(c - ec))):.1e}",
        ]
        out.append((f"|x| <= {bound:g}", " | ".join(cells)))
    return out
