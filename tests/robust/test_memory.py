"""A compiled call's working set is sized against the available memory before anything
is compiled (issue 27, item 1): blocks shrink to fit, and a point that cannot fit is
refused in one line."""

import jax
import numpy as np
import pytest

import metaloss as ml
from cli_helpers import run
from metaloss._src.errors import InputError
from metaloss._src.grid import memory as executor


def test_a_point_too_large_for_memory_is_refused_before_compiling(tmp_path, capsys):
    # backpropagation through 200 steps of 10^7 parameters: about 190 GiB per point
    out = tmp_path / "g.nc"
    code, _, err = run(["landscape", "--problem", "quadratic(dim=10000000)", "--steps", "200",
                        "--measure", "gradnorm", "--axis", "lr=log:1e-3:1e-1:4",
                        "--out", out], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "one grid point of this meta-loss needs about" in err
    assert "smaller problem" in err and not out.exists()


def test_blocks_shrink_to_fit_and_leave_values_unchanged(monkeypatch):
    meta = ml.MetaLoss(ml.problems.Quadratic(dim=4096), ml.optimizers.SGD(), steps=5)
    axes = {"lr": ml.logspace(-3, -1, 40)}
    devices = tuple(jax.local_devices())
    assert executor.cpu_block(meta, devices) == executor.MIN_BLOCK  # 49 KiB per point
    full = ml.landscape(meta, axes)
    per_point = executor.state_bytes(meta)
    # room for about 3 points' working sets: blocks of 2 on one worker
    monkeypatch.setattr(executor, "available_memory",
                        lambda: int(3 * 4 * per_point / executor.MEMORY_SHARE))
    assert executor.cpu_block(meta, devices) == 2
    assert executor.cpu_block(meta, devices, workers=2) == 1
    small = ml.landscape(meta, axes)
    # the same runs; only the float32 sum over 4096 parameters is ordered differently
    # in a narrower batch
    np.testing.assert_allclose(small.values, full.values, rtol=2e-6)
    np.testing.assert_array_equal(small["diverged"].values, full["diverged"].values)
    monkeypatch.setattr(executor, "available_memory", lambda: per_point)
    with pytest.raises(InputError, match="one grid point"):
        ml.landscape(meta, axes)


def test_fewer_workers_when_one_point_blocks_do_not_fit(monkeypatch):
    meta = ml.MetaLoss(ml.problems.Quadratic(dim=4096), ml.optimizers.SGD(), steps=5)
    devices = tuple(jax.local_devices())
    monkeypatch.setattr(executor.os, "sched_getaffinity", lambda _: set(range(8)))
    assert executor.workers_for(devices) == 8  # without a meta-loss: one per core
    live = executor.state_bytes(meta) * executor.LOSS.live_states(meta.steps)
    # room for three points' working sets at once: three of the eight workers
    monkeypatch.setattr(executor, "available_memory",
                        lambda: int(3.5 * live / executor.MEMORY_SHARE))
    assert executor.workers_for(devices, meta) == 3
    assert executor.cpu_block(meta, devices, workers=3) == 1
    monkeypatch.setattr(executor, "available_memory", lambda: int(100 * live))
    assert executor.workers_for(devices, meta) == 8
