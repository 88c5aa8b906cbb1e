"""Cheaper compilation of JAX's random numbers on the XLA CPU backend.

When to use it: programs that draw random numbers (``jax.random.split``,
``normal``, ``fold_in``) and are compiled more often than they run long, as in a
cold ``metaloss compare``. Every call of the Threefry-2x32 hash behind them is
lowered for the CPU as a rolled loop of its five round groups, which XLA:CPU
compiles into a loop and several separately compiled kernels: on this project's
2-core machine one ``jax.random.split`` took 0.7 s of compilation CPU, a
``jnp.sin`` 0.04 s. The straight-line lowering, the one JAX uses on every other
backend, fuses into one kernel and compiled 3-4x faster in the same measurement
(``benchmarks/NOTES.md``, 2026-12-03). The hash, and so every random number, is
the same bit for bit (``tests/core/test_fastrng.py`` checks it against the rolled
lowering and against the known-answer vector of Salmon et al., "Parallel Random
Numbers: As Easy as 1, 2, 3", SC 2011).

It changes a process-wide setting of JAX, so the library never calls it on
import: the command line does, at start, as it turns on the compilation cache.
"""

from __future__ import annotations


def straight_threefry_on_cpu() -> bool:
    """Lowers JAX's Threefry-2x32 hash for the CPU without a loop, from now on, in this
    process; programs compiled earlier are unaffected. Returns whether it could: the
    rule lives in JAX's private modules, and a JAX without them keeps its own lowering
    (slower to compile, same numbers)."""
    from jax.extend.random import threefry2x32_p
    from jax.interpreters import mlir

    try:
        from jax._src.random import threefry2x32 as threefry
    except ImportError:
        return False
    rule = getattr(threefry, "_threefry2x32_lowering_rule", None)
    if rule is None:
        return False
    mlir.register_lowering(threefry2x32_p, rule, platform="cpu")
    return True
