"""Saving and loading landscapes; every file is written atomically."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import xarray as xr

from metaloss._src.errors import InputError


def check_writable_dir(path: str | os.PathLike) -> Path:
    """Creates the directory ``path`` if needed (its parent must exist);
    :class:`InputError` with one line when it cannot be created or written."""
    p = Path(path)
    if not p.is_dir():
        _check_is_dir(p.parent if str(p.parent) else Path("."), p)
        try:
            p.mkdir(exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot create output directory {str(p)!r}: {e.strerror}") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise InputError(f"output directory {str(p)!r} is not writable")
    return p


def _check_is_dir(parent: Path, target: Path) -> None:
    if parent.exists() and not parent.is_dir():
        raise InputError(f"{str(parent)!r} is not a directory (needed for {str(target)!r})")
    if not parent.is_dir():
        raise InputError(f"directory {str(parent)!r} does not exist: create it first "
                         f"(needed for {str(target)!r})")


def check_parent(path: str | os.PathLike) -> Path:
    """:class:`InputError` unless the directory that will hold the file ``path`` exists
    and is writable (metaloss never creates a file's missing parent directories)."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    _check_is_dir(parent, p)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"directory {str(parent)!r} is not writable (needed for {str(p)!r})")
    return p


def check_suffix(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> str:
    """The suffix of ``path`` when it is one of ``suffixes``, else :class:`InputError`."""
    suffix = Path(path).suffix.lower()
    if suffix not in suffixes:
        raise InputError(f"{what} must end in {' or '.join(suffixes)}, got {str(path)!r}")
    return suffix


def _file_mode() -> int:
    """The mode a newly created file gets under the current umask (0644 under 0022)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


_UMASK_LOCK = threading.Lock()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; renames it onto ``path`` on success.

    An interrupted write leaves at most a stray temporary file, never a half-written
    ``path``. The file gets the mode of an ordinary new file (it follows the umask),
    and file-system errors name ``path``, not the temporary file.
    """
    dest = check_parent(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(dest)) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, dest)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename is not None and tmp in str(e.filename):
            raise OSError(e.errno, e.strerror, str(dest)) from None
        raise


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` to ``path`` atomically; a full disk is an :class:`InputError`
    and leaves no file."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise _disk_full(path) from None
        raise
    return Path(path)


DISK_SEP = "."
"""What stands for the ``/`` of a per-group name (``lr/layer0``) in files: HDF5 and
Zarr read ``/`` in a variable's name as a path."""


def disk_name(name: str) -> str:
    """An axis name as NetCDF and Zarr files spell it (``lr/layer0`` -> ``lr.layer0``)."""
    return name.replace("/", DISK_SEP)


def to_disk(da: xr.DataArray) -> xr.DataArray:
    """``da`` with its dimensions (and their ``NAME_lo`` residues, in a double-double
    landscape) renamed by :func:`disk_name`."""
    names = {d: disk_name(d) for d in da.dims if disk_name(d) != d}
    names.update({f"{d}_lo": f"{n}_lo" for d, n in names.items() if f"{d}_lo" in da.coords})
    return da.rename(names) if names else da


def from_disk(da: xr.DataArray) -> xr.DataArray:
    """Undoes :func:`to_disk`."""
    names = {d: str(d).replace(DISK_SEP, "/") for d in da.dims if DISK_SEP in str(d)}
    names.update({f"{d}_lo": f"{n}_lo" for d, n in names.items() if f"{d}_lo" in da.coords})
    return da.rename(names) if names else da


FULL = {errno.ENOSPC, errno.EDQUOT}


def _disk_full(path) -> InputError:
    return InputError(f"cannot write {str(path)!r}: the disk is full (no space left on "
                      "device); nothing was written: free some space or choose another path")


def write_bytes(path: str | os.PathLike, data) -> Path:
    """Writes ``data`` to ``path`` atomically; a full disk is an :class:`InputError`
    (checked before writing, and caught while writing) and leaves no partial file."""
    dest = check_parent(path)
    data = memoryview(data).cast("B")
    try:
        free = shutil.disk_usage(dest.parent).free
    except OSError:
        free = None
    if free is not None and free < data.nbytes:
        raise _disk_full(dest)
    try:
        with atomic_path(dest) as tmp, open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        if e.errno in FULL:
            raise _disk_full(dest) from None
        raise
    return dest


def save_netcdf(da: xr.DataArray, path: str | os.PathLike) -> Path:
    """Writes a landscape to NetCDF (HDF5 via h5netcdf), atomically.

    The file is built in memory first and then written by Python: HDF5 writing to a
    full disk can crash the process (h5py raised, then the interpreter segfaulted),
    while a plain write fails with ``ENOSPC``, which becomes a one-line error.
    """
    check_parent(path)
    return write_bytes(path, to_disk(da).to_netcdf(engine="h5netcdf"))


def load_netcdf(path: str | os.PathLike) -> xr.DataArray:
    """Reads a landscape written by :func:`save_netcdf` fully into memory."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such landscape file: {str(p)!r}")
    with xr.open_dataarray(p, engine="h5netcdf") as da:
        return from_disk(da.load())
