"""Unbiased online recurrent optimization: RTRL's tangent kept as a random rank-one product.

Tallec & Ollivier, "Unbiased Online Recurrent Optimization" (ICLR 2018; arXiv 2017); one
of the online estimators the PES paper compares (Vicol, Metz & Sohl-Dickstein, ICML 2021).
:class:`~metaloss._src.estimators.rtrl.RTRL` carries the full tangent ``d state / d theta``
(``n x d`` numbers); UORO carries ``s~ theta~^T``, a rank-one matrix whose expectation is
that tangent, so its cost is that of one forward and one reverse pass per window whatever
``d``. Per window ``z' = F(z, theta)`` of ``K`` inner steps with window loss ``L``:

- the gradient estimate is ``(dL/dz . s~) theta~ + dL/dtheta``, the tangent's effect
  through the window's start plus the window's own (``L``'s direct dependence);
- the product is pushed through the window and a fresh random direction added: with
  ``nu`` a vector of independent random signs,
  ``s~ <- rho0 (dF/dz) s~ + rho1 nu`` and ``theta~ <- theta~ / rho0 + nu^T (dF/dtheta) / rho1``.

The cross terms ``nu`` times the old product vanish in expectation and ``E[nu nu^T] = I``,
so ``E[s~ theta~^T]`` stays the exact tangent for any positive ``rho0, rho1``; the
paper's choice ``rho0 = sqrt(|theta~| / |(dF/dz) s~|)``, ``rho1 = sqrt(|nu^T dF/dtheta| /
|nu|)`` balances the two factors' norms, which keeps the variance low. Summed over the
windows of one run at a fixed ``theta`` the estimate is unbiased for the run's gradient;
its variance grows with the state's size and the run's length.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.estimators.base import Estimator
from metaloss._src.estimators.truncated import Windowed, check_window, run_window
from metaloss._src.measures import dynamic_leaves, with_dynamic_leaves
from metaloss._src.spec import register
from metaloss._src.unroll import InnerState, tree_where

EPS = 1e-7
"""Added to the norms in ``rho0`` and ``rho1`` (the paper's epsilon), so a zero factor
(as at a run's start) gives finite ratios."""


class UOROState(NamedTuple):
    """The inner run and the two factors of its tangent's rank-one estimate.

    Attributes:
      inner: :class:`~metaloss.InnerState` of the current run.
      state_factor: ``(n,)``: ``s~``, over the run's floating-point parameter and optimizer
        leaves, flattened.
      theta_factor: ``(d,)``: ``theta~``, over the outer coordinates, flattened.
    """

    inner: InnerState
    state_factor: jax.Array
    theta_factor: jax.Array


@register("estimator", "uoro")
@dataclasses.dataclass(frozen=True)
class UORO(Windowed, Estimator):
    """Online gradient of each ``K``-step window with a random rank-one tangent.

    Use it where :class:`RTRL`'s ``coordinates x state`` tangent is too large: it is
    unbiased like RTRL (and PES) at a forward and a reverse pass per window, but noisy,
    more so for large states and long runs. On small systems RTRL is exact and cheaper.

    Args:
      K: window length in inner steps.

    State: :class:`UOROState`.
    """

    K: int = 1

    label_fields = ("K",)

    def __post_init__(self):
        check_window("UORO", self.K)

    def _fresh(self, meta, key, d):
        inner = meta.init_state(key)
        z = ravel_pytree(dynamic_leaves(inner))[0]
        dtype = jnp.result_type(float)
        return UOROState(inner, jnp.zeros(z.shape, dtype), jnp.zeros((d,), dtype))

    def init(self, meta, space, coords, key):
        return self._fresh(meta, key, ravel_pytree(coords)[0].size)

    def estimate(self, meta, space, coords, key, state):
        theta, rebuild = ravel_pytree(coords)
        z0, unravel = ravel_pytree(dynamic_leaves(state.inner))
        k_sign, k_fresh = jax.random.split(key)
        s_f = state.state_factor.astype(z0.dtype)
        th_f = state.theta_factor.astype(theta.dtype)

        def window(th, z):
            start = with_dynamic_leaves(state.inner, unravel(z))
            loss, new = run_window(meta, space.to_hparams(rebuild(th)), start, self.K)
            return (loss, ravel_pytree(dynamic_leaves(new))[0]), new

        # forward along the state factor: dL/dz . s~ and (dF/dz) s~
        (loss, z1), (dloss_s, pushed), new = jax.jvp(
            lambda z: window(theta, z), (z0,), (s_f,), has_aux=True)
        # reverse in theta: dL/dtheta and nu^T dF/dtheta, one linearisation for both
        _, pull = jax.vjp(lambda th: window(th, z0)[0], theta)
        nu = jax.random.rademacher(k_sign, z1.shape, z1.dtype)
        (direct,) = pull((jnp.ones_like(loss), jnp.zeros_like(z1)))
        (nu_f,) = pull((jnp.zeros_like(loss), nu))
        grad = dloss_s * th_f + direct
        rho0 = jnp.sqrt((jnp.linalg.norm(th_f) + EPS) / (jnp.linalg.norm(pushed) + EPS))
        rho1 = jnp.sqrt((jnp.linalg.norm(nu_f) + EPS) / (jnp.linalg.norm(nu) + EPS))
        fresh = self._fresh(meta, k_fresh, theta.size)
        carried = UOROState(new, (rho0 * pushed + rho1 * nu).astype(fresh.state_factor.dtype),
                            (th_f / rho0 + nu_f / rho1).astype(fresh.theta_factor.dtype))
        out = tree_where(new.step >= meta.horizon, fresh, carried)
        return loss, rebuild(grad), out
