"""The public grid functions: a measure (the outer loss by default) on a grid of
hyperparameters, in memory or in a store, and the record that describes it."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.grid.config import attrs_for
from metaloss._src.grid.doubled import check_precision, landscape_dd
from metaloss._src.grid.executor import iter_chunks
from metaloss._src.grid.memory import available_memory
from metaloss._src.grid.points import split_axes
from metaloss._src.grid.progress import points_bar
from metaloss._src.grid.sharding import Devices
from metaloss._src.measures import LOSS, Lyapunov, Measure
from metaloss._src.measures import get as get_measure

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss


def prepare(meta: MetaLoss, axes: Mapping[str, Any], key: jax.Array | None):
    """``(meta with the scalar axes fixed, grid axes, key)``, everything checked."""
    grid, scalars = split_axes(meta, axes)
    both = sorted(set(grid) & {k for k, _ in meta.fixed})
    if both:
        raise InputError(f"{both[0]!r} is both a grid axis and fixed in the meta-loss")
    return meta.with_fixed(scalars), grid, meta.key_or_default(key)


def landscape(
    meta: MetaLoss,
    axes: Mapping[str, Any],
    *,
    measure: Measure | str = LOSS,
    chunk: int | None = None,
    key: jax.Array | None = None,
    progress: bool | None = None,
    devices: Devices = None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    tile: Sequence[int] | None = None,
    precision: str | None = None,
) -> xr.DataArray:
    """The outer loss (or another measure) on a grid of hyperparameters.

    Args:
      meta: the meta-loss.
      axes: name -> 1-D array of values (a grid axis, in the order given) or a
        scalar (held fixed). Names the call leaves out take ``meta.fixed`` or the
        optimizer's defaults.
      measure: what to compute per point (see :mod:`metaloss._src.measures`): the
        outer loss by default.
      chunk: grid points per device per compiled call (default: up to 262144 on
        CPUs, 65536 on accelerators; see :mod:`metaloss._src.grid.executor`).
      key: the inner runs' key, shared by every point (common random numbers);
        required when the problem draws random numbers.
      progress: show a progress bar; ``None`` shows one when stderr is a terminal.
      devices: run on these devices, ``chunk`` points each per call: ``None`` for
        all local ones, an int n for the first n (see :mod:`metaloss._src.grid.sharding`).
      store: a Zarr store path (``"name.zarr"``) to write tile by tile, so that a
        killed run can resume and several processes can share the work (see
        :mod:`metaloss._src.grid.fill`); a finished store is just opened.
      resume: continue an unfinished ``store`` (otherwise refused).
      tile: the store's tile shape (one Zarr chunk each); default: near-square, with
        at most ``total / 16`` points, clamped to [65536, 4194304], or the existing
        store's tiling when resuming.
      precision: ``"float32"`` or ``"float64"`` (the call runs in that JAX float
        type), ``"double-double"`` (about 32 digits, see :mod:`metaloss._src.grid.doubled`
        for what it supports; a store keeps the residues as ``NAME_lo``, see
        :mod:`metaloss._src.grid.ddstore`), or ``None`` for JAX's current default.

    Returns:
      ``xarray.DataArray`` named after the measure (``outer_loss``) with dims = the
      grid axes and their values as coords, a boolean ``diverged`` coordinate on
      the same dims, and the configuration in ``attrs``. Memory is that of the
      result plus one chunk. With ``store`` the array is backed by the store and
      loaded lazily.
    """
    if check_precision(precision) == "double-double":
        return landscape_dd(meta, axes, measure=measure, chunk=chunk, store=store,
                            resume=resume, tile=tile, devices=devices, key=key,
                            progress=progress)
    if precision is not None:
        with jax.enable_x64(precision == "float64"):
            out = landscape(meta, axes, measure=measure, chunk=chunk, key=key,
                            progress=progress, devices=devices, store=store, resume=resume,
                            tile=tile)
        out.attrs["precision"] = precision
        return out
    measure = get_measure(measure)
    meta, grid, key = prepare(meta, axes, key)
    if store is not None:
        from metaloss._src.grid.fill import landscape_to_store

        return landscape_to_store(meta, grid, store, resume=resume, tile=tile, chunk=chunk,
                                  key=key, devices=devices, progress=progress, measure=measure)
    if resume or tile is not None:
        raise InputError("resume and tile apply to a store: pass store='path.zarr'")
    if jax.process_count() > 1:
        raise InputError("a landscape over several processes needs store= (a shared path)")
    total = math.prod(len(v) for v in grid.values())
    with points_bar(total, progress, measure.variable) as bar:
        values, div = evaluate_grid(meta, grid, key, measure=measure, chunk=chunk,
                                    devices=devices, each=bar.update)
    dims = tuple(grid)
    return xr.DataArray(
        values,
        dims=dims,
        coords={**grid, "diverged": (dims, div)},
        name=measure.variable,
        attrs=attrs_for(meta, measure),
    )


def evaluate_grid(meta: MetaLoss, grid: Mapping[str, np.ndarray], key: jax.Array, *,
                  measure: Measure, chunk: int | None = None, devices: Devices = None,
                  each: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(values, diverged)`` arrays of the grid's shape, in memory (checked to fit).

    ``meta`` and ``key`` as :func:`prepare` returns them. ``each(n)`` runs after every
    chunk of ``n`` points; an exception from it stops the evaluation and cancels the
    chunks not yet started (the explorer drops superseded views this way).
    """
    shape = tuple(len(v) for v in grid.values())
    total = math.prod(shape)
    dtype = np.dtype(jnp.result_type(float))
    check_fits_in_memory(shape, dtype.itemsize + 1)
    out = np.empty(total, dtype)
    div = np.empty(total, bool)
    chunks = iter_chunks(meta, grid, key, chunk=chunk, devices=devices, measure=measure)
    try:
        for offset, values, d in chunks:
            out[offset : offset + len(values)] = values
            div[offset : offset + len(d)] = d
            if each is not None:
                each(len(values))
    finally:
        chunks.close()
    return out.reshape(shape), div.reshape(shape)


