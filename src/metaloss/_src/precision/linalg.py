"""Reductions and products of double-double arrays. Sums are pairwise (tree)
additions: a sum of ``n`` terms costs ``n - 1`` double-double additions in ``log2 n``
rounds, each rounding once at double-double precision (error ``~ log2(n) 2^-104``
relative to the sum of magnitudes). Matrix products are compensated dot products
(Dot2 of Ogita, Rump & Oishi): exact products of the high parts, summed by
two-sum with the errors carried in float64, cross terms by float64 matrix products."""

from __future__ import annotations

import jax
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


def _split(a):
    """Veltkamp's split of ``a`` into halves of 26 bits: ``a == hi + lo``."""
    a = dd._barrier(a)
    t = dd._barrier(dd._SPLITTER * a)
    hi = t - (t - a)
    return hi, a - hi


def _accumulate(x, y):
    """The compensated-sum step: ``s`` by two-sum, its error and the carried
    corrections summed in float64 (Ogita, Rump & Oishi, "Accurate sum and dot
    product", SIAM J. Sci. Comput. 26, 2005, Sum2)."""
    (s1, c1, d1), (s2, c2, d2) = x, y
    s, e = dd.two_sum(s1, s2)
    c, f = dd.two_sum(c1, c2 + e)
    return s, c, d1 + (d2 + f)


_BLOCK = 8
"""Terms per reduction: XLA CPU unrolls and vectorizes a variadic reduction over at most
8 terms; over more it emits a scalar loop (3x the time for a 72-term contraction)."""


def _reduce(states, axis: int):
    """The compensated sum of ``states`` (``(s, c, d)`` arrays) over ``axis``: blocks of
    :data:`_BLOCK` terms first, then the block sums (a second level of padded blocks
    cost more than it saved: a pass that XLA left scalar)."""
    zero = jnp.zeros((), states[0].dtype)
    k = states[0].shape[axis]
    if k > _BLOCK:
        blocks = -(-k // _BLOCK)
        pad = [(0, 0)] * states[0].ndim
        pad[axis] = (0, blocks * _BLOCK - k)
        shape = (*states[0].shape[:axis], blocks, _BLOCK, *states[0].shape[axis + 1:])
        states = [jnp.pad(v, pad).reshape(shape) for v in states]
        states = jax.lax.reduce(tuple(states), (zero, zero, zero), _accumulate, (axis + 1,))
    return jax.lax.reduce(tuple(states), (zero, zero, zero), _accumulate, (axis,))


def _dot(a, b: DD) -> DD:
    """``a @ b`` for ``a`` (m, k) and ``b`` (k, n), DDs or (``a`` only) a float64
    array, as a compensated dot product: the high parts' products exact by
    Dekker's two-product (each operand split once, before it is broadcast), the
    rounded products summed by two-sum, their errors and the cross terms
    ``a.hi b.lo + a.lo b.hi`` by a second two-sum, and what that drops in float64
    (Dot2 of Ogita, Rump & Oishi, "Accurate sum and dot product", SIAM J. Sci.
    Comput. 26, 2005, with one more level). Reductions over at most 8 terms at a time
    (:func:`_reduce`), which XLA fuses with the products and vectorizes."""
    # operands and their splits computed together: one kernel per operand shape
    a_hi = a.hi if isinstance(a, DD) else a
    a, b, (ah, al), (bh, bl) = dd.materialize((a, b, _split(a_hi), _split(b.hi)))
    a_hi, a_lo = (a.hi, a.lo) if isinstance(a, DD) else (a, None)
    x, ah, al = a_hi[:, :, None], ah[:, :, None], al[:, :, None]
    y, bh, bl = b.hi[None], bh[None], bl[None]
    p = dd._barrier(x * y)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    e = e + x * b.lo[None]
    if a_lo is not None:
        e = e + a_lo[:, :, None] * y
    s, c, d = _reduce([p, e, jnp.zeros_like(p)], 1)
    return DD(*dd.two_sum(s, c + d))


def matmul(a: DD, b: DD) -> DD:
    """``a @ b`` for 2-D ``a`` (m, k) and ``b`` (k, n), a compensated dot product
    per entry (:func:`_dot`); error a few ``2^-106 sum_k |a_ik b_kj|`` (measured
    below ``1e-31`` of that sum for ``k <= 200`` in ``tests/core/test_precision_dd.py``)."""
    return _dot(a, b)


def transpose(x: DD) -> DD:
    return DD(x.hi.T, x.lo.T)


def matmul_float(a, b: DD) -> DD:
    """``a @ b`` for a float64 matrix ``a`` (m, k), exact in double-double, and a DD
    ``b`` (k, n): :func:`matmul` with ``a.lo = 0``."""
    return _dot(jnp.asarray(a, jnp.float64), b)
