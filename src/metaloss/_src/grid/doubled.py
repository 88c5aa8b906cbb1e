"""Landscapes at a chosen precision: float32, float64 (JAX's x64 mode for the call) or
double-double (:mod:`metaloss._src.precise`), whose axes keep the residues of their
exact decimal values (:mod:`metaloss._src.precision.exact`) and are stored beside the
float64 coordinates as ``NAME_lo``, so ``NAME + NAME_lo`` is each value to ~32 digits
in NetCDF as in memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.grid.config import attrs_for
from metaloss._src.grid.points import split_axes
from metaloss._src.measures import LOSS
from metaloss._src.measures import get as get_measure
from metaloss._src.precise import unroll as precise
from metaloss._src.precision.exact import hilo

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss

PRECISIONS = ("float32", "float64", "double-double")


def check_precision(precision: str | None) -> str | None:
    if precision is not None and precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    return precision


def landscape_dd(meta: MetaLoss, axes: Mapping[str, Any], *, measure=LOSS,
                 chunk: int | None = None, store=None, resume: bool = False,
                 tile=None, devices=None, key=None, progress=None) -> xr.DataArray:
    """:func:`~metaloss._src.grid.compute.landscape` in double-double (the outer loss
    only, in memory; see :mod:`metaloss._src.precise.unroll` for what is supported)."""
    if get_measure(measure).name != LOSS.name:
        raise InputError("precision 'double-double' computes the outer loss only "
                         f"(measure 'loss'), not {get_measure(measure).name!r}")
    if store is not None or resume or tile is not None:
        raise InputError("precision 'double-double' landscapes are computed in memory: write "
                         "a NetCDF file (.nc), not a store")
    if devices not in (None, 1):
        raise InputError("precision 'double-double' runs on one device")
    precise.check(meta)
    pairs = {n: hilo(v) for n, v in axes.items() if np.ndim(v) == 1}
    grid, scalars = split_axes(meta, axes)
    both = sorted(set(grid) & {k for k, _ in meta.fixed})
    if both:
        raise InputError(f"{both[0]!r} is both a grid axis and fixed in the meta-loss")
    meta = meta.with_fixed(scalars)
    his = np.meshgrid(*(pairs[n][0] for n in grid), indexing="ij")
    los = np.meshgrid(*(pairs[n][1] for n in grid), indexing="ij")
    points = {n: (h, lo) for n, h, lo in zip(grid, his, los, strict=True)}
    hi, lo, div = precise.evaluate(meta, points, chunk=chunk)
    dims = tuple(grid)
    coords = {n: pairs[n][0] for n in grid}
    coords.update({f"{n}_lo": (n, pairs[n][1]) for n in grid})
    coords["diverged"] = (dims, div)
    attrs = {**attrs_for(meta, LOSS), "precision": "double-double"}
    out = xr.DataArray(hi + lo, dims=dims, coords=coords, name=LOSS.variable, attrs=attrs)
    return out.assign_coords(outer_loss_lo=(dims, lo - ((hi + lo) - hi)))
