"""What a grid computes at each point: measures, as small strategy objects.

A landscape evaluates one measure at every grid point, with the same engine
(chunks, devices, stores, resume, several processes) whatever the measure. A
measure turns one point's hyperparameters into ``(value, diverged)``; the value
is stored under the measure's :attr:`~Measure.variable` name, the divergence flag
as the ``diverged`` coordinate.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import jax

from metaloss.spec import REGISTRY, label, parse, register

if TYPE_CHECKING:
    from metaloss.meta import MetaLoss


class Measure(abc.ABC):
    """Abstract measure; subclasses are frozen, hashable dataclasses."""

    variable: ClassVar[str]
    """The name of the computed array (``outer_loss``, ``lyapunov``, ...)."""
    description: ClassVar[str] = ""
    """A few words for axis and colour-bar labels."""

    @abc.abstractmethod
    def point(self, meta: MetaLoss, hparams: Mapping[str, Any],
              key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """``(value, diverged)`` at one point; pure, vmapped by the grid engine."""

    @property
    def name(self) -> str:
        return label(self)


@register("measure", "loss")
@dataclasses.dataclass(frozen=True)
class Loss(Measure):
    """The outer loss (the default): the meta-loss's objective of one inner run."""

    variable: ClassVar[str] = "outer_loss"
    description: ClassVar[str] = "outer loss"

    def point(self, meta, hparams, key):
        res = meta.evaluate(hparams, key, differentiable=False, losses=False)
        return res.loss, res.diverged


REGISTRY.define("measure", Measure)

LOSS = Loss()


def get(spec: Any) -> Measure:
    """The measure a name gives (a :class:`Measure` is returned as is)."""
    return parse("measure", spec)
