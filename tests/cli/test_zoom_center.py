"""``metaloss zoom --center`` and ``--axis`` pass every digit of their decimals through to
the zoom's plan (stopped before anything is computed)."""

from fractions import Fraction

import mpmath
import pytest

import metaloss._src.grid.zoom as grid_zoom
import metaloss._src.workflows.zoom as workflow
from cli_helpers import run
from metaloss._src.errors import InputError
from metaloss._src.precision.exact import hilo


@pytest.fixture
def planned(monkeypatch):
    """The CLI's plans and the centre it hands the workflow, which is stopped."""
    seen = {"plans": [], "center": None}
    real = grid_zoom.plan

    def plan(*args, **kwargs):
        seen["plans"].append(real(*args, **kwargs))
        return seen["plans"][-1]

    def stop(meta, view, center, *args, **kwargs):
        seen["center"] = center
        raise InputError("stopped before computing")

    monkeypatch.setattr(grid_zoom, "plan", plan)
    monkeypatch.setattr(workflow, "zoom", stop)
    return seen


def middle(values) -> mpmath.mpf:
    hi, lo = hilo(values)
    n = len(hi)
    pair = (n // 2 - 1, n // 2)
    return sum(mpmath.mpf(float(hi[j])) + mpmath.mpf(float(lo[j])) for j in pair) / 2


def test_the_centre_reaches_the_plan_with_every_digit(planned, tmp_path, capsys):
    lr = "1.030000000000000000000123"
    code, _, err = run(["zoom", "--divergence", "2", "--center", f"lr={lr}", "--center",
                        "momentum=0.97", "--factor", "1000", "--levels", "9", "--size", "16",
                        "--out", tmp_path / "z"], capsys)
    assert code == 2 and "stopped before computing" in err
    assert planned["center"] == {"lr": Fraction(lr), "momentum": Fraction("0.97")}
    (levels,) = planned["plans"]
    assert levels[8].dtype == "double-double"
    with mpmath.workdps(60):
        # level 8, 1e24 times narrower (cells 1e-25 of lr), centred on the decimals: the
        # middle of its grid within 1e-30 of them, the float64 roundings 1e-17 away
        assert abs(middle(levels[8].axes["lr"]) - mpmath.mpf(lr)) < 1e-30
        assert abs(middle(levels[8].axes["momentum"]) - mpmath.mpf("0.97")) < 1e-30


def test_a_narrow_starting_view_reaches_the_plan_exactly(planned, tmp_path, capsys):
    a, b = "1.0300000000000000000001", "1.0300000000000000000003"
    code, _, err = run(["zoom", "--divergence", "2", "--axis", f"lr=log:{a}:{b}", "--axis",
                        "momentum=1mlog:1e-3:1", "--center", "lr=1.0300000000000000000002",
                        "--center", "momentum=0.97", "--levels", "2", "--size", "16",
                        "--out", tmp_path / "z"], capsys)
    assert code == 2 and "stopped before computing" in err, err
    (levels,) = planned["plans"]
    assert levels[0].dtype == "double-double"
    hi, lo = hilo(levels[0].axes["lr"])
    with mpmath.workdps(60):
        for j, want in ((0, a), (-1, b)):
            got = mpmath.mpf(float(hi[j])) + mpmath.mpf(float(lo[j]))
            assert abs(got / mpmath.mpf(want) - 1) < 1e-31
