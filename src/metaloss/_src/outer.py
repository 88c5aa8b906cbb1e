"""Outer training: an optax optimizer over outer coordinates, compiled with ``lax.scan``."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from metaloss._src.errors import MAX_STEPS, InputError, check_int
from metaloss._src.estimators.base import Estimator
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space


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


SMALL_LOOP_BYTES = 1024
"""XLA's CPU compiler turns a while loop that touches fewer bytes than this (its
default ``xla_cpu_small_while_loop_byte_threshold``) into one compiled function;
larger loops run each operation of their body as a separate task, which costs
microseconds per iteration when the body is scalar work (openxla/xla,
``xla/service/cpu/small_while_loop_hoisting_pass.cc``)."""


def _block_length(step, carry, xs, steps: int, ys=None) -> int:
    """Scan steps per block so that one block's outputs and inputs stay small.

    A divisor of ``steps`` when one is at least half as long as what fits: without
    a tail, :func:`blocked_scan` compiles the step once instead of twice (the
    step is an estimator call, the bulk of an outer loop's compilation). ``ys``:
    one step's outputs (arrays or shapes), else found by tracing ``step``.
    """
    x0 = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape[1:], a.dtype), xs)
    if ys is None:
        ys = jax.eval_shape(step, carry, x0)[1]
    per_step = sum(leaf.size * leaf.dtype.itemsize for leaf in jax.tree.leaves((ys, x0)))
    fixed = sum(leaf.size * leaf.dtype.itemsize for leaf in jax.tree.leaves(carry))
    fits = int(max(1, min(steps, (SMALL_LOOP_BYTES - fixed) // max(2 * per_step, 1))))
    divisor = max(d for d in range(1, fits + 1) if steps % d == 0)
    return divisor if 2 * divisor > fits else fits


def blocked_scan(step, carry, xs, ys=None):
    """``lax.scan(step, carry, xs)`` as a scan over blocks of a scan.

    Same results. On CPU the block loop is small enough for XLA to compile into a
    single function, so a scalar outer step costs well under a microsecond of loop
    overhead instead of several (``benchmarks/RESULTS.md``, item c); elsewhere the
    nesting is harmless. A short tail runs as a plain scan, and so does everything
    when even one step's carry is too big for a small loop. A caller that knows the
    shapes of one step's outputs passes them as ``ys``, which saves tracing ``step``
    once more just to size the blocks (a second of a warm ``compare``).
    """
    steps = jax.tree.leaves(xs)[0].shape[0]
    block = _block_length(step, carry, xs, steps, ys)
    if block == 1:
        return jax.lax.scan(step, carry, xs)
    full = steps // block * block
    parts = []
    if full:
        head = jax.tree.map(lambda a: a[:full].reshape((full // block, block) + a.shape[1:]), xs)
        carry, ys = jax.lax.scan(lambda c, x: jax.lax.scan(step, c, x), carry, head)
        parts.append(jax.tree.map(lambda a: a.reshape((full,) + a.shape[2:]), ys))
    if full < steps:
        carry, ys = jax.lax.scan(step, carry, jax.tree.map(lambda a: a[full:], xs))
        parts.append(ys)
    ys = parts[0] if len(parts) == 1 else jax.tree.map(
        lambda a, b: jnp.concatenate([a, b]), *parts)
    return carry, ys


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
        # One step's outputs: the parameters, a scalar loss, a gradient shaped like them.
        ys = (init, jax.ShapeDtypeStruct((), jnp.result_type(float)), init)
        _, (traj, losses, grads) = blocked_scan(step, (init, opt_state, est_state), keys, ys)
        traj = jax.tree.map(lambda a, t: jnp.concatenate([a[None], t]), init, traj)
        return OuterRun(traj, losses, grads)

    return train


_STATIC = ("meta", "space", "estimator", "optimizer", "steps")


@functools.partial(jax.jit, static_argnames=_STATIC)
def _train_one(init, key, *, meta, space, estimator, optimizer, steps):
    return _train_fn(meta, space, estimator, optimizer, steps)(init, key)


@functools.partial(jax.jit, static_argnames=_STATIC)
def _train_batch(init, keys, *, meta, space, estimator, optimizer, steps):
    return jax.vmap(_train_fn(meta, space, estimator, optimizer, steps))(init, keys)


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
    init, static = _prepare(meta, space, estimator, init, steps, optimizer, key)
    fn = _train_one if jnp.ndim(key) == 0 else _train_batch
    return fn(init, key, **static)


def compile_outer_train(meta: MetaLoss, space: Space, estimator: Estimator,
                        init: Mapping[str, Any], steps: int,
                        optimizer: optax.GradientTransformation, key: jax.Array):
    """Checks the arguments of :func:`outer_train` and compiles its loop ahead of time.

    Returns ``(call, init)``: ``call(init, key)`` runs the compiled loop (for a batch
    of keys, on ``init`` broadcast to the batch, as returned). Timing the two apart
    measures compilation and running separately without training twice.
    """
    init, static = _prepare(meta, space, estimator, init, steps, optimizer, key)
    fn = _train_one if jnp.ndim(key) == 0 else _train_batch
    return fn.lower(init, key, **static).compile(), init


def _prepare(meta, space, estimator, init, steps, optimizer, key):
    """Checked, converted ``init`` (broadcast to a batch of keys) and the static arguments."""
    steps = check_int("outer steps", steps, limit=MAX_STEPS,
                        hint="use fewer steps")
    if not isinstance(estimator, Estimator):
        raise InputError(f"estimator must be a metaloss estimator, got {estimator!r}")
    space.check(init)
    estimator.check(meta)
    dtype = jnp.result_type(float)
    init = {n: jnp.asarray(init[n], dtype) for n in space.names}
    meta.check(space.to_hparams({n: jax.device_get(v) for n, v in init.items()}))
    static = {"meta": meta, "space": space, "estimator": estimator, "optimizer": optimizer,
              "steps": steps}
    try:
        hash(optimizer)
    except TypeError:
        raise InputError("the outer optimizer must be hashable (an optax transformation is); "
                         f"got {type(optimizer).__name__}") from None
    if jnp.ndim(key) > 0:
        init = {k: jnp.broadcast_to(v, key.shape[:1]) for k, v in init.items()}
    return init, static
