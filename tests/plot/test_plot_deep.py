"""A landscape narrower than float64 coordinates resolve (a deep zoom's double-double
level, its residues as ``NAME_lo``) is drawn as offsets from a reference stated in the
axis label, evenly spaced and placed from ``hi + lo``; its minimum's place and its
ends are written with the digits that tell the cells apart; shallow grids as before."""

import re
import warnings
from decimal import Decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import xarray as xr

import metaloss as ml
from metaloss import plot
from metaloss._src.grid.zoom_exact import power10
from metaloss._src.plot import deep
from metaloss._src.precision.exact import ends, residues
from metaloss._src.space import Linear, Log10, OneMinusLog10

SPACE = ml.Space({"lr": Log10(), "momentum": OneMinusLog10()})
N = 16
STEP = Fraction(1, 10**22)  # of log10 lr and log10(1 - momentum): 1e-20 relative of lr
MIN = (4, 11)


def _axis(start: Fraction, one_minus: bool, step: Fraction = STEP):
    exact = power10([start + i * step for i in range(N)], one_minus=one_minus)
    return residues(np.array([float(q) for q in exact]), exact), exact


def _deep():
    lr, lr_q = _axis(Fraction(1283722, 10**8), False)
    mom, mom_q = _axis(Fraction(-152287874, 10**8), True)
    i, j = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    values = 5 + ((i - MIN[0]) ** 2 + (j - MIN[1]) ** 2) / 10
    da = xr.DataArray(values, dims=("lr", "momentum"), name="outer_loss",
                      coords={"lr": np.asarray(lr), "momentum": np.asarray(mom),
                              "lr_lo": ("lr", lr.lo), "momentum_lo": ("momentum", mom.lo)})
    return da, {"lr": lr_q, "momentum": mom_q}


def _offsets(label: str, name: str, exact, one_minus: bool):
    """The exact values' offsets in the label's units, by 50-digit mpmath from the
    reference the label states."""
    inner = f"1 - {name}" if one_minus else name
    m = re.fullmatch(rf"log10\({re.escape(inner)}\) ([-+]) (\S+)  \(x 1e(-?\d+)\)", label)
    assert m, label
    with mpmath.workdps(50):
        ref = mpmath.mpf(m[2]) * (1 if m[1] == "-" else -1)
        unit = mpmath.mpf(10) ** int(m[3])
        out = [(mpmath.log10(1 - mpmath.mpf(q.numerator) / q.denominator if one_minus
                             else mpmath.mpf(q.numerator) / q.denominator) - ref) / unit
               for q in exact]
        return np.array([float(v) for v in out]), m[2]


def test_a_double_double_level_is_drawn_as_even_offsets_from_a_stated_reference():
    da, exact = _deep()
    assert len(set(da["lr"].values)) < N  # float64 alone cannot tell the cells apart
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "identical low and high xlims"
        fig = plot.heatmap(da, params=SPACE)
    ax = fig.axes[0]
    x0, x1, y0, y1 = ax.images[0].get_extent()
    for (a, b), lim in (((x0, x1), ax.get_xlim()), ((y0, y1), ax.get_ylim())):
        assert a != b and lim[0] != lim[1]
    for (a, b), label, name, one_minus in (((x0, x1), ax.get_xlabel(), "lr", False),
                                           ((y0, y1), ax.get_ylabel(), "momentum", True)):
        want, ref = _offsets(label, name, exact[name], one_minus)
        assert len(ref.replace("0.", "", 1).lstrip("0")) >= 30  # ~32 significant digits
        cell = abs(want[1] - want[0])
        assert 1 <= max(abs(want)) < 1000 and cell > 0
        centres = np.sort(want)  # the image's cells, evenly spaced over its extent
        drawn = min(a, b) + (np.arange(N) + 0.5) * abs(b - a) / N
        np.testing.assert_allclose(drawn, centres, rtol=0, atol=1e-6 * cell)
        np.testing.assert_allclose(np.diff(centres), cell, rtol=1e-6)


