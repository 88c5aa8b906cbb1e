"""One configuration record (MetaLoss.describe), in memory and in stores, fixed values
included, that rebuilds the meta-loss."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

import metaloss as ml

AXES = {"lr": ml.logspace(-3, 0, 6)}


@pytest.mark.parametrize("via", ["fixed", "scalar axis"])
def test_fixed_values_are_recorded_and_round_trip(tmp_path, via):
    base = ml.MetaLoss(ml.problems.Quadratic(dim=3), ml.optimizers.SGDM(), steps=7,
                       objective="final")
    if via == "fixed":
        meta, axes = ml.MetaLoss(base.problem, base.optimizer, steps=7, objective="final",
                                 fixed={"momentum": 0.5}), AXES
    else:
        meta, axes = base, {**AXES, "momentum": 0.5}
    for da in (ml.landscape(meta, axes, progress=False),
               ml.landscape(meta, axes, store=tmp_path / f"{via}.zarr", progress=False)):
        record = json.loads(da.attrs["config"])
        assert record["fixed"] == {"momentum": 0.5}
        assert record["problem"] == "quadratic(dim=3)" and record["objective"] == "final"
        rebuilt = ml.MetaLoss.from_record(record)
        assert rebuilt == base.with_fixed({"momentum": 0.5})
        want = jax.vmap(lambda lr, m=rebuilt: m({"lr": lr}))(np.asarray(AXES["lr"], np.float32))
        np.testing.assert_allclose(np.asarray(da.values), want, rtol=1e-6)
    stored = json.loads(ml.open_store(tmp_path / f"{via}.zarr").attrs["store_config"])
    assert stored["meta"]["fixed"] == {"momentum": 0.5}


def test_changing_a_fixed_value_does_not_recompile(compiles):
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=9)
    ml.landscape(meta, {"lr": ml.logspace(-3, 0, 5), "momentum": 0.5}, progress=False)
    n = compiles.during(lambda: ml.landscape(
        meta.with_fixed({"momentum": 0.7}), {"lr": ml.logspace(-3, 0, 5)}, progress=False))
    assert n == 0


def test_an_axis_that_is_also_fixed_is_refused():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), fixed={"momentum": 0.5})
    with pytest.raises(ml.InputError, match="both a grid axis and fixed"):
        ml.landscape(meta, {"momentum": [0.1, 0.2]})
