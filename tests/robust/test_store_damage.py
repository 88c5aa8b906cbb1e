"""A damaged store is found, named in one line, and repaired by --resume (item 4)."""

import json
import shutil

import numpy as np
import pytest
import xarray as xr

from cli_helpers import run
from metaloss._src.errors import InputError
from metaloss.grid import open_store

ARGS = ["landscape", "--axis", "lr=log:1e-3:1:8", "--axis", "momentum=lin:0:0.9:8",
        "--steps", "5", "--tile", "4,4"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    from metaloss.cli import main

    path = tmp_path_factory.mktemp("store") / "s.zarr"
    assert main([*ARGS, "--out", str(path)]) == 0
    return path


def _values(path):
    with xr.open_dataset(path, engine="zarr", consolidated=False) as ds:
        return ds["outer_loss"].values.copy(), ds["diverged"].values.copy()


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_damaged_chunk_is_refused_then_repaired(finished, tmp_path, capsys, damage):
    path = tmp_path / "s.zarr"
    shutil.copytree(finished, path)
    chunk = path / ("outer_loss" if damage == "delete" else "diverged") / "c" / "0" / "1"
    if damage == "delete":
        chunk.unlink()
    else:
        chunk.write_bytes(chunk.read_bytes()[:10])
    with pytest.raises(InputError, match=r"damaged: 1 finished tile\(s\) \(1\)"):
        open_store(path)
    code, _, err = run(["export", path, "--out", tmp_path / "s.nc"], capsys)
    assert code == 2 and err.count("\n") == 1 and "damaged" in err and "--resume" in err
    assert not (tmp_path / "s.nc").exists()
    code, _, err = run([*ARGS, "--out", path], capsys)  # without --resume: refused, kept
    assert code == 2 and "damaged" in err
    code, out, err = run([*ARGS, "--out", path, "--resume"], capsys)
    assert code == 0, err
    assert "1 of 4 tiles computed" in out and "1 damaged tiles recomputed" in out
    for a, b in zip(_values(path), _values(finished), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_store_without_checksums_is_checked_too(finished, tmp_path, capsys, damage):
    """A store written before per-tile checksums: a missing or undecodable chunk is
    still found, refused, and recomputed by --resume."""
    path = tmp_path / "s.zarr"
    shutil.copytree(finished, path)
    shutil.rmtree(path / "tile_crc")  # as stores were written before checksums
    assert open_store(path).shape == (8, 8)  # intact: opens
    chunk = path / "diverged" / "c" / "1" / "0"
    if damage == "delete":
        chunk.unlink()
    else:
        chunk.write_bytes(chunk.read_bytes()[:3])
    with pytest.raises(InputError, match=r"damaged: 1 finished tile\(s\) \(2\)"):
        open_store(path)
    code, _, err = run(["export", path, "--out", tmp_path / "s.nc"], capsys)
    assert code == 2 and err.count("\n") == 1 and "damaged" in err
    code, out, err = run([*ARGS, "--out", path, "--resume"], capsys)
    assert code == 0, err
    assert "1 damaged tiles recomputed" in out
    for a, b in zip(_values(path), _values(finished), strict=True):
        np.testing.assert_array_equal(a, b)


def test_invalid_store_config_is_one_line(finished, tmp_path, capsys):
    path = tmp_path / "s.zarr"
    shutil.copytree(finished, path)
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"]["store_config"] = "{not json"
    (path / "zarr.json").write_text(json.dumps(meta))
    for args in (["export", path, "--out", tmp_path / "s.nc"], [*ARGS, "--out", path, "--resume"]):
        code, _, err = run(args, capsys)
        assert code == 2 and err.count("\n") == 1, err
        assert "invalid metadata" in err and "zarr.json" in err


def test_foreign_files_are_ignored_quietly(finished, tmp_path, capsys):
    path = tmp_path / "s.zarr"
    shutil.copytree(finished, path)
    (path / ".zattrs").write_text("garbage{")
    (path / "outer_loss" / ".zarray").write_text("junk")
    code, _, err = run(["export", path, "--out", tmp_path / "s.nc"], capsys)
    assert code == 0 and err == ""
