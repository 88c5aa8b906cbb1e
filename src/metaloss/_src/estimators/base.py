"""The outer-gradient estimator interface.

An estimator is a strategy object passed to :func:`metaloss.outer_train` (in the
manner of diffrax's adjoints): it turns a point in outer coordinates into a loss
and a gradient estimate. State lets truncated and persistent estimators carry the
inner run between calls; stateless estimators return ``None``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

import jax

from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space
from metaloss._src.spec import REGISTRY, name_of

Coords = Mapping[str, jax.Array]


def outer_fn(meta: MetaLoss, space: Space, *, differentiable: bool = True):
    """``(coords, key) -> outer loss``: the meta-loss seen from outer coordinates."""

    def f(coords, key):
        return meta.evaluate(space.to_hparams(coords), key, differentiable=differentiable,
                             losses=False).loss

    return f


class Estimator(abc.ABC):
    """Abstract estimator; subclasses are frozen dataclasses (hashable: they are static
    arguments of compiled functions)."""

    label_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that :func:`metaloss._src.spec.label` shows even at their defaults."""

    def init(self, meta: MetaLoss, space: Space, coords: Coords, key: jax.Array) -> Any:
        """Estimator state before the first outer step (``None`` when stateless)."""
        return None

    @abc.abstractmethod
    def estimate(
        self, meta: MetaLoss, space: Space, coords: Coords, key: jax.Array, state: Any
    ) -> tuple[jax.Array, dict[str, jax.Array], Any]:
        """Returns ``(loss, grad, state)``; ``grad`` has the structure of ``coords``.

        ``key`` is fresh for every call and owned by the estimator: it draws both
        the inner run's randomness and any perturbations from it.
        """

    def inner_steps(self, meta: MetaLoss) -> float:
        """Inner steps one ``estimate`` runs (averaged over an inner run if it varies).

        The unit of the budget of an estimator comparison; the default is one full
        unroll, right for :class:`Backprop` and :class:`Forward`.
        """
        return meta.steps

    def check(self, meta: MetaLoss) -> str | None:
        """Raises :class:`~metaloss._src.errors.InputError` when the estimator cannot run on
        ``meta`` as configured; returns a one-line note worth showing the user (or
        ``None``) when it runs but not in the obvious way."""
        return None

    def phases(self, meta: MetaLoss) -> int:
        """Consecutive estimates that visit one whole inner run at a fixed point: 1 for
        full-unroll estimators, the number of windows for truncated ones. Averaging
        that many estimates gives a quantity whose expectation is defined."""
        return 1

    def follows_horizon(self) -> bool:
        """Whether :meth:`init` and :meth:`estimate` read the length of an inner run only
        as ``meta.horizon``, so that they run as on a shorter unroll under
        :meth:`MetaLoss.until <metaloss.MetaLoss.until>` (where ``meta.steps`` is just
        the static length of the scan). One compiled program then serves several run
        lengths (:func:`metaloss._src.analysis.gradient_sweep`). ``False``, the safe default
        for an estimator of one's own, compiles one copy per length instead."""
        return False

    def smoothing(self) -> float | None:
        """What this estimator's expectation is the gradient of: ``None`` for the exact
        gradient of the outer loss (backprop, forward mode, truncated backprop, whose
        window mean is biased against it), else the standard deviation ``std`` of the
        Gaussian smoothing ``E[L(theta + std * z)]`` whose gradient it estimates
        (evolution strategies). :func:`metaloss._src.analysis.estimator_maps` judges each
        estimator against this truth."""
        return None

    @property
    def name(self) -> str:
        """The spec that builds this object back (see :func:`metaloss._src.spec.name_of`)."""
        return name_of(self)


REGISTRY.define("estimator", Estimator)
