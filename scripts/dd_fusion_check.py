"""Does XLA's fusion keep double-double's error-free transformations exact?

Each case runs one double-double operation three ways on the same 64 inputs: op by op
(``jax.disable_jit``, nothing fused), ``jax.jit`` and ``jax.jit(jax.vmap(...))``, and
prints the largest error relative to 50-digit mpmath. Exact transformations give
~1e-32; ~1e-16 means a rounded product was contracted into an FMA past
:func:`metaloss._src.precision.dd.two_prod`'s optimization barriers (the compiled HLO
holds no opt-barrier: XLA removes them before fusion). Then sincos on five ranges
(relative for sin of tiny arguments; a two-sum with a constant first was folded by XLA
under jit, ~1e-28 here, before :func:`.arith.two_sum` was written for it). Then the mean
objective of the double-double unroll (``metaloss._src.precise.unroll``) against mpmath.

    .venv/bin/python scripts/dd_fusion_check.py
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import mpmath
import numpy as np

import metaloss as ml
from metaloss._src.precise import unroll as precise
from metaloss._src.precision import dd
from metaloss._src.precision.dd import DD

mpmath.mp.dps = 50


def value(h, lo):
    return mpmath.mpf(float(h)) + mpmath.mpf(float(lo))


CASES = {
    "square(x)": (lambda h, lo: dd.square(DD(h, lo)), lambda x: x * x),
    "mul_float(x, 0.076)": (lambda h, lo: dd.mul_float(DD(h, lo), 0.076),
                            lambda x: x * mpmath.mpf(0.076)),
    "mul(x, y)": (lambda h, lo: dd.mul(DD(h, lo), DD(h * 0.37, lo * 0.0)),
                  None),
    "sin(x)": (lambda h, lo: dd.sin(DD(h, lo)), mpmath.sin),
    "cos(x)": (lambda h, lo: dd.cos(DD(h, lo)), mpmath.cos),
}

TRIG_RANGES = {  # sin and cos: absolute errors (|f| <= 1), relative for sin of tiny x
    "[-100, 100]": lambda rng: rng.uniform(-100, 100, 64),
    "tiny (1e-25..0.1)": lambda rng: 10 ** rng.uniform(-25, -1, 64),
    "near k pi/2": lambda rng: np.round(rng.uniform(-60, 60, 64)) * np.pi / 2
    + rng.uniform(-1e-6, 1e-6, 64),
    "(j + 1/2) pi/512": lambda rng: (np.round(rng.uniform(-3000, 3000, 64)) + 0.5) * np.pi / 512,
    "[-2.6e7, 2.6e7]": lambda rng: rng.uniform(-2.6e7, 2.6e7, 64),
}


def ops() -> None:
    rng = np.random.default_rng(1)
    xs = rng.uniform(1, 100, 64)
    ls = xs * 1e-17 * rng.uniform(-0.5, 0.5, 64)
    for name, (f, ref) in CASES.items():
        errs = {}
        for mode, g in (("op by op", f), ("jit", jax.jit(f)), ("jit(vmap)", jax.jit(jax.vmap(f)))):
            ctx = jax.disable_jit() if mode == "op by op" else contextlib.nullcontext()
            with ctx:
                out = g(jnp.asarray(xs), jnp.asarray(ls))
            if ref is None:  # x * (0.37 x rounded): the reference is the unfused result
                with jax.disable_jit():
                    base = f(jnp.asarray(xs), jnp.asarray(ls))
                want = [value(base.hi[k], base.lo[k]) for k in range(64)]
            else:
                want = [ref(value(xs[k], ls[k])) for k in range(64)]
            errs[mode] = max(abs(value(out.hi[k], out.lo[k]) - w) / abs(w)
                             for k, w in enumerate(want))
        print(f"{name:22s} " + "  ".join(f"{m} {mpmath.nstr(e, 3):>9s}" for m, e in errs.items()))


def trig() -> None:
    rng = np.random.default_rng(2)
    modes = {"op by op": dd.sincos, "jit": jax.jit(dd.sincos),
             "jit(vmap)": jax.jit(jax.vmap(dd.sincos))}
    for where, draw in TRIG_RANGES.items():
        hi = draw(rng)
        lo = hi * 1e-17 * rng.uniform(-0.5, 0.5, 64)
        x = DD(jnp.asarray(hi), jnp.asarray(lo))
        exact = [value(hi[k], lo[k]) for k in range(64)]
        tiny = where.startswith("tiny")
        line = []
        for mode, g in modes.items():
            ctx = jax.disable_jit() if mode == "op by op" else contextlib.nullcontext()
            with ctx:
                out = g(x)
            for name, o, ref in (("sin", out[0], mpmath.sin), ("cos", out[1], mpmath.cos)):
                scale = [abs(ref(v)) if tiny and name == "sin" else 1 for v in exact]
                e = max(abs(value(o.hi[k], o.lo[k]) - ref(exact[k])) / scale[k]
                        for k in range(64))
                line.append(f"{mode} {name} {mpmath.nstr(e, 3):>9s}")
        print(f"sincos {where:18s} " + "  ".join(line))


def mean_objective(steps: int = 4, delta: float = 0.076) -> None:
    lrs = np.array([0.3, 0.31, 0.2, 0.05])
    for objective in ("mean", "final"):
        meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=delta), "sgd", steps=steps,
                           objective=objective, divergence=None)
        hi, lo, _ = precise.evaluate(meta, {"lr": (lrs, np.zeros(4))})
        errs = []
        for h, low, lr in zip(hi, lo, lrs, strict=True):
            x, k, d, total = mpmath.mpf(10), 2 * mpmath.pi, mpmath.mpf(delta), 0
            for _ in range(steps):
                total += x * x + d * mpmath.cos(k * x)
                x = x - mpmath.mpf(float(lr)) * (2 * x - d * k * mpmath.sin(k * x))
            want = total / steps if objective == "mean" else x * x + d * mpmath.cos(k * x)
            errs.append(abs(value(h, low) - want) / abs(want))
        print(f"cosine_quadratic sgd {steps} steps, objective {objective}: max relative error "
              f"{mpmath.nstr(max(errs), 3)}")


if __name__ == "__main__":
    with jax.enable_x64(True):
        ops()
        trig()
    mean_objective()
