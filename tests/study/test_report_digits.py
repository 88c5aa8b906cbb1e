"""The MLP-on-digits report section's boundary measurement, on a synthetic mask."""

import numpy as np
import xarray as xr

from metaloss._src.study.report.digits import DigitsSettings, boundary


def test_boundary_finds_the_first_diverged_lr_and_islands():
    lrs, moms = np.array([0.01, 0.1, 1.0, 10.0]), np.array([0.0, 0.9, 0.99])
    div = np.array([[False, False, False],
                    [False, False, True],
                    [False, True, False],   # a trainable island above momentum 0.99's boundary
                    [True, True, True]])
    da = xr.DataArray(np.zeros((4, 3)), dims=("lr", "momentum"),
                      coords={"lr": lrs, "momentum": moms, "diverged": (("lr", "momentum"), div)})
    b = boundary(da)
    np.testing.assert_array_equal(b["critical_lr"], [10.0, 1.0, 0.1])
    np.testing.assert_array_equal(b["islands"], [0, 0, 1])
    none = da.copy()
    none["diverged"] = (("lr", "momentum"), np.zeros((4, 3), bool))
    assert np.all(np.isnan(boundary(none)["critical_lr"]))
    assert np.all(boundary(none)["islands"] == 0)


def test_quick_settings_are_smaller():
    full, quick = DigitsSettings(), DigitsSettings.quick()
    assert quick.n * quick.n * quick.steps < full.n * full.n * full.steps / 50
