"""``MetaLoss``: hyperparameters -> outer loss, the single source of truth."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from metaloss._src import hyper
from metaloss._src import objectives as objectives_mod
from metaloss._src.errors import MAX_STEPS, InputError, check_int
from metaloss._src.objectives import Objective
from metaloss._src.optimizers.base import InnerOptimizer
from metaloss._src.optimizers.groups import PerGroup, group_names, overrides, split_name
from metaloss._src.problems.base import Problem
from metaloss._src.space import Param, Space, default_param
from metaloss._src.spec import label, parse
from metaloss._src.systems.base import stepper
from metaloss._src.unroll import Divergence, InnerState, StepRecord, init_state, unroll

OBJECTIVES = objectives_mod.NAMES
"""Outer objectives by name (mean or final training or validation loss, see objectives)."""


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
    """The key of deterministic problems, whose runs do not depend on it."""
    return jax.random.key(0)


@dataclasses.dataclass(frozen=True)
class MetaLoss:
    """The outer loss of training ``problem`` with ``optimizer`` for ``steps`` steps.

    Pure: works under ``jit``, ``vmap``, ``grad`` and ``jvp``. Computes in JAX's
    default float type (float32, or float64 with x64 mode on).

    Args:
      problem: the inner problem (or its spec, e.g. ``"quadratic(dim=20)"``).
      optimizer: the inner optimizer (or its spec); its ``defaults`` fill
        hyperparameters a call does not give. ``None`` for a system
        (:mod:`metaloss._src.systems`), which steps itself.
      steps: inner steps, >= 1.
      objective: an :class:`~metaloss._src.objectives.Objective` or its name, one of
        :data:`OBJECTIVES`.
      divergence: divergence policy (see :mod:`metaloss._src.unroll`), or ``None``.
      fixed: hyperparameter values that replace the optimizer's defaults (a call's
        own values still win), e.g. ``{"momentum": 0.5}`` to train only ``lr``; a decimal
        string or Fraction also keeps its residue for double-double (``fixed_lo``).

    Example:
      >>> meta = MetaLoss(problems.Wavy1D(), optimizers.SGDM(), steps=50)
      >>> meta({"lr": 0.1, "momentum": 0.9})
    """

    problem: Problem
    optimizer: InnerOptimizer | None = None
    steps: int = 50
    objective: Objective = "mean"
    divergence: Divergence | None = Divergence()
    fixed: Mapping[str, float] = dataclasses.field(default_factory=dict)
    fixed_lo: tuple[tuple[str, float, float], ...] = dataclasses.field(default=(), repr=False)
    _horizon: Any = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "problem", parse("problem", self.problem))
        object.__setattr__(self, "optimizer", stepper(self.problem, self.optimizer))
        object.__setattr__(self, "objective", parse("objective", self.objective))
        object.__setattr__(self, "steps", check_int("steps", self.steps, limit=MAX_STEPS))
        # a sorted tuple keeps the dataclass hashable (it keys compiled functions)
        fixed, lo = hyper.exact_fixed(dict(self.fixed), self.fixed_lo)
        object.__setattr__(self, "fixed", fixed)
        object.__setattr__(self, "fixed_lo", lo)
        clash = set(self.problem.hparam_fields) & set(self.optimizer.hparam_names)
        if clash:
            raise InputError(f"{self.problem.name} and {self.optimizer.name} both have a "
                             f"hyperparameter {sorted(clash)[0]!r}")
        self.check(dict(fixed))

    @property
    def hparam_names(self) -> tuple[str, ...]:
        """The optimizer's hyperparameters, then the problem's (per-group names such as
        ``lr/layer0`` are accepted besides, see :attr:`groups`)."""
        return hyper.names(self.problem, self.optimizer)

    @functools.cached_property
    def groups(self) -> tuple[str, ...]:
        """The problem's parameter groups (see :mod:`metaloss._src.optimizers.groups`): an
        optimizer hyperparameter ``NAME`` may be set per group as ``NAME/GROUP``."""
        shapes = jax.eval_shape(self.problem.init, jax.random.key(0))
        return group_names(shapes)

    def default_param(self, name: str) -> Param:
        """The usual outer parametrization of hyperparameter ``name``: ``Log10`` for the
        positive ones (learning rates, epsilons), ``OneMinusLog10`` for those in [0, 1)
        (momenta, decay rates, as the optimizer declares them), else ``Linear``."""
        self.check({name: None})
        if name in self.problem.hparam_fields:
            return default_param(name, self.problem.positive)
        return default_param(name, self.optimizer.positive, self.optimizer.unit_interval)

    def default_space(self, names: Sequence[str] | None = None) -> Space:
        """A :class:`Space` over ``names`` (default: every optimizer hyperparameter not
        fixed), each with :meth:`default_param`."""
        if names is None:
            fixed = {k for k, _ in self.fixed}
            # a system's hyperparameters are all its own
            own = self.optimizer.hparam_names or tuple(self.problem.hparam_fields)
            names = [n for n in own if n not in fixed]
        return Space({n: self.default_param(n) for n in names})

    def check(self, values: Mapping[str, Any]) -> None:
        """Rejects unknown names and out-of-range concrete values (:class:`InputError`);
        ``None`` values are only named, not checked."""
        hyper.check(self.problem, self.optimizer, lambda: self.groups, values)

    def hparams(self, values: Mapping[str, Any]) -> dict[str, jax.Array]:
        """Every hyperparameter, checked, defaults filled, as arrays (per-group ones if given)."""
        self.check(values)
        return hyper.fill(self.problem, self.optimizer, dict(self.fixed), values)

    def default_value(self, name: str) -> float:
        """The value ``name`` takes when a call does not give it: fixed, else the
        optimizer's or problem's default; a per-group name takes its base's."""
        self.check({name: None})
        filled = self.hparams({})
        return float(filled[name] if name in filled else filled[split_name(name)[0]])

    def bound(self, hparams: Mapping[str, Any]) -> MetaLoss:
        """This meta-loss with its problem bound to the problem hyperparameters in
        ``hparams`` (filled by :meth:`hparams`): for use inside one traced computation,
        never as a key of compiled functions."""
        if not self.problem.hparam_fields:
            return self
        values = {n: hparams[n] for n in self.problem.hparam_fields if n in hparams}
        out = copy.copy(self)
        object.__setattr__(out, "problem", self.problem.bind(values))
        return out

    def until(self, horizon: jax.Array) -> MetaLoss:
        """Runs of this meta-loss end after ``horizon`` (<= :attr:`steps`, may be traced)
        steps; later steps of the scan keep the state and record zeros. One compiled
        program then serves every run length. Only for use inside one traced computation
        (like :meth:`bound`); code that may run under it reads :attr:`horizon`."""
        out = copy.copy(self)
        object.__setattr__(out, "_horizon", horizon)
        return out

    @property
    def horizon(self) -> int | jax.Array:
        """Where inner runs end: :attr:`steps` unless :meth:`until` says otherwise."""
        return self.steps if self._horizon is None else self._horizon

    def key_or_default(self, key: jax.Array | None) -> jax.Array:
        """``key``, or for a problem that draws no random numbers a fixed default.

        Raises:
          InputError: when ``key`` is ``None`` and the problem is stochastic (random
            minibatches or a random initialisation): metaloss keeps no hidden seeds.
        """
        if key is not None:
            return key
        if self.problem.needs_key:
            raise InputError(f"{label(self.problem)} draws random numbers: pass a key, e.g. "
                             "key=jax.random.key(0)", arguments={"key": "key=jax.random.key(0)"})
        return default_key()

    def init_state(self, key: jax.Array | None = None,
                   hparams: Mapping[str, Any] | None = None) -> InnerState:
        """Fresh inner state; the key decides init and minibatches (if any). A problem with
        hyperparameters draws its start (parameters that depend on them, and the loss that
        scales the divergence threshold) at ``hparams`` when given, else at the first
        :meth:`run`'s, so a restarted run is judged by its own hyperparameters."""
        key = self.key_or_default(key)
        problem = self.problem if hparams is None else self.bound(self.hparams(hparams)).problem
        pending = (hparams is None) if self.problem.hparam_fields else None
        return init_state(problem, self.optimizer, key, pending=pending)

    def with_fixed(self, values: Mapping[str, float]) -> MetaLoss:
        """The same meta-loss with ``values`` held fixed as well (they win over ``fixed``)."""
        if not values:
            return self
        return dataclasses.replace(self, fixed={**dict(self.fixed), **dict(values)},
                                   fixed_lo=tuple(r for r in self.fixed_lo if r[0] not in values))

    def without_fixed(self) -> tuple[MetaLoss, dict[str, float]]:
        """``(meta with no fixed values, those values)``: compiled code takes them as inputs."""
        if not self.fixed:
            return self, {}
        return dataclasses.replace(self, fixed={}), dict(self.fixed)

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
        """Continues inner training from ``state`` for ``steps`` steps (truncation).

        Per-group values (``lr/layer0``) run the optimizer as
        :class:`~metaloss._src.optimizers.groups.PerGroup`.
        """
        hp = self.hparams(hparams)
        optimizer = PerGroup(self.optimizer) if overrides(hp) else self.optimizer
        return unroll(
            self.bound(hp).problem,
            optimizer,
            hp,
            state,
            steps,
            divergence=self.divergence,
            horizon=self._horizon,
            guard=differentiable,
            record_loss=record_loss,
            record_val=self.objective.records_val,
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
        hp = self.hparams(hparams)
        state, rec = self.run(
            hp,
            self.init_state(key, hp),
            self.steps,
            differentiable=differentiable,
            record_loss=losses or self.objective.records_loss,
            record_params=trajectory,
        )
        loss, diverged = self.objective.total(self.bound(hp), state, rec,
                                              differentiable=differentiable)
        traj = None
        if trajectory:
            traj = jax.tree.map(lambda r, last: jnp.concatenate([r, last[None]]), rec.params,
                                state.params)
        return MetaResult(loss, diverged, rec.loss if losses else None, traj)

    def __call__(self, hparams: Mapping[str, Any], key: jax.Array | None = None) -> jax.Array:
        """The scalar outer loss for ``hparams``."""
        return self.evaluate(hparams, key).loss

    def describe(self) -> dict[str, Any]:
        """The one configuration record (JSON-able) of every landscape, store and report,
        with problems, optimizers and objectives as their specs: :meth:`from_record`
        rebuilds an equal meta-loss (user objects ``module:attribute`` and ``fixed_lo`` aside)."""
        return {"problem": label(self.problem), "optimizer": label(self.optimizer),
                "steps": self.steps, "objective": label(self.objective),
                "divergence": None if self.divergence is None else self.divergence.factor,
                "fixed": dict(self.fixed)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> MetaLoss:
        """The meta-loss a :meth:`describe` record names."""
        try:
            factor = record["divergence"]
            return cls(parse("problem", record["problem"]), parse("optimizer", record["optimizer"]),
                       steps=record["steps"], objective=record["objective"],
                       divergence=None if factor is None else Divergence(float(factor)),
                       fixed=hyper.record_fixed(record))
        except KeyError as e:
            raise InputError(f"configuration record lacks {e.args[0]!r}") from None
