"""Truncated evolution strategies: antithetic ES over one window of a persistent run.

The biased online ES that PES corrects (Vicol, Metz & Sohl-Dickstein, ICML 2021;
learned_optimization's ``TruncatedES``). Each of ``pairs`` inner runs persists across
calls. A call draws a fresh perturbation ``e`` per run, continues the run for one
window of ``K`` steps twice from the *same* state, at ``theta + std e`` and at
``theta - std e``, and weights the difference of the two window losses by ``e``. The
run then continues from where the positive member ended (as learned_optimization's
``TruncatedES`` does; the PES paper's own code advances it at the unperturbed
``theta`` instead, a difference of order ``std``).

Since both members start from one state, the window sees only its own perturbation:
the effect of ``theta`` on the state the window starts from is ignored, so truncated
ES is, like truncated backprop, an estimate of the short-horizon gradient (smoothed),
not of the outer loss's. It has much less variance than PES.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.estimators.es import check_sampling
from metaloss._src.estimators.pes import AntitheticParticles
from metaloss._src.estimators.truncated import check_window
from metaloss._src.spec import register
from metaloss._src.unroll import tree_where


@register("estimator", "truncated_es")
@dataclasses.dataclass(frozen=True)
class TruncatedES(AntitheticParticles):
    """Antithetic truncated ES over windows of ``K`` steps of ``pairs`` persistent runs.

    ``grad = mean_i e_i (F(theta + std e_i; s_i) - F(theta - std e_i; s_i)) / (2 std)``,
    ``F(.; s)`` the window's loss continuing run state ``s``. Averaged over the windows
    of one inner run at fixed ``theta`` its expectation is the smoothed *window*
    gradient, which truncation biases exactly as it biases :class:`TruncatedBackprop`.

    Use it as a cheap, low-variance online ES where the short-horizon gradient is good
    enough; use :class:`PES` when the long-horizon effect of the hyperparameters matters.

    Args:
      std: perturbation scale, in outer coordinates.
      pairs: independent runs, each evaluated at an antithetic pair per window.
      K: window length in inner steps.

    State: the runs' :class:`~metaloss.InnerState`, leading axis ``(pairs,)``.
    """

    std: float = 0.1
    pairs: int = 1
    K: int = 10

    label_fields = ("std", "pairs", "K")

    def __post_init__(self):
        check_sampling("TruncatedES", self.std, self.pairs)
        check_window("TruncatedES", self.K)

    def _fresh(self, meta, key, d, dtype):
        one = meta.init_state(key)
        return jax.tree.map(lambda x: jnp.broadcast_to(x, (self.pairs, *x.shape)), one)

    def estimate(self, meta, space, coords, key, state):
        k_noise, k_restart = jax.random.split(key)
        theta, rebuild = ravel_pytree(coords)
        eps = jax.random.normal(k_noise, (self.pairs, theta.shape[0]), theta.dtype)
        both = jax.tree.map(lambda x: jnp.broadcast_to(x, (2, *x.shape)), state)
        losses, inner = self.windows(meta, space, theta, rebuild, eps, both)
        grad = jnp.mean(eps * ((losses[0] - losses[1]) / (2 * self.std))[:, None], axis=0)
        positive = jax.tree.map(lambda x: x[0], inner)
        done = positive.step[0] >= meta.horizon
        new = tree_where(done, self._fresh(meta, k_restart, 0, theta.dtype), positive)
        return jnp.mean(losses), rebuild(grad), new
