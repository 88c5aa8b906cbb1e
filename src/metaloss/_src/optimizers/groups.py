"""Per-group hyperparameters: ``lr/layer0`` is the learning rate of the first layer.

A problem's parameters fall into groups by their top-level entry: the keys of a
dict (``{"w": ..., "b": ...}`` gives groups ``w`` and ``b``) or the positions of
a list or tuple (``[layer, layer]`` gives ``layer0`` and ``layer1``). A
hyperparameter ``NAME/GROUP`` overrides the optimizer's ``NAME`` for the leaves of
that group; groups without an override use ``NAME``.

:class:`PerGroup` applies this to any inner optimizer: it runs the optimizer's
``update`` once with the shared values and once per overridden group, and takes
each group's parameters and optimizer-state leaves from its own run. A state leaf
belongs to a group when its path ends with the path of one of the group's
parameters (``velocity[0]["w"]`` ends with ``[0]["w"]``); leaves shared by all
parameters (a step count) come from the shared run. That is exact for optimizers
that act on each parameter leaf alone (SGD, momentum, Adam, RMSprop and optax's
element-wise transformations); for one that couples leaves (a global-norm clip)
each group sees the others' update at the shared values. The unused parts of each
run are dead code that XLA removes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
from jax.tree_util import DictKey, SequenceKey

from metaloss._src.optimizers.base import HParams, InnerOptimizer, PyTree

SEP = "/"


def split_name(name: str) -> tuple[str, str | None]:
    """``"lr/layer0"`` -> ``("lr", "layer0")``; ``"lr"`` -> ``("lr", None)``."""
    base, sep, group = name.partition(SEP)
    return base, (group if sep else None)


def _group_of(entry: Any) -> str | None:
    if isinstance(entry, DictKey):
        return str(entry.key)
    if isinstance(entry, SequenceKey):
        return f"layer{entry.idx}"
    return None


def group_names(params: PyTree) -> tuple[str, ...]:
    """The groups of a parameter pytree (its top-level dict keys or ``layer{i}``);
    empty for a single array."""
    names = []
    for path, _ in jax.tree_util.tree_flatten_with_path(params)[0]:
        group = _group_of(path[0]) if path else None
        if group is not None and group not in names:
            names.append(group)
    return tuple(names)


def overrides(hparams: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{group: {name: value}}`` from the ``NAME/GROUP`` entries of ``hparams``."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in hparams.items():
        base, group = split_name(name)
        if group is not None:
            out.setdefault(group, {})[base] = value
    return out


def _take_group(shared: PyTree, own: PyTree, params: PyTree, group: str) -> PyTree:
    """``shared`` with every leaf that belongs to ``group`` taken from ``own``."""
    paths = {tuple(path): leaf.shape
             for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]
             if path and _group_of(path[0]) == group}
    depth = {len(p) for p in paths}

    def pick(path, a, b):
        for n in depth:
            tail = tuple(path[len(path) - n:]) if len(path) >= n else None
            if tail in paths and getattr(a, "shape", None) == paths[tail]:
                return b
        return a

    return jax.tree_util.tree_map_with_path(pick, shared, own)


@dataclasses.dataclass(frozen=True)
class PerGroup(InnerOptimizer):
    """``inner`` with ``NAME/GROUP`` hyperparameters overriding ``NAME`` per group.

    Same state as ``inner`` (``init`` is ``inner.init``), so a run can switch to
    per-group values without a new state. See the module docstring for which
    optimizers this is exact for.
    """

    inner: InnerOptimizer

    @property
    def defaults(self) -> Mapping[str, float]:  # type: ignore[override]
        return self.inner.defaults

    def init(self, params: PyTree) -> PyTree:
        return self.inner.init(params)

    def update(self, grads, state, params, hparams: HParams):
        shared = {k: v for k, v in hparams.items() if split_name(k)[1] is None}
        new_params, new_state = self.inner.update(grads, state, params, shared)
        for group, values in overrides(hparams).items():
            own_params, own_state = self.inner.update(grads, state, params,
                                                      {**shared, **values})
            new_params = _take_group(new_params, own_params, params, group)
            new_state = _take_group(new_state, own_state, params, group)
        return new_params, new_state

    def validate(self, hparams):
        self.inner.validate(hparams)
