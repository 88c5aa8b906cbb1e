"""The study's 1-D non-convex loss."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from metaloss._src.fastmath import sincos
from metaloss._src.problems.base import Problem
from metaloss._src.spec import register


def wavy_loss(x):
    """``log(x^2 + 1 + sin(3x)) + 1.5``; the argument of the log is > 0.25 everywhere.

    The plain formula, differentiated by JAX: the reference for :func:`wavy_loss_fast`.
    """
    return jnp.log(x**2 + 1.0 + jnp.sin(3.0 * x)) + 1.5


@jax.custom_jvp
def wavy_loss_fast(x):
    """:func:`wavy_loss` with ``sin 3x`` and ``cos 3x`` from one shared range reduction.

    Same values to a few float32 ulp (float64 inputs give the plain formula's
    values exactly, see :mod:`metaloss._src.fastmath`). The derivative rule,
    ``(2x + 3 cos 3x) / (x^2 + 1 + sin 3x)``, reuses the sine and cosine the value
    needs, so a value-and-gradient costs one :func:`~metaloss._src.fastmath.sincos`, one
    log and one division. Differentiable to any order.
    """
    s, _ = sincos(3.0 * x)
    return jnp.log(x * x + 1.0 + s) + 1.5


@wavy_loss_fast.defjvp
def _wavy_loss_fast_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    s, c = sincos(3.0 * x)
    u = x * x + 1.0 + s
    return jnp.log(u) + 1.5, (2.0 * x + 3.0 * c) / u * dx


@register("problem", "wavy1d")
@dataclasses.dataclass(frozen=True)
class Wavy1D(Problem):
    """``f(x) = log(x^2 + 1 + sin 3x) + 1.5`` started from ``x0`` (the study's -4).

    Two minima: a global one near x = -0.5 (f close to 0) and a local one near
    x = 1.5 (f close to 2). Deterministic: the key is ignored.

    Args:
      x0: the starting point.
      fast: compute the loss and its gradient with :func:`wavy_loss_fast` (several
        times faster on CPU, equal to a few float32 ulp per step); ``False`` uses
        the plain formula :func:`wavy_loss`. Long unrolls are chaotic in places, so
        there the two may end far apart, as any two float32 codes would.
    """

    x0: float = -4.0
    fast: bool = True

    def init(self, key=None):
        return jnp.asarray(self.x0, dtype=jnp.result_type(float))

    def loss(self, params, key=None):
        return wavy_loss_fast(params) if self.fast else wavy_loss(params)
