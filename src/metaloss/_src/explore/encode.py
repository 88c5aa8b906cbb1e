"""A view on the wire: JSON for scripts, a binary frame for the page, NetCDF to keep.

The binary frame (``format=f32``) is, in order:

1. 4 bytes: the header's length ``H`` in bytes, an unsigned little-endian integer;
2. ``H`` bytes: a UTF-8 JSON header ``{"dims", "shape", "coords", "measure",
   "seconds", "boundary", "precision", "values": "<f4", "diverged": "u1"}`` (with
   ``determined=1`` also ``"determined": "u1", "determined_share",
   "determined_against"``), padded with spaces so that ``4 + H`` is a multiple of 8;
3. ``N = prod(shape)`` little-endian float32 values in C order (first axis slowest),
   non-finite values as IEEE NaN or infinity;
4. ``N`` bytes, the divergence flags (0 or 1) in the same order;
5. with ``determined=1``, ``N`` more bytes: 1 where the flag agrees with the one at
   ``determined_against`` (the next precision), 0 where it is undetermined.
"""

from __future__ import annotations

import json
import re
import struct
import tempfile
from pathlib import Path

import numpy as np

from metaloss._src.explore.session import View
from metaloss._src.grid.io import save_netcdf

_NON_FINITE = re.compile(r"-?Infinity|NaN")


def _array(a: np.ndarray) -> str:
    """A nested JSON list; non-finite numbers become ``null``."""
    return _NON_FINITE.sub("null", json.dumps(a.tolist()))


def boundary(diverged: np.ndarray) -> dict:
    """The view's divergence boundary by the estimators that apply to it, as the atlas
    and the report compute them (:func:`metaloss._src.analysis.boundary_dimension`):
    ``{method: {"dimension", "ci"}}``. ``box`` needs 16 cells per axis, ``crossings``
    a 1-D view of ``2**N + 1`` points, ``sohl-dickstein`` a 2-D view; a view without a
    boundary has none."""
    from metaloss._src.analysis.fractal import boundary_dimension
    from metaloss._src.errors import InputError

    mask = np.asarray(diverged, bool)
    methods = ["box", "crossings"] if mask.ndim == 1 else ["box", "sohl-dickstein"]
    out = {}
    for method in methods:
        try:
            est = boundary_dimension(mask, method=method, resamples=200)
        except InputError:  # too small, no boundary, or not 2**N + 1 points
            continue
        if np.isfinite(est.dimension):
            out[method] = {"dimension": round(float(est.dimension), 4),
                           "ci": [round(float(c), 4) for c in est.ci]}
    return out


def _header(view: View) -> dict:
    return {
        "dims": list(view.dims),
        "coords": {k: np.asarray(v, float).tolist() for k, v in view.coords.items()},
        "measure": view.measure,
        "seconds": view.seconds,
        "boundary": boundary(view.diverged),
        "precision": view.precision,
        **({} if view.determined is None else {
            "determined_share": view.determined_share,
            "determined_against": view.determined_against}),
    }


def to_json(view: View) -> bytes:
    """``{"dims", "coords", "values", "diverged", "measure", "seconds", ...}`` (and
    ``"determined"`` where asked for), the first axis along the outer lists."""
    head = json.dumps(_header(view))[:-1]
    values = _array(view.values.astype(np.float64))
    diverged = json.dumps(view.diverged.tolist())
    determined = ("" if view.determined is None else
                  f', "determined": {json.dumps(np.asarray(view.determined).tolist())}')
    return f'{head}, "values": {values}, "diverged": {diverged}{determined}}}'.encode()


def to_f32(view: View) -> bytes:
    """The binary frame described in the module docstring."""
    head = {**_header(view), "shape": list(view.values.shape), "values": "<f4",
            "diverged": "u1"}
    parts = [np.ascontiguousarray(view.values, "<f4").tobytes(),
             np.ascontiguousarray(view.diverged, np.uint8).tobytes()]
    if view.determined is not None:
        head["determined"] = "u1"
        parts.append(np.ascontiguousarray(view.determined, np.uint8).tobytes())
    text = json.dumps(head).encode()
    text += b" " * (-(4 + len(text)) % 8)
    return b"".join([struct.pack("<I", len(text)), text, *parts])


def from_f32(data: bytes) -> tuple[dict, np.ndarray, np.ndarray]:
    """``(header, values, diverged)`` from a binary frame (for scripts and tests); the
    ``determined`` flags, where the frame has them, as ``header["determined"]``."""
    (n,) = struct.unpack_from("<I", data)
    head = json.loads(data[4 : 4 + n])
    shape = tuple(head["shape"])
    size = int(np.prod(shape))
    values = np.frombuffer(data, "<f4", size, 4 + n).reshape(shape)
    diverged = np.frombuffer(data, np.uint8, size, 4 + n + 4 * size).reshape(shape)
    if "determined" in head:
        head["determined"] = np.frombuffer(data, np.uint8, size,
                                           4 + n + 5 * size).reshape(shape).astype(bool)
    return head, values, diverged.astype(bool)


def to_netcdf(view: View) -> bytes:
    """The view as a NetCDF (HDF5) file, as ``metaloss landscape --out view.nc`` writes."""
    with tempfile.TemporaryDirectory(prefix="metaloss-explore-") as tmp:
        path = save_netcdf(view.dataarray(), Path(tmp) / "view.nc")
        return path.read_bytes()
