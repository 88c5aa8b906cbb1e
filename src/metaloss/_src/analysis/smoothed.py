"""The Gaussian-smoothed outer loss and its gradient: the truth ES-type estimators target.

Evolution strategies (ES, PES, NRES, Guided ES, the ES/pathwise hybrid) estimate
the gradient of ``L_std(theta) = E[L(theta + std * z)]``, ``z ~ N(0, I)``, not of
``L`` itself. By Stein's identity ``grad L_std(theta) = E[z L(theta + std * z)] / std``,
which needs only values of ``L``, never its gradient through a chaotic unroll.

Up to :data:`MAX_QUADRATURE_DIMS` outer dimensions both integrals are computed by
Gauss-Hermite quadrature (probabilists' Hermite polynomials, the tensor product of
``nodes`` points per dimension, default :data:`DEFAULT_NODES`: 256 in 1-D, 64 x 64 =
4096 in 2-D, 16^3 = 4096 in 3-D). Its error depends on how smooth the loss is at
the scale ``std``. Measured on the study's problem (Wavy1D, SGDM, 50 steps,
(log10 lr, log10(1 - momentum))), ``std = 0.1``, float64, against 256 x 256 nodes:
at the smooth points (-2, -0.5) and (-2.5, -2) the 64 x 64 gradient agrees to
7e-7 and 2e-5 of its norm (against a converged trapezoid rule, 1e-6 and 1.4e-5,
which ``tests/core/test_smoothed.py`` checks); at (0, -1.5) and (-1, -1), where the
unroll is chaotic and the loss rugged far below ``std``, only to 10% and 11% (32 x 32: 21% and 16%;
128 x 128: 7% and 8%; there the 256 x 256 reference itself agrees with a
16384-pair Monte Carlo estimate to 1-2%). At those rugged points Monte Carlo with
``samples=4096`` (8192 evaluations, twice the 64 x 64 rule's) came closer: 0.2%
and 4-6%, while at the smooth points it was 1-4% off. So quadrature is the right
truth where the loss is smooth at the scale ``std``, and ``samples`` is worth
passing where it is rugged; :func:`~metaloss._src.analysis.estimator_maps` reports the
difference from a rule with half the nodes so that a map shows which is which.
Beyond three dimensions the tensor grid is too large and the common-random-number
Monte Carlo estimate with ``samples`` antithetic draws (the same draws at every
point, so maps stay smooth) replaces it; its error falls as ``1 / sqrt(samples)``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.errors import MAX_SAMPLES, InputError, check_int, check_positive
from metaloss._src.estimators.base import outer_fn
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space

MAX_QUADRATURE_DIMS = 3
"""Most outer dimensions integrated by tensor Gauss-Hermite quadrature."""

DEFAULT_NODES = {1: 256, 2: 64, 3: 16}
"""Quadrature nodes per dimension, by the number of outer dimensions."""

EVALUATIONS_PER_BATCH = 2**18
"""Unrolls vmapped at once: points per batch times nodes per point."""


def size_class(n: int) -> int:
    """The padded size of ``n`` items: the next power of two, so that compiled programs
    are reused for every ``n`` of the same class."""
    return 1 << max(int(n) - 1, 0).bit_length()


def hermite_rule(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss-Hermite rule for ``E[f(z)]``, ``z ~ N(0, I_d)``.

    Returns:
      ``(nodes (n**d, d), weights (n**d,))`` in float64; the weights sum to 1.
    """
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / np.sqrt(2 * np.pi)
    nodes = np.array(list(itertools.product(x, repeat=d)), float).reshape(-1, d)
    weights = np.prod(np.array(list(itertools.product(w, repeat=d)), float), axis=1)
    return nodes, weights


@functools.partial(jax.jit, static_argnames=("meta", "space", "batch"))
def _smoothed(theta, std, z, w, key, *, meta: MetaLoss, space: Space, batch: int):
    """``(loss (P,), grad (P, d))`` of the smoothed loss at the rows of ``theta (P, d)``
    from the rule ``(z (N, d), w (N,))``."""
    f = outer_fn(meta, space, differentiable=False)
    names = space.names

    def at(t):
        losses = jax.vmap(lambda e: f(dict(zip(names, t + std * e, strict=True)), key))(z)
        return jnp.sum(w * losses), jnp.sum((w * losses)[:, None] * z, axis=0) / std

    return jax.lax.map(at, theta, batch_size=batch)


