"""``MetaLoss``: hyperparameters -> outer loss, the single source of truth."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from metaloss.optimizers.base import InnerOptimizer
from metaloss.problems.base import Problem
from metaloss.unroll import Divergence, InnerState, StepRecord, final_loss, init_state, unroll

OBJECTIVES = ("mean", "final", "val_mean", "val_final")
"""Outer objectives: the mean training loss over the unroll (the study's), the
training loss after the last step, the validation loss averaged over the unroll
(after each step), the validation loss after the last step."""


class MetaResult(NamedTuple):
    """Everything one meta-loss evaluation produces.

    Attributes:
      loss: scalar outer loss.
      diverged: scalar bool, whether the inner run diverged.
      losses: ``(steps,)`` per-step training losses (capped after divergence), or
        ``None`` when not asked for.
      trajectory: ``(steps + 1, ...)`` inner parameters, or ``None``.
    """

    loss: jax.Array
    diverged: jax.Array
    losses: jax.Array
    trajectory: Any


def default_key() -> jax.Array:
    return jax.random.key(0)


@dataclasses.dataclass(frozen=True)
class MetaLoss:
    """The outer loss of training ``problem`` with ``optimizer`` for ``steps`` steps.

    Pure: works under ``jit``, ``vmap``, ``grad`` and ``jvp``. Computes in JAX's
    default float type (float32, or float64 with x64 mode on).

    Args:
      problem: the inner problem.
      optimizer: the inner optimizer; its ``defaults`` fill hyperparameters a
        call does not give.
      steps: inner steps, >= 1.
      objective: one of :data:`OBJECTIVES`.
      divergence: divergence policy (see :mod:`metaloss.unroll`), or ``None``.
      fixed: hyperparameter values that replace the optimizer's defaults (a call's
        own values still win), e.g. ``{"momentum": 0.5}`` to train only ``lr``.

    Example:
      >>> meta = MetaLoss(problems.Wavy1D(), optimizers.SGDM(), steps=50)
      >>> meta({"lr": 0.1, "momentum": 0.9})
    """

    problem: Problem
    optimizer: InnerOptimizer
    steps: int = 50
    objective: str = "mean"
    divergence: Divergence | None = Divergence()
    fixed: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        # a sorted tuple keeps the dataclass hashable (it keys compiled functions)
        fixed = tuple(sorted(dict(self.fixed).items()))
        object.__setattr__(self, "fixed", fixed)
        unknown = [n for n, _ in fixed if n not in self.optimizer.hparam_names]
        if unknown:
            raise ValueError(
                f"unknown hyperparameter {unknown[0]!r} for {self.optimizer.name}; "
                f"it has {', '.join(self.optimizer.hparam_names)}"
            )
        self.optimizer.validate(dict(fixed))
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {self.steps!r}")
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVES)}"
            )

    @property
    def hparam_names(self) -> tuple[str, ...]:
        return self.optimizer.hparam_names

    def check(self, values: Mapping[str, Any]) -> None:
        """Rejects unknown names and out-of-range concrete values (``ValueError``)."""
        unknown = sorted(set(values) - set(self.hparam_names))
        if unknown:
            raise ValueError(
                f"unknown hyperparameter {unknown[0]!r} for {self.optimizer.name}; "
                f"it has {', '.join(self.hparam_names)}"
            )
        self.optimizer.validate(values)

    def hparams(self, values: Mapping[str, Any]) -> dict[str, jax.Array]:
        """Fills defaults and converts to arrays, after :meth:`check`."""
        self.check(values)
        dtype = jnp.result_type(float)
        out = {}
        base = {**self.optimizer.defaults, **dict(self.fixed)}
        for name in self.hparam_names:
            v = values.get(name, base[name])
            out[name] = v if isinstance(v, jax.Array) else jnp.asarray(v, dtype)
        return out

    def init_state(self, key: jax.Array | None = None) -> InnerState:
        """Fresh inner state; the key decides init and minibatches (if any)."""
        return init_state(self.problem, self.optimizer, default_key() if key is None else key)

    def run(
        self,
        hparams: Mapping[str, Any],
        state: InnerState,
        steps: int,
        *,
        differentiable: bool = True,
        record_loss: bool = True,
        record_params: bool = False,
    ) -> tuple[InnerState, StepRecord]:
        """Continues inner training from ``state`` for ``steps`` steps (truncation)."""
        return unroll(
            self.problem,
            self.optimizer,
            self.hparams(hparams),
            state,
            steps,
            divergence=self.divergence,
            guard=differentiable,
            record_loss=record_loss,
            record_val=self.objective == "val_mean",
            record_params=record_params,
        )

    def evaluate(
        self,
        hparams: Mapping[str, Any],
        key: jax.Array | None = None,
        *,
        differentiable: bool = True,
        losses: bool = True,
        trajectory: bool = False,
    ) -> MetaResult:
        """Outer loss plus divergence flag and, optionally, per-step losses and trajectory.

        ``differentiable=False`` skips the reverse-mode NaN guard: same values,
        cheaper, for forward-only use (landscapes, ES). ``losses=False`` leaves the
        per-step losses out (``MetaResult.losses`` is ``None``), which saves storing
        them; the outer loss is the same either way.
        """
        state, rec = self.run(
            hparams,
            self.init_state(key),
            self.steps,
            differentiable=differentiable,
            record_loss=losses,
            record_params=trajectory,
        )
        diverged = state.diverged
        if self.objective == "mean":
            loss = state.loss_sum / self.steps
        elif self.objective == "val_mean":
            loss = jnp.mean(rec.val_loss)
            if self.divergence is not None:  # capped validation steps count, as for val_final
                threshold = self.divergence.threshold(state.loss0)
                diverged = diverged | jnp.any(rec.val_loss >= threshold)
        else:
            loss = final_loss(
                self.problem, state, self.divergence, validation=self.objective == "val_final",
                guard=differentiable,
            )
            if self.divergence is not None:
                diverged = diverged | (loss >= self.divergence.threshold(state.loss0))
        traj = None
        if trajectory:
            traj = jax.tree.map(
                lambda r, last: jnp.concatenate([r, last[None]]), rec.params, state.params
            )
        return MetaResult(loss, diverged, rec.loss, traj)

    def __call__(self, hparams: Mapping[str, Any], key: jax.Array | None = None) -> jax.Array:
        """The scalar outer loss for ``hparams``."""
        return self.evaluate(hparams, key).loss

    def describe(self) -> dict[str, Any]:
        """A JSON-able description, stored with every landscape."""
        return {
            "problem": repr(self.problem),
            "optimizer": repr(self.optimizer),
            "steps": self.steps,
            "objective": self.objective,
            "divergence": None if self.divergence is None else self.divergence.factor,
            "fixed": dict(self.fixed),
        }
