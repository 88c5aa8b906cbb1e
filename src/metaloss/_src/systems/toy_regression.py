"""The PES paper's 2-D toy regression: meta-learning a learning-rate schedule.

Vicol, Metz & Sohl-Dickstein (ICML 2021), Sec. 5.1 and their code
(google-research ``persistent_es/toy_regression.py``): SGD from ``x = (1, 1)`` on

    f(x) = sqrt(x0^2 + 5) - sqrt(5) + sin(x1)^2 exp(-5 x0^2) + 0.25 |x1 - 100|

for ``T = 100`` steps, with the learning rate at step ``t``

    lr(t) = exp(theta0) (1 - t / T) + exp(theta1) t / T,

the outer parameters ``(theta0, theta1)`` the logs of the rates at the start and the
end. This follows the code, which interpolates linearly between the exponentiated
end points (the text calls the schedule linear in ``log``-parametrized end points);
it also keeps the code's weight decay ``1e-10`` and its loss, read after each step and
summed over the unroll. The paper starts the outer parameters at ``(-4, -4)``.

The summed loss over ``(theta0, theta1)`` is a plateau near 2490 (small rates never
get far towards ``x1 = 100``) falling to about 560 in a band of large initial rates
(``theta0`` near 2.8), rugged from the ``sin^2`` term; gradient descent on it stalls
on the plateau, PES's smoothing carries it into the band
(:mod:`metaloss._src.study.pes_paper` measures both).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp

from metaloss._src.errors import InputError, check_int
from metaloss._src.spec import register
from metaloss._src.systems.base import System


def surface(x):
    """The inner loss of the toy regression."""
    return (jnp.sqrt(x[0] ** 2 + 5.0) - jnp.sqrt(5.0) + jnp.sin(x[1]) ** 2
            * jnp.exp(-5.0 * x[0] ** 2) + 0.25 * jnp.abs(x[1] - 100.0))


@register("problem", "toy_regression")
@dataclasses.dataclass(frozen=True)
class ToyRegression(System):
    """SGD on the paper's 2-D surface under a two-point learning-rate schedule.

    Args:
      T: the schedule's length in steps (the paper's unroll, 100; use it as ``steps``).
      theta0: default outer parameter, the log of the first rate.
      theta1: default outer parameter, the log of the last rate.
      weight_decay: added to the gradient times ``x`` (the code's ``1e-10``).
    """

    T: int = 100
    theta0: float = -4.0
    theta1: float = -4.0
    weight_decay: float = 1e-10

    hparam_fields: ClassVar[tuple[str, ...]] = ("theta0", "theta1")

    def __post_init__(self):
        check_int("toy_regression T", self.T)
        if not float(self.weight_decay) >= 0:
            raise InputError(f"toy_regression: weight_decay={self.weight_decay} must be >= 0")

    def init(self, key=None):
        return jnp.ones(2, jnp.result_type(float))

    def loss(self, params, key=None):
        return surface(params)

    def learning_rate(self, hparams, t):
        """``lr(t)`` for outer parameters ``hparams`` (``theta0``, ``theta1``)."""
        frac = jnp.asarray(t, jnp.result_type(float)) / self.T
        return jnp.exp(hparams["theta0"]) * (1 - frac) + jnp.exp(hparams["theta1"]) * frac

    def step(self, state, hparams, t, key):
        grad = jax.grad(surface)(state) + self.weight_decay * state
        new = state - self.learning_rate(hparams, t) * grad
        return new, surface(new)
