"""Fast, accurate float32 and float64 ``sin`` and ``cos`` from one shared range reduction.

When to use it: elementwise float32 code whose time goes into ``sin``/``cos`` on
the XLA CPU backend. XLA lowers them there to a nearly correctly rounded
(about 0.56 ulp) routine that is several times slower than NumPy's SIMD ones,
while it vectorizes plain arithmetic well. :func:`sincos` builds both values
from arithmetic XLA fuses and vectorizes: one Cody-Waite reduction shared by
sine and cosine, then short polynomials on ``[-pi/4, pi/4]``.

Method (Cody & Waite, "Software Manual for the Elementary Functions", 1980):
``k = round(x * 2/pi)``, ``r = x - k * pi/2`` with pi/2 split into four float32
parts whose first three carry 8 significant bits each, so that ``k * part`` is
exact for ``|k| < 2**16`` whether or not the compiler contracts to FMA. Then
``sin r = r + r^3 P(r^2)`` and ``cos r = 1 - r^2/2 + r^4 Q(r^2)`` with cubic
``P, Q`` fitted for minimax relative error (:func:`fit_coefficients` rebuilds
them), and quadrant ``k mod 4`` picks and signs the two.

Accuracy against float64 (``tests/test_fastmath.py``, ``benchmarks/RESULTS.md``):
at most 2.5 ulp measured for ``|x| <= 1e3`` (XLA's own: 0.6 ulp, NumPy's: 1.4),
absolute error below ``2e-7`` up to ``|x| = 1e5``. Beyond that the reduction
loses bits and the absolute error grows, to about ``1e-4`` at ``1e7``, where
float32 ``x`` itself is coarser than ``0.01`` rad.

Float64 (deep zooms need it) takes the same route with fdlibm's constants: pi/2
in four parts of 33 bits and degree-6 minimax kernels. Measured: at most 2 ulp
against NumPy for ``|x| <= 1e5`` (absolute error <= 4.4e-16), and sin + cos of
2e6 values in 36 ms against 151 ms for XLA's (4.2x). Other dtypes (float16,
bfloat16) use ``jnp.sin`` / ``jnp.cos`` unchanged; ``Wavy1D(fast=False)`` keeps
the plain functions for reference runs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

TWO_OVER_PI = np.float32(2.0 / np.pi)

# pi/2 = PIO2[0] + PIO2[1] + PIO2[2] + PIO2[3]; the first three have 8 significant
# bits (k * part is exact for |k| < 2**16), the last is float32-rounded.
PIO2 = (
    np.float32(1.5703125),
    np.float32(4.825592041015625e-4),
    np.float32(1.2665987014770508e-6),
    np.float32(9.920935184482005e-10),
)

# sin r = r + r^3 (S0 + S1 r^2 + S2 r^4); relative error < 4e-9 on [-pi/4, pi/4].
SIN_COEFFS = (
    np.float32(-0.16666655242443085),
    np.float32(0.00833216030150652),
    np.float32(-0.00019515282474458218),
)
# cos r = 1 - r^2/2 + r^4 (C0 + C1 r^2 + C2 r^4); relative error < 2e-10.
COS_COEFFS = (
    np.float32(0.04166664555668831),
    np.float32(-0.0013887316454201937),
    np.float32(2.4433154976577498e-05),
)


# float64: pi/2 as the sum of four parts (from fdlibm's k_rem_pio2/e_rem_pio2, Sun
# Microsystems 1993); the first three have 33 significant bits, so k * part is exact
# for |k| < 2**20.
PIO2_F64 = (
    1.57079632673412561417e00,
    6.07710050630396597660e-11,
    2.02226624871116645580e-21,
    8.47842766036889956997e-32,
)
# The minimax kernels of fdlibm's k_sin.c / k_cos.c on [-pi/4, pi/4]: sin r = r + r^3
# P(r^2), cos r = 1 - r^2/2 + r^4 Q(r^2), relative error below 2**-58.
SIN_COEFFS_F64 = (
    -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
    2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10,
)
COS_COEFFS_F64 = (
    4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
    -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11,
)


def _poly(z, coeffs):
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = c + z * acc
    return acc


def _sincos_poly(x: jax.Array, two_over_pi, pio2, sin_coeffs, cos_coeffs):
    dtype = x.dtype
    k = jnp.round(x * jnp.asarray(two_over_pi, dtype))
    r = x
    for part in pio2:  # Cody-Waite: each product is exact, so r keeps its low bits
        r = r - k * jnp.asarray(part, dtype)
    r2 = r * r
    coeffs = [jnp.asarray(c, dtype) for c in sin_coeffs]
    s = r + r * r2 * _poly(r2, coeffs)
    coeffs = [jnp.asarray(c, dtype) for c in cos_coeffs]
    c = (1.0 - 0.5 * r2) + (r2 * r2) * _poly(r2, coeffs)
    # Quadrant q = k mod 4: sin x = (s, c, -s, -c)[q], cos x = (c, -s, -c, s)[q].
    q = k.astype(jnp.int32) & 3
    odd = (q & 1) == 1
    sin_x = jnp.where(odd, c, s)
    cos_x = jnp.where(odd, s, c)
    sin_x = jnp.where(q >= 2, -sin_x, sin_x)
    cos_x = jnp.where((q == 1) | (q == 2), -cos_x, cos_x)
    return sin_x, cos_x


def _sincos_f32(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return _sincos_poly(x, TWO_OVER_PI, PIO2, SIN_COEFFS, COS_COEFFS)


def _sincos_f64(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return _sincos_poly(x, 2.0 / np.pi, PIO2_F64, SIN_COEFFS_F64, COS_COEFFS_F64)


@jax.custom_jvp
def sincos(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(sin x, cos x)`` elementwise, sharing one range reduction.

    Fast polynomial paths for float32 and float64, ``jnp.sin``/``jnp.cos`` for other
    dtypes.
    Differentiable to any order (the derivative rule reuses :func:`sincos`).

    Args:
      x: array of any shape.

    Returns:
      ``(sin x, cos x)``, each with the shape and dtype of ``x``.
    """
    x = jnp.asarray(x)
    if x.dtype == jnp.float32:
        return _sincos_f32(x)
    if x.dtype == jnp.float64:
        return _sincos_f64(x)
    return jnp.sin(x), jnp.cos(x)


