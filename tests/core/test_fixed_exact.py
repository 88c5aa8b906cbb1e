"""Fixed hyperparameters given exactly (decimal strings, Fractions, ``--set``) reach the
double-double unroll rounded once to double-double; float routes see the float64
rounding, as before."""

from __future__ import annotations

import dataclasses
import decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.cli.types import FixedValue
from metaloss._src.grid.axes import parse_axis
from metaloss._src.grid.config import dd_record

DELTA = 1.5 * ml.problems.CRITICAL_ROUGHNESS  # a chaotic run, as in test_precise
STEPS = 40
LR = "lr=lin:1.0196955636010605:1.0196955636010606:2"


def exact_decimal(q: Fraction) -> str:
    """``q`` (a finite binary fraction plus 1e-25) written out in full."""
    with decimal.localcontext() as ctx:
        ctx.prec = 200
        return str(decimal.Decimal(q.numerator) / q.denominator)


Q = Fraction(DELTA) + Fraction(1, 10**25)  # 1e-25 above its float64 rounding
D = exact_decimal(Q)


def meta(delta):
    return ml.MetaLoss(ml.problems.CosineQuadratic(), "sgd", steps=STEPS, objective="final",
                       divergence=None, fixed={"delta": delta})


def mp_final(delta, lr, x0=10.0):
    x, k = mpmath.mpf(x0), 2 * mpmath.pi
    for _ in range(STEPS):
        x = x - lr * (2 * x - delta * k * mpmath.sin(k * x))
    return x * x + delta * mpmath.cos(k * x)


def mp(q: Fraction):
    return mpmath.mpf(q.numerator) / q.denominator


def test_a_decimal_fixed_value_keeps_its_digits_in_double_double():
    assert float(D) == DELTA and Fraction(D) == Q
    _, lr = parse_axis(LR)
    axes = {"lr": lr}
    got = ml.landscape(meta(D), axes, precision="double-double")
    rounded = ml.landscape(meta(DELTA), axes, precision="double-double")
    with mpmath.workdps(60):
        for i in range(2):
            q = Fraction(float(lr[i])) + Fraction(float(lr.lo[i]))
            want = mp_final(mp(Q), mp(q))
            err = abs(mpmath.mpf(float(got.values[i])) + float(got.outer_loss_lo.values[i])
                      - want)
            off = abs(mpmath.mpf(float(rounded.values[i]))
                      + float(rounded.outer_loss_lo.values[i]) - want)
            # the float64 rounding of delta (1e-25 away) moves the loss (~150) by 4e-17;
            # with the exact value double-double is within 2e-23 (measured), 2e6x closer
            assert err < 1e-23 * abs(want) and off > 1e5 * err
    # the same as an axis point of the same decimal (exact before), as a Fraction, and
    # as a scalar axis
    free = ml.MetaLoss(ml.problems.CosineQuadratic(), "sgd", steps=STEPS, objective="final",
                       divergence=None)
    point = ml.landscape(free, {"lr": lr, "delta": parse_axis(f"delta=lin:{D}:{D}:1")[1]},
                         precision="double-double")
    for other in (point.isel(delta=0), ml.landscape(meta(Q), axes, precision="double-double"),
                  ml.landscape(free, {**axes, "delta": D}, precision="double-double")):
        np.testing.assert_array_equal(got.values, other.values)
        np.testing.assert_array_equal(got.outer_loss_lo.values, other.outer_loss_lo.values)


def test_float_routes_see_the_float64_rounding():
    exact, rounded = meta(D), meta(DELTA)
    assert exact.fixed == rounded.fixed == (("delta", DELTA),)
    assert exact.describe() == rounded.describe() and rounded.fixed_lo == ()
    axes = {"lr": parse_axis(LR)[1]}
    for precision in ("float32", "float64"):
        a = ml.landscape(exact, axes, precision=precision)
        b = ml.landscape(rounded, axes, precision=precision)
        np.testing.assert_array_equal(a.values, b.values)
        assert a.attrs == b.attrs


def test_residues_follow_the_value():
    m = meta(D)
    (name, hi, lo), = m.fixed_lo
    assert (name, hi, lo) == ("delta", DELTA, 1e-25)  # Q rounded once to double-double
    assert dataclasses.replace(m, steps=3).fixed_lo == m.fixed_lo
    assert m.with_fixed({"delta": DELTA}) == meta(DELTA)  # a float replaces it
    assert m.with_fixed({"lr": 0.5}).fixed_lo == m.fixed_lo
    assert m.without_fixed()[0].fixed_lo == ()
    assert m != meta(DELTA) and hash(m) != hash(meta(DELTA))
    # double-double records carry the residue, and rebuild the exact meta-loss
    record = dd_record(m)
    assert record["fixed_lo"] == {"delta": lo} and "fixed_lo" not in dd_record(meta(DELTA))
    assert ml.MetaLoss.from_record(record) == m
    assert meta(decimal.Decimal(D)) == m


@pytest.mark.parametrize("text, want", [
    ("momentum=0.9", Fraction(9, 10)),  # the decimal, as a lin axis reads it
    ("momentum=0.5", 0.5),  # float64 holds it: a float, no residue
    ("momentum=0.90000000000000000000001", Fraction("0.90000000000000000000001")),
    ("lr=1e400", float("inf")),
])
def test_set_keeps_digits_float64_does_not_hold(text, want):
    name, value = FixedValue().parse(text)
    assert value == want and type(value) is type(want)


@pytest.mark.parametrize("value", ["abc", "1/3", None, [0.5]])
def test_a_fixed_value_that_is_no_number_is_an_input_error(value):
    with pytest.raises(ml.InputError, match="'delta'") as info:
        meta(value)
    assert "\n" not in str(info.value)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("text, want", [
    ("delta=1e-100000000", 0.0),  # Fraction(text) would build 10^100000000: minutes
    ("delta=-1e-100000000", -0.0),
    ("delta=1.5e-300", Fraction(decimal.Decimal("1.5e-300"))),
])
def test_set_with_a_huge_exponent_parses_at_once(text, want):
    name, value = FixedValue().parse(text)
    assert value == want and type(value) is type(want)


@pytest.mark.timeout(30)
def test_decimal_values_beyond_the_exponent_limit():
    from metaloss._src.grid.zoom_exact import exact_value
    from metaloss._src.precision.arith import decimal_fraction

    assert decimal_fraction("1e-100000000") == 0 == decimal_fraction(decimal.Decimal("-1e-500"))
    assert decimal_fraction(" 2.5e-3 ") == Fraction(1, 400)
    for bad in ("1e100000000", "nan", "inf", "abc"):
        with pytest.raises(ValueError):
            decimal_fraction(bad)
    assert exact_value("1e-100000000") == 0 and exact_value("1e100000000") is None
    assert meta("1e-100000000").fixed_lo == ()  # no residue: the value is 0 in double-double
