"""Estimators judged against ground truth on every pixel: bias, variance, alignment maps.

Each estimator's expectation is the gradient of something: the exact outer loss
(backprop, forward mode, truncated backprop, whose window mean misses the
long-horizon terms) or its Gaussian smoothing (ES, PES, NRES, Guided ES, the
hybrid; see :meth:`metaloss._src.estimators.Estimator.smoothing`). With that truth
computed on a grid (:func:`~metaloss._src.analysis.smoothed_gradient`, or the exact
gradient by reverse mode), many independent estimates per pixel turn bias,
variance and alignment into maps that show where each estimator can be trusted.
"""

from __future__ import annotations

import functools
import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss._src.analysis.smoothed import (
    DEFAULT_NODES,
    MAX_QUADRATURE_DIMS,
    size_class,
    smoothed_gradient,
)
from metaloss._src.errors import MAX_SAMPLES, InputError, check_int
from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space

INNER_STEPS_PER_CHUNK = 2**22
"""About how many inner steps one compiled call runs (bounds its memory)."""


@functools.partial(jax.jit, static_argnames=("meta", "space", "est"))
def _estimates(theta, key, offset, *, meta: MetaLoss, space: Space, est: Estimator):
    """``(C, d)`` estimates, one per row ``j`` of ``theta (C, d)`` with the key
    ``fold_in(key, offset + j)``, each the mean over the ``est.phases(meta)``
    consecutive estimates that cover one inner run."""
    names = space.names
    keys = jax.vmap(jax.random.fold_in, (None, 0))(key, offset + jnp.arange(theta.shape[0]))

    def one(t, key):
        coords = dict(zip(names, t, strict=True))
        k_init, k_loop = jax.random.split(key)

        def body(state, k):
            _, grad, state = est.estimate(meta, space, coords, k, state)
            return state, jnp.stack([grad[n] for n in names])

        phases = jax.random.split(k_loop, est.phases(meta))
        _, grads = jax.lax.scan(body, est.init(meta, space, coords, k_init), phases)
        return jnp.mean(grads, axis=0)

    return jax.vmap(one)(theta, keys)


@functools.partial(jax.jit, static_argnames=("meta", "space"))
def _exact(theta, key, *, meta: MetaLoss, space: Space):
    f = outer_fn(meta, space)
    names = space.names

    def one(t):
        g = jax.grad(f)(dict(zip(names, t, strict=True)), key)
        return jnp.stack([g[n] for n in names])

    return jax.lax.map(one, theta, batch_size=min(4096, theta.shape[0]))


def exact_gradient(meta: MetaLoss, space: Space, theta: np.ndarray) -> np.ndarray:
    """Reverse-mode gradient of the outer loss at the rows of ``theta (P, d)``."""
    n = theta.shape[0]
    padded = np.concatenate([theta, np.repeat(theta[-1:], size_class(n) - n, axis=0)])
    out = _exact(jnp.asarray(padded, jnp.result_type(float)), meta.key_or_default(None),
                 meta=meta, space=space)
    return np.asarray(out, float)[:n]


def chunk_size(est: Estimator, meta: MetaLoss, jobs: int) -> int:
    """Estimates per compiled call: a power of two, fixed by the estimator's cost, so
    other grids and sample counts reuse the program (fewer only for small jobs)."""
    per = max(1.0, est.inner_steps(meta) * est.phases(meta))
    most = 1 << max(0, int(np.log2(INNER_STEPS_PER_CHUNK / per)))
    return min(most, size_class(jobs))


def sample_estimates(meta, space, est, theta, samples, key) -> np.ndarray:
    """``(P, samples, d)`` independent run-averaged estimates at the rows of ``theta``;
    estimate ``s`` at point ``p`` uses the key ``fold_in(key, p * samples + s)``."""
    jobs = theta.shape[0] * samples
    rows = np.repeat(theta, samples, axis=0)
    c = chunk_size(est, meta, jobs)
    rows = np.concatenate([rows, np.repeat(rows[-1:], -jobs % c, axis=0)])
    dtype = jnp.result_type(float)
    out = [np.asarray(_estimates(jnp.asarray(rows[i:i + c], dtype), key, np.int32(i),
                                 meta=meta, space=space, est=est), float)
           for i in range(0, len(rows), c)]
    return np.concatenate(out)[:jobs].reshape(theta.shape[0], samples, -1)


