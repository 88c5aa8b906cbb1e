"""A view on the wire: JSON for scripts, a binary frame for the page, NetCDF to keep.

The binary frame (``format=f32``) is, in order:

1. 4 bytes: the header's length ``H`` in bytes, an unsigned little-endian integer;
2. ``H`` bytes: a UTF-8 JSON header ``{"dims", "shape", "coords", "measure",
   "seconds", "values": "<f4", "diverged": "u1"}``, padded with spaces so that
   ``4 + H`` is a multiple of 8;
3. ``N = prod(shape)`` little-endian float32 values in C order (first axis slowest),
   non-finite values as IEEE NaN or infinity;
4. ``N`` bytes, the divergence flags (0 or 1) in the same order.
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


def _header(view: View) -> dict:
    return {
        "dims": list(view.dims),
        "coords": {k: np.asarray(v, float).tolist() for k, v in view.coords.items()},
        "measure": view.measure,
        "seconds": view.seconds,
    }


def to_json(view: View) -> bytes:
    """``{"dims", "coords", "values", "diverged", "measure", "seconds"}``, the first
    axis along the outer lists."""
    head = json.dumps(_header(view))[:-1]
    values = _array(view.values.astype(np.float64))
    diverged = json.dumps(view.diverged.tolist())
    return f'{head}, "values": {values}, "diverged": {diverged}}}'.encode()


def to_f32(view: View) -> bytes:
    """The binary frame described in the module docstring."""
    head = {**_header(view), "shape": list(view.values.shape), "values": "<f4",
            "diverged": "u1"}
    text = json.dumps(head).encode()
    text += b" " * (-(4 + len(text)) % 8)
    return b"".join([struct.pack("<I", len(text)), text,
                     np.ascontiguousarray(view.values, "<f4").tobytes(),
                     np.ascontiguousarray(view.diverged, np.uint8).tobytes()])


def from_f32(data: bytes) -> tuple[dict, np.ndarray, np.ndarray]:
    """``(header, values, diverged)`` from a binary frame (for scripts and tests)."""
    (n,) = struct.unpack_from("<I", data)
    head = json.loads(data[4 : 4 + n])
    shape = tuple(head["shape"])
    size = int(np.prod(shape))
    values = np.frombuffer(data, "<f4", size, 4 + n).reshape(shape)
    diverged = np.frombuffer(data, np.uint8, size, 4 + n + 4 * size).reshape(shape)
    return head, values, diverged.astype(bool)


def to_netcdf(view: View) -> bytes:
    """The view as a NetCDF (HDF5) file, as ``metaloss landscape --out view.nc`` writes."""
    with tempfile.TemporaryDirectory(prefix="metaloss-explore-") as tmp:
        path = save_netcdf(view.dataarray(), Path(tmp) / "view.nc")
        return path.read_bytes()
