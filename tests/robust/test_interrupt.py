"""Ctrl-C or SIGTERM on a store run says how many tiles are kept and how to go on (item 6)."""

import os
import signal

import pytest

from cli_helpers import run
from metaloss._src.grid.store import TileStore

ARGS = ["landscape", "--axis", "lr=log:1e-3:1:8", "--axis", "momentum=lin:0:0.9:8",
        "--steps", "3", "--tile", "4,4"]


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_interrupt_names_the_resume_command(tmp_path, capsys, monkeypatch, how):
    real = TileStore.write_tile
    calls = []

    def write_then_stop(self, index, loss, div):
        real(self, index, loss, div)
        calls.append(index)
        if len(calls) == 2:
            if how == "SIGINT":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGTERM)  # handled in the main thread

    monkeypatch.setattr(TileStore, "write_tile", write_then_stop)
    path = tmp_path / "s.zarr"
    code, _, err = run([*ARGS, "--out", path], capsys)
    assert code == 128 + getattr(signal, how), err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: stopped by {how}: ")
    kept = int(TileStore.open(path).done().sum())
    assert kept >= 1 and f"{kept} of 4 tiles" in lines[0]
    assert lines[0].endswith(f"--out {path} --resume")
    monkeypatch.setattr(TileStore, "write_tile", real)
    code, out, err = run([*ARGS, "--out", path, "--resume"], capsys)
    assert code == 0 and f"{kept} reused" in out
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
