"""Which outcomes precision settles, and the uncertainty-exponent dimension.

A point's outcome (the ``diverged`` flag of a measure: unbounded training for the
outer loss, no convergence for :class:`~metaloss._src.measures.Trainability`) is
*determined* at a precision when a higher one gives the same flag (:func:`determined`).

:func:`uncertainty_dimension` is a third estimate of a boundary's dimension, beside box
counting and crossing counts: C. Grebogi, S. W. McDonald, E. Ott and J. A. Yorke,
"Final state sensitivity: an obstruction to predictability", Phys. Lett. A 99 (1983);
S. W. McDonald et al., "Fractal basin boundaries", Physica D 17 (1985). Of random points
in an ``n``-dimensional box, the share ``f(eps)`` whose outcome changes when the point
moves by ``eps`` (relative to the box) scales as ``eps^alpha`` with ``alpha = n - D``,
``D`` the boundary's (box-counting) dimension. Where ``D`` is near ``n`` the share
barely falls with ``eps``: outcomes there are undetermined at any precision.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss._src.errors import MAX_SAMPLES, InputError, check_int, check_range
from metaloss._src.grid.compute import landscape
from metaloss._src.measures import LOSS, Measure
from metaloss._src.measures import get as get_measure
from metaloss._src.meta import MetaLoss
from metaloss._src.precise import unroll as precise

DEFAULT_EPS = tuple(10.0 ** -k for k in range(2, 10))
MIN_CHANGED = 5
"""An ``eps`` enters the fit only when at least this many points changed outcome: rarer
counts are mostly noise (and zero counts have no logarithm)."""


def determined(meta: MetaLoss, axes: Mapping, *, low: str = "float64",
               high: str = "double-double", measure: Measure | str = LOSS,
               **landscape_options) -> xr.DataArray:
    """Boolean DataArray ``determined`` over ``axes``: the ``diverged`` flags of the
    landscape at precision ``low`` equal those at ``high``. ``attrs["share"]`` is the
    share of determined points (the precisions are named in ``attrs`` too). Other
    options go to both :func:`~metaloss._src.grid.compute.landscape` calls."""
    a = landscape(meta, axes, precision=low, measure=measure, **landscape_options)
    b = landscape(meta, axes, precision=high, measure=measure, **landscape_options)
    same = np.asarray(a["diverged"]) == np.asarray(b["diverged"])
    out = xr.DataArray(same, dims=a.dims, coords={d: a[d] for d in a.dims}, name="determined")
    out.attrs.update(low=low, high=high, share=float(same.mean()))
    return out


class UncertaintyDimension(NamedTuple):
    """Result of :func:`uncertainty_dimension` and :func:`uncertainty_dimension_of`.

    ``dimension`` is ``n - exponent``; ``ci`` its bootstrap interval (over the sampled
    points); ``eps`` the perturbation sizes (relative to each side of the box),
    ``fractions`` the share of points whose outcome changed at each, ``samples`` the
    points drawn, ``dims`` the box's dimension ``n``, ``diverged_share`` the share of
    the drawn points that diverged."""

    dimension: float
    ci: tuple[float, float]
    exponent: float
    eps: np.ndarray
    fractions: np.ndarray
    samples: int
    dims: int
    diverged_share: float


@functools.lru_cache(maxsize=16)
def _flags_fn(meta: MetaLoss, measure: Measure, names: tuple[str, ...]):
    def one(values, key):
        hp = dict(zip(names, values, strict=True))
        return measure.point(meta, hp, key)[1]

    return jax.jit(jax.vmap(one, in_axes=(1, None)))


def flags(meta: MetaLoss, points: Mapping[str, np.ndarray], *, key=None,
          measure: Measure | str = LOSS, precision: str = "float64",
          chunk: int = 1 << 14) -> np.ndarray:
    """The ``diverged`` flags at scattered points (name -> 1-D arrays of one length)."""
    measure = get_measure(measure)
    if precision == "double-double":
        if measure.name != LOSS.name:
            raise InputError("precision 'double-double' computes the outer loss only")
        pairs = {n: (np.asarray(v, np.float64), np.zeros(len(v))) for n, v in points.items()}
        return precise.evaluate(meta, pairs)[2]
    if precision not in ("float32", "float64"):
        raise InputError(f"unknown precision {precision!r}: float32, float64 or double-double")
    names = tuple(points)
    with jax.enable_x64(precision == "float64"):
        meta.check({n: np.asarray(v) for n, v in points.items()})
        dtype = jnp.result_type(float)
        table = np.stack([np.asarray(points[n], np.float64) for n in names])
        fn = _flags_fn(meta, measure, names)
        k = meta.key_or_default(key)
        total = table.shape[1]
        out = np.empty(total, bool)
        for start in range(0, total, chunk):
            part = table[:, start:start + chunk]
            pad = chunk - part.shape[1] if total > chunk else 0
            part = np.pad(part, ((0, 0), (0, pad)), mode="edge")
            res = np.asarray(fn(jnp.asarray(part, dtype), k))
            out[start:start + chunk] = res[: min(chunk, total - start)]
    return out


def uncertainty_dimension(meta: MetaLoss, box: Mapping[str, tuple[float, float]], *,
                          eps: Sequence[float] = DEFAULT_EPS, samples: int = 20000,
                          key: jax.Array | None = None, measure: Measure | str = LOSS,
                          precision: str = "float64", log: Sequence[str] = (),
                          resamples: int = 1000, level: float = 0.95,
                          run_key: jax.Array | None = None) -> UncertaintyDimension:
    """The uncertainty-exponent dimension of the boundary of ``diverged`` in ``box``.

    Draws ``samples`` points uniformly in ``box`` (name -> ``(low, high)``; the names in
    ``log`` uniformly in log10), and for each ``eps`` moves each point by ``eps`` times
    the box's sides along a random direction (per point and ``eps``). ``f(eps)`` is the
    share whose flag changed; the slope ``alpha`` of ``log f`` on ``log eps`` (least
    squares over the ``eps`` where at least :data:`MIN_CHANGED` points changed) gives
    ``D = n - alpha``. The interval is a bootstrap over the points (resampled jointly
    for every ``eps``). ``key`` draws the points; ``run_key`` is the inner runs' key
    (for problems that need one). :func:`uncertainty_dimension_of` is the same estimate
    for any outcome, not only a :class:`~metaloss.MetaLoss`'s.

    Raises:
      InputError: bad options, as :func:`uncertainty_dimension_of` refuses them.
    """
    def outcome(values):
        return flags(meta, values, key=run_key, measure=measure, precision=precision)

    return uncertainty_dimension_of(outcome, box, eps=eps, samples=samples, key=key,
                                    log=log, resamples=resamples, level=level)


def uncertainty_dimension_of(flags_fn: Callable[[dict[str, np.ndarray]], np.ndarray],
                             box: Mapping[str, tuple[float, float]], *,
                             eps: Sequence[float] = DEFAULT_EPS, samples: int = 20000,
                             key: jax.Array | None = None, log: Sequence[str] = (),
                             resamples: int = 1000, level: float = 0.95,
                             ) -> UncertaintyDimension:
    """The uncertainty-exponent dimension of the boundary of any boolean outcome.

    ```python
    disk = lambda p: p["x"] ** 2 + p["y"] ** 2 < 0.25    # a smooth boundary: D = 1
    ml.analysis.uncertainty_dimension_of(disk, {"x": (-1, 1), "y": (-1, 1)}).dimension
    ```

    ``flags_fn`` takes ``{name: 1-D float64 array}`` (every name of ``box``, one
    length; the names in ``log`` as ``10**`` of their log10 coordinate) and returns
    the boolean outcome at each point, in one call for all the points. The points, the
    perturbations, the fit and the interval are those of :func:`uncertainty_dimension`
    (its :class:`UncertaintyDimension`, ``diverged_share`` the share of drawn points
    whose outcome is True).

    Raises:
      InputError: an empty, inverted or non-finite box (or a ``log`` entry not in it or
        not positive), fewer than two distinct ``eps``, too few samples, ``level``
        outside (0, 1), negative ``resamples``, or ``flags_fn`` returning other than
        one flag per point.
    """
    samples = check_int("samples", samples, 16, limit=MAX_SAMPLES, hint="use fewer samples")
    resamples = check_int("resamples", resamples, 0)
    check_range("level", level, 0.0, 1.0, closed=(False, False))
    eps = np.asarray(sorted(float(e) for e in eps))
    if np.unique(eps).size < 2 or not np.all((eps > 0) & (eps < 1)):
        raise InputError(f"eps needs two values or more in (0, 1), all distinct, "
                         f"got {eps.tolist()}")
    names, lows, highs = _bounds(box, log)
    n = len(names)
    key = jax.random.key(0) if key is None else key
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())
    u = rng.random((samples, n))
    dirs = rng.standard_normal((eps.size, samples, n))
    dirs /= np.linalg.norm(dirs, axis=-1, keepdims=True)
    moved = np.clip(u[None] + eps[:, None, None] * dirs, 0.0, 1.0)
    every = np.concatenate([u[None], moved]).reshape(-1, n)
    coords = lows + every * (highs - lows)
    values = {k: (10.0 ** coords[:, i] if k in log else coords[:, i])
              for i, k in enumerate(names)}
    out = np.asarray(flags_fn(values))
    if out.shape != (every.shape[0],):
        raise InputError(f"the outcome function returned shape {out.shape} for "
                         f"{every.shape[0]} points: one flag per point is needed")
    out = out.astype(bool).reshape(eps.size + 1, samples)
    changed = out[1:] != out[0][None]
    fractions = changed.mean(axis=1)
    alpha, ci = _fit(eps, changed, resamples, level, rng)
    return UncertaintyDimension(n - alpha, (n - ci[1], n - ci[0]), alpha, eps, fractions,
                                samples, n, float(out[0].mean()))


def _bounds(box: Mapping, log: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``box``'s names and its lows and highs, log10 for the names in ``log``."""
    if not box:
        raise InputError("uncertainty_dimension needs a box: {name: (low, high), ...}")
    missing = [k for k in log if k not in box]
    if missing:
        raise InputError(f"log name {missing[0]!r} is not in the box ({', '.join(box)})")
    bounds = []
    for k, pair in box.items():
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise InputError(f"box entry {k!r} needs (low, high), got {pair!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise InputError(f"box entry {k!r} needs finite (low, high) with low < high, "
                             f"got {pair!r}")
        if k in log and not lo > 0:
            raise InputError(f"box entry {k!r} is log: it needs 0 < low < high, got {pair!r}")
        bounds.append((np.log10(lo), np.log10(hi)) if k in log else (lo, hi))
    lows, highs = np.array(bounds, float).T
    return list(box), lows, highs


def _fit(eps, changed, resamples, level, rng):
    x = np.log(eps)

    def slope(frac):
        ok = frac * m >= MIN_CHANGED
        if ok.sum() < 2:
            return np.nan
        xc = x[ok] - x[ok].mean()
        yc = np.log(frac[ok]) - np.log(frac[ok]).mean()
        return float(xc @ yc / (xc @ xc))

    m = changed.shape[1]
    alpha = slope(changed.mean(axis=1))
    if np.isnan(alpha):
        raise InputError(f"fewer than two eps changed {MIN_CHANGED} outcomes or more: the "
                         "box holds no boundary the samples reach (widen it, or raise "
                         "samples or eps)")
    draws = [slope(changed[:, rng.integers(0, m, m)].mean(axis=1)) for _ in range(resamples)]
    draws = np.asarray([d for d in draws if np.isfinite(d)] or [alpha])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return alpha, (float(low), float(high))
