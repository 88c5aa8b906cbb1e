"""Exact outer gradients by forward-mode differentiation (``jax.jvp``) through the unroll.

Forward-mode hypergradients as in Franceschi, Donini, Frasconi & Pontil, "Forward
and Reverse Gradient-Based Hyperparameter Optimization" (ICML 2017), the
real-time recurrent learning of Williams & Zipser (1989) applied to training:
the tangent of the inner state with respect to each hyperparameter is carried
along the unroll, so nothing is stored per step.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.spec import register


@register("estimator", "forward")
@dataclasses.dataclass(frozen=True)
class Forward(Estimator):
    """Value and gradient of the outer loss, one ``jvp`` per outer coordinate.

    Same numbers as :class:`Backprop` (to float64 precision), different costs:
    memory independent of the unroll length, compute proportional to the number
    of outer coordinates. Use it for few hyperparameters over long unrolls, where
    reverse mode would store every inner step.
    """

    def estimate(self, meta, space, coords, key, state):
        f = outer_fn(meta, space)
        theta, unravel = ravel_pytree(coords)

        def along(direction):
            return jax.jvp(lambda t: f(unravel(t), key), (theta,), (direction,))

        # The jvps are vmapped: every coordinate's tangent rides the same unroll.
        losses, derivs = jax.vmap(along)(jnp.eye(theta.shape[0], dtype=theta.dtype))
        return losses[0], unravel(derivs), state

    def follows_horizon(self):
        return True
