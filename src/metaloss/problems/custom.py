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
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from metaloss.problems.base import Problem, PyTree


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
    """

    loss_fn: Callable[..., jax.Array]
    init_value: PyTree | Callable[[jax.Array], PyTree]
    val_loss_fn: Callable[[PyTree], jax.Array] | None = None
    stochastic: bool = False
    label: str | None = None

    def __init__(self, loss_fn, init, val_loss_fn=None, *, stochastic=False, name=None):
        if not callable(loss_fn):
            raise ValueError(f"loss_fn must be callable, got {loss_fn!r}")
        if val_loss_fn is not None and not callable(val_loss_fn):
            raise ValueError(f"val_loss_fn must be callable or None, got {val_loss_fn!r}")
        object.__setattr__(self, "loss_fn", loss_fn)
        object.__setattr__(self, "init_value", init)
        object.__setattr__(self, "val_loss_fn", val_loss_fn)
        object.__setattr__(self, "stochastic", bool(stochastic))
        object.__setattr__(self, "label", name or getattr(loss_fn, "__name__", None))

    def init(self, key=None):
        value = self.init_value(key) if callable(self.init_value) else self.init_value
        dtype = jnp.result_type(float)
        return jax.tree.map(lambda x: jnp.asarray(x, dtype), value)

    def loss(self, params, key=None):
        return self.loss_fn(params, key) if self.stochastic else self.loss_fn(params)

    def val_loss(self, params):
        if self.val_loss_fn is None:
            return self.loss(params, None)
        return self.val_loss_fn(params)

    @property
    def name(self) -> str:
        return self.label or "FromFunction"

    def __repr__(self) -> str:
        return f"FromFunction({self.name})"


def load_attribute(spec: str) -> Any:
    """Imports ``module:attribute`` (or ``file.py:attribute``); dotted attributes allowed.

    A module name that is not importable is also looked up in the working
    directory, as ``python -m`` would. Raises ``ValueError`` with a one-line message.
    """
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'module:attribute', got {spec!r}")
    module = _import(module_name)
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError(f"{module_name!r} has no attribute {attr!r}") from None
    return obj


def _import(module_name: str):
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise ValueError(f"no such file: {module_name}")
        name = "metaloss_user_" + os.path.splitext(os.path.basename(path))[0]
        file_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(file_spec)
        sys.modules[name] = module  # dataclasses and pickling look modules up here
        try:
            file_spec.loader.exec_module(module)
        except Exception as e:
            sys.modules.pop(name, None)
            raise ValueError(f"importing {module_name} failed: {_one_line(e)}") from e
        return module
    try:
        return _import_module(module_name)
    except ModuleNotFoundError:
        cwd = os.getcwd()
        if cwd in sys.path:
            raise ValueError(f"no module named {module_name!r}") from None
        sys.path.insert(0, cwd)
        try:
            return _import_module(module_name)
        except ModuleNotFoundError:
            raise ValueError(f"no module named {module_name!r}") from None
        finally:
            sys.path.remove(cwd)


def _import_module(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            raise  # the module itself is missing
        raise ValueError(f"importing {module_name} failed: {_one_line(e)}") from e
    except Exception as e:
        raise ValueError(f"importing {module_name} failed: {_one_line(e)}") from e


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def from_spec(spec: str) -> Problem:
    """The problem named by ``module:attribute``; see the module docstring for what it may be."""
    obj = load_attribute(spec)
    if isinstance(obj, type) and issubclass(obj, Problem):
        try:
            obj = obj()
        except TypeError as e:
            raise ValueError(f"{spec}: cannot construct {obj.__name__}(): {_one_line(e)}") from e
    elif callable(obj) and not isinstance(obj, Problem):
        try:
            obj = obj()
        except TypeError as e:
            raise ValueError(f"{spec}: expected a function of no arguments: {_one_line(e)}") from e
    if not isinstance(obj, Problem):
        raise ValueError(
            f"{spec} is a {type(obj).__name__}, not a metaloss Problem "
            "(wrap a loss with metaloss.problems.FromFunction(loss_fn, init))"
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
        raise ValueError(f"{label}: evaluating the loss at the initial parameters failed: "
                         f"{_one_line(e)}") from e
    for what, s in zip(("loss", "val_loss"), shapes, strict=True):
        if s.shape != () or not jnp.issubdtype(s.dtype, jnp.floating):
            raise ValueError(f"{label}: {what} must return a real scalar, got {s.dtype}{s.shape}")
