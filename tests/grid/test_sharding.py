"""Landscapes sharded over several devices equal the single-device ones exactly.

The device count is fixed when JAX starts, so the multi-device checks run in one
subprocess with ``JAX_NUM_CPU_DEVICES=4``.
"""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from metaloss._src.grid.sharding import local_devices

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax, numpy as np
    import metaloss as ml
    from metaloss._src.grid import executor, points, sharding
    from metaloss._src.measures import LOSS

    out = sys.argv[1]
    devs = jax.local_devices()
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=15)
    axes = {"lr": ml.logspace(-3, 2, 23), "momentum": 1 - ml.logspace(-3, 0, 17)}
    run = lambda **kw: ml.landscape(meta, axes, progress=False, **kw)
    res = {
        "one_64": run(devices=1, chunk=64), "all_64": run(chunk=64),
        "one_50": run(devices=1, chunk=50), "three_50": run(devices=3, chunk=50),
        "store_one": run(devices=1, store=out + "/one.zarr", tile=(8, 4)),
        "store_all": run(store=out + "/all.zarr", tile=(8, 4)),
        "lyapunov_one": run(devices=1, chunk=64, measure="lyapunov"),
        "lyapunov_all": run(chunk=64, measure="lyapunov"),
        "gradnorm_one": run(devices=1, chunk=50, measure="gradnorm"),
        "gradnorm_three": run(devices=3, chunk=50, measure="gradnorm"),
    }
    table, layout = points.axis_table([axes["lr"], axes["momentum"]], np.float32)
    desc = np.stack([points.box_start([0, 0], [23, 17], 8 * j) for j in range(len(devs))])
    loss, _ = executor._chunk_program(
        sharding.put_points(desc, tuple(devs)), table, layout, {}, jax.random.key(0), meta=meta,
        measure=LOSS, names=("lr", "momentum"), size=8, block=None, devices=tuple(devs))
    np.savez(out + "/res.npz", **{k: v.values for k, v in res.items()},
             **{k + "_div": v["diverged"].values for k, v in res.items()})
    print(json.dumps({"devices": len(devs), "out_devices": len(loss.sharding.device_set)}))
    """
)


@pytest.fixture(scope="module")
def four_devices(tmp_path_factory):
    out = tmp_path_factory.mktemp("sharding")
    env = {**os.environ, "JAX_NUM_CPU_DEVICES": "4", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return info, dict(np.load(out / "res.npz"))


@pytest.mark.slow
def test_four_devices_are_used(four_devices):
    info, _ = four_devices
    assert info == {"devices": 4, "out_devices": 4}


@pytest.mark.slow
@pytest.mark.parametrize("a, b", [("one_64", "all_64"), ("one_50", "three_50"),
                                  ("store_one", "store_all"),
                                  ("lyapunov_one", "lyapunov_all"),
                                  ("gradnorm_one", "gradnorm_three")])
def test_sharded_equals_one_device(four_devices, a, b):
    _, res = four_devices
    assert np.isfinite(res[a]).all()
    np.testing.assert_array_equal(res[a], res[b])
    np.testing.assert_array_equal(res[a + "_div"], res[b + "_div"])


@pytest.mark.slow
def test_sharded_store_equals_sharded_in_memory(four_devices):
    # tile 8 x 4 = 32 points per device per call, as chunk=32 would give
    _, res = four_devices
    assert res["store_all"].shape == (23, 17)
    assert np.abs(res["store_all"] - res["all_64"]).max() < 1e-5


@pytest.mark.parametrize("bad", [0, True, len(jax.local_devices()) + 1, []])
def test_bad_device_choice_is_refused(bad):
    with pytest.raises(ValueError, match="devices"):
        local_devices(bad)


def test_device_choice():
    assert local_devices(None) == tuple(jax.local_devices())
    assert local_devices(1) == (jax.local_devices()[0],)
