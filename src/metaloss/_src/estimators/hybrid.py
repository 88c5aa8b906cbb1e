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

from metaloss._src.errors import MAX_PAIRS, check_int, check_positive
from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.spec import register


def variance_weight(a: jax.Array, b: jax.Array) -> jax.Array:
    """Per-coordinate inverse-variance weight of ``a`` against ``b``.

    Args:
      a, b: ``(n, d)`` samples (n >= 2) of two estimators of the same ``d``-vector.

    Returns:
      ``(d,)``: ``var(b) / (var(a) + var(b))`` of their means; 0 where ``a`` has a
      non-finite sample, 0.5 where both variances vanish.
    """
    var_a, var_b = jnp.var(a, axis=0, ddof=1), jnp.var(b, axis=0, ddof=1)
    total = var_a + var_b
    w = jnp.where(total > 0, var_b / jnp.where(total > 0, total, 1.0), 0.5)
    return jnp.where(jnp.isfinite(var_a) & jnp.isfinite(w), w, 0.0)


def combine(w: jax.Array, a: jax.Array, b: jax.Array) -> jax.Array:
    """``w * mean(a) + (1 - w) * mean(b)`` per coordinate; ``mean(b)`` where ``w`` is 0
    or ``mean(a)`` is not finite (``0 * inf`` must not poison the sum)."""
    mean_a, mean_b = jnp.mean(a, axis=0), jnp.mean(b, axis=0)
    use_a = (w > 0) & jnp.isfinite(mean_a)
    return jnp.where(use_a, w * jnp.where(use_a, mean_a, 0.0) + (1.0 - w) * mean_b, mean_b)


def inverse_variance(a: jax.Array, b: jax.Array, *, crossfit: bool = False
                     ) -> tuple[jax.Array, jax.Array]:
    """Inverse-variance combination of two sets of ``(n, d)`` samples, per coordinate.

    By default (as in the paper) the weights come from the samples whose means they
    combine: robust, since a set with a huge mean also has a huge variance and gets
    no weight, but biased by the correlation between weights and means, which
    shrinks as ``1 / n``. With ``crossfit`` (``n >= 4``) the weights of each half of
    the rows combine the other half's means and the two results are averaged: weights
    independent of the means keep the combination unbiased when ``a`` and ``b`` are,
    but a half whose few heavy-tailed samples happen to agree can hand full weight
    to the other half's explosive mean.

    Returns:
      ``(combined (d,), weight of a (d,))``.
    """
    if not crossfit:
        w = variance_weight(a, b)
        return combine(w, a, b), w
    h = a.shape[0] // 2
    w1, w2 = variance_weight(a[:h], b[:h]), variance_weight(a[h:], b[h:])
    g = (combine(w1, a[h:], b[h:]) + combine(w2, a[:h], b[:h])) / 2
    return g, (w1 + w2) / 2


@register("estimator", "hybrid")
@dataclasses.dataclass(frozen=True)
class Hybrid(Estimator):
    """``pairs`` antithetic pairs, each giving an ES and a pathwise sample, combined.

    Per pair ``(theta + std e, theta - std e)``: the ES sample
    ``e (L+ - L-) / (2 std)`` and the pathwise sample ``(grad L+ + grad L-) / 2``
    (forward mode through each perturbed unroll). Each coordinate's two means are
    combined by inverse empirical variance, their variances estimated across the
    pairs (see :func:`inverse_variance`). As in the paper, the weights come from the
    samples they weigh: robust where the pathwise samples explode, but biased by
    ``O(1 / pairs)`` (2.6% of the smoothed gradient's norm at the study's start with
    4 pairs, measured over 2048 estimates). ``crossfit=True`` removes that bias by
    weighing each half of the pairs with the other half's weights, at the price of
    occasional huge estimates where the unroll is chaotic (on a 24 x 24 map of the
    study's box with 4 pairs, a median variance of 7e11 per estimate).

    Use it on unrolls that are smooth in places and chaotic in others: it behaves
    like backprop through perturbed unrolls where that is reliable and like ES
    elsewhere, at the cost of a backward pass per evaluation.

    Args:
      std: perturbation scale, in outer coordinates.
      pairs: antithetic pairs per estimate (>= 2; >= 4 with ``crossfit``).
      crossfit: unbiased cross-fitted weights instead of the paper's.
    """

    std: float = 0.1
    pairs: int = 4
    crossfit: bool = False

    label_fields = ("std", "pairs")

    def __post_init__(self):
        check_positive("Hybrid std", self.std)
        check_int("Hybrid pairs", self.pairs, minimum=4 if self.crossfit else 2,
                  limit=MAX_PAIRS, hint="use fewer pairs and more outer steps")

    def smoothing(self):
        return self.std

    def samples(self, meta, space, coords, key):
        """``(losses (2 pairs,), ES samples (pairs, d), pathwise samples (pairs, d))``."""
        k_noise, k_inner = jax.random.split(key)
        theta, unravel = ravel_pytree(coords)
        half = jax.random.normal(k_noise, (self.pairs, theta.shape[0]), theta.dtype)
        eps = jnp.concatenate([half, -half])
        f = outer_fn(meta, space)
        basis = jnp.eye(theta.shape[0], dtype=theta.dtype)

        def one(e):
            # Forward mode, one tangent per outer coordinate: outer coordinates are few
            # hyperparameters, and no residuals of the unroll are stored.
            def along(v):
                return jax.jvp(lambda t: f(unravel(t), k_inner), (theta + self.std * e,), (v,))

            losses, derivs = jax.vmap(along)(basis)
            return losses[0], derivs

        losses, grads = jax.vmap(one)(eps)
        es = half * ((losses[: self.pairs] - losses[self.pairs:]) / (2 * self.std))[:, None]
        pathwise = (grads[: self.pairs] + grads[self.pairs:]) / 2
        return losses, es, pathwise

    def estimate(self, meta, space, coords, key, state):
        losses, es, pathwise = self.samples(meta, space, coords, key)
        grad, _ = inverse_variance(pathwise, es, crossfit=self.crossfit)
        return jnp.mean(losses), ravel_pytree(coords)[1](grad), state

    def inner_steps(self, meta):
        return 2 * self.pairs * meta.steps

    def follows_horizon(self):
        return True
