"""A quadratic with a cosine ripple: the 1-D family of Liu (2024)."""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp

from metaloss._src.errors import check_positive
from metaloss._src.fastmath import cos
from metaloss._src.problems.base import Problem
from metaloss._src.spec import register

CRITICAL_ROUGHNESS = 1.0 / (2.0 * math.pi**2)
"""``delta / lam**2`` above which ``x^2 + delta cos(2 pi x / lam)`` is not convex
(its second derivative ``2 - delta (2 pi / lam)^2 cos(.)`` turns negative)."""


class _CosineFamily(Problem):
    """What Liu's two 1-D families share: hyperparameters ``delta``, ``lam`` (> 0) and
    the start ``x0`` (fields of each subclass), and a deterministic start."""

    hparam_fields = ("delta", "lam", "x0")
    init_fields = ("x0",)
    positive = ("lam",)

    def __post_init__(self):
        check_positive("lam", self.lam)

    @property
    def roughness(self) -> float:
        """``delta / lam**2``, Liu's control parameter."""
        return self.delta / self.lam**2

    def init(self, key=None):
        return jnp.asarray(self.x0, dtype=jnp.result_type(float))


@register("problem", "cosine_quadratic")
@dataclasses.dataclass(frozen=True)
class CosineQuadratic(_CosineFamily):
    """``f(x) = x^2 + delta * cos(2 pi x / lam)``, started from ``x0``.

    The additive family of Y. Liu, "Complex fractal trainability boundary can arise
    from trivial non-convexity" (2024, arXiv:2406.13971): gradient descent on a
    quadratic with a cosine perturbation. Liu finds the boundary between learning
    rates whose runs stay bounded and those that diverge to be fractal once the
    roughness ``delta / lam**2`` exceeds :data:`CRITICAL_ROUGHNESS`
    (``1 / (2 pi^2)``, where ``f`` stops being convex), and smooth (a point) below
    it; the roughness is the only combination that matters, since ``x -> x / b``
    maps the problem with ``(delta, lam)`` onto ``(delta / b^2, lam / b)``. Plain
    gradient descent diverges on the quadratic alone for learning rates above 1,
    so the boundary lies a little above 1.

    ``delta``, ``lam`` and ``x0`` are problem hyperparameters: landscape axes,
    outer parameters or ``--set`` values like a learning rate. The start matters
    more than the paper's summary suggests: below the critical roughness the
    minimum at 0 is stable for learning rates up to ``1 / (1 - 2 pi^2 delta /
    lam^2)``, so starts within a wavelength of it converge far beyond 1. With
    ``x0 = 10`` wavelengths (our default; the paper's own start is not checked
    here) we measured the onset of a fractal boundary (1000 steps, 2^15 learning
    rates in [0.95, 1.5], float64) between roughness 0.05 and 0.06, at the
    paper's threshold; from ``x0 = 1`` it appears only near 0.09.
    Deterministic; the key is ignored.

    Args:
      delta: amplitude of the cosine (any sign; 0 gives the plain quadratic).
      lam: its wavelength, > 0.
      x0: the starting point.
    """

    delta: float = 0.1
    lam: float = 1.0
    x0: float = 10.0



    def loss(self, params, key=None):
        # fastmath's cosine: one shared range reduction for the value and the slope
        return params**2 + self.delta * cos(2.0 * jnp.pi * params / self.lam)


@register("problem", "modulated_quadratic")
@dataclasses.dataclass(frozen=True)
class ModulatedQuadratic(_CosineFamily):
    """``f(x) = x^2 (1 + delta * cos(2 pi x / lam))``, started from ``x0``.

    The multiplicative family of Liu (2024, arXiv:2406.13971, Fig. 2b; the code is
    ``exp-0.jl`` in liuyz0/FractalBoundary): the cosine scales the quadratic instead of
    being added to it, so the ripples grow with ``|x|`` and, for ``|delta| < 1``, the
    loss stays non-negative with its only minimum at 0. Liu measures a fractal
    learning-rate boundary of dimension about 0.83 for ``delta = 0.2, lam = 0.1,
    x0 = 1`` (1000 steps of gradient descent). Deterministic; the key is ignored.

    Args:
      delta: amplitude of the modulation (any sign; 0 gives the plain quadratic).
      lam: its wavelength, > 0.
      x0: the starting point.
    """

    delta: float = 0.2
    lam: float = 0.1
    x0: float = 1.0



    def loss(self, params, key=None):
        return params**2 * (1.0 + self.delta * cos(2.0 * jnp.pi * params / self.lam))
