"""The Rosenbrock function: a curved, narrow valley with a known minimum.

Rosenbrock, "An automatic method for finding the greatest or least value of a
function", The Computer Journal 3(3), 1960. Gradient methods find the valley
quickly and crawl along it; its quartic walls make large learning rates blow up
to infinity within a few steps, which exercises the divergence path.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from metaloss._src.errors import MAX_DIM, check_int
from metaloss._src.problems.base import Problem
from metaloss._src.spec import register


@register("problem", "rosenbrock")
@dataclasses.dataclass(frozen=True)
class Rosenbrock(Problem):
    """``f(x) = sum_i b (x_{i+1} - x_i^2)^2 + (a - x_i)^2`` (the chained form for dim > 2).

    The minimum is ``x = (a, a^2, ...)`` for dim 2, and ``x = (1, ..., 1)`` for the
    default ``a = 1`` in any dimension, with ``f = 0``. The start alternates
    ``(-1.2, 1.0, -1.2, ...)``, the classic starting point. Deterministic.

    Args:
      dim: number of parameters, >= 2.
      a: the valley's position.
      b: the steepness of its walls.
    """

    dim: int = 2
    a: float = 1.0
    b: float = 100.0

    def __post_init__(self):
        check_int("Rosenbrock dim", self.dim, minimum=2, limit=MAX_DIM)

    def init(self, key=None):
        x0 = jnp.where(jnp.arange(self.dim) % 2 == 0, -1.2, 1.0)
        return x0.astype(jnp.result_type(float))

    def loss(self, params, key=None):
        x, y = params[:-1], params[1:]
        return jnp.sum(self.b * (y - x**2) ** 2 + (self.a - x) ** 2)
