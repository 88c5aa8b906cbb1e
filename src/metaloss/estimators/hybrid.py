"""The ES / pathwise hybrid: two estimates of one smoothed gradient, weighted by variance.

Metz, Maheswaranathan, Nixon, Freeman & Sohl-Dickstein, "Understanding and
correcting pathologies in the training of learned optimizers" (ICML 2019). The
gradient of the smoothed loss ``E[L(theta + std * z)]`` has two unbiased
estimators from the same perturbed unrolls: the ES (score-function) estimate,
which needs only losses and stays bounded on chaotic unrolls, and the pathwise
(reparameterisation) estimate ``E[grad L(theta + std * z)]``, which has low
variance where the unroll is smooth and explodes where it is chaotic. Weighting
each coordinate by the inverse of its estimated variance picks, point by point,
whichever is currently the better of the two.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss.errors import check_int, check_positive
from metaloss.estimators.base import Estimator, outer_fn
from metaloss.spec import register


def inverse_variance(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Per-coordinate inverse-variance combination of two sets of samples.

    Args:
      a, b: ``(n, d)`` samples of two estimators of the same ``d``-vector.

    Returns:
      ``(combined, weight of a)``, each ``(d,)``. A coordinate where ``a`` has a
      non-finite sample uses ``b`` alone; where both variances vanish, their means
      are averaged.
    """
    n = a.shape[0]
    mean_a, mean_b = jnp.mean(a, axis=0), jnp.mean(b, axis=0)
    var_a = jnp.var(a, axis=0, ddof=1) / n
    var_b = jnp.var(b, axis=0, ddof=1) / n
    total = var_a + var_b
    w = jnp.where(total > 0, var_b / jnp.where(total > 0, total, 1.0), 0.5)
    w = jnp.where(jnp.isfinite(var_a) & jnp.isfinite(w), w, 0.0)
    safe_a = jnp.where(w > 0, mean_a, 0.0)  # 0 * inf would poison the sum
    return w * safe_a + (1.0 - w) * mean_b, w


@register("estimator", "hybrid")
@dataclasses.dataclass(frozen=True)
class Hybrid(Estimator):
    """``pairs`` antithetic pairs, each giving an ES and a pathwise sample, combined.

    Per pair ``(theta + std e, theta - std e)``: the ES sample
    ``e (L+ - L-) / (2 std)`` and the pathwise sample ``(grad L+ + grad L-) / 2``
    (reverse mode through each perturbed unroll). Each coordinate's two means are
    combined by inverse empirical variance (their variances estimated across the
    pairs), so ``pairs`` must be at least 2. The weights come from the same samples,
    which makes the combination slightly biased at few pairs; the paper accepts
    that for the variance it saves.

    Use it on unrolls that are smooth in places and chaotic in others: it behaves
    like backprop through perturbed unrolls where that is reliable and like ES
    elsewhere, at the cost of a backward pass per evaluation.

    Args:
      std: perturbation scale, in outer coordinates.
      pairs: antithetic pairs per estimate (>= 2).
    """

    std: float = 0.1
    pairs: int = 4

    label_fields = ("std", "pairs")

    def __post_init__(self):
        check_positive("Hybrid std", self.std)
        check_int("Hybrid pairs", self.pairs, minimum=2)

    def smoothing(self):
        return self.std

    def samples(self, meta, space, coords, key):
        """``(losses (2 pairs,), ES samples (pairs, d), pathwise samples (pairs, d))``."""
        k_noise, k_inner = jax.random.split(key)
        theta, unravel = ravel_pytree(coords)
        half = jax.random.normal(k_noise, (self.pairs, theta.shape[0]), theta.dtype)
        eps = jnp.concatenate([half, -half])
        f = outer_fn(meta, space)

        def one(e):
            loss, g = jax.value_and_grad(lambda t: f(unravel(t), k_inner))(theta + self.std * e)
            return loss, g

        losses, grads = jax.vmap(one)(eps)
        es = half * ((losses[: self.pairs] - losses[self.pairs:]) / (2 * self.std))[:, None]
        pathwise = (grads[: self.pairs] + grads[self.pairs:]) / 2
        return losses, es, pathwise

    def estimate(self, meta, space, coords, key, state):
        losses, es, pathwise = self.samples(meta, space, coords, key)
        grad, _ = inverse_variance(pathwise, es)
        return jnp.mean(losses), ravel_pytree(coords)[1](grad), state

    def inner_steps(self, meta):
        return 2 * self.pairs * meta.steps
