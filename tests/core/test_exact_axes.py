"""Log axes in double-double: every point is ``exp`` of evenly spaced logs to ~32 digits
(checked against 40-digit mpmath), stored as hi/lo beside the float64 values."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.grid.axes import parse_axis
from metaloss._src.precision.exact import hilo

BOUND = 1e-30
"""Relative error allowed per point (the largest measured here is ~3e-31)."""


def _reference(kind, a, b, n):
    with mpmath.workdps(40):
        la, lb = mpmath.log(mpmath.mpf(a)), mpmath.log(mpmath.mpf(b))
        pts = [mpmath.exp(la + i * (lb - la) / (n - 1)) for i in range(n)]
        return [1 - p for p in pts] if kind == "1mlog" else pts


@pytest.mark.parametrize("spec", [
    "lr=log:1e-3:1e2:257",
    "lr=log:1e-20:3e-20:50",
    "lr=log:1.018028181057647891666340100869093:1.018028181057647891676340100869093:64",
    "momentum=1mlog:1e-3:1:100",
])
def test_log_axis_points_match_mpmath(spec):
    name, values = parse_axis(spec)
    kind, a, b, n = spec.split("=")[1].split(":")
    ref = _reference(kind, a, b, int(n))
    hi, lo = hilo(values)
    with mpmath.workdps(40):
        got = [mpmath.mpf(float(h)) + mpmath.mpf(float(low)) for h, low in zip(hi, lo,
                                                                               strict=True)]
        worst = max(abs(g - r) / abs(r) for g, r in zip(got, ref, strict=True) if r != 0)
    assert worst < BOUND, float(worst)
    # the float64 values are those of the float64 grammar, unchanged
    np.testing.assert_array_equal(hi, np.asarray(values))
    if "1.0180281" in spec:  # a window float64 cannot resolve: hi collapses, hi + lo do not
        assert len(set(hi)) < 5 and len(set(got)) == int(n)


def test_float_axes_never_compute_residues(monkeypatch):
    from metaloss._src.precision import exact

    def boom(*args):
        raise AssertionError("residues computed")

    monkeypatch.setattr(exact, "_log_lo", boom)
    _, values = parse_axis("lr=log:1e-3:1e2:9")
    da = ml.landscape(ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGD(), steps=3),
                      {"lr": values}, progress=False)
    assert da.shape == (9,)


def test_double_double_log_window_on_netcdf(tmp_path):
    spec = "lr=log:1.018028181057647891666340100869093:1.018028181057647891676340100869093:8"
    _, values = parse_axis(spec)
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.076), ml.optimizers.SGD(), steps=5)
    da = ml.landscape(meta, {"lr": values}, precision="double-double")
    ml.save_netcdf(da, tmp_path / "w.nc")
    back = ml.load_netcdf(tmp_path / "w.nc")
    ref = _reference("log", *spec.split(":")[1:3], 8)
    with mpmath.workdps(40):
        got = [mpmath.mpf(float(h)) + mpmath.mpf(float(low))
               for h, low in zip(back.lr.values, back.lr_lo.values, strict=True)]
        assert max(abs(g - r) / r for g, r in zip(got, ref, strict=True)) < BOUND
    assert len(set(back.lr.values)) < 8


def test_log_residues_recomputed_unfused_when_the_program_is_off(monkeypatch):
    """A compiled program that loses the residues (as XLA's fusion can, contracting a
    product into an FMA past two_prod's barriers) is caught and recomputed op by op."""
    from metaloss._src.precision import exact

    real = exact._log_points
    calls = []

    def lossy(*args):
        v = real(*args)
        calls.append(1)
        if len(calls) == 1:  # the compiled call: drop the residues
            return v[0], v[1] * 0.0
        return v

    monkeypatch.setattr(exact, "_log_points", lossy)
    _, values = parse_axis("lr=log:1e-3:1e2:9")
    want = _reference("log", "1e-3", "1e2", 9)
    with mpmath.workdps(40):
        got = [mpmath.mpf(float(h)) + mpmath.mpf(float(low)) for h, low in zip(*hilo(values),
                                                                               strict=True)]
        assert max(abs(g - w) / w for g, w in zip(got, want, strict=True)) < BOUND
    assert len(calls) == 2
