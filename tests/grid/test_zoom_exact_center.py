"""A deep zoom's centre and starting view keep every digit: double-double levels are
centred on the exact decimal asked for (not on its float64 rounding, 1e10 cells away at
1e-25), and a starting view narrower than float64 is level 0 in double-double."""

from decimal import Decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from metaloss._src.errors import InputError
from metaloss._src.grid.zoom import check_center, parse_view_axis, plan
from metaloss._src.precision.exact import hilo
from metaloss._src.workflows.zoom import exact_config, pick_center

VIEW = [parse_view_axis("lr=log:1e-3:1e2"), parse_view_axis("momentum=1mlog:1e-3:1")]
LR, MOM = "1.030000000000000000000123", "0.96999999999999999999999876"


def coords(ax, values):
    """A level's axis as 60-digit mpmath axis coordinates of its ``hi + lo`` values."""
    hi, lo = hilo(values)
    v = [mpmath.mpf(h) + mpmath.mpf(w) for h, w in zip(hi, lo, strict=True)]
    return v if ax.kind == "lin" else [mpmath.log10(x if ax.kind == "log" else 1 - x)
                                       for x in v]


def offset(ax, values, center: str) -> float:
    """How far the middle of an even-sized axis lies from the exact decimal ``center``, in
    cells (the centre's coordinate in 60-digit mpmath, from the decimal string)."""
    with mpmath.workdps(60):
        u = coords(ax, values)
        c = mpmath.mpf(center)
        uc = c if ax.kind == "lin" else mpmath.log10(c if ax.kind == "log" else 1 - c)
        n = len(u)
        cell = (u[-1] - u[0]) / (n - 1)
        return float(((u[n // 2 - 1] + u[n // 2]) / 2 - uc) / cell)


@pytest.mark.parametrize("kind", [str, Decimal, Fraction])
def test_double_double_levels_are_centred_on_the_exact_decimal(kind):
    """Levels 4 to 9 of a factor-1000 zoom (1e12 to 1e27 times narrower; level 9 about
    1e-26 of lr wide) are centred on the 25-digit decimals to within 1e-3 of a cell;
    the float64 roundings of the decimals lie 3e4 to 3e10 cells away from level 7 on."""
    center = {"lr": kind(LR), "momentum": kind(MOM)}
    levels = plan(VIEW, center, 1000.0, 10, 16)
    assert [lv.dtype for lv in levels[4:]] == ["double-double"] * 6
    for lv in levels[4:]:
        for ax in VIEW:
            given = LR if ax.name == "lr" else MOM
            assert abs(offset(ax, lv.axes[ax.name], given)) < 1e-3, (lv.index, ax.name)
            if lv.index >= 7:  # the float64 neighbour is far outside the level
                rounded = str(Decimal(float(given)))  # every digit of the float
                assert abs(offset(ax, lv.axes[ax.name], rounded)) > 1e4
    # the float32 and float64 levels use the float64 roundings, as ever
    same = plan(VIEW, {"lr": float(LR), "momentum": float(MOM)}, 1000.0, 4, 16)
    for a, b in zip(levels[:4], same, strict=True):
        assert a.box == b.box and a.dtype == b.dtype
        for name in a.axes:
            np.testing.assert_array_equal(a.axes[name], b.axes[name])


def test_a_decimal_1e_25_from_its_float64_rounding_is_told_apart():
    """The decimal ``float(1.03) + 1e-25`` (and ``float(0.97) - 1e-25``): level 9, cells
    7e-28 of lr, is centred on it (1e-13 of a cell measured), not on the float 126
    cells (lr) and 7200 cells (momentum) away."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 80
        given = {"lr": str(Decimal(1.03) + Decimal("1e-25")),
                 "momentum": str(Decimal(0.97) - Decimal("1e-25"))}
    assert all(float(v) in (1.03, 0.97) for v in given.values())
    deep = plan(VIEW, given, 1000.0, 10, 16)[9]
    for ax in VIEW:
        assert abs(offset(ax, deep.axes[ax.name], given[ax.name])) < 1e-3
        rounded = str(Decimal(float(given[ax.name])))
        assert abs(offset(ax, deep.axes[ax.name], rounded)) > 100


def test_a_float_centre_is_exactly_that_float():
    levels = plan(VIEW, {"lr": 1.03, "momentum": 0.97}, 1000.0, 9, 16)
    for ax in VIEW:
        exact = str(Decimal(1.03 if ax.name == "lr" else 0.97))  # the float's every digit
        assert abs(offset(ax, levels[8].axes[ax.name], exact)) < 1e-3


NARROW = ["lr=log:1.0300000000000000000001:1.0300000000000000000003",
          "momentum=1mlog:0.0300000000000000000001:0.0300000000000000000004"]


def test_a_starting_view_narrower_than_float64_is_level_zero_in_double_double():
    """A view 2e-22 of lr (3e-22 of 1 - momentum) wide: level 0 in double-double from the
    exact ends A and B, evenly spaced in the axes' coordinates, and deeper levels
    centred on a decimal inside it to within 1e-3 of a cell."""
    view = [parse_view_axis(s) for s in NARROW]
    assert view[0].lo == view[0].hi  # float64 cannot tell the ends apart
    center = {"lr": "1.03000000000000000000025", "momentum": "0.96999999999999999999975"}
    levels = plan(view, center, 10.0, 3, 16)
    assert [lv.dtype for lv in levels] == ["double-double"] * 3
    ends = {"lr": ("1.0300000000000000000001", "1.0300000000000000000003"),
            "momentum": ("0.9699999999999999999999", "0.9699999999999999999996")}
    with mpmath.workdps(60):
        for ax in view:
            hi, lo = hilo(levels[0].axes[ax.name])
            v = [mpmath.mpf(h) + mpmath.mpf(w) for h, w in zip(hi, lo, strict=True)]
            for got, want in zip((v[0], v[-1]), ends[ax.name], strict=True):
                assert abs(got / mpmath.mpf(want) - 1) < 1e-31
            u = coords(ax, levels[0].axes[ax.name])
            steps = [float(b - a) for a, b in zip(u[:-1], u[1:], strict=True)]
            np.testing.assert_allclose(steps, np.mean(steps), rtol=1e-6)
            for lv in levels[1:]:
                assert abs(offset(ax, lv.axes[ax.name], center[ax.name])) < 1e-3
    # a centre outside the narrow view, even one whose float64 lies in it, is refused
    domain = r"\[1\.0300000000000000000001, 1\.0300000000000000000003\]$"
    with pytest.raises(InputError, match=r"^centre lr=1\.03 lies outside the axis' domain "
                       + domain):
        check_center(view, {"lr": "1.03", "momentum": center["momentum"]})
    # past double-double, still refused
    with pytest.raises(InputError, match="deeper than double-double resolves"):
        plan(view, center, 1e4, 3, 16)


def test_auto_centring_on_a_narrow_view_keeps_the_picked_point_exact():
    view = [parse_view_axis(s) for s in NARROW]
    (zero,) = plan(view, None, 10.0, 3, 16)
    mask = np.zeros((16, 16), bool)
    mask[:, 8:] = True  # a boundary between columns 7 and 8 of momentum
    center = pick_center(mask, zero.axes)
    assert all(isinstance(v, Fraction) for v in center.values())
    hi, lo = hilo(zero.axes["momentum"])
    assert center["momentum"] in {Fraction(hi[j]) + Fraction(lo[j]) for j in (7, 8)}
    deep = plan(view, center, 10.0, 3, 16)
    assert [lv.dtype for lv in deep] == ["double-double"] * 3
    with mpmath.workdps(60):
        want = mpmath.log10(1 - mpmath.mpf(center["momentum"].numerator)
                            / center["momentum"].denominator)
        u = coords(view[1], deep[2].axes["momentum"])
        assert u[0] <= want <= u[-1]


def test_a_store_records_the_exact_centre_and_ends_of_a_zoom_past_float64():
    deep = plan(VIEW, {"lr": LR, "momentum": MOM}, 1000.0, 6, 16)
    record = exact_config(VIEW, {"lr": LR, "momentum": MOM}, deep)
    assert record["exact"]["exact_center"] == {"lr": str(Fraction(LR)),
                                               "momentum": str(Fraction(MOM))}
    other = exact_config(VIEW, {"lr": LR[:-1] + "4", "momentum": MOM}, deep)
    assert other != record  # a store of the one is not resumed as the other
    shallow = plan(VIEW, {"lr": LR, "momentum": MOM}, 1000.0, 3, 16)
    assert exact_config(VIEW, {"lr": LR, "momentum": MOM}, shallow) == {}
