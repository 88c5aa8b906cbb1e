"""The settings of an estimator comparison, grouped by what they set: the training
(:class:`Training`, with its :class:`OuterOptimizer`), the basin (:class:`Basin`), the gradient
sweep (:class:`Sweep`) and the estimator maps (:class:`Maps`); and the default estimators."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import optax

from metaloss._src.analysis.gradients import LENGTHS
from metaloss._src.errors import InputError, check_int, check_range
from metaloss._src.estimators import Estimator, get_list

DEFAULT_ESTIMATORS = "backprop, forward, truncated(K=10), es(pairs=1), es(pairs=16), pes(K=10)"
ALL_ESTIMATORS = DEFAULT_ESTIMATORS + ", nres(K=10), guided_es(alpha=0.5), hybrid(pairs=4)"


def default_estimators(every: bool = False) -> tuple[Estimator, ...]:
    """The estimators a comparison runs by default (``every``: also NRES, guided ES and
    the hybrid)."""
    return tuple(get_list(ALL_ESTIMATORS if every else DEFAULT_ESTIMATORS))


@functools.lru_cache(maxsize=16)
def clipped_sgd(step=0.01) -> optax.GradientTransformation:
    """Outer SGD with gradients clipped to [-10, 10]; ``step`` a number or an optax schedule.

    The same object for the same step, so repeated runs reuse the compiled loops
    of :func:`metaloss.outer_train` (the optimizer is one of their static arguments,
    hashed by identity).
    """
    return optax.chain(optax.clip(10.0), optax.sgd(step))


OUTER_OPTIMIZERS = ("sgd", "adam")
"""The outer optimizers :class:`OuterOptimizer` names."""


@dataclasses.dataclass(frozen=True)
class OuterOptimizer:
    """A named outer optimizer, the same for every estimator of a comparison.

    Attributes:
      name: ``"sgd"``, SGD with every gradient coordinate clipped to [-10, 10] (the
        study's, :func:`clipped_sgd`); or ``"adam"``, ``optax.adam`` without clipping
        (Kingma & Ba 2015; the PES paper's toy-regression code uses it with ``step=1e-2``,
        ``b1=0.99``).
      step: the step size (Adam's learning rate), in outer coordinates per outer step.
      b1, b2: Adam's decay rates of the first and second moments (unused by SGD).
    """

    name: str = "sgd"
    step: float = 0.01
    b1: float = 0.9
    b2: float = 0.999

    def __post_init__(self):
        if self.name not in OUTER_OPTIMIZERS:
            raise InputError(f"unknown outer optimizer {self.name!r}; one of "
                             f"{', '.join(OUTER_OPTIMIZERS)}")
        step = float(self.step)
        if not (math.isfinite(step) and step > 0):
            raise InputError(f"the outer step must be finite and > 0, got {self.step!r}")
        object.__setattr__(self, "step", step)
        for name in ("b1", "b2"):
            check_range(f"Adam {name}", getattr(self, name), 0.0, 1.0, closed=(True, False))
            object.__setattr__(self, name, float(getattr(self, name)))

    def transform(self) -> optax.GradientTransformation:
        """The optax transformation; the same object for equal settings, so repeated runs
        reuse :func:`metaloss.outer_train`'s compiled loops."""
        return _transform(self)

    def describe(self) -> str:
        """In words, e.g. ``Adam step 0.01 (b1 0.99, b2 0.999), no clipping``."""
        if self.name == "sgd":
            return f"SGD step {self.step:g}, gradients clipped to [-10, 10]"
        return f"Adam step {self.step:g} (b1 {self.b1:g}, b2 {self.b2:g}), no clipping"


@functools.lru_cache(maxsize=16)
def _transform(opt: OuterOptimizer) -> optax.GradientTransformation:
    if opt.name == "sgd":
        return clipped_sgd(opt.step)
    return optax.adam(opt.step, b1=opt.b1, b2=opt.b2)


@dataclasses.dataclass(frozen=True)
class Training:
    """How every estimator trains: the same starts, budget and outer optimizer.

    Attributes:
      seeds: random starting points, uniform in the box (>= 0).
      budget: inner steps per run; each estimator takes
        ``budget // estimator.inner_steps(meta)`` outer steps (refused when that is 0).
      optimizer: the outer optimizer, the same for every estimator: an
        :class:`OuterOptimizer` (default: SGD step 0.01 with gradients clipped to
        [-10, 10], the study's) or any optax transformation.
    """

    seeds: int = 64
    budget: int = 100_000
    optimizer: OuterOptimizer | optax.GradientTransformation = OuterOptimizer()

    def __post_init__(self):
        object.__setattr__(self, "seeds", check_int("seeds", self.seeds, minimum=0))
        object.__setattr__(self, "budget", check_int("budget", self.budget))

    @property
    def transform(self) -> optax.GradientTransformation:
        """The outer optimizer as an optax transformation."""
        opt = self.optimizer
        return opt.transform() if isinstance(opt, OuterOptimizer) else opt

    def describe(self) -> str:
        """The outer optimizer in words."""
        opt = self.optimizer
        return opt.describe() if isinstance(opt, OuterOptimizer) else "a given optax optimizer"


@dataclasses.dataclass(frozen=True)
class Basin:
    """The low-loss basin: runs ending at or below the ``quantile`` of the outer loss
    over the box, measured on a ``grid`` per axis (for 1 or 2 outer coordinates; beyond,
    at ``grid**2`` random points of the box)."""

    grid: int = 200
    quantile: float = 0.05

    def __post_init__(self):
        object.__setattr__(self, "grid", check_int("grid", self.grid, minimum=2))
        check_range("basin quantile", self.quantile, 0.0, 1.0, closed=(False, False))


@dataclasses.dataclass(frozen=True)
class Sweep:
    """The gradient sweep (:func:`metaloss.analysis.gradient_sweep`) at the named starts
    (or at the box's centre without any): unroll ``lengths``, ``samples`` keys per point."""

    lengths: Sequence[int] = LENGTHS
    samples: int = 64

    def __post_init__(self):
        object.__setattr__(self, "lengths", tuple(int(n) for n in self.lengths))
        if not self.lengths:
            raise InputError("the sweep needs at least one unroll length")


@dataclasses.dataclass(frozen=True)
class Maps:
    """Estimator maps (:func:`metaloss.analysis.estimator_maps`) over the box: ``size``
    points per axis, ``samples`` estimates per pixel and estimator."""

    size: int = 32
    samples: int = 64


TRAINING, BASIN, SWEEP = Training(), Basin(), Sweep()
"""The defaults of :func:`~metaloss.workflows.compare`'s settings."""
