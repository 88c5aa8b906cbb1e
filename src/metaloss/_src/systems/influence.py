"""Influence balancing: the canonical case where truncation biases the outer gradient.

Tallec & Ollivier, "Unbiased Online Recurrent Optimization" (ICLR 2018), as set up by
Vicol, Metz & Sohl-Dickstein, "Unbiased Gradient Estimation in Unrolled Computation
Graphs with Persistent Evolution Strategies" (ICML 2021, Sec. 5.1): a linear system
of ``n = 23`` entries, ``s <- A s + theta * sign`` with ``A = 0.5 I + 0.5 U`` (``U``
the superdiagonal) and ``sign`` the first 10 entries +1, the rest -1, started at all
ones with ``theta = 0.5``; loss ``0.5 (s[0] - 1)^2`` read after each step.

At the fixed point ``s[0] = 2 theta * sum(sign) = -6 theta``, so the long-horizon
optimum is ``theta* = -1/6``. A short window sees only ``theta``'s direct push on
``s[0]`` (``+1`` per step), while its long-run effect through the chain is ``-6``:
truncated gradients point the wrong way.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax.numpy as jnp

from metaloss._src.errors import InputError
from metaloss._src.spec import register
from metaloss._src.systems.base import System


@register("problem", "influence_balancing")
@dataclasses.dataclass(frozen=True)
class InfluenceBalancing(System):
    """The influence-balancing system (the paper's sizes and start by default).

    Args:
      n: state entries.
      num_positive: how many of them the input pushes up (the rest it pushes down).
      theta: the hyperparameter's default value.
      read: ``"after"`` (the paper's) or ``"before"`` the step; see
        :mod:`metaloss._src.systems.base`.
    """

    n: int = 23
    num_positive: int = 10
    theta: float = 0.5
    read: str = "after"

    hparam_fields: ClassVar[tuple[str, ...]] = ("theta",)

    def __post_init__(self):
        if not 1 <= int(self.num_positive) <= int(self.n):
            raise InputError(f"influence_balancing: num_positive={self.num_positive} must lie in "
                             f"[1, n={self.n}]")
        if self.read not in ("after", "before"):
            raise InputError(f"influence_balancing: read={self.read!r}; use 'after' or 'before'")

    @property
    def sign(self):
        return jnp.where(jnp.arange(self.n) < self.num_positive, 1.0, -1.0)

    def init(self, key=None):
        return jnp.ones(self.n, jnp.result_type(float))

    def loss(self, params, key=None):
        return 0.5 * (params[0] - 1.0) ** 2

    def step(self, state, hparams, t, key):
        # A s: half of each entry plus half of its successor (the last has none).
        shifted = jnp.concatenate([state[1:], jnp.zeros_like(state[:1])])
        new = 0.5 * state + 0.5 * shifted + hparams["theta"] * self.sign.astype(state.dtype)
        return new, self.loss(new if self.read == "after" else state)

    def optimum(self) -> float:
        """The long-horizon optimum ``theta* = 1 / (2 * sum(sign))``."""
        return 1.0 / (2.0 * (2 * self.num_positive - self.n))
