"""Any optax optimizer as an inner optimizer, its hyperparameters made leaves.

``optax.inject_hyperparams`` (optax >= 0.1.9) moves a transformation's numeric
hyperparameters into its state. :class:`FromOptax` overwrites them from the
``hparams`` mapping at every step, so ``jax.grad``, ``jax.vmap`` and landscape
axes reach them like those of the built-in optimizers::

    tx = optax.inject_hyperparams(optax.lion)(learning_rate=1e-4, b1=0.9, b2=0.99)
    meta = MetaLoss(problems.Quadratic(), FromOptax(tx), steps=100)
    meta({"lr": 3e-4, "b1": 0.95})

Hyperparameters given to ``inject_hyperparams`` as schedules stay schedules: optax
recomputes them each step, so they are not leaves and are not listed in ``defaults``.

Outer gradients through optax's Adam family are NaN when some parameter's gradient
is exactly 0 at every step (a constant input pixel, a dead unit): ``sqrt(nu)`` at
``nu = 0`` has an infinite derivative. Build such optimizers with ``eps_root=1e-16``,
or use :class:`metaloss._src.optimizers.Adam`, whose square root is guarded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from metaloss._src.errors import InputError
from metaloss._src.optimizers.base import HParams, InnerOptimizer, PyTree

# Recent optax returns the stateful variant; older releases the plain one.
_INJECTED_STATES = tuple(
    c for c in (getattr(optax, "InjectStatefulHyperparamsState", None),
                optax.InjectHyperparamsState) if c is not None
)

DEFAULT_RENAME = (("learning_rate", "lr"),)
"""optax's ``learning_rate`` is called ``lr`` here, like every other optimizer's."""


@dataclasses.dataclass(frozen=True)
class FromOptax(InnerOptimizer):
    """Wraps a transformation built with ``optax.inject_hyperparams(factory)(...)``.

    Args:
      tx: the injected transformation; the values it was built with are the defaults.
      rename: ``(optax name, metaloss name)`` pairs; by default ``learning_rate``
        becomes ``lr``.
      label: a name for reports (default: the optax factory's name when known).

    The update applies optax's updates to the parameters (``x <- x + u``), so the
    transformation must include its learning-rate scaling, as ``optax.adam`` etc. do.
    """

    tx: optax.GradientTransformation
    rename: tuple[tuple[str, str], ...] = DEFAULT_RENAME
    label: str | None = None
    # Read once from the transformation's initial state; concrete even when the
    # wrapper is first used inside a jit trace.
    _defaults: tuple[tuple[str, float], ...] = dataclasses.field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self):
        if not isinstance(self.tx, optax.GradientTransformation):
            raise InputError(f"FromOptax needs an optax transformation, got {self.tx!r}")
        with jax.ensure_compile_time_eval():
            state = self.tx.init(jnp.zeros((), jnp.result_type(float)))
        if not isinstance(state, _INJECTED_STATES):
            raise InputError(
                "FromOptax needs a transformation built with optax.inject_hyperparams(...)(...)"
            )
        rename = tuple(tuple(p) for p in self.rename)
        object.__setattr__(self, "rename", rename)
        to_ours = dict(rename)
        defaults = tuple(
            # via str: float32 0.001 reads back as 0.001, not 0.0010000000474974513
            (to_ours.get(name, name), float(str(np.asarray(value))))
            for name, value in state.hyperparams.items()
            # schedules are recomputed every step: not leaves
            if name not in getattr(state, "hyperparams_states", {})
        )
        object.__setattr__(self, "_defaults", defaults)

    @property
    def _to_optax(self) -> dict[str, str]:
        return {ours: theirs for theirs, ours in self.rename}

    @property
    def defaults(self) -> Mapping[str, float]:  # type: ignore[override]
        return dict(self._defaults)

    def init(self, params: PyTree) -> Any:
        return self.tx.init(params)

    def update(self, grads, state, params, hparams: HParams):
        injected = dict(state.hyperparams)
        for name, value in hparams.items():
            injected[self._to_optax.get(name, name)] = value
        updates, new_state = self.tx.update(grads, state._replace(hyperparams=injected), params)
        # Keep the carried state's own hyperparameter entries: the values live in
        # ``hparams``, and the scan carry must keep one structure and dtype.
        new_state = new_state._replace(hyperparams=state.hyperparams)
        return optax.apply_updates(params, updates), new_state

    @property
    def name(self) -> str:
        return self.label or "FromOptax"


def wrap(tx: optax.GradientTransformation, **kwargs) -> FromOptax:
    """Shorthand for :class:`FromOptax`."""
    return FromOptax(tx, **kwargs)