def _rule(d: int, nodes: int | None, samples: int | None, key):
    if nodes is not None and samples is not None:
        raise InputError("give nodes (quadrature) or samples (Monte Carlo), not both")
    if samples is None:
        if d > MAX_QUADRATURE_DIMS:
            raise InputError(f"{d} outer dimensions are more than quadrature supports "
                             f"({MAX_QUADRATURE_DIMS}); pass samples=N for a Monte Carlo "
                             "estimate")
        n = DEFAULT_NODES[d] if nodes is None else check_int("quadrature nodes", nodes, 2)
        z, w = hermite_rule(n, d)
        return z, w, key
    samples = check_int("samples", samples, 2, limit=MAX_SAMPLES, hint="use fewer samples")
    if key is None:
        raise InputError("a Monte Carlo smoothed gradient needs a key, e.g. "
                         "key=jax.random.key(0)")
    k_noise, k_inner = jax.random.split(key)
    half = np.asarray(jax.random.normal(k_noise, (samples, d)), float)
    z = np.concatenate([half, -half])
    return z, np.full(2 * samples, 1.0 / (2 * samples)), k_inner


def smoothed(
    meta: MetaLoss,
    space: Space,
    coords: Mapping[str, Any],
    std: float,
    *,
    nodes: int | None = None,
    samples: int | None = None,
    key: jax.Array | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The smoothed loss and its gradient: ``(loss, name -> gradient component)``.

    See :func:`smoothed_gradient` for the arguments.
    """
    check_positive("std", std)
    space.check(coords)
    d = len(space)
    z, w, inner = _rule(d, nodes, samples, key)
    arrays = [np.asarray(coords[n], float) for n in space.names]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = np.stack([np.broadcast_to(a, shape).ravel() for a in arrays], axis=-1)
    n = flat.shape[0]
    padded = np.concatenate([flat, np.repeat(flat[-1:], size_class(n) - n, axis=0)])
    dtype = jnp.result_type(float)
    loss, grad = _smoothed(jnp.asarray(padded, dtype), jnp.asarray(std, dtype),
                           jnp.asarray(z, dtype), jnp.asarray(w, dtype),
                           meta.key_or_default(inner), meta=meta, space=space,
                           batch=max(1, min(EVALUATIONS_PER_BATCH // len(w), len(padded))))
    loss, grad = np.asarray(loss, float)[:n], np.asarray(grad, float)[:n]
    return loss.reshape(shape), {k: grad[:, i].reshape(shape)
                                 for i, k in enumerate(space.names)}


def smoothed_gradient(meta, space, coords, std, *, nodes=None, samples=None, key=None):
    """Gradient of the Gaussian-smoothed outer loss ``E[L(theta + std * z)]``.

    Args:
      meta: the meta-loss.
      space: the outer coordinates ``theta`` live in (and are perturbed in).
      coords: name -> outer coordinates, arrays of one broadcastable shape.
      std: smoothing scale in outer coordinates (> 0), the ``std`` of the ES-type
        estimator being judged.
      nodes: Gauss-Hermite nodes per dimension (default :data:`DEFAULT_NODES`).
      samples: antithetic Monte Carlo draws instead of quadrature (required beyond
        :data:`MAX_QUADRATURE_DIMS` dimensions), shared by all points.
      key: the inner runs' key (needed for stochastic problems); for Monte Carlo
        also the draws' key, then required.

    Returns:
      name -> NumPy array of the coordinates' shape.

    Raises:
      InputError: ``std <= 0``, a bad node or sample count, or too many dimensions
        for quadrature without ``samples``.
    """
    return smoothed(meta, space, coords, std, nodes=nodes, samples=samples, key=key)[1]


def smoothed_loss(meta, space, coords, std, *, nodes=None, samples=None, key=None):
    """The Gaussian-smoothed outer loss itself (for plots); arguments as
    :func:`smoothed_gradient`. Returns a NumPy array of the coordinates' shape."""
    return smoothed(meta, space, coords, std, nodes=nodes, samples=samples, key=key)[0]