def test_the_minimum_of_a_deep_level_names_its_cell():
    da, exact = _deep()
    (marker,) = [h for h in plot.heatmap(da, params=SPACE).axes[0].get_legend().legend_handles
                 if h.get_label().startswith("minimum")]
    label = marker.get_label()
    assert label.startswith("minimum 5 at")
    for name, k in zip(("lr", "momentum"), MIN, strict=True):
        q = Fraction(Decimal(re.search(rf"{name} ([0-9.]+)", label)[1]))
        near = min(range(N), key=lambda i: abs(exact[name][i] - q))
        gap = min(abs(b - a) for a, b in zip(exact[name], exact[name][1:], strict=False))
        assert near == k and abs(exact[name][k] - q) < gap / 10


def test_a_lin_axis_past_float64_is_an_offset_of_its_values():
    exact = [Fraction(1, 2) + Fraction(i, 10**25) for i in range(N)]
    b1 = residues(np.array([float(q) for q in exact]), exact)
    da = xr.DataArray(np.arange(N * 3.0).reshape(N, 3), dims=("b1", "lr"),
                      coords={"b1": np.asarray(b1), "b1_lo": ("b1", b1.lo),
                              "lr": [0.1, 1.0, 10.0]}, name="outer_loss")
    ax = plot.heatmap(da, params={"b1": Linear(), "lr": Log10()}).axes[0]
    # the middle 0.5 + 7.5e-25 to 32 digits; the offsets +-7.5e-25 read as +-750 x 1e-27
    assert ax.get_xlabel() == "b1 - 0.5000000000000000000000007500000  (x 1e-27)"
    assert ax.get_ylabel() == "log10(lr)"  # a wide axis stays as it was
    np.testing.assert_allclose(sorted(ax.images[0].get_extent()[:2]), [-800.0, 800.0])


def test_an_axis_with_residues_is_an_offset_where_its_values_are_too_close():
    """log10 lr from 1e-8 in steps of 1e-16: the coordinates' cells are 1e-8 of them,
    but lr's are one float64 ulp, so its float64 values alone misplace them."""
    lr, _ = _axis(Fraction(1, 10**8), False, Fraction(1, 10**16))
    da = xr.DataArray(np.ones((N, 3)), dims=("lr", "x"), name="outer_loss",
                      coords={"lr": np.asarray(lr), "lr_lo": ("lr", lr.lo), "x": [0, 1, 2]})
    u = np.log10(da["lr"].values)  # float64: each step one ulp of lr, 3.6% short
    assert abs(np.mean(np.diff(u)) / 1e-16 - 1) > 0.03
    found = deep.offset_param(da, "lr", Log10(), Log10())
    assert found is not None and found[0].param == Log10() and found[0].exponent == -18
    np.testing.assert_allclose(np.diff(found[1]), 100, rtol=1e-9)


def test_shallow_grids_are_drawn_as_before():
    lr = ml.logspace(-3, 2, 24)  # a lin axis's residues do not make it an offset
    exact = [Fraction(i, 100) for i in range(1, 13)]
    b1 = residues(np.array([float(q) for q in exact]), exact)
    da = xr.DataArray(np.ones((24, 12)), dims=("lr", "b1"), name="outer_loss",
                      coords={"lr": lr, "b1": np.asarray(b1), "b1_lo": ("b1", b1.lo)})
    ax = plot.heatmap(da, params={"lr": Log10(), "b1": Linear()}).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("log10(lr)", "b1")
    assert sorted(ax.images[0].get_extent()[:2]) == pytest.approx([-3 - 5 / 46, 2 + 5 / 46])
    # a float64 level 1e-9 (relative) narrow keeps its float64 coordinates
    narrow = 1.03 * (1 + 1e-9 * np.linspace(-1, 1, N))
    one = xr.DataArray(np.ones((N, 3)), dims=("lr", "x"), coords={"lr": narrow, "x": [0, 1, 2]})
    assert deep.offset_param(one, "lr", Linear(), Linear()) is None


@pytest.mark.parametrize("least", [8, 10])
def test_ends_tell_the_ends_apart_at_any_depth(least):
    _, exact = _deep()
    lr, _ = _axis(Fraction(1283722, 10**8), False)
    a, b = ends(lr, least=least).split("..")
    assert a != b
    assert Fraction(Decimal(a)) == pytest.approx(exact["lr"][0], rel=1e-24)
    assert abs(Fraction(Decimal(b)) - exact["lr"][-1]) < (exact["lr"][-1] - exact["lr"][0]) / 100
    assert ends(np.array([0.001, 100.0]), least=least) == "0.001..100"
    assert ends(np.array([1.024087876123, 1.035946255]), least=10) == \
        "1.024087876..1.035946255"
