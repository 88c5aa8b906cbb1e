"""The one unroll: inner training as a ``lax.scan`` over steps.

Everything that trains an inner problem (landscapes, estimators, outer training,
analysis) goes through :func:`unroll`. The inner state is explicit and resumable,
so truncated estimators can continue a partial unroll where the last one stopped.

Divergence is data, not a crash. With a :class:`Divergence` policy the unroll
checks every step's loss; once it is non-finite or exceeds the threshold
``factor * (|L0| + 1)`` (``L0`` the initial loss) the run is marked diverged, its
state is frozen, and every later step records the threshold itself as its loss.
The outer loss is therefore finite and larger the earlier training blew up.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from metaloss._src.optimizers.base import HParams, InnerOptimizer
from metaloss._src.problems.base import Problem

PyTree = Any


@dataclasses.dataclass(frozen=True)
class Divergence:
    """When an inner run counts as diverged, and what it records afterwards.

    Attributes:
      factor: a step diverges when its loss is not finite or exceeds
        ``factor * (|L0| + 1)``; that threshold is also the loss recorded for every
        step from then on.
    """

    factor: float = 1e3

    def threshold(self, loss0: jax.Array) -> jax.Array:
        return self.factor * (jnp.abs(loss0) + 1.0)


class InnerState(NamedTuple):
    """Resumable inner-training state (a pytree)."""

    params: PyTree
    opt_state: PyTree
    key: jax.Array
    step: jax.Array
    loss0: jax.Array
    diverged: jax.Array
    params0: PyTree
    loss_sum: jax.Array
    """Sum of the recorded (capped) training losses so far: the ``mean`` objective's
    numerator, carried so that forward-only callers need not store every step."""
    pending: jax.Array | None = None
    """For problems with hyperparameters of their own (the start's parameters, or its
    loss and so the divergence threshold, may depend on them): whether the start is
    still to be drawn, with the hyperparameters of the first :func:`begin`.
    ``None`` (no leaf) for every other problem."""
    init_key: jax.Array | None = None
    """The key the state was made from (with ``pending``; ``None`` otherwise)."""


class StepRecord(NamedTuple):
    """What one scan step records; fields not asked for are ``None``.

    ``loss`` is the loss the step is judged by (capped after divergence): for a problem
    trained by an optimizer the training loss at the parameters before the step, for a
    system whatever its step returns (:mod:`metaloss._src.systems`). ``val_loss`` is the
    validation loss after the step, ``params`` the parameters before the step, ``step``
    the step count after it (1 for the first step; past a traced horizon, ``horizon + 1``),
    recorded with ``loss``.
    """

    loss: jax.Array | None
    val_loss: jax.Array | None
    params: PyTree | None
    step: jax.Array | None = None


def tree_where(cond: jax.Array, a: PyTree, b: PyTree) -> PyTree:
    """``a`` where ``cond`` holds, else ``b``, leaf by leaf (``cond`` broadcasts)."""
    return jax.tree.map(lambda x, y: jnp.where(cond, x, y), a, b)


def init_state(problem: Problem, optimizer: InnerOptimizer, key: jax.Array, *,
               pending: bool | None = None) -> InnerState:
    """The inner state at step 0 for a run whose randomness comes from ``key``.

    ``pending`` (for problems whose start depends on their hyperparameters) marks the
    start as drawn (``False``) or still to be drawn by :func:`begin` (``True``);
    ``None`` leaves both bookkeeping fields out.
    """
    k_init, k_loss, k_run = jax.random.split(key, 3)
    params = problem.init(k_init)
    loss0 = jax.lax.stop_gradient(problem.loss(params, k_loss))
    return InnerState(
        params=params,
        opt_state=optimizer.init(params),
        key=k_run,
        step=jnp.zeros((), jnp.int32),
        loss0=loss0,
        diverged=jnp.zeros((), bool),
        params0=params,
        loss_sum=jnp.zeros((), loss0.dtype),
        pending=None if pending is None else jnp.asarray(pending),
        init_key=None if pending is None else key,
    )


def begin(problem: Problem, optimizer: InnerOptimizer, state: InnerState) -> InnerState:
    """``state`` with a pending start drawn from ``problem`` (bound to the run's
    hyperparameters, so gradients reach them); states without one pass unchanged.

    A start is pending in a state made before the hyperparameters were known: a
    fresh run of a truncated or particle estimator, which learns its (perturbed)
    hyperparameters at its first window.
    """
    if state.pending is None:
        return state
    drawn = init_state(problem, optimizer, state.init_key, pending=False)
    return tree_where(state.pending, drawn, state)


def is_bad(loss: jax.Array, threshold: jax.Array) -> jax.Array:
    return ~jnp.isfinite(loss) | (jnp.abs(loss) > threshold)


def unroll(
    problem: Problem,
    optimizer: InnerOptimizer,
    hparams: HParams,
    state: InnerState,
    steps: int,
    *,
    divergence: Divergence | None = Divergence(),
    horizon: jax.Array | None = None,
    guard: bool = True,
    record_loss: bool = True,
    record_val: bool = False,
    record_params: bool = False,
) -> tuple[InnerState, StepRecord]:
    """Runs ``steps`` inner steps from ``state``.

    Args:
      problem, optimizer: the inner problem and optimizer.
      hparams: hyperparameter leaves (scalars, or anything ``update`` broadcasts).
      state: where to start; :func:`init_state` for a fresh run (a pending start is
        drawn first, see :func:`begin`).
      steps: number of steps (static).
      divergence: the divergence policy, or ``None`` to let inf/NaN propagate.
      horizon: the step count (may be traced) at which the run ends: steps taken
        from there on leave the state unchanged and record zero losses (and the
        parameters as they are), as if the scan stopped there. ``None``: no end
        before ``steps``.
      guard: with a divergence policy, evaluate gradients at the initial
        parameters once a run has diverged (the double-``where`` pattern), so no
        NaN reaches reverse-mode gradients. It costs one extra forward loss per
        step; forward-only callers (landscapes, ES) turn it off: the values are
        identical either way.
      record_loss: record each step's training loss (their sum is carried in the
        state either way; landscapes skip the per-step records).
      record_val: also record the validation loss after each step.
      record_params: also record the parameters before each step.

    Returns:
      ``(final_state, records)`` where each field of ``records`` has a leading
      axis of length ``steps``.
    """
    state = begin(problem, optimizer, state)
    threshold = None if divergence is None else divergence.threshold(state.loss0)

    def body(s: InnerState, _):
        key, sub = jax.random.split(s.key)
        p = s.params
        p_eval, bad = p, s.diverged
        if divergence is not None and guard:
            # The double-where guard: once a run is bad, its step is evaluated at the
            # initial parameters so no NaN reaches reverse-mode gradients.
            probe = optimizer.probe(problem, p, sub)
            if probe is not None:
                bad = bad | is_bad(probe, threshold)
            p_eval = tree_where(bad, s.params0, p)
        loss, new_p, new_opt = optimizer.advance(problem, p_eval, s.opt_state, hparams, sub,
                                                 s.step)
        if divergence is None:
            diverged = s.diverged
            recorded = loss
        else:
            diverged = bad | is_bad(loss, threshold)
            new_p = tree_where(diverged, p, new_p)
            new_opt = tree_where(diverged, s.opt_state, new_opt)
            recorded = jnp.where(diverged, threshold.astype(loss.dtype), loss)
        nxt = s._replace(params=new_p, opt_state=new_opt, key=key, step=s.step + 1,
                         diverged=diverged, loss_sum=s.loss_sum + recorded)
        val = None
        if record_val:
            val = final_loss(problem, nxt, divergence, validation=True, guard=guard)
        if horizon is not None:
            # Past the horizon nothing moves; the step's values are computed (the scan
            # has a static length) but selected away, so they reach no gradient.
            active = s.step < horizon
            nxt = tree_where(active, nxt, s)
            recorded = jnp.where(active, recorded, jnp.zeros_like(recorded))
            val = None if val is None else jnp.where(active, val, jnp.zeros_like(val))
        rec = StepRecord(recorded if record_loss else None, val, p if record_params else None,
                         s.step + 1 if record_loss else None)
        return nxt, rec

    return jax.lax.scan(body, state, None, length=steps)


def final_loss(
    problem: Problem,
    state: InnerState,
    divergence: Divergence | None,
    *,
    validation: bool,
    guard: bool = True,
) -> jax.Array:
    """Training (with the state's next key) or validation loss at ``state.params``.

    Under a divergence policy, a diverged state, or one whose loss here is bad,
    gives the threshold. With ``guard`` the loss is then evaluated at the initial
    parameters so that no NaN reaches gradients; without it (forward-only callers)
    the loss is evaluated once instead of twice, with the same values.
    """
    _, sub = jax.random.split(state.key)
    fn = problem.val_loss if validation else (lambda p: problem.loss(p, sub))
    if divergence is None:
        return fn(state.params)
    threshold = divergence.threshold(state.loss0)
    if not guard:
        value = fn(state.params)
        bad = state.diverged | is_bad(value, threshold)
        return jnp.where(bad, threshold.astype(value.dtype), value)
    probe = jax.lax.stop_gradient(fn(state.params))
    bad = state.diverged | is_bad(probe, threshold)
    value = fn(tree_where(bad, state.params0, state.params))
    return jnp.where(bad, threshold.astype(value.dtype), value)
