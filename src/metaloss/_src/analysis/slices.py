"""The outer loss along each outer axis around a point: how rugged is it there?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.grid.compute import landscape
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space, _check_count


def slices(
    meta: MetaLoss,
    space: Space,
    point: Mapping[str, Any],
    width: float,
    n: int,
    **landscape_kwargs,
) -> xr.Dataset:
    """Outer loss on ``n`` shifts in ``[-width, width]`` along each outer coordinate.

    Args:
      meta: the meta-loss.
      space: parametrization; ``point`` and the shifts are in its coordinates.
      point: name -> outer coordinate (e.g. the end of an outer-training run).
      width: half-width of each slice, in outer coordinates (> 0).
      n: points per slice (>= 1).
      **landscape_kwargs: passed to :func:`metaloss.landscape`.

    Returns:
      ``xarray.Dataset`` with one variable per outer coordinate, the outer loss
      against ``shift`` (the offset from ``point``).
    """
    n = _check_count(n)
    if not width > 0:
        raise InputError(f"slice width must be positive, got {width!r}")
    space.check(point)
    center = {k: float(np.asarray(point[k])) for k in space.names}
    shifts = np.linspace(-width, width, n)
    out = {}
    for name in space.names:
        axes: dict[str, Any] = {
            k: float(space[k].forward(v)) for k, v in center.items() if k != name
        }
        axes = {name: space[name].forward(center[name] + shifts), **axes}
        da = landscape(meta, axes, **landscape_kwargs)
        out[name] = xr.DataArray(da.values, dims=("shift",), coords={"shift": shifts},
                                 attrs={"center": center[name]})
    return xr.Dataset(out, attrs={"center": str(center)})
