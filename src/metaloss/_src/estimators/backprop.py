"""Exact outer gradients by reverse-mode differentiation through the whole unroll.

Backpropagation through time over the inner training loop, as in Maclaurin,
Duvenaud & Adams, "Gradient-based Hyperparameter Optimization through Reversible
Learning" (ICML 2015). Exact for the sampled inner run, memory linear in the
unroll length; on long or chaotic unrolls the gradient is exact yet nearly
useless, because the outer loss is rugged at scales far below any sensible step
(Metz et al., "Gradients are Not All You Need", 2021).
"""

from __future__ import annotations

import dataclasses

import jax

from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.spec import register


@register("estimator", "backprop")
@dataclasses.dataclass(frozen=True)
class Backprop(Estimator):
    """Value and gradient of the outer loss through the full unroll.

    Use it on smooth, short unrolls, and to see why gradients mislead on long ones.
    """

    def estimate(self, meta, space, coords, key, state):
        loss, grad = jax.value_and_grad(outer_fn(meta, space))(coords, key)
        return loss, grad, state

    def follows_horizon(self):
        return True
