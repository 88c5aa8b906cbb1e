"""Systems: any unrolled computation, not only a problem trained by an optimizer.

A system is a state, an initial state, and a step ``(state, hparams, t, key) ->
(state, loss)``; its hyperparameters are declared once, as dataclass fields named in
:attr:`~metaloss._src.problems.Problem.hparam_fields` (the field's value is the
default). ``MetaLoss(system, steps=...)`` takes no optimizer: the one unroll
(:func:`metaloss._src.unroll.unroll`) calls the system's step where it would take a
gradient step, so every estimator, landscape and measure runs on it unchanged. A
problem plus an optimizer is the other kind of step (:meth:`InnerOptimizer.advance`).

Two choices shape what the estimators see, and both are explicit:

- **Where the loss is read.** ``step`` returns the loss it is judged by. A system that
  reads it *after* its transition (``read="after"``, the PES paper's tasks) lets a
  window of one step see the hyperparameter's effect on the loss; read *before* the
  transition, truncated backprop with ``K = 1`` is identically zero, since the loss
  of the state a window starts from is a constant to it.
- **The window objective** (``objective=`` of :class:`metaloss.MetaLoss`): ``"mean"``
  sums the read losses over each window (truncated backprop, truncated ES and PES
  then see every step); ``"final"`` counts only the loss at the end of the run, so
  a window contributes only when it ends there: truncated estimators then see only
  the last window's direct effect (their bias is largest), while PES, which credits
  every earlier perturbation, stays unbiased. Full-horizon estimators (backprop,
  forward, ES) see the objective itself either way.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from metaloss._src.errors import InputError
from metaloss._src.optimizers.base import InnerOptimizer
from metaloss._src.problems.base import Problem
from metaloss._src.spec import parse, register

PyTree = Any


class System(Problem):
    """Abstract system; subclasses are frozen dataclasses.

    Implement :meth:`init` and :meth:`step`; override :meth:`loss` (the loss of a state
    on its own) for the ``final`` objective and for a divergence threshold scaled to
    the start: by default it is 0, so the threshold is ``Divergence.factor``.
    """

    def loss(self, params: PyTree, key: jax.Array | None = None) -> jax.Array:
        """The loss of ``params`` (a state) on its own; 0 unless overridden."""
        return jnp.zeros((), jnp.result_type(float))

    @abc.abstractmethod
    def step(self, state: PyTree, hparams: dict[str, jax.Array], t: jax.Array,
             key: jax.Array) -> tuple[PyTree, jax.Array]:
        """One step from ``state`` at step count ``t``: ``(new state, scalar loss)``.

        ``hparams`` holds every declared hyperparameter (traced: ``grad``, ``jvp`` and
        ``vmap`` reach them); ``key`` is fresh for the step.
        """


@register("optimizer", "dynamics")
@dataclasses.dataclass(frozen=True)
class Dynamics(InnerOptimizer):
    """The step of a :class:`System`: what :class:`metaloss.MetaLoss` runs in place of an
    optimizer when given a system (no gradient of the loss is taken)."""

    defaults = {}

    def init(self, params):
        return ()

    def update(self, grads, state, params, hparams):
        raise TypeError("Dynamics steps a System through advance(), not update()")

    def probe(self, problem, params, key):
        return None

    def advance(self, problem, params, state, hparams, key, t):
        values = {n: hparams[n] for n in problem.hparam_fields}
        new, loss = problem.step(params, values, t, key)
        return loss, new, state


def stepper(problem: Problem, optimizer: Any) -> InnerOptimizer:
    """What steps ``problem`` in the unroll: ``optimizer`` (a spec or object) for a
    problem, :class:`Dynamics` for a :class:`System`, which takes none."""
    is_system = isinstance(problem, System)
    if optimizer is None:
        if is_system:
            return Dynamics()
        raise InputError(f"{problem.name} is trained by an optimizer: pass one (only a "
                         "system steps itself)")
    optimizer = parse("optimizer", optimizer)
    if is_system != isinstance(optimizer, Dynamics):
        raise InputError(f"{problem.name} is a system: it steps itself and takes no optimizer"
                         if is_system else f"dynamics steps only a system, not {problem.name}")
    return optimizer
