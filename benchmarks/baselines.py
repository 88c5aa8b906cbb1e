"""Reference formulations the benchmark compares metaloss against.

* :func:`study_outer_loss` -- the straightforward JAX formulation: the 50-step
  Python loop unrolled under ``jit``, nested ``vmap`` over the grid, as the study
  writes it (no divergence handling: runs that blow up give inf/NaN).
* :func:`numpy_landscape` -- NumPy, vectorized over grid points, with metaloss's
  divergence rule (a run whose loss is non-finite or above ``factor * (|L0| + 1)``
  freezes and records that threshold). float32 is the second speed reference;
  float64 is the accuracy reference every speed-up is checked against.
* :func:`python_loop_driver` -- outer training driven by a Python loop that calls
  a jitted step, with the same key schedule as :func:`metaloss.outer_train`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

X0 = -4.0
THRESHOLD_FACTOR = 1e3


def study_inner_loss(x):
    return jnp.log(x**2 + 1.0 + jnp.sin(x * 3)) + 1.5


def study_outer_loss(lr, mom, steps: int = 50):
    """Mean inner loss over ``steps`` steps of ``v <- mom v + g; x <- x - lr v``."""
    value_and_grad = jax.value_and_grad(study_inner_loss)
    x = X0
    v = 0.0
    losses = []
    for _ in range(steps):
        loss, grad = value_and_grad(x)
        v = mom * v + grad
        x = x - lr * v
        losses.append(loss)
    return jnp.mean(jnp.asarray(losses))


def study_grid_fn(steps: int = 50):
    """``(lrs, moms) -> losses`` over a meshgrid: ``jit(vmap(vmap(outer_loss)))``."""
    return jax.jit(jax.vmap(jax.vmap(lambda lr, m: study_outer_loss(lr, m, steps))))


def study_sweep_fn(steps: int = 50):
    """``(lrs, mom) -> losses`` for a 1-D learning-rate sweep at fixed momentum."""
    return jax.jit(jax.vmap(lambda lr, m: study_outer_loss(lr, m, steps), in_axes=(0, None)))


def study_landscape(lrs, moms, steps: int = 50) -> np.ndarray:
    """The study's 2-D landscape, shape ``(len(lrs), len(moms))`` (lr first, like metaloss)."""
    lr_grid, mom_grid = jnp.meshgrid(jnp.asarray(lrs, jnp.float32),
                                     jnp.asarray(moms, jnp.float32), indexing="ij")
    return np.asarray(study_grid_fn(steps)(lr_grid, mom_grid))


def numpy_outer_loss(lr, mom, steps: int = 50, dtype=np.float32, factor=THRESHOLD_FACTOR):
    """Outer loss and diverged flag for arrays ``lr``, ``mom`` (broadcast), in NumPy ``dtype``.

    Mirrors metaloss's forward-only unroll: the loss and gradient at the current
    point, the divergence check, the frozen state and the recorded threshold.
    """
    lr, mom = np.broadcast_arrays(np.asarray(lr, dtype), np.asarray(mom, dtype))
    x = np.full(lr.shape, X0, dtype)
    v = np.zeros(lr.shape, dtype)
    loss0 = np.log(dtype(X0 * X0 + 1.0) + np.sin(dtype(3.0 * X0))) + dtype(1.5)
    threshold = dtype(factor) * (np.abs(loss0) + dtype(1.0))
    diverged = np.zeros(lr.shape, bool)
    total = np.zeros(lr.shape, dtype)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            y = dtype(3.0) * x
            u = x * x + dtype(1.0) + np.sin(y)
            loss = np.log(u) + dtype(1.5)
            grad = (dtype(2.0) * x + dtype(3.0) * np.cos(y)) / u
            diverged |= ~np.isfinite(loss) | (np.abs(loss) > threshold)
            total += np.where(diverged, threshold, loss)
            new_v = mom * v + grad
            new_x = x - lr * new_v
            x = np.where(diverged, x, new_x)
            v = np.where(diverged, v, new_v)
    return total / dtype(steps), diverged


