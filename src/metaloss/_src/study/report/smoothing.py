"""The outer loss as evolution strategies see it: Gaussian-smoothed at their sigma.

ES with perturbation scale sigma follows the gradient of the smoothed loss
``L_sigma(p) = E[L(p + sigma * eps)]``, ``eps ~ N(0, I)`` over all outer coordinates
(Salimans et al., 2017, "Evolution Strategies as a Scalable Alternative to
Reinforcement Learning"). Along a slice ``p + s e_i`` this is computed here by
numerical convolution: the true loss is evaluated on a lattice around the slice that
reaches 4 sigma beyond it in every outer coordinate, the other coordinates are
averaged with Gaussian weights, and the resulting profile is convolved with a
Gaussian along the slice. The lattice samples the rippled surface far more coarsely
than its ripples, which is what an integral against a Gaussian of width sigma needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from metaloss._src import analysis
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space

REACH = 4.0
"""How many sigmas beyond the slice the lattice reaches."""


def _weights(offsets: np.ndarray, std: float) -> np.ndarray:
    w = np.exp(-0.5 * (offsets / std) ** 2)
    return w / w.sum()


def smoothed_slices(
    meta: MetaLoss,
    space: Space,
    point: Mapping[str, float],
    sets: Sequence[xr.Dataset],
    std: float,
    step: float | None = None,
) -> list[xr.Dataset]:
    """``L_std`` on the shifts of each slices dataset (:func:`metaloss._src.analysis.slices`
    around ``point``), as datasets of the same shape.

    Args:
      std: the Gaussian's standard deviation in outer coordinates (the ES sigma).
      step: lattice spacing in outer coordinates (default ``std / 10``).

    Cost: per outer coordinate, ``(2 * 4 std + widest slice) / step`` lattice points
    along it times ``(8 std / step)`` per other coordinate, each one unroll.
    Non-finite losses are left out of the average (the weights renormalized); where
    they hold more than half the weight the smoothed value is NaN.
    """
    step = float(step or std / 10)
    width = max(float(np.max(np.abs(np.asarray(ds["shift"])))) for ds in sets)
    center = {k: float(np.asarray(point[k])) for k in space.names}
    side = np.arange(-REACH * std, REACH * std + step / 2, step)
    along = np.arange(-width - REACH * std, width + REACH * std + step / 2, step)
    out = [{} for _ in sets]
    for name in space.names:
        others = [k for k in space.names if k != name]
        grids = np.meshgrid(along, *([side] * len(others)), indexing="ij")
        coords = {name: center[name] + grids[0]}
        coords.update({k: center[k] + g for k, g in zip(others, grids[1:], strict=True)})
        loss = np.asarray(analysis.evaluate_points(meta, space, coords), float)
        w_side = np.ones(1)
        for _ in others:
            w_side = np.multiply.outer(w_side, _weights(side, std))
        w_side = w_side.reshape((1,) + (len(side),) * len(others))
        ok = np.isfinite(loss)
        num = np.where(ok, loss, 0.0) * w_side
        axes = tuple(range(1, loss.ndim))
        profile, mass = num.sum(axis=axes), (ok * w_side).sum(axis=axes)
        for i, ds in enumerate(sets):
            shifts = np.asarray(ds["shift"], float)
            kernel = np.exp(-0.5 * ((along[None, :] - shifts[:, None]) / std) ** 2)
            total = (kernel * profile).sum(1)
            share = (kernel * mass).sum(1) / kernel.sum(1)
            value = np.where(share > 0.5, total / np.maximum((kernel * mass).sum(1), 1e-300),
                             np.nan)
            out[i][name] = xr.DataArray(value, dims=("shift",), coords={"shift": shifts},
                                        attrs={"std": std})
    return [xr.Dataset(vars_, attrs={"std": std, "center": str(center)}) for vars_ in out]
