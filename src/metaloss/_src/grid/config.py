"""What a landscape store's values depend on: its configuration, its hash, and how two
configurations differ (for the one-line refusal of a mismatched resume)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from metaloss._src import hyper
from metaloss._src.measures import LOSS, Measure
from metaloss._src.version import __version__

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss

FORMAT = 2
"""Store format: 2 keeps one configuration record (fixed values inside the meta-loss's
record) and the measure."""


def store_config(meta, grid, tile, call, key, dtype, measure: Measure = LOSS) -> dict[str, Any]:
    """Everything the stored values depend on; a resume must match it exactly. The
    meta-loss enters as its one record (:meth:`MetaLoss.describe`, fixed values
    included)."""
    axes = [
        {
            "name": name,
            "size": len(v),
            "first": float(v[0]),
            "last": float(v[-1]),
            "sha256": hashlib.sha256(np.asarray(v, np.float64).tobytes()).hexdigest(),
        }
        for name, v in grid.items()
    ]
    return {
        "format": FORMAT,
        "meta": meta.describe(),
        "measure": measure.name,
        "axes": axes,
        "tile": list(tile),
        "chunk": call,  # points per device per call: values may depend on it (last digit)
        "key": [str(jax.random.key_impl(key))]
        + np.asarray(jax.random.key_data(key)).ravel().tolist(),
        "dtype": str(dtype),
    }


def config_hash(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


_ORDER = ("format", "meta", "measure", "dims", "axes", "key", "dtype", "tile", "chunk")


def difference(old: Any, new: Any, where: str = "") -> str | None:
    """Names the first place two JSON-like configurations differ (what was asked
    for before how it is laid out)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        if not where:
            keys.sort(key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER))
        for k in keys:
            d = difference(old.get(k), new.get(k), f"{where}.{k}" if where else k)
            if d:
                return d
        return None
    if old != new:
        show = lambda v: (s if len(s := json.dumps(v)) <= 60 else s[:57] + "...")
        return f"{where}: stored {show(old)}, requested {show(new)}"
    return None


def keyed(config: Mapping[str, Any]) -> dict[str, Any]:
    """Axes by name, so that a difference reads ``axes.lr.last: ...``."""
    axes = config.get("axes", [])
    return {**config, "axes": {a["name"]: a for a in axes}, "dims": [a["name"] for a in axes]}


def attrs_for(meta: MetaLoss, measure: Measure) -> dict[str, Any]:
    """NetCDF-safe attributes: the configuration record (:meth:`MetaLoss.describe`,
    fixed values included), the measure (its spec, its description and what
    :meth:`~metaloss._src.measures.Measure.details` adds) and the versions."""
    return {
        "config": json.dumps(meta.describe(), sort_keys=True),
        "measure": measure.name,
        "description": measure.description,
        **measure.details(meta),
        "steps": meta.steps,
        "objective": str(meta.objective),
        "metaloss_version": __version__,
        "jax_version": jax.__version__,
    }


def dd_record(meta: MetaLoss) -> dict[str, Any]:
    """:meth:`MetaLoss.describe` with the residues of fixed values given exactly, as
    ``fixed_lo`` (name -> lo; absent when there are none, so the record is the float
    one), which :meth:`MetaLoss.from_record` reads back."""
    record = meta.describe()
    if meta.fixed_lo:
        record["fixed_lo"] = hyper.residues(meta.fixed_lo)
    return record


def dd_attrs(meta: MetaLoss) -> dict[str, Any]:
    """:func:`attrs_for` of a double-double landscape."""
    return {**attrs_for(meta, LOSS), "config": json.dumps(dd_record(meta), sort_keys=True),
            "precision": "double-double"}
