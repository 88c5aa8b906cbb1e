"""The study's 1-D non-convex loss."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from metaloss.problems.base import Problem


def wavy_loss(x):
    """``log(x^2 + 1 + sin(3x)) + 1.5``; the argument of the log is > 0.25 everywhere."""
    return jnp.log(x**2 + 1.0 + jnp.sin(3.0 * x)) + 1.5


@dataclasses.dataclass(frozen=True)
class Wavy1D(Problem):
    """``f(x) = log(x^2 + 1 + sin 3x) + 1.5`` started from ``x0`` (the study's -4).

    Two minima: a global one near x = -0.5 (f close to 0) and a local one near
    x = 1.5 (f close to 2). Deterministic: the key is ignored.
    """

    x0: float = -4.0

    def init(self, key=None):
        return jnp.asarray(self.x0, dtype=jnp.result_type(float))

    def loss(self, params, key=None):
        return wavy_loss(params)
