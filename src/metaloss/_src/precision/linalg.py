"""Reductions and products of double-double arrays: sums by pairwise (tree) addition,
so a sum of ``n`` terms costs ``n - 1`` double-double additions in ``log2 n`` rounds,
each rounding once at double-double precision (error ``~ log2(n) 2^-104`` relative to
the sum of magnitudes)."""

from __future__ import annotations

import jax.numpy as jnp

from metaloss._src.precision import dd
from metaloss._src.precision.dd import DD


def sum(x: DD, axis: int = -1) -> DD:  # noqa: A001 - used qualified, linalg.sum
    """``x`` summed over ``axis`` (removed), pairwise in double-double."""
    hi, lo = jnp.moveaxis(x.hi, axis, -1), jnp.moveaxis(x.lo, axis, -1)
    n = hi.shape[-1]
    while n > 1:
        if n % 2:
            pad = [(0, 0)] * (hi.ndim - 1) + [(0, 1)]
            hi, lo = jnp.pad(hi, pad), jnp.pad(lo, pad)
            n += 1
        half = n // 2
        s = dd.add(DD(hi[..., :half], lo[..., :half]), DD(hi[..., half:], lo[..., half:]))
        hi, lo, n = s.hi, s.lo, half
    return dd.materialize(DD(hi[..., 0], lo[..., 0]))


def mean(x: DD, axis: int = -1) -> DD:
    n = x.hi.shape[axis]
    return dd.div(sum(x, axis), dd.lift(jnp.float64(n)))


def matmul(a: DD, b: DD) -> DD:
    """``a @ b`` for 2-D ``a`` (m, k) and ``b`` (k, n)."""
    a, b = dd.materialize((a, b))
    prod = dd.mul(DD(a.hi[:, :, None], a.lo[:, :, None]), DD(b.hi[None], b.lo[None]))
    return sum(prod, axis=1)


def transpose(x: DD) -> DD:
    return DD(x.hi.T, x.lo.T)


def matmul_float(a, b: DD) -> DD:
    """``a @ b`` for a float64 matrix ``a`` (m, k), exact in double-double, and a DD
    ``b`` (k, n): each product is a two-product plus one float64 product, cheaper than
    a full double-double one."""
    b = dd.materialize(b)
    a = jnp.asarray(a, jnp.float64)[:, :, None]
    p, e = dd.two_prod(a, b.hi[None])
    prod = DD(*dd.quick_two_sum(p, e + a * b.lo[None]))
    return sum(prod, axis=1)
