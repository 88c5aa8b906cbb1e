"""An ill-conditioned quadratic: the simplest inner problem with a known answer.

On a quadratic, gradient descent with momentum is a linear dynamical system, so
the trainable / divergent boundary is known in closed form (plain SGD diverges
exactly when ``lr > 2 / max curvature``; with heavy-ball momentum ``m`` the bound
is ``lr < 2 (1 + m) / max curvature``; Polyak, "Some methods of speeding up the
convergence of iteration methods", 1964). That makes it the reference problem for
checking divergence handling and landscape code.
"""

from __future__ import annotations

import dataclasses
import functools

import jax.numpy as jnp
import numpy as np

from metaloss._src.errors import MAX_DIM, InputError, check_int
from metaloss._src.problems.base import Problem
from metaloss._src.spec import register

MAX_ROTATED_DIM = 4096
"""Largest ``dim`` with ``rotate=True`` (its rotation: 128 MiB of float64)."""


@functools.lru_cache(maxsize=32)
def _rotation(dim: int, seed: int) -> np.ndarray:
    # A fixed random orthogonal basis, so diagonal preconditioners (Adam, RMSProp)
    # do not get the eigenbasis for free when ``rotate=True``.
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


@register("problem", "quadratic")
@dataclasses.dataclass(frozen=True)
class Quadratic(Problem):
    """``f(x) = 1/2 sum_i h_i (R x)_i^2`` started from ``x = (1, ..., 1)``.

    The curvatures ``h_i`` are log-spaced from 1 down to ``1 / condition``, so the
    largest is always 1 and SGD is stable for ``lr < 2`` whatever the condition
    number. The minimum is ``x = 0`` with ``f = 0``. Deterministic: the key is ignored.

    Args:
      dim: number of parameters, >= 1.
      condition: ratio of the largest to the smallest curvature, >= 1.
      rotate: rotate the eigenbasis by a fixed random orthogonal matrix.
      seed: the rotation's seed (used only with ``rotate=True``).
    """

    dim: int = 10
    condition: float = 100.0
    rotate: bool = False
    seed: int = 0

    def __post_init__(self):
        check_int("Quadratic dim", self.dim, limit=MAX_DIM)
        if self.rotate and self.dim > MAX_ROTATED_DIM:  # a dense dim x dim rotation
            raise InputError(f"Quadratic dim {self.dim} with rotate=True is above the limit of "
                             f"{MAX_ROTATED_DIM} (the rotation is a dense dim x dim matrix): "
                             "use a smaller dim or rotate=False")
        if not (isinstance(self.condition, (int, float)) and self.condition >= 1):
            raise InputError(f"Quadratic condition must be a number >= 1, got {self.condition!r}")

    @property
    def curvatures(self) -> np.ndarray:
        """The Hessian's eigenvalues ``h_i``, largest first, shape ``(dim,)``."""
        return np.logspace(0.0, -np.log10(float(self.condition)), self.dim)

    def hessian(self) -> np.ndarray:
        """The Hessian ``R^T diag(h) R``, shape ``(dim, dim)`` (float64)."""
        rot = _rotation(self.dim, self.seed) if self.rotate else np.eye(self.dim)
        return rot.T @ np.diag(self.curvatures) @ rot

    def init(self, key=None):
        return jnp.ones((self.dim,), jnp.result_type(float))

    def loss(self, params, key=None):
        z = params
        if self.rotate:
            z = jnp.asarray(_rotation(self.dim, self.seed), params.dtype) @ params
        h = jnp.asarray(self.curvatures, params.dtype)
        return 0.5 * jnp.sum(h * z**2)
