"""Saving and loading landscapes; every file is written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import xarray as xr

from metaloss.errors import InputError


def check_writable_dir(path: str | os.PathLike) -> Path:
    """Creates ``path`` if needed; :class:`InputError` with one line when it cannot be written."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create output directory {str(p)!r}: {e.strerror}") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise InputError(f"output directory {str(p)!r} is not writable")
    return p


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; renames it onto ``path`` on success.

    An interrupted write leaves at most a stray temporary file, never a half-written
    ``path``.
    """
    dest = Path(path)
    parent = dest.parent if str(dest.parent) else Path(".")
    check_writable_dir(parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def save_netcdf(da: xr.DataArray, path: str | os.PathLike) -> Path:
    """Writes a landscape to NetCDF (HDF5 via h5netcdf), atomically."""
    with atomic_path(path) as tmp:
        da.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def load_netcdf(path: str | os.PathLike) -> xr.DataArray:
    """Reads a landscape written by :func:`save_netcdf` fully into memory."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such landscape file: {str(p)!r}")
    with xr.open_dataarray(p, engine="h5netcdf") as da:
        return da.load()