def numpy_landscape(lrs, moms, steps: int = 50, dtype=np.float32, rows: int | None = None,
                    factor=THRESHOLD_FACTOR):
    """The landscape over ``lrs x moms`` in NumPy, ``rows`` learning rates at a time.

    ``factor`` is metaloss's ``Divergence.factor`` (the study's loss never reaches the
    default threshold; tests lower it to exercise the rule).
    """
    lrs, moms = np.asarray(lrs, dtype), np.asarray(moms, dtype)
    rows = rows or max(1, (1 << 16) // len(moms))  # about 64k points per pass: cache-sized
    loss = np.empty((len(lrs), len(moms)), dtype)
    diverged = np.empty((len(lrs), len(moms)), bool)
    for i in range(0, len(lrs), rows):
        block = slice(i, i + rows)
        loss[block], diverged[block] = numpy_outer_loss(lrs[block, None], moms[None, :], steps,
                                                        dtype, factor)
    return loss, diverged


def smooth_mask(lrs, moms, steps: int = 50, rel: float = 2.0**-20, tol: float = 1e-5,
                factor=THRESHOLD_FACTOR):
    """float64 reference values, and where they are insensitive at float32 resolution.

    A point counts as non-chaotic when nudging ``lr`` by a relative ``rel`` (about
    8 float32 ulp) and ``1 - momentum`` by the same relative amount both move the
    float64 outer loss by at most ``tol``, and the run did not diverge. There,
    errors measure arithmetic, not chaos amplifying the last bit.

    Returns:
      ``(reference, mask)``, each of shape ``(len(lrs), len(moms))``.
    """
    lrs, moms = np.asarray(lrs, np.float64), np.asarray(moms, np.float64)
    ref, div = numpy_landscape(lrs, moms, steps, np.float64, factor=factor)
    lr_up, _ = numpy_landscape(lrs * (1 + rel), moms, steps, np.float64, factor=factor)
    mom_up, _ = numpy_landscape(lrs, 1 - (1 - moms) * (1 + rel), steps, np.float64,
                                factor=factor)
    mask = (np.abs(lr_up - ref) <= tol) & (np.abs(mom_up - ref) <= tol) & ~div
    return ref, mask


def max_error(values, reference, mask) -> float:
    """Max ``|values - reference|`` over ``mask`` (NaN where the method gave NaN there)."""
    if not mask.any():
        return float("nan")
    return float(np.max(np.abs(np.asarray(values, np.float64)[mask] - reference[mask])))


def python_loop_driver(meta, space, estimator, optimizer):
    """Outer training as a Python loop over one jitted step (compiled once, reused).

    Returns ``train(init, steps, key) -> (final coords, losses)``, which splits keys
    exactly as :func:`metaloss.outer_train` does, so the two trajectories agree
    wherever the outer loss is smooth.
    """

    @jax.jit
    def step(params, opt_state, est_state, k):
        loss, grad, est_state = estimator.estimate(meta, space, params, k, est_state)
        updates, opt_state = optimizer.update(grad, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, est_state, loss

    def train(init, steps, key):
        dtype = jnp.result_type(float)
        params = {n: jnp.asarray(init[n], dtype) for n in space.names}
        k_init, k_loop = jax.random.split(key)
        est_state = estimator.init(meta, space, params, k_init)
        opt_state = optimizer.init(params)
        losses = []
        for k in jax.random.split(k_loop, steps):
            params, opt_state, est_state, loss = step(params, opt_state, est_state, k)
            losses.append(loss)
        return jax.block_until_ready(params), jnp.stack(losses)

    return train


def study_es_driver(steps_inner: int = 50, std: float = 0.1, lr: float = 0.01):
    """The study's own ES loop: eager noise, clipping and update around a jitted outer loss.

    Returns ``train(init, steps, key) -> final (log10 lr, log10(1 - mom))``.
    """

    @jax.jit
    def outer_loss(params):
        mom = 1.0 - jnp.power(10.0, params[1])
        return study_outer_loss(jnp.power(10.0, params[0]), mom, steps_inner)

    def train(init, steps, key):
        params = (jnp.float32(init[0]), jnp.float32(init[1]))
        for _ in range(steps):
            key, sub = jax.random.split(key)
            noise = jax.random.normal(sub, [2]) * std
            pos = outer_loss((params[0] + noise[0], params[1] + noise[1]))
            neg = outer_loss((params[0] - noise[0], params[1] - noise[1]))
            factor = (pos - neg) / (2 * std**2)
            grad = jax.tree.map(lambda g: jnp.clip(g, -10.0, 10.0),
                                (noise[0] * factor, noise[1] * factor))
            params = jax.tree.map(lambda p, g: p - lr * g, params, grad)
        return jax.block_until_ready(params)

    return train
