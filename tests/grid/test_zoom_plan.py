"""The zoom's plan: axes, nested boxes, float types and the depth limit."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metaloss._src.errors import InputError
from metaloss._src.grid.zoom import EPS, MIN_ULPS, level_box, narrowest_cell, parse_view_axis, plan

VIEW = [parse_view_axis("lr=log:1e-3:1e2"), parse_view_axis("momentum=1mlog:1e-3:1:99")]


def test_view_axes_use_the_landscape_grammar():
    lr, mom = VIEW
    assert (lr.kind, lr.lo, lr.hi) == ("log", -3.0, 2.0)
    assert (mom.kind, mom.lo, mom.hi) == ("1mlog", -3.0, 0.0)
    np.testing.assert_allclose(mom.values(mom.lo, mom.hi, 4), 1 - np.logspace(-3, 0, 4))
    assert parse_view_axis(lr.spec()) == lr and parse_view_axis(mom.spec()) == mom
    assert mom.coord(0.9) == pytest.approx(-1.0)
    with pytest.raises(InputError, match="positive"):
        parse_view_axis("lr=log:0:1")
    with pytest.raises(InputError, match="different"):
        parse_view_axis("x=lin:1:1")


def test_the_starting_view_is_level_zero_and_levels_shrink_by_the_factor():
    levels = plan(VIEW, {"lr": 0.1, "momentum": 0.9}, 10.0, 3, 16)
    assert levels[0].box == {"lr": (-3.0, 2.0), "momentum": (-3.0, 0.0)}
    assert levels[2].box["lr"] == pytest.approx((-1.025, -0.975))
    assert levels[2].box["momentum"] == pytest.approx((-1.015, -0.985))
    assert [lv.dtype for lv in levels] == ["float32"] * 3


@given(st.floats(-3, 2), st.floats(-3, 0), st.floats(1.01, 50), st.integers(1, 6))
def test_boxes_are_nested_and_hold_the_centre(u_lr, u_m, factor, k):
    center = {"lr": u_lr, "momentum": u_m}
    inner, outer = level_box(VIEW, center, factor, k), level_box(VIEW, center, factor, k - 1)
    for name, (lo, hi) in inner.items():
        plo, phi = outer[name]
        tol = 1e-12
        assert plo - tol <= lo <= center[name] + tol and center[name] - tol <= hi <= phi + tol
        # The widths are differences of coordinates of size up to 3: each carries an
        # absolute rounding error of a few float64 eps * 3, relative to the width.
        rel = 1e-6 + 16 * np.finfo(float).eps * 3 / (hi - lo)
        assert (phi - plo) / (hi - lo) == pytest.approx(factor, rel=rel)


def test_float64_below_the_threshold_double_double_past_float64():
    assert narrowest_cell(np.array([1.0, 1.5, 3.0])) == pytest.approx(1 / 3)
    center = {"lr": 1.0, "momentum": 0.9}
    # momentum 0.9 on a 16-point level: cell = 0.1 * ln 10 * 3 / factor**k / 15 / 0.9
    cell = lambda k, f: 0.1 * math.log(10) * 3 / f**k / 15 / 0.9  # noqa: E731
    f = 10.0
    levels = plan(VIEW, center, f, 6, 16)
    for lv in levels:
        rel = cell(lv.index, f) if lv.index else None
        if rel is not None:
            want = "float64" if rel < MIN_ULPS * EPS["float32"] else "float32"
            assert lv.dtype == want, (lv.index, rel / EPS["float32"])
    assert levels[3].dtype == "float32" and levels[4].dtype == "float64"
    levels = plan(VIEW, center, f, 29, 16)  # level 12: about 230 float64 ulps
    # a log view past float64 moves to double-double, down to level 28 (104 of its ulps)
    assert [lv.dtype for lv in levels[12:]] == ["float64"] + ["double-double"] * 16
    assert cell(28, f) / EPS["double-double"] == pytest.approx(104, abs=1)
    with pytest.raises(InputError, match="deeper than double-double resolves"):
        plan(VIEW, center, f, 30, 16)
    # a starting view past float64 is level 0 in double-double; past double-double, refused
    narrow = plan([parse_view_axis("lr=log:1:1.000000000000001"), VIEW[1]], center, f, 1, 16)
    assert narrow[0].dtype == "double-double"
    with pytest.raises(InputError, match="the starting view is narrower than double-double "
                       "resolves: .*; widen the view$"):
        plan([parse_view_axis("lr=log:1:1.00000000000000000000000000001"), VIEW[1]], center,
             f, 1, 16)


def test_a_log_view_past_float64_has_exact_double_double_points():
    """Levels 4 to 7 of a log x 1mlog view, 1e12 to 1e21 times narrower, hold the
    points ``10^u_i`` and ``1 - 10^u_i`` of the box's evenly spaced exact ``u_i`` (around
    the centre's exact ``log10``) to within a double-double rounding (60-digit mpmath),
    distinct and evenly spaced where their float64 parts coincide."""
    import mpmath

    from metaloss._src.precision.exact import hilo

    center, f, n = {"lr": 1.03, "momentum": 0.97}, 1000.0, 16
    levels = plan(VIEW, center, f, 8, n)
    assert [lv.dtype for lv in levels] == ["float32"] * 2 + ["float64"] * 2 + \
        ["double-double"] * 4
    with mpmath.workdps(60):
        for lv in levels[4:]:
            for ax in VIEW:
                hi, lo = hilo(lv.axes[ax.name])
                got = [mpmath.mpf(h) + mpmath.mpf(w) for h, w in zip(hi, lo, strict=True)]
                c = mpmath.mpf(center[ax.name])
                uc = mpmath.log10(c if ax.kind == "log" else 1 - c)
                half = (mpmath.mpf(ax.hi) - mpmath.mpf(ax.lo)) / 2 / mpmath.mpf(f) ** lv.index
                u = [uc - half + 2 * half * i / (n - 1) for i in range(n)]
                want = [10**x if ax.kind == "log" else 1 - 10**x for x in u]
                assert max(abs(g - w) / abs(w) for g, w in zip(got, want, strict=True)) < 3e-32
                step = np.diff(got)
                exact = np.diff(want)
                # each step within 1e-9 of the exact one: the points are evenly spaced in u
                assert max(abs(s / e - 1) for s, e in zip(step, exact, strict=True)) < 1e-9
                assert len(set(zip(hi.tolist(), lo.tolist(), strict=True))) == n
        assert all(len(set(hilo(v)[0].tolist())) == 1 for v in levels[7].axes.values())


@pytest.mark.parametrize("kwargs, match", [
    ({"factor": 1.0}, "factor must be a number > 1"),
    ({"factor": float("nan")}, "factor"),
    ({"levels": 0}, "levels must be an integer >= 1"),
    ({"center": {"lr": 1e3, "momentum": 0.9}}, "outside the axis' domain"),
    ({"center": {"lr": 1.0, "momentum": 1.0}}, "outside"),
    ({"center": {"lr": 1.0}}, r"center=\{NAME: VALUE, \.\.\.\} must name each axis once"),
])
def test_bad_plans(kwargs, match):
    args = {"center": {"lr": 1.0, "momentum": 0.9}, "factor": 2.0, "levels": 2, **kwargs}
    with pytest.raises(InputError, match=match):
        plan(VIEW, args["center"], args["factor"], args["levels"], 16)