@sincos.defjvp
def _sincos_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    s, c = sincos(x)
    return (s, c), (c * dx, -s * dx)


def sin(x: jax.Array) -> jax.Array:
    """Fast float32 ``sin`` (see :func:`sincos`)."""
    return sincos(x)[0]


def cos(x: jax.Array) -> jax.Array:
    """Fast float32 ``cos`` (see :func:`sincos`)."""
    return sincos(x)[1]


def fit_coefficients(terms: int = 3, iterations: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Refits ``SIN_COEFFS`` and ``COS_COEFFS`` (float64) by iteratively reweighted
    least squares towards minimax relative error on ``[-pi/4, pi/4]`` (Lawson's method).

    Returns:
      ``(sin_coeffs, cos_coeffs)``, each of length ``terms``.
    """
    t = np.cos(np.linspace(0.0, np.pi, 4001)) * (np.pi / 4)
    t = t[np.abs(t) > 1e-6]  # the limits at 0 are finite; the fit does not need them
    t2 = t * t
    basis = np.stack([t2**i for i in range(terms)], axis=1)
    problems = (
        ((np.sin(t) - t) / t**3, np.abs(t**3 / np.sin(t))),
        ((np.cos(t) - 1.0 + t2 / 2) / t2**2, t2**2 / np.cos(t)),
    )
    out = []
    for target, scale in problems:
        w = np.ones_like(t)
        for _ in range(iterations):
            coef, *_ = np.linalg.lstsq(basis * (w * scale)[:, None], target * w * scale,
                                       rcond=None)
            err = np.abs((basis @ coef - target) * scale)
            w = w * (err + 1e-30) ** 0.3
            w /= w.max()
        out.append(coef)
    return out[0], out[1]
