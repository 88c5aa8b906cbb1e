"""The explorer's computations: views of the landscape, single runs and outer gradients.

An :class:`Explorer` holds what the server fixed at start (the meta-loss, the inner
runs' key, the limits) and answers parsed requests (:mod:`metaloss._src.explore.requests`)
with NumPy results. Views run one at a time on the grid engine (they use every core
anyway); each client's newest view wins: an older one still waiting is dropped and
one still running stops at its next chunk (:class:`Superseded`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import math
import threading
import time
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.estimators import get as get_estimator
from metaloss._src.explore.requests import (
    DIVERGED,
    MAX_POINTS,
    LandscapeRequest,
    PointRequest,
    parse_landscape,
)
from metaloss._src.grid.compute import evaluate_grid, prepare
from metaloss._src.grid.config import attrs_for
from metaloss._src.measures import LOSS
from metaloss._src.measures import get as get_measure
from metaloss._src.space import PARAM_KINDS, Space

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss


class Superseded(Exception):
    """A view request that a newer one from the same client replaced."""


@dataclasses.dataclass(frozen=True)
class View:
    """One computed view: ``values`` and ``diverged`` have shape ``[len(c) for c in coords]``."""

    dims: tuple[str, ...]
    coords: dict[str, np.ndarray]
    values: np.ndarray
    diverged: np.ndarray
    measure: str
    variable: str
    seconds: float
    attrs: dict[str, Any]
    determined: np.ndarray | None = None
    """Where asked for (``determined=1``): whether each ``diverged`` flag agrees with the
    flag at the precision :attr:`determined_against` (zoom's ``--determined``)."""
    determined_against: str | None = None
    precision: str | None = None
    """The precision the view was computed at."""

    @property
    def determined_share(self) -> float | None:
        return None if self.determined is None else float(np.mean(self.determined))

    def dataarray(self) -> xr.DataArray:
        """The view as a landscape ``DataArray`` (what ``ml.landscape`` returns)."""
        coords = {**self.coords, "diverged": (self.dims, self.diverged)}
        attrs = dict(self.attrs)
        if self.determined is not None:
            coords["determined"] = (self.dims, self.determined)
            attrs.update(determined_share=self.determined_share,
                         determined_against=self.determined_against)
        return xr.DataArray(self.values, dims=self.dims, coords=coords, name=self.variable,
                            attrs=attrs)


@functools.partial(jax.jit, static_argnames=("meta",))
def _run(hparams, key, *, meta: MetaLoss):
    return meta.evaluate(hparams, key, differentiable=False, trajectory=True)


@functools.partial(jax.jit, static_argnames=("meta", "space", "estimator"))
def _estimate(coords, key, *, meta: MetaLoss, space: Space, estimator):
    k_init, k_est = jax.random.split(key)
    state = estimator.init(meta, space, coords, k_init)
    loss, grad, _ = estimator.estimate(meta, space, coords, k_est, state)
    return loss, grad


def _size(spec: str) -> int:
    return int(spec.rpartition(":")[2])


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


class Explorer:
    """The state of one explorer server.

    Args:
      meta: the meta-loss every request evaluates (problem, optimizer, steps, fixed values).
      key: the inner runs' key (the same for every view, so views agree with each other
        and with ``ml.landscape(meta, axes, key=key)``).
      axes: the starting view, axis specs in order.
      measure: the starting measure.
      max_points: the most grid points one view may have.
    """

    def __init__(self, meta: MetaLoss, key: jax.Array, axes: tuple[str, ...],
                 measure: str = "loss", max_points: int = MAX_POINTS):
        self.meta = meta
        self.key = meta.key_or_default(key)
        self.axes = tuple(axes)
        self.measure = measure
        self.max_points = max_points
        self._compute = threading.Lock()
        self._tickets = itertools.count()
        self._latest: dict[str, int] = {}
        self._latest_lock = threading.Lock()

    def check_start(self) -> None:
        """:class:`InputError` unless the starting view is one the server would compute."""
        query = [("axis", a) for a in self.axes] + [("measure", self.measure)]
        req = parse_landscape(query, max_points=self.max_points, fixed=self.fixed)
        prepare(self.meta, req.axes, self.key)

    def warm(self, preview: int = 64) -> None:
        """Computes the starting view and its preview (as the page first asks for them),
        so that their programs are compiled before the page's first request."""
        for n in sorted({min(preview, _size(self.axes[0])), _size(self.axes[0])}):
            specs = [a.rpartition(":")[0] + f":{n}" for a in self.axes]
            query = [("axis", a) for a in specs] + [("measure", self.measure)]
            self.landscape(parse_landscape(query, max_points=self.max_points,
                                           fixed=self.fixed))

    @property
    def fixed(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.meta.fixed)

    def _ticket(self, client: str | None) -> int:
        with self._latest_lock:
            n = next(self._tickets)
            if client is not None:
                self._latest[client] = n
            return n

    def _check_current(self, client: str | None, ticket: int) -> None:
        if client is not None and self._latest.get(client) != ticket:
            raise Superseded

    def landscape(self, req: LandscapeRequest) -> View:
        """The view ``req`` asks for, computed by the grid engine (one view at a time).

        Raises:
          Superseded: a newer view of the same client arrived before this one finished.
        """
        ticket = self._ticket(req.client)
        with self._compute:
            self._check_current(req.client, ticket)
            t0 = time.perf_counter()
            measure = LOSS if req.measure == DIVERGED else get_measure(req.measure)
            low = req.precision or str(jnp.dtype(jnp.result_type(float)))
            high = self._check_determined(req, measure, low)
            if req.precision is not None:
                view = self._at_precision(req, measure, t0)
            else:
                view = self._flags(req, measure, ticket, t0)
            if high is None:
                return dataclasses.replace(view, precision=low)
            other = self._flags(req, measure, ticket, t0, precision=high)
            same = np.asarray(view.diverged) == np.asarray(other.diverged)
            return dataclasses.replace(view, determined=same, determined_against=high,
                                       precision=low,
                                       seconds=time.perf_counter() - t0)

    def _check_determined(self, req: LandscapeRequest, measure, low: str) -> str | None:
        """The precision a ``determined=1`` view is checked against (``None`` when not
        asked for); :class:`InputError` when this meta-loss has none above ``low``."""
        if not req.determined:
            return None
        from metaloss._src.workflows.zoom import higher_precision

        high = higher_precision(self.meta, low)
        if high is None:
            raise InputError(f"determined=1: there is no precision above {low} for this "
                             "problem and optimizer (double-double supports the problems and "
                             "optimizers metaloss landscape --precision lists)")
        if high == "double-double" and measure.name != LOSS.name:
            raise InputError(f"determined=1 at {low} is checked in double-double, which "
                             f"computes the outer loss only: choose the measure loss or "
                             f"diverged, not {req.measure!r}")
        return high

    def _flags(self, req: LandscapeRequest, measure, ticket: int, t0: float,
               precision: str | None = None) -> View:
        """The view on the grid engine at ``precision`` (``None``: JAX's default); a
        superseded view stops at its next chunk and cancels the rest. Double-double
        goes through :meth:`_at_precision`."""
        if precision == "double-double":
            return self._at_precision(dataclasses.replace(req, precision=precision),
                                      measure, t0)
        with (jax.enable_x64(precision == "float64") if precision is not None
              else contextlib.nullcontext()):
            meta, grid, key = prepare(self.meta, req.axes, self.key)
            out, div = evaluate_grid(meta, grid, key, measure=measure,
                                     each=lambda _n: self._check_current(req.client, ticket))
        values = div.astype(out.dtype) if req.measure == DIVERGED else out
        return View(tuple(grid), dict(grid), values, div,
                    req.measure, "divergence" if req.measure == DIVERGED else measure.variable,
                    time.perf_counter() - t0, attrs_for(meta, measure))

    def _at_precision(self, req: LandscapeRequest, measure, t0: float) -> View:
        """A view at an asked precision (:func:`metaloss._src.grid.landscape`'s
        ``precision=``; not cancelled by a newer view)."""
        from metaloss._src.grid.compute import landscape

        da = landscape(self.meta, req.axes, measure=measure, key=self.key,
                       precision=req.precision)
        div = np.asarray(da["diverged"])
        out = np.asarray(da.values)
        values = div.astype(out.dtype) if req.measure == DIVERGED else out
        return View(tuple(da.dims), {d: np.asarray(da[d]) for d in da.dims}, values, div,
                    req.measure, "divergence" if req.measure == DIVERGED else measure.variable,
                    time.perf_counter() - t0, dict(da.attrs))

    def run(self, req: PointRequest) -> dict[str, Any]:
        """One inner run at hyperparameter values: its per-step losses, outer loss,
        divergence, and its trajectory when the inner parameters are 1-D or 2-D."""
        hparams = self.meta.hparams(req.values)
        res = jax.device_get(_run(hparams, self.key, meta=self.meta))
        leaves = jax.tree.leaves(res.trajectory)
        width = sum(int(np.prod(leaf.shape[1:])) for leaf in leaves)
        trajectory = None
        if width <= 2:
            flat = np.concatenate([np.reshape(leaf, (leaf.shape[0], -1)) for leaf in leaves], 1)
            trajectory = [[_finite_or_none(float(v)) for v in row] for row in flat]
        return {
            "hparams": {k: float(v) for k, v in hparams.items()},
            "losses": [_finite_or_none(float(v)) for v in np.asarray(res.losses)],
            "outer_loss": _finite_or_none(float(res.loss)),
            "diverged": bool(res.diverged),
            "trajectory": trajectory,
        }

    def gradient(self, req: PointRequest) -> dict[str, Any]:
        """An estimator's outer loss and gradient at a point in outer coordinates."""
        for name in req.values:
            if name in self.fixed:
                raise InputError(f"{name!r} is held fixed by --set; it has no gradient here")
        space = Space({n: PARAM_KINDS[req.kinds[n]]() if n in req.kinds
                       else self.meta.default_param(n) for n in req.values})
        hparams = space.to_hparams(req.values)
        self.meta.check({k: float(v) for k, v in hparams.items()})
        estimator = get_estimator(req.estimator)
        estimator.check(self.meta)  # e.g. a window K longer than the unroll, before compiling
        dtype = jnp.result_type(float)
        coords = {k: jnp.asarray(v, dtype) for k, v in req.values.items()}
        key = jax.random.fold_in(self.key, req.seed)
        loss, grad = jax.device_get(_estimate(coords, key, meta=self.meta, space=space,
                                              estimator=estimator))
        return {
            "estimator": estimator.name,
            "coords": dict(req.values),
            "params": {n: label_param(p) for n, p in space.items()},
            "hparams": {k: float(v) for k, v in hparams.items()},
            "loss": _finite_or_none(float(loss)),
            "gradient": {k: _finite_or_none(float(v)) for k, v in grad.items()},
        }


def label_param(param) -> str:
    """The short name (log, lin, 1mlog) of a parametrization."""
    for kind, cls in PARAM_KINDS.items():
        if type(param) is cls:
            return kind
    return type(param).__name__