def lyapunov(meta: MetaLoss, axes: Mapping[str, Any], *, renorm: int = 1,
             **landscape_options) -> xr.DataArray:
    """The finite-time maximal Lyapunov exponent of inner training on a grid.

    :func:`landscape` with ``measure=Lyapunov(renorm)`` (see
    :class:`metaloss._src.measures.Lyapunov`): per step, natural log, over the whole inner
    state (parameters and optimizer state). The same options as :func:`landscape`
    (``chunk``, ``key``, ``devices``, ``store``, ``resume``, ``tile``, ``progress``).

    Returns:
      ``xarray.DataArray`` named ``lyapunov`` over the grid axes, with the
      ``diverged`` coordinate; diverged points hold NaN.
    """
    if "measure" in landscape_options:
        raise InputError("lyapunov() computes the Lyapunov measure: call landscape() for "
                         "another measure")
    return landscape(meta, axes, measure=Lyapunov(renorm=renorm), **landscape_options)


def check_fits_in_memory(shape: Sequence[int], bytes_per_point: int, share: float = 0.5) -> None:
    """:class:`InputError` before allocating when an in-memory result would take more
    than ``share`` of the available memory; a store has no such limit."""
    need = math.prod(shape) * bytes_per_point
    have = available_memory()
    if have is not None and need > share * have:
        size = " x ".join(str(n) for n in shape)
        raise InputError(f"a {size} grid needs {need / 2**30:.1f} GiB in memory, more than "
                         f"{share:.0%} of the {have / 2**30:.1f} GiB available: write it to a "
                         "Zarr store instead (store='name.zarr')",
                         arguments={"store": "store='name.zarr'"})
