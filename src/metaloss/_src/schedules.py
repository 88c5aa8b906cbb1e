"""Schedules: a value as a function of the outer step, written as specs.

Any optax schedule (a function ``step -> value``) works wherever metaloss takes a
schedule, e.g. ``ES(std=optax.exponential_decay(0.1, 1000, 0.1))``. The schedules
here are small frozen dataclasses with the same calling convention, so that they
also have a label that parses back (``es(std=geometric(start=0.1, end=0.01,
steps=3000))``) and can key compiled functions.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from metaloss._src.errors import check_int, check_positive
from metaloss._src.spec import register


@register("schedule", "geometric")
@dataclasses.dataclass(frozen=True)
class Geometric:
    """``start * (end / start) ** min(step / steps, 1)``: geometric decay (or growth)
    from ``start`` to ``end`` over ``steps`` outer steps, then constant.

    Annealing the ES perturbation scale this way (large early to see past ripples,
    small late to settle) is the graduated-optimization idea (Blake & Zisserman,
    "Visual Reconstruction", 1987; Mobahi & Fisher III, "On the link between
    Gaussian homotopy continuation and convex envelopes", 2015).
    """

    start: float
    end: float
    steps: int

    def __post_init__(self):
        check_positive("geometric start", self.start)
        check_positive("geometric end", self.end)
        check_int("geometric steps", self.steps)

    def __call__(self, step):
        frac = jnp.minimum(step / self.steps, 1.0)
        return self.start * (self.end / self.start) ** frac
