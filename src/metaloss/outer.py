"""Outer training: an optax optimizer over outer coordinates, compiled with ``lax.scan``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from metaloss.estimators.base import Estimator
from metaloss.meta import MetaLoss
from metaloss.space import Space


class OuterRun(NamedTuple):
    """An outer-training trajectory.

    Attributes:
      params: name -> ``(steps + 1,)`` outer coordinates, start included
        (``(seeds, steps + 1)`` for a batch of keys).
      losses: ``(steps,)`` the estimator's loss at each step (for ES, the mean of
        its perturbed evaluations, not the true loss at the point).
      grads: name -> ``(steps,)`` the gradient estimates, before the optimizer.
    """

    params: dict[str, jax.Array]
    losses: jax.Array
    grads: dict[str, jax.Array]

    def final(self) -> dict[str, jax.Array]:
        """Outer coordinates after the last step."""
        return {k: v[..., -1] for k, v in self.params.items()}


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"outer steps must be an integer >= 1, got {steps!r}")
    return steps


def _train_fn(meta, space, estimator, optimizer, steps):
    def train(init, key):
        k_init, k_loop = jax.random.split(key)
        est_state = estimator.init(meta, space, init, k_init)
        opt_state = optimizer.init(init)

        def step(carry, k):
            params, opt_s, est_s = carry
            loss, grad, est_s = estimator.estimate(meta, space, params, k, est_s)
            updates, opt_s = optimizer.update(grad, opt_s, params)
            params = optax.apply_updates(params, updates)
            return (params, opt_s, est_s), (params, loss, grad)

        keys = jax.random.split(k_loop, steps)
        _, (traj, losses, grads) = jax.lax.scan(step, (init, opt_state, est_state), keys)
        traj = jax.tree.map(lambda a, t: jnp.concatenate([a[None], t]), init, traj)
        return OuterRun(traj, losses, grads)

    return train


_CACHE: dict[Any, Any] = {}


def outer_train(
    meta: MetaLoss,
    space: Space,
    estimator: Estimator,
    init: Mapping[str, Any],
    steps: int,
    optimizer: optax.GradientTransformation,
    key: jax.Array,
) -> OuterRun:
    """Trains outer coordinates with ``estimator`` gradients and an optax ``optimizer``.

    The whole loop is one compiled ``lax.scan``. Passing a batch of keys
    (``jax.random.split(key, n)``) runs ``n`` independent seeds in one vmapped call;
    ``init`` values are then scalars (shared) or ``(n,)`` arrays.

    Args:
      meta: the meta-loss.
      space: the parametrization; ``init`` and the trajectory are in its coordinates.
      estimator: e.g. ``estimators.Backprop()`` or ``estimators.ES(std=0.1, pairs=1)``.
      init: name -> starting outer coordinate, for every name in ``space``.
      steps: outer steps, >= 1.
      optimizer: optax transformation, e.g. ``optax.chain(optax.clip(10.0), optax.sgd(0.01))``.
      key: a typed PRNG key (``jax.random.key``) or a 1-D batch of them.

    Returns:
      :class:`OuterRun`.
    """
    steps = _check_steps(steps)
    if not isinstance(estimator, Estimator):
        raise ValueError(f"estimator must be a metaloss estimator, got {estimator!r}")
    space._check(init)
    dtype = jnp.result_type(float)
    init = {n: jnp.asarray(init[n], dtype) for n in space.names}
    meta.check(space.to_hparams({n: jax.device_get(v) for n, v in init.items()}))
    cache_key = (meta, space, estimator, optimizer, steps)
    try:
        fn = _CACHE.get(cache_key)
    except TypeError:  # an unhashable optimizer: compile for this call only
        cache_key, fn = None, None
    if fn is None:
        train = _train_fn(meta, space, estimator, optimizer, steps)
        fn = {"single": jax.jit(train), "batch": jax.jit(jax.vmap(train))}
        if cache_key is not None:
            _CACHE[cache_key] = fn
    if jnp.ndim(key) == 0:
        return fn["single"](init, key)
    n = key.shape[0]
    init = {k: jnp.broadcast_to(v, (n,)) for k, v in init.items()}
    return fn["batch"](init, key)
