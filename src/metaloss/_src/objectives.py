"""Outer objectives: what number an inner run is judged by, as small strategy objects.

An objective reduces one inner run to the outer loss, and says what one window of
a truncated run contributes to it, so the full unroll (:class:`metaloss.MetaLoss`)
and the windowed estimators (truncated backprop, PES) share one definition.

Windows are scaled so that the outer loss is the *mean* of its windows' losses
over one inner run: a window's gradient is then on the scale of the full
gradient, whatever the window length.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import jax
import jax.numpy as jnp

from metaloss._src.errors import check_int
from metaloss._src.spec import REGISTRY, name_of, parse, register
from metaloss._src.unroll import InnerState, StepRecord, final_loss

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss


class Objective(abc.ABC):
    """Abstract objective; subclasses are frozen, hashable dataclasses."""

    validation: ClassVar[bool] = False
    """Whether the objective reads the validation loss."""
    records_val: ClassVar[bool] = False
    """Whether the unroll must record the validation loss after every step."""
    records_loss: ClassVar[bool] = False
    """Whether :meth:`total` reads the per-step losses (not only their running sum)."""

    @abc.abstractmethod
    def total(self, meta: MetaLoss, state: InnerState, records: StepRecord, *,
              differentiable: bool) -> tuple[jax.Array, jax.Array]:
        """``(outer loss, diverged)`` of a whole run ending in ``state``.

        ``state.diverged`` is the training run's flag; objectives that read another
        loss add their own reasons (a capped validation loss).
        """

    @abc.abstractmethod
    def window(self, meta: MetaLoss, state: InnerState, records: StepRecord,
               windows: int) -> jax.Array:
        """One window's contribution, ``windows`` times its share of the outer loss.

        ``records`` hold the window's per-step training losses (and validation
        losses when :attr:`records_val`); ``state`` is where the window ended.
        """

    @property
    def name(self) -> str:
        """The spec that builds this object back (see :func:`metaloss._src.spec.name_of`)."""
        return name_of(self)

    def __str__(self) -> str:
        return self.name


def _capped(meta: MetaLoss, state: InnerState, value: jax.Array) -> jax.Array:
    if meta.divergence is None:
        return jnp.zeros((), bool)
    return value >= meta.divergence.threshold(state.loss0)


@register("objective", "mean")
@dataclasses.dataclass(frozen=True)
class Mean(Objective):
    """The mean training loss over the unroll (the study's): rewards training that is
    fast as well as good."""

    def total(self, meta, state, records, *, differentiable):
        return state.loss_sum / meta.horizon, state.diverged

    def window(self, meta, state, records, windows):
        return jnp.sum(records.loss) * (windows / meta.horizon)


@register("objective", "final")
@dataclasses.dataclass(frozen=True)
class Final(Objective):
    """The training loss after the last step: only where training ends counts."""

    def _value(self, meta, state, differentiable):
        return final_loss(meta.problem, state, meta.divergence, validation=self.validation,
                          guard=differentiable)

    def total(self, meta, state, records, *, differentiable):
        loss = self._value(meta, state, differentiable)
        return loss, state.diverged | _capped(meta, state, loss)

    def window(self, meta, state, records, windows):
        value = self._value(meta, state, True)
        return jnp.where(state.step >= meta.horizon, windows * value, jnp.zeros_like(value))


@register("objective", "val_mean")
@dataclasses.dataclass(frozen=True)
class ValMean(Objective):
    """The validation loss after each step, averaged over the unroll."""

    validation: ClassVar[bool] = True
    records_val: ClassVar[bool] = True

    def total(self, meta, state, records, *, differentiable):
        loss = jnp.sum(records.val_loss) / meta.horizon  # steps past it record zeros
        diverged = state.diverged
        if meta.divergence is not None:  # capped validation steps count, as for val_final
            diverged = diverged | jnp.any(records.val_loss >= meta.divergence.threshold(
                state.loss0))
        return loss, diverged

    def window(self, meta, state, records, windows):
        return jnp.sum(records.val_loss) * (windows / meta.horizon)


@register("objective", "val_final")
@dataclasses.dataclass(frozen=True)
class ValFinal(Final):
    """The validation loss after the last step."""

    validation: ClassVar[bool] = True


@register("objective", "window_end")
@dataclasses.dataclass(frozen=True)
class WindowEnd(Objective):
    """The loss read at the end of every window of ``K`` steps (and at the horizon),
    averaged over the run: each window is judged only by where it ends, the formulation
    of the PES paper's code (Vicol et al. 2021). ``K = 1`` is :class:`Mean`.

    With a truncated estimator (truncated backprop or ES, PES, RTRL) of the same ``K``,
    each window contributes exactly the loss at its end; with another window length,
    the read losses at multiples of ``K`` that fall in it.

    Args:
      K: steps between the losses that count, >= 1.
    """

    K: int = 10

    records_loss: ClassVar[bool] = True
    label_fields = ("K",)

    def __post_init__(self):
        check_int("window_end K", self.K)

    def _ends(self, meta, records):
        step = records.step
        ends = ((step % self.K == 0) | (step == meta.horizon)) & (step <= meta.horizon)
        return jnp.sum(jnp.where(ends, records.loss, jnp.zeros_like(records.loss)))

    def count(self, meta):
        """How many losses count in one run (a traced count under a traced horizon)."""
        return -(-meta.horizon // self.K)

    def total(self, meta, state, records, *, differentiable):
        return self._ends(meta, records) / self.count(meta), state.diverged

    def window(self, meta, state, records, windows):
        return self._ends(meta, records) * (windows / self.count(meta))


REGISTRY.define("objective", Objective)

NAMES: tuple[str, ...] = ("mean", "final", "val_mean", "val_final", "window_end")
"""The objectives' names, as the command line takes them."""


def get(spec: Any) -> Objective:
    """The objective a name gives (an :class:`Objective` is returned as is)."""
    return parse("objective", spec)
