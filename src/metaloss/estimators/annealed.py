"""ES whose perturbation scale shrinks during outer training.

A large scale early smooths away the ripples of a chaotic meta-loss and finds the
broad basin; a small scale late lets the search settle inside it. Suggested as an
improvement in the study that metaloss starts from; annealed smoothing of this
kind is the idea behind graduated optimization (Blake & Zisserman, "Visual
Reconstruction", 1987) and Gaussian homotopy methods (Mobahi & Fisher III, 2015).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from metaloss.estimators.base import Estimator
from metaloss.estimators.es import ES


@dataclasses.dataclass(frozen=True)
class AnnealedES(Estimator):
    """Antithetic ES with ``std`` decaying geometrically from ``std_start`` to ``std_end``.

    The scale reaches ``std_end`` after ``horizon`` outer steps and stays there.
    The state is the outer step count.
    """

    std_start: float = 0.1
    std_end: float = 0.01
    horizon: int = 3000
    pairs: int = 1

    def __post_init__(self):
        ES(self.std_start, self.pairs)  # same checks on scale and pairs
        ES(self.std_end, self.pairs)
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or self.horizon < 1:
            raise ValueError(f"AnnealedES horizon must be an integer >= 1, got {self.horizon!r}")

    def init(self, meta, space, coords, key):
        return jnp.zeros((), jnp.int32)

    def std_at(self, step):
        frac = jnp.minimum(step / self.horizon, 1.0)
        return self.std_start * (self.std_end / self.std_start) ** frac

    def estimate(self, meta, space, coords, key, state):
        es = ES(self.std_start, self.pairs)
        loss, grad = es.estimate_at_scale(meta, space, coords, key, self.std_at(state))
        return loss, grad, state + 1

    def inner_steps(self, meta):
        return 2 * self.pairs * meta.steps
