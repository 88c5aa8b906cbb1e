"""Compilation CPU of the parts of a cold ``compare`` that changed on 2026-12-03.

``rng``: single random-number programs over 128 keys, with JAX's rolled Threefry
lowering for the CPU and with :func:`metaloss._src.fastrng.straight_threefry_on_cpu`.
``sweep``: the default comparison's six gradient-sweep programs (lengths 10, 50, 200),
one copy per length against one copy per estimator (``Estimator.follows_horizon``).
Each setting runs in a fresh interpreter, so nothing compiled is shared; CPU time
includes XLA's compiler threads.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/compile_parts.py --part rng
    PYTHONPATH=src .venv/bin/python benchmarks/compile_parts.py --part sweep
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _timed(lower):
    t0 = time.process_time()
    lowered = lower()
    t1 = time.process_time()
    lowered.compile()
    return t1 - t0, time.process_time() - t1


def child_rng(straight: bool) -> dict:
    import jax
    import jax.numpy as jnp

    if straight:
        from metaloss._src.fastrng import straight_threefry_on_cpu

        straight_threefry_on_cpu()
    keys = jax.random.split(jax.random.key(0), 128)
    x = jnp.ones(128)
    programs = {
        "jnp.sin(x) * 2 (for scale)": (lambda v: jnp.sin(v) * 2, x),
        "split(k)": (lambda ks: jax.vmap(jax.random.split)(ks), keys),
        "split(split(k)[1], 5)": (lambda ks: jax.vmap(
            lambda k: jax.random.split(jax.random.split(k)[1], 5))(ks), keys),
        "normal(k, (2,))": (lambda ks: jax.vmap(lambda k: jax.random.normal(k, (2,)))(ks), keys),
        "fold_in(k, 3)": (lambda ks: jax.vmap(lambda k: jax.random.fold_in(k, 3))(ks), keys),
    }
    jax.jit(lambda v: v + 1).lower(x).compile()  # the compiler's own start-up, not counted
    return {name: sum(_timed(lambda f=f, a=a: jax.jit(f).lower(a)))
            for name, (f, a) in programs.items()}


def child_sweep(one_copy: bool) -> dict:
    import jax
    import jax.numpy as jnp

    from metaloss._src.analysis.gradients import LENGTHS, _sweep
    from metaloss._src.fastrng import straight_threefry_on_cpu
    from metaloss._src.study.settings import study_setup
    from metaloss._src.workflows.compare_settings import default_estimators

    straight_threefry_on_cpu()
    meta, space = study_setup()
    coords = {k: jnp.full(128, -1.0) for k in space.names}
    keys = jax.random.split(jax.random.key(0), 128)
    out = {}
    for est in default_estimators():
        if not one_copy:  # as an estimator of one's own that does not follow a horizon
            object.__setattr__(est, "follows_horizon", lambda: False)
        trace, compile_s = _timed(lambda est=est: _sweep.lower(
            coords, keys, meta=meta, space=space, est=est, lengths=LENGTHS))
        out[est.name] = trace + compile_s
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=("rng", "sweep"), required=True)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        fn = child_rng if args.part == "rng" else child_sweep
        print(json.dumps(fn(args.child == "1")))
        return
    env = {**os.environ, "METALOSS_CACHE_DIR": "off", "JAX_PLATFORMS": "cpu"}
    columns = (("rolled", "straight") if args.part == "rng" else ("per length", "one copy"))
    results = []
    for flag in ("0", "1"):
        proc = subprocess.run([sys.executable, __file__, "--part", args.part, "--child", flag],
                              env=env, capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"| program | {columns[0]} CPU s | {columns[1]} CPU s |\n|---|---|---|")
    for name in results[0]:
        print(f"| {name} | {results[0][name]:.2f} | {results[1][name]:.2f} |")
    print(f"| total | {sum(results[0].values()):.2f} | {sum(results[1].values()):.2f} |")


if __name__ == "__main__":
    main()
