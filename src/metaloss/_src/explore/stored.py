"""Starting the explorer from a finished landscape store (``metaloss explore --store``)."""

from __future__ import annotations

import os

import jax
import numpy as np

from metaloss._src.errors import InputError
from metaloss._src.grid.axes import parse_axis
from metaloss._src.grid.store import open_store
from metaloss._src.meta import MetaLoss

VIEW_SIZE = 256
"""Points per axis of the starting view over a store's box."""


def axis_spec(name: str, values: np.ndarray, n: int) -> str:
    """An axis spec over the box of ``values`` with ``n`` points: ``log``, ``1mlog`` or
    ``lin``, whichever reproduces ``values`` at their own size (to 1e-9)."""
    first, last = float(values[0]), float(values[-1])
    candidates = [("log", first, last), ("1mlog", 1.0 - first, 1.0 - last), ("lin", first, last)]
    for kind, a, b in candidates:
        spec = f"{name}={kind}:{a:.12g}:{b:.12g}:"
        try:
            _, again = parse_axis(spec + str(len(values)))
        except InputError:
            continue
        if np.allclose(again, values, rtol=1e-9, atol=0):
            return spec + str(n)
    return f"{name}=lin:{first:.17g}:{last:.17g}:{n}"


def from_store(path: str | os.PathLike) -> tuple[MetaLoss, jax.Array, tuple[str, ...], str]:
    """``(meta-loss, key, starting axis specs, measure)`` that a finished store was made
    with; the view covers the store's box at up to :data:`VIEW_SIZE` points per axis."""
    from metaloss._src.grid.store import TileStore

    da = open_store(path)
    config = TileStore.open(path).config
    meta = MetaLoss.from_record(config["meta"])
    impl, *data = config["key"]
    try:
        key = jax.random.wrap_key_data(np.asarray(data, np.uint32), impl=impl)
    except (TypeError, ValueError):
        raise InputError(f"store {str(path)!r} records a key this JAX cannot rebuild "
                         f"({impl})") from None
    axes = tuple(axis_spec(d, np.asarray(da[d].values), min(VIEW_SIZE, da.sizes[d]))
                 for d in da.dims)
    return meta, key, axes, str(config.get("measure", "loss"))
