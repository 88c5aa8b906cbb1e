"""Inner training in double-double: the divergence flags and mean loss of plain and
momentum SGD on Liu's ``cosine_quadratic``, with the learning rate (and momentum) as
double-double values, so windows far narrower than float64 resolves keep distinct
points.

Same rule as :mod:`metaloss._src.unroll`: the loss at the parameters before each of
the ``steps`` updates is checked; once it is not finite or exceeds
``factor * (|L0| + 1)`` the run is diverged, frozen, and records that threshold.

This is the self-contained double-double route (issue 24); only problems and
optimizers whose update it writes out are supported, and others are refused.
"""

from __future__ import annotations

from fractions import Fraction

import jax
import jax.numpy as jnp

from metaloss._src.errors import InputError
from metaloss._src.precision import dd

SUPPORTED = {"problems": ("CosineQuadratic",), "optimizers": ("SGD", "SGDM")}
_TWO_PI = dd._PI_2 * 4


def _cosine_parts(problem):
    delta, lam = float(problem.delta), float(problem.lam)
    k = dd.from_fraction(_TWO_PI / Fraction(lam))  # 2 pi / lam, rounded once to DD

    def loss_and_grad(x: dd.DD):
        kk = dd.DD(jnp.float64(k[0]), jnp.float64(k[1]))
        s, c = dd.sincos(dd.mul(kk, x))
        loss = dd.add(dd.square(x), dd.mul_float(c, delta))
        grad = dd.sub(dd.scale(x, 2.0), dd.mul_float(dd.mul(kk, s), delta))
        return loss, grad

    return float(problem.x0), loss_and_grad


def check_supported(problem, optimizer) -> None:
    """Raise :class:`InputError` unless the pair has a double-double route."""
    pname, oname = type(problem).__name__, type(optimizer).__name__
    if pname not in SUPPORTED["problems"] or oname not in SUPPORTED["optimizers"]:
        raise InputError(
            f"precision 'double-double' supports problems {', '.join(SUPPORTED['problems'])}"
            f" with optimizers {', '.join(SUPPORTED['optimizers'])}; got {pname} with {oname}")


def run(problem, optimizer, steps: int, lr: dd.DD, momentum: dd.DD | None = None,
        factor: float = 1e3):
    """``(mean_loss, diverged)`` per point; ``lr`` (and ``momentum`` for SGDM) are DD
    arrays of one shape. Needs x64 mode."""
    check_supported(problem, optimizer)
    x0, loss_and_grad = _cosine_parts(problem)
    heavy = type(optimizer).__name__ == "SGDM"
    if heavy and momentum is None:
        momentum = dd.lift(jnp.full_like(lr.hi, optimizer.defaults["momentum"]))
    x = dd.lift(jnp.full_like(lr.hi, x0))
    v = dd.lift(jnp.zeros_like(lr.hi))
    loss0 = loss_and_grad(x)[0].hi
    threshold = factor * (jnp.abs(loss0) + 1.0)

    def step(carry, _):
        x, v, diverged, total = carry
        loss, grad = loss_and_grad(x)
        diverged = diverged | ~jnp.isfinite(loss.hi) | (loss.hi > threshold)
        total = total + jnp.where(diverged, threshold, loss.hi)
        v_new = dd.add(dd.mul(momentum, v), grad) if heavy else grad
        x_new = dd.sub(x, dd.mul(lr, v_new))
        x = dd.where(diverged, x, x_new)
        v = dd.where(diverged, v, v_new)
        return (x, v, diverged, total), None

    init = (x, v, jnp.zeros(lr.hi.shape, bool), jnp.zeros_like(lr.hi))
    (_, _, diverged, total), _ = jax.lax.scan(step, init, None, length=steps)
    return total / steps, diverged


def linspace(start: str, stop: str, num: int) -> dd.DD:
    """``num`` points from ``start`` to ``stop`` (decimal strings, every digit kept),
    each rounded once to the nearest double-double, as a DD of arrays."""
    a, b = Fraction(start), Fraction(stop)
    pts = [dd.from_fraction(a + (b - a) * i / max(num - 1, 1)) for i in range(num)]
    return dd.DD(jnp.asarray([p[0] for p in pts]), jnp.asarray([p[1] for p in pts]))
