"""The double-double unroll: agreement with the float64 unroll where float64 is exact
enough, agreement with mpmath where it is not, exact decimal axes, refusals."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.grid.axes import parse_axis
from metaloss._src.precise import unroll as precise
from metaloss._src.precision import exact
from metaloss._src.precision.exact import hilo


def _float64(meta, hp, n):
    out = [meta.evaluate({k: v[i] for k, v in hp.items()}, differentiable=False)
           for i in range(n)]
    return np.array([float(r.loss) for r in out]), np.array([bool(r.diverged) for r in out])


@pytest.mark.parametrize("problem, opt, hp", [
    ("cosine_quadratic(delta=0.05)", "sgdm",
     {"lr": np.linspace(0.05, 0.3, 4), "momentum": np.array([0.0, 0.3, 0.5, 0.9])}),
    ("quadratic(dim=4, rotate=True)", "sgd", {"lr": np.array([0.5, 1.5, 1.99, 2.5])}),
    ("modulated_quadratic", "sgd", {"lr": np.array([0.1, 0.3, 0.5, 1.2]),
                                    "delta": np.array([0.2, 0.1, 0.3, 0.2])}),
    ("wavy1d", "sgdm", {"lr": np.array([0.01, 0.05, 0.1, 0.3]),
                        "momentum": np.array([0.0, 0.5, 0.9, 0.9])}),
    ("meanfield_mlp(width=2)", "sgdm",
     {"lr": np.array([0.1, 0.5, 1.0, 3.0]), "lr/layer1": np.array([0.2, 0.2, 4.0, 0.5])}),
    ("meanfield_mlp(width=2, nonlinearity='relu')", "sgd", {"lr": np.array([0.1, 0.5, 1, 3])}),
    ("meanfield_mlp(width=2, nonlinearity='identity')", "sgd",
     {"lr/layer0": np.array([0.1, 0.5, 1.0, 2.0]), "offset": np.full(4, 0.2)}),
])
def test_agrees_with_the_float64_unroll(x64, problem, opt, hp):
    meta = ml.MetaLoss(problem, opt, steps=15)
    hi, lo, div = precise.evaluate(meta, {k: hilo(v) for k, v in hp.items()})
    want, want_div = _float64(meta, hp, 4)
    np.testing.assert_allclose(hi, want, rtol=1e-12)
    np.testing.assert_array_equal(div, want_div)
    assert np.all(np.abs(lo) <= np.abs(hi) * 2.0**-52)


def _mp_cosine_final(delta, lr, steps, x0=10.0):
    x, k = mpmath.mpf(x0), 2 * mpmath.pi
    for _ in range(steps):
        x = x - lr * (2 * x - delta * k * mpmath.sin(k * x))
    return x * x + delta * mpmath.cos(k * x)


def test_tracks_mpmath_where_float64_does_not(x64):
    """A chaotic run (roughness 1.5x the onset, lr in the fractal band): after 40 steps
    float64 has lost most of its digits, double-double keeps ~20."""
    delta = 1.5 * ml.problems.CRITICAL_ROUGHNESS
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=delta), "sgd", steps=40,
                       objective="final", divergence=None)
    lr = exact.linspace("1.0196955636010605", "1.0196955636010606", 2)
    hi, lo, _ = precise.evaluate(meta, {"lr": hilo(lr)})
    f64 = _float64(meta, {"lr": np.asarray(lr)}, 2)[0]
    with mpmath.workdps(60):
        for i in range(2):
            q = Fraction(float(lr[i])) + Fraction(float(lr.lo[i]))
            want = _mp_cosine_final(mpmath.mpf(delta), mpmath.mpf(q.numerator) / q.denominator,
                                    40)
            got = mpmath.mpf(float(hi[i])) + mpmath.mpf(float(lo[i]))
            assert abs(got - want) < 1e-18 * abs(want)
            assert abs(f64[i] - want) > 1e-12 * abs(want)  # float64 is off by far more


def test_lin_axes_keep_every_digit():
    name, values = parse_axis("lr=lin:1.01969556360106046394952700:1.01969556360106046394952710:5")
    hi, lo = hilo(values)
    assert name == "lr" and len(set(hi.tolist())) == 1
    got = [Fraction(float(h)) + Fraction(float(x)) for h, x in zip(hi, lo, strict=True)]
    want = exact.points("1.01969556360106046394952700", "1.01969556360106046394952710", 5)
    assert all(abs(g - w) < Fraction(1, 10**31) for g, w in zip(got, want, strict=True))
    _, wide = parse_axis("x=lin:-3.3:1e-5:1001")
    want = exact.points("-3.3", "1e-5", 1001)
    assert max(abs(Fraction(float(h)) + Fraction(float(x)) - q)
               for h, x, q in zip(np.asarray(wide), wide.lo, want, strict=True)) < 1e-31
    # the float64 parts are the values a lin axis always had
    _, wide = parse_axis("lr=lin:0.1:0.7:7")
    np.testing.assert_array_equal(np.asarray(wide), np.linspace(0.1, 0.7, 7))
    assert np.all(np.abs(wide.lo) <= np.spacing(np.asarray(wide))) and np.any(wide.lo != 0)


def test_refusals_name_what_is_supported(x64):
    one = {"lr": hilo(np.ones(2))}
    with pytest.raises(InputError, match="cosine_quadratic.*sgdm.*; got problem rosenbrock"):
        precise.evaluate(ml.MetaLoss("rosenbrock", "sgd", steps=3), one)
    with pytest.raises(InputError, match="got optimizer adam"):
        precise.evaluate(ml.MetaLoss("wavy1d", "adam", steps=3), one)
    with pytest.raises(InputError, match="objective val_mean"):
        precise.check(ml.MetaLoss("meanfield_mlp(width=2)", "sgd", steps=3,
                                  objective="val_mean"))


def test_zoom_moves_to_double_double_past_float64():
    from metaloss._src.grid.zoom import parse_view_axis, plan

    view = [parse_view_axis("lr=lin:0.98:1.06"), parse_view_axis("delta=lin:0.1:0.15")]
    levels = plan(view, {"lr": 1.0228467605105288, "delta": 0.12665}, 1000.0, 7, 8)
    assert [lv.dtype for lv in levels] == ["float32"] + ["float64"] * 3 + ["double-double"] * 3
    deep = levels[-1].axes["lr"]  # 8 values 1e-21 apart: one float64, distinct exactly
    hi, lo = hilo(deep)
    assert len(set(hi.tolist())) == 1 and len(set(lo.tolist())) == 8
    # a log axis moves to double-double just as deep, its points exact too
    logview = [parse_view_axis("lr=log:0.98:1.06"), parse_view_axis("delta=lin:0.1:0.15")]
    logged = plan(logview, {"lr": 1.0228467605105288, "delta": 0.12665}, 1000.0, 7, 8)
    assert [lv.dtype for lv in logged] == [lv.dtype for lv in levels]
    hi, lo = hilo(logged[-1].axes["lr"])
    assert len(set(hi.tolist())) == 1 and len(set(lo.tolist())) == 8