def summarize(g: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Per-point statistics of estimates ``g (P, S, d)`` against ``truth (P, d)``."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels stay NaN
        mean = g.mean(axis=1)
        var = g.var(axis=1, ddof=1).sum(axis=-1) if g.shape[1] > 1 else np.full(len(g), np.nan)
        norms = np.linalg.norm(g, axis=-1) * np.linalg.norm(truth, axis=-1)[:, None]
        cos = np.einsum("psd,pd->ps", g, truth) / np.where(norms > 0, norms, np.nan)
        err2 = np.sum((mean - truth) ** 2, axis=-1)
        return {"mean": mean, "bias": np.sqrt(err2), "variance": var,
                # |mean - truth|^2 overstates bias^2 by the mean's own variance
                "squared_bias": np.maximum(err2 - var / g.shape[1], 0.0),
                "cosine": np.nanmean(cos, axis=1),
                "truth_norm": np.linalg.norm(truth, axis=-1)}


def _grid(space: Space, axes: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    space.check(axes)
    values = {n: np.atleast_1d(np.asarray(axes[n], float)) for n in axes}
    for n, v in values.items():
        if v.ndim != 1 or v.size == 0:
            raise InputError(f"axis {n!r} must be a non-empty 1-D array of values")
    coords = [np.asarray(space[n].inverse(values[n]), float) for n in axes]
    mesh = np.meshgrid(*coords, indexing="ij")
    theta = np.stack([mesh[list(axes).index(n)].ravel() for n in space.names], axis=-1)
    return values, theta


def check_maps(meta: MetaLoss, space: Space, estimators: Sequence[Estimator], samples: int,
               truth_samples: int | None = None, size: int | None = None) -> int:
    """What :func:`estimator_maps` refuses, checked before any work (:class:`InputError`),
    and, given, a grid ``size`` per axis (>= 2); returns ``samples`` as an ``int``."""
    if size is not None:
        check_int("map size", size, minimum=2)
    if meta.problem.needs_key:
        raise InputError("estimator maps need a problem that draws no random numbers: "
                         "their truth is one deterministic outer loss")
    if not estimators:
        raise InputError("estimator_maps needs at least one estimator")
    names = [e.name for e in estimators]
    if len(set(names)) < len(names):
        raise InputError("estimators repeat in estimator_maps")
    for e in estimators:
        e.check(meta)
    if (len(space) > MAX_QUADRATURE_DIMS and truth_samples is None
            and any(e.smoothing() is not None for e in estimators)):
        raise InputError(f"{len(space)} outer dimensions are more than the smoothed truth's "
                         f"quadrature supports ({MAX_QUADRATURE_DIMS}); pass truth_samples=N")
    return check_int("samples", samples, minimum=2, limit=MAX_SAMPLES,
                     hint="use fewer samples")


def truth(meta, space, theta, std, nodes=None, truth_samples=None, key=None):
    """``(truth (P, d), its error estimate (P,))`` at the rows of ``theta``.

    ``std`` ``None``: the exact gradient (error not estimated: NaN). Otherwise the
    smoothed gradient by quadrature, whose error is estimated as the norm of its
    difference from the rule with half the nodes per dimension (NaN for Monte
    Carlo truths).
    """
    if std is None:
        return exact_gradient(meta, space, theta), np.full(len(theta), np.nan)
    pts = {n: theta[:, j] for j, n in enumerate(space.names)}

    def at(n):
        g = smoothed_gradient(meta, space, pts, std, nodes=n, samples=truth_samples,
                              key=None if truth_samples is None else key)
        return np.stack([g[k] for k in space.names], axis=-1)

    fine = at(nodes)
    if truth_samples is not None:
        return fine, np.full(len(theta), np.nan)
    n = DEFAULT_NODES[len(space)] if nodes is None else nodes
    return fine, np.linalg.norm(fine - at(max(2, n // 2)), axis=-1)


def target_label(est: Estimator) -> str:
    s = est.smoothing()
    return "exact gradient" if s is None else f"smoothed gradient (std={s:g})"


def estimator_maps(
    meta: MetaLoss,
    space: Space,
    estimators: Sequence[Estimator],
    axes: Mapping[str, Any],
    *,
    samples: int = 64,
    key: jax.Array,
    nodes: int | None = None,
    truth_samples: int | None = None,
    log: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Mean, bias, variance and alignment of every estimator on a grid, against its truth.

    At each grid point each estimator draws ``samples`` independent estimates, each
    the mean of ``est.phases(meta)`` consecutive calls that cover one inner run at
    that point (one call for full-unroll estimators; every window for PES, NRES and
    truncated backprop), so its expectation is defined. Each is judged against the
    truth it targets (:meth:`~metaloss._src.estimators.Estimator.smoothing`): the exact
    gradient, or the gradient of the loss smoothed at the estimator's ``std``
    (:func:`~metaloss._src.analysis.smoothed_gradient`, quadrature with ``nodes``).

    Args:
      meta: the meta-loss (a problem that draws no random numbers: the truth is of
        one deterministic outer loss).
      space: the outer coordinates estimators move in.
      estimators: the estimators to judge (distinct).
      axes: name -> 1-D hyperparameter values (as for :func:`metaloss.landscape`),
        one per name of ``space``, the dims in the order given.
      samples: estimates per point and estimator (>= 2).
      key: PRNG key of the estimates.
      nodes: quadrature nodes per dimension for smoothed truths.
      truth_samples: antithetic Monte Carlo draws for smoothed truths instead of
        quadrature (required beyond three outer dimensions).
      log: optional ``str -> None`` told each estimator's wall time (truth included).

    Returns:
      ``xarray.Dataset`` with dims ``estimator``, ``coordinate`` (the outer
      coordinates) and the axes: ``mean`` and ``truth`` (estimator, coordinate,
      *axes); ``bias`` (norm of mean - truth), ``std_error`` (of that mean, the
      square root of variance / samples), ``squared_bias`` (``bias^2 - variance /
      samples``, floored at 0: an unbiased estimate of the squared bias, to set
      against ``variance`` in the mean squared error of one estimate),
      ``variance`` (trace of the covariance of one estimate), ``cosine`` (mean
      cosine between one estimate and the truth), ``truth_norm`` and
      ``truth_error`` (the smoothed truth's error estimate: its difference from
      quadrature with half the nodes; NaN for exact and Monte Carlo truths)
      (estimator, *axes); ``cost`` (estimator): inner steps of one
      estimate. The ``target`` coordinate says which truth each estimator is judged
      against; ``outer_<name>`` gives each axis in outer coordinates.
    """
    if key is None:
        raise InputError("estimator_maps needs a key, e.g. key=jax.random.key(0)")
    estimators = list(estimators)
    samples = check_maps(meta, space, estimators, samples, truth_samples)
    values, theta = _grid(space, axes)
    outer = {f"outer_{n}": (n, np.asarray(space[n].inverse(v), float))
             for n, v in values.items()}
    shape = tuple(len(v) for v in values.values())
    dims = tuple(values)
    truths: dict[float | None, tuple[np.ndarray, np.ndarray]] = {}
    k_truth = jax.random.fold_in(key, len(estimators))  # the estimators use 0 .. n - 1
    stats: dict[str, list[np.ndarray]] = {}
    for i, est in enumerate(estimators):
        t0 = time.perf_counter()
        s = est.smoothing()
        if s not in truths:
            truths[s] = truth(meta, space, theta, s, nodes, truth_samples, k_truth)
        g = sample_estimates(meta, space, est, theta, samples, jax.random.fold_in(key, i))
        t, err = truths[s]
        for k, v in {**summarize(g, t), "truth": t, "truth_error": err}.items():
            stats.setdefault(k, []).append(v)
        if log is not None:
            log(f"{est.name}: {time.perf_counter() - t0:.1f} s")

    def field(k, vector=False):
        a = np.stack(stats[k])
        if vector:  # (estimator, P, d) -> (estimator, coordinate, *axes)
            return (("estimator", "coordinate", *dims),
                    np.moveaxis(a, -1, 1).reshape(len(estimators), len(space), *shape))
        return ("estimator", *dims), a.reshape(len(estimators), *shape)

    data = {"mean": field("mean", True), "truth": field("truth", True)}
    data.update({k: field(k) for k in ("bias", "squared_bias", "variance", "cosine",
                                       "truth_norm", "truth_error")})
    data["std_error"] = (data["variance"][0], np.sqrt(data["variance"][1] / samples))
    data["cost"] = ("estimator", np.array([e.inner_steps(meta) * e.phases(meta)
                                           for e in estimators], float))
    return xr.Dataset(
        data,
        coords={"estimator": [e.name for e in estimators], "coordinate": list(space.names),
                "target": ("estimator", [target_label(e) for e in estimators]), **values,
                **outer},
        attrs={"samples": samples, "meta": json.dumps(meta.describe()),
               "space": json.dumps({n: type(p).__name__ for n, p in space.items()}),
               "truth": "exact gradient for estimators without smoothing; else the "
                        "gradient of E[L(theta + std z)] by Gauss-Hermite quadrature"},
    )
