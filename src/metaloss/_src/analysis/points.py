"""The true outer loss at arbitrary points of outer coordinates (e.g. along a run)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.estimators.base import outer_fn
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space


@functools.partial(jax.jit, static_argnames=("meta", "space"))
def _points(coords, key, *, meta: MetaLoss, space: Space):
    return jax.vmap(outer_fn(meta, space, differentiable=False), in_axes=(0, None))(coords, key)


def evaluate_points(
    meta: MetaLoss,
    space: Space,
    coords: Mapping[str, Any],
    key: jax.Array | None = None,
) -> np.ndarray:
    """Outer loss at every point of ``coords`` (name -> array, all the same shape).

    Returns a NumPy array of that shape. Unlike the loss an estimator reports
    (for ES, an average over perturbed points), this is the loss at the point itself.
    ``key`` is the inner runs' key, required when the problem draws random numbers.
    """
    space.check(coords)
    arrays = {n: np.asarray(coords[n], float) for n in space.names}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    dtype = jnp.result_type(float)
    flat = {n: jnp.asarray(np.broadcast_to(a, shape).ravel(), dtype) for n, a in arrays.items()}
    out = _points(flat, meta.key_or_default(key), meta=meta, space=space)
    return np.asarray(out).reshape(shape)
