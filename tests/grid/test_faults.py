"""Faults: a run killed at random moments resumes to the uninterrupted result;
an unwritable or full destination fails clearly and keeps the finished tiles."""

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import zarr.storage._local as zarr_local

import metaloss as ml
from metaloss._src.grid.store import TileStore
from metaloss.grid import open_store

TILE = (4, 4)
SCRIPT = textwrap.dedent(
    """
    import sys
    import metaloss as ml
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=12)
    axes = {"lr": ml.logspace(-3, 2, 40), "momentum": 1 - ml.logspace(-3, 0, 38)}
    ml.landscape(meta, axes, store=sys.argv[1], resume=True, tile=(4, 4), progress=False)
    """
)
META = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=12)
AXES = {"lr": ml.logspace(-3, 2, 40), "momentum": 1 - ml.logspace(-3, 0, 38)}  # 10 x 10 tiles
SMALL = {"lr": ml.logspace(-3, 2, 12), "momentum": 1 - ml.logspace(-3, 0, 8)}  # 3 x 2 tiles


def marked(path) -> int:
    """Finished tiles, counted from the mask's chunk files without opening the store."""
    c = path / "tile_done" / "c"
    return sum(1 for p in c.rglob("*") if p.is_file() and ".partial" not in p.name)


def assert_same(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a["diverged"].values, b["diverged"].values)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tmp_path):
    reference = ml.landscape(META, AXES, store=tmp_path / "ref.zarr", tile=TILE, progress=False)
    path = tmp_path / "l.zarr"
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    rng = random.Random(20240611)
    # the first kill lands while the store is being created, the others at random
    # points while tiles are being written
    plans = [("creating", 0)] + [("tiles", rng.randint(lo, lo + 25)) for lo in (5, 45)]
    after_kill = []
    for kind, when in plans:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(path)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        start = time.monotonic()
        while proc.poll() is None and time.monotonic() - start < 120:
            if kind == "creating" and (path.exists() or list(tmp_path.glob(".l.zarr.*"))):
                break
            if kind == "tiles" and path.exists() and marked(path) >= when:
                time.sleep(rng.uniform(0, 0.01))
                break
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after_kill.append(marked(path) if path.exists() else 0)
        if path.exists():  # every tile marked done is complete and right
            store = TileStore.open(path)
            part = open_store(path, incomplete=True).values
            for t in np.flatnonzero(store.done()):
                region = store.layout.region(t)
                np.testing.assert_array_equal(part[region], reference.values[region])
    assert after_kill[0] == 0 and all(0 < n < 100 for n in after_kill[1:]), after_kill
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert TileStore.open(path).done().all()
    assert_same(open_store(path), reference)
    assert not list(path.rglob("*.partial"))
    assert not list(tmp_path.glob(".l.zarr.*.tmp"))


def test_unwritable_destination_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match="file.txt' is not a directory") as e:
        ml.landscape(META, SMALL, store=blocker / "l.zarr", progress=False)
    assert "\n" not in str(e.value)


def fail_chunk_writes(monkeypatch, after: int):
    """Makes the disk 'full' once ``after`` outer_loss chunks were written."""
    real, count = zarr_local._put, [0]

    def put(path, value, exclusive=False):
        if "outer_loss/c/" in str(path):
            count[0] += 1
            if count[0] > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, value, exclusive=exclusive)

    monkeypatch.setattr(zarr_local, "_put", put)


def test_full_disk_keeps_finished_tiles(tmp_path, monkeypatch):
    reference = ml.landscape(META, SMALL, chunk=16, progress=False)
    path = tmp_path / "l.zarr"
    with monkeypatch.context() as m:
        fail_chunk_writes(m, after=4)
        with pytest.raises(ValueError, match=r"No space left on device; the 4 finished"):
            ml.landscape(META, SMALL, store=path, tile=TILE, progress=False)
    assert TileStore.open(path).done().tolist() == [True] * 4 + [False] * 2
    assert_same(ml.landscape(META, SMALL, store=path, resume=True, progress=False), reference)


def test_unwritable_tile_location_keeps_finished_tiles(tmp_path, monkeypatch):
    # A real OS error mid-run: the directory for the second row of tiles is a file.
    reference = ml.landscape(META, SMALL, chunk=16, progress=False)
    path = tmp_path / "l.zarr"
    with monkeypatch.context() as m:
        fail_chunk_writes(m, after=0)
        with pytest.raises(ValueError, match="the 0 finished tiles are kept"):
            ml.landscape(META, SMALL, store=path, tile=TILE, progress=False)
    blocker = path / "outer_loss" / "c" / "1"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("in the way")
    with pytest.raises(ValueError, match=r"cannot write to store .*the 2 finished tiles are kept"):
        ml.landscape(META, SMALL, store=path, resume=True, progress=False)
    assert TileStore.open(path).done().tolist() == [True, True] + [False] * 4
    blocker.unlink()
    assert_same(ml.landscape(META, SMALL, store=path, resume=True, progress=False), reference)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SLOW_AXES = ["--axis", "lr=log:1e-3:1e1:64", "--axis", "momentum=1mlog:1e-3:1:48",
             "--steps", "100000", "--tile", "8,8"]  # 8 x 6 tiles of 64 points, ~0.1 s each


@pytest.mark.slow
@pytest.mark.parametrize("victim", [1, 0])
def test_a_killed_process_stops_the_others_and_resume_completes(tmp_path, victim):
    path = tmp_path / "d.zarr"
    port = _free_port()
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "metaloss.cli", "landscape", *SLOW_AXES, "--out", str(path),
             "--distributed", "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2",
             "--process-id", str(i)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    try:
        deadline = time.monotonic() + 180
        while marked(path) < 2 and time.monotonic() < deadline:  # the run is under way
            time.sleep(0.05)
        assert marked(path) >= 2, "the run did not start"
        procs[victim].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        survivor = procs[1 - victim]
        _, err = survivor.communicate(timeout=60)
        waited = time.monotonic() - killed
    finally:
        for p in procs:
            p.kill()
    assert survivor.returncode == 3, err[-3000:]
    assert waited < 30, waited
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, err[-3000:]
    assert f"process {victim} of 2" in lines[0] and "--resume" in lines[0], lines[0]
    assert "Traceback" not in err
    kept = int(TileStore.open(path).done().sum())
    assert 2 <= kept < 48
    # The finished tiles are kept and a single-process --resume completes the store exactly.
    from metaloss.cli import main

    assert main(["landscape", *SLOW_AXES, "--out", str(path), "--resume"]) == 0
    assert TileStore.open(path).done().all()
    ref = tmp_path / "ref.zarr"
    assert main(["landscape", *SLOW_AXES, "--out", str(ref)]) == 0
    np.testing.assert_array_equal(open_store(path).values, open_store(ref).values)
