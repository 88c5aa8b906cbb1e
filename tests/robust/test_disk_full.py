"""A full disk while writing a .nc is one line, exit 2, and no partial file (item 5)."""

import errno
import os
import shutil
from collections import namedtuple

from cli_helpers import run

ARGS = ["landscape", "--axis", "lr=log:1e-3:1:3", "--steps", "3"]


def _no_partial(tmp_path):
    return [p.name for p in tmp_path.iterdir() if p.suffix in (".nc", ".tmp")] == []


def test_full_disk_before_writing(tmp_path, capsys, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(100, 100, 0))
    code, _, err = run([*ARGS, "--out", tmp_path / "a.nc"], capsys)
    assert code == 2 and err.count("\n") == 1 and "disk is full" in err
    assert _no_partial(tmp_path)


def test_full_disk_while_writing(tmp_path, capsys, monkeypatch):
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = run([*ARGS, "--out", tmp_path / "a.nc"], capsys)
    monkeypatch.setattr(os, "fsync", real)
    assert code == 2 and err.count("\n") == 1 and "disk is full" in err
    assert "Traceback" not in err and _no_partial(tmp_path)


def test_netcdf_still_round_trips(tmp_path, capsys):
    from metaloss._src.grid.io import load_netcdf

    code, _, err = run([*ARGS, "--out", tmp_path / "a.nc"], capsys)
    assert code == 0, err
    assert load_netcdf(tmp_path / "a.nc").shape == (3,)
