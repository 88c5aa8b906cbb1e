"""User-defined inner problems: any pure loss plus an init, or a ``module:attribute`` spec.

From Python, wrap a loss function::

    prob = FromFunction(lambda p: jnp.sum((p - 3.0) ** 2), init=jnp.zeros(5))

From the command line, point ``--problem`` at an attribute of an importable
module, or of a ``.py`` file: ``--problem mymodule:problem`` or
``--problem path/to/file.py:make_problem``. The attribute may be a
:class:`Problem` instance, a :class:`Problem` subclass (instantiated with no
arguments), or a function of no arguments that returns a :class:`Problem`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from metaloss._src.errors import InputError
from metaloss._src.problems.base import Problem, PyTree
from metaloss._src.userload import describe_exception


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: hashed by identity
class FromFunction(Problem):
    """A problem made of a pure loss function and a starting point.

    Args:
      loss_fn: ``loss_fn(params) -> scalar``, or ``loss_fn(params, key)`` when
        ``stochastic=True`` (draw the minibatch from ``key``; ``key`` is ``None``
        for a deterministic evaluation). Must be pure and JAX-traceable.
      init: the starting parameters (any pytree of arrays), or a function
        ``init(key) -> params`` for a random start.
      val_loss_fn: optional ``val_loss_fn(params) -> scalar`` for the ``val_*``
        objectives; without it they use the training loss.
      stochastic: whether ``loss_fn`` takes a key.
      name: a label for reports and landscape metadata.
      hparams: the problem's own hyperparameters and their defaults, e.g.
        ``{"scale": 1.0}``: ``loss_fn`` then takes them as keyword arguments
        (``loss_fn(params, scale=...)``, after the key when stochastic), and they are
        outer parameters, landscape axes and ``--set`` values like any other.
      positive: those of ``hparams`` that must be finite and > 0.
    """

    loss_fn: Callable[..., jax.Array]
    init_value: PyTree | Callable[[jax.Array], PyTree]
    val_loss_fn: Callable[[PyTree], jax.Array] | None = None
    stochastic: bool = False
    label: str | None = None
    random_init: bool = False

    def __init__(self, loss_fn, init, val_loss_fn=None, *, stochastic=False, name=None,
                 hparams=None, positive=()):
        if not callable(loss_fn):
            raise InputError(f"loss_fn must be callable, got {loss_fn!r}")
        if val_loss_fn is not None and not callable(val_loss_fn):
            raise InputError(f"val_loss_fn must be callable or None, got {val_loss_fn!r}")
        object.__setattr__(self, "loss_fn", loss_fn)
        object.__setattr__(self, "init_value", init)
        object.__setattr__(self, "val_loss_fn", val_loss_fn)
        object.__setattr__(self, "stochastic", bool(stochastic))
        object.__setattr__(self, "random_init", callable(init))
        object.__setattr__(self, "label", name or getattr(loss_fn, "__name__", None))
        hparams = dict(hparams or {})
        taken = sorted(set(hparams) & (set(vars(self)) | set(dir(type(self)))))
        if taken:
            raise InputError(f"FromFunction: hyperparameter name {taken[0]!r} is taken by "
                             "the problem itself; choose another")
        if not set(positive) <= set(hparams):
            raise InputError(f"FromFunction: positive={tuple(positive)} names a hyperparameter "
                             f"not in hparams ({', '.join(hparams) or 'none'})")
        for hp_name, value in hparams.items():
            object.__setattr__(self, hp_name, float(value))
        object.__setattr__(self, "hparam_fields", tuple(hparams))
        object.__setattr__(self, "positive", tuple(positive))

    def init(self, key=None):
        value = self.init_value(key) if callable(self.init_value) else self.init_value
        dtype = jnp.result_type(float)
        return jax.tree.map(lambda x: jnp.asarray(x, dtype), value)

    def loss(self, params, key=None):
        hp = {n: getattr(self, n) for n in self.hparam_fields}
        if self.stochastic:
            return self.loss_fn(params, key, **hp)
        return self.loss_fn(params, **hp)

    def val_loss(self, params):
        if self.val_loss_fn is None:
            return self.loss(params, None)
        return self.val_loss_fn(params)

    @property
    def name(self) -> str:
        return self.label or "FromFunction"

    def __repr__(self) -> str:
        return f"FromFunction({self.name})"


def adapt(obj: Any, spec: str) -> Any:
    """What a ``module:attribute`` problem spec loaded, checked (see :func:`check_problem`)."""
    if not isinstance(obj, Problem):
        raise InputError(
            f"{spec} is a {type(obj).__name__}, not a metaloss Problem "
            "(wrap a loss with metaloss._src.problems.FromFunction(loss_fn, init))"
        )
    check_problem(obj, spec)
    return obj


def check_problem(problem: Problem, label: str | None = None) -> None:
    """Traces ``loss(init(key), key)`` and ``val_loss`` once (no compute) and checks
    they give real scalars, so a broken user problem fails here with one line
    instead of deep inside a compiled landscape."""
    label = label or repr(problem)
    key = jax.random.key(0)

    def both():
        params = problem.init(key)
        return problem.loss(params, key), problem.val_loss(params)

    try:
        shapes = jax.eval_shape(both)
    except Exception as e:
        raise InputError(f"{label}: evaluating the loss at the initial parameters failed: "
                         f"{describe_exception(e)}") from e
    for what, s in zip(("loss", "val_loss"), shapes, strict=True):
        if s.shape != () or not jnp.issubdtype(s.dtype, jnp.floating):
            raise InputError(f"{label}: {what} must return a real scalar, got {s.dtype}{s.shape}")
