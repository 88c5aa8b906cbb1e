"""Landscapes at a chosen precision: float32, float64 (JAX's x64 mode for the call) or
double-double (:mod:`metaloss._src.precise`), whose axes keep the residues of their
exact decimal values (:mod:`metaloss._src.precision.exact`) and are stored beside the
float64 coordinates as ``NAME_lo``, so ``NAME + NAME_lo`` is each value to ~32 digits
in memory, in NetCDF and in Zarr stores (:mod:`metaloss._src.grid.ddstore`); the outer
loss's residues are ``outer_loss_lo``. :func:`exact_coordinates` reads the sums back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jax
import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.grid.config import dd_attrs
from metaloss._src.grid.points import split_axes
from metaloss._src.measures import LOSS
from metaloss._src.measures import get as get_measure
from metaloss._src.precise import unroll as precise
from metaloss._src.precision.dd import to_fraction
from metaloss._src.precision.exact import decimal, hilo

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss

PRECISIONS = ("float32", "float64", "double-double")


def check_precision(precision: str | None) -> str | None:
    if precision is not None and precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    return precision


def prepare_dd(meta: MetaLoss, axes: Mapping[str, Any]):
    """``(meta with the scalar axes fixed, grid axes' float64 values, their residues)``,
    everything checked, for the double-double route."""
    precise.check(meta)
    pairs = {n: hilo(v) for n, v in axes.items() if np.ndim(v) == 1}
    grid, scalars = split_axes(meta, axes)
    both = sorted(set(grid) & {k for k, _ in meta.fixed})
    if both:
        raise InputError(f"{both[0]!r} is both a grid axis and fixed in the meta-loss")
    # the scalars as given: a decimal string or Fraction keeps its residue (fixed_lo)
    return meta.with_fixed({n: axes[n] for n in scalars}), {n: pairs[n][0] for n in grid}, \
        {n: pairs[n][1] for n in grid}


def landscape_dd(meta: MetaLoss, axes: Mapping[str, Any], *, measure=LOSS,
                 chunk: int | None = None, store=None, resume: bool = False,
                 tile=None, devices=None, key=None, progress=None) -> xr.DataArray:
    """:func:`~metaloss._src.grid.compute.landscape` in double-double (the outer loss
    only; see :mod:`metaloss._src.precise.unroll` for what is supported), in memory or,
    with ``store``, in a resumable Zarr store (:mod:`metaloss._src.grid.ddstore`)."""
    if get_measure(measure).name != LOSS.name:
        raise InputError("precision 'double-double' computes the outer loss only "
                         f"(measure 'loss'), not {get_measure(measure).name!r}")
    if store is None and (resume or tile is not None):
        raise InputError("resume and tile apply to a store: pass store='path.zarr'")
    if devices not in (None, 1):
        raise InputError("precision 'double-double' runs on one device")
    meta, grid, residues = prepare_dd(meta, axes)
    if store is not None:
        from metaloss._src.grid.ddstore import store_landscape_dd

        return store_landscape_dd(meta, grid, residues, store, key=meta.key_or_default(key),
                                  resume=resume, tile=tile, chunk=chunk,
                                  progress=progress)[0]
    if jax.process_count() > 1:
        raise InputError("a landscape over several processes needs store= (a shared path)")
    his = np.meshgrid(*grid.values(), indexing="ij")
    los = np.meshgrid(*residues.values(), indexing="ij")
    points = {n: (h, lo) for n, h, lo in zip(grid, his, los, strict=True)}
    hi, lo, div = precise.evaluate(meta, points, chunk=chunk)
    dims = tuple(grid)
    coords = dict(grid)
    coords.update({f"{n}_lo": (n, residues[n]) for n in grid})
    coords["diverged"] = (dims, div)
    attrs = dd_attrs(meta)
    value, value_lo = hi + lo, lo - ((hi + lo) - hi)
    out = xr.DataArray(value, dims=dims, coords=coords, name=LOSS.variable, attrs=attrs)
    return out.assign_coords({f"{LOSS.variable}_lo": (dims, value_lo)})


def exact_coordinates(da: xr.DataArray, *, kind: str = "fraction",
                      digits: int = 34) -> dict[str, list]:
    """Each grid axis of a landscape as exact values: ``hi + lo`` from its float64
    coordinate and its ``NAME_lo`` residues (zero where it has none), as
    :class:`~fractions.Fraction` (``kind="fraction"``, exactly the stored sum) or as
    decimal strings of ``digits`` significant digits (``kind="decimal"``). Works on what
    :func:`landscape`, :func:`~metaloss._src.grid.io.load_netcdf` and
    :func:`~metaloss._src.grid.store.open_store` return."""
    if kind not in ("fraction", "decimal"):
        raise InputError(f"kind must be 'fraction' or 'decimal', got {kind!r}")
    out = {}
    for dim in da.dims:
        hi = np.asarray(da[dim].values, np.float64)
        name = f"{dim}_lo"
        lo = np.asarray(da[name].values, np.float64) if name in da.coords else np.zeros_like(hi)
        if kind == "fraction":
            out[str(dim)] = [to_fraction(h, low) for h, low in zip(hi, lo, strict=True)]
        else:
            out[str(dim)] = [decimal(h, low, digits) for h, low in zip(hi, lo, strict=True)]
    return out
