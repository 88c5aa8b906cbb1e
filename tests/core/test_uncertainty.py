"""The uncertainty-exponent dimension and the determined map."""

from __future__ import annotations

import numpy as np
import pytest

import metaloss as ml
from metaloss._src.analysis.uncertainty import flags
from metaloss._src.errors import InputError
from metaloss._src.grid.axes import parse_axis

C = ml.problems.CRITICAL_ROUGHNESS


def _meta(roughness, steps=300):
    return ml.MetaLoss(ml.problems.CosineQuadratic(delta=roughness * C), "sgd", steps=steps)


def test_point_boundary_below_the_onset_and_near_one_far_above(x64):
    smooth = ml.analysis.uncertainty_dimension(_meta(0.5), {"lr": (0.98, 1.06)}, samples=20000)
    rough = ml.analysis.uncertainty_dimension(_meta(3.0), {"lr": (0.98, 1.06)}, samples=20000)
    assert smooth.dimension < 0.3 and smooth.ci[0] <= smooth.dimension <= smooth.ci[1]
    assert rough.dimension > 0.8 and rough.ci[0] > smooth.ci[1]
    assert rough.fractions[0] < rough.fractions[-1]  # sorted eps: fewer changes at small eps
    assert rough.dims == 1 and rough.samples == 20000


def test_bad_boxes_are_refused():
    with pytest.raises(InputError, match="low < high"):
        ml.analysis.uncertainty_dimension(_meta(1.0), {"lr": (1.1, 1.0)})
    with pytest.raises(InputError, match="two values"):
        ml.analysis.uncertainty_dimension(_meta(1.0), {"lr": (1.0, 1.1)}, eps=[1e-3])


def test_determined_flags_float64_where_double_double_disagrees(x64):
    """A 1e-20 window on a boundary point: float64 sees one learning rate, so it cannot
    resolve both sides of the edge, and some of its labels are undetermined."""
    meta = _meta(1.5, steps=120)
    _, lr = parse_axis("lr=lin:1.01969556360106046394952700:1.01969556360106046394962700:16")
    det = ml.analysis.determined(meta, {"lr": lr})
    assert det.dtype == bool and det.shape == (16,)
    assert det.attrs["share"] == pytest.approx(float(np.asarray(det).mean()))


def _cantor(x, digits=32):
    """True where the first ternary digit 1 of ``x`` comes at an even place: constant
    on each removed middle third, so the boundary is the middle-thirds Cantor set."""
    x = np.clip(np.asarray(x, float), 0.0, 1.0 - 1e-16)
    first = np.full(x.shape, digits)
    for k in range(digits):
        x = 3 * x
        d = np.floor(x)
        x -= d
        first = np.where((d == 1) & (first == digits), k, first)
    return first % 2 == 0


def test_any_outcome_a_circle_has_dimension_one():
    disk = ml.analysis.uncertainty_dimension_of(
        lambda p: p["x"] ** 2 + p["y"] ** 2 < 0.25, {"x": (-1, 1), "y": (-1, 1)},
        eps=[1e-1, 3e-2, 1e-2, 3e-3, 1e-3], samples=20000, resamples=200)
    assert disk.dims == 2 and abs(disk.dimension - 1) < 0.1
    assert disk.ci[0] <= disk.dimension <= disk.ci[1]
    assert disk.diverged_share == pytest.approx(np.pi / 16, abs=0.02)  # the disk's area


def test_any_outcome_the_cantor_set_has_its_dimension():
    known = np.log(2) / np.log(3)
    line = ml.analysis.uncertainty_dimension_of(lambda p: _cantor(p["x"]), {"x": (0, 1)},
                                                  samples=10000, resamples=200)
    assert abs(line.dimension - known) < 0.05 and line.ci[0] < known < line.ci[1]
    # the same set times an interval, in log coordinates: 1 + log 2 / log 3
    plane = ml.analysis.uncertainty_dimension_of(
        lambda p: _cantor(np.log10(p["x"])), {"x": (1.0, 10.0), "y": (0, 1)}, log=("x",),
        samples=10000, resamples=200)
    assert abs(plane.dimension - 1 - known) < 0.05


def test_metaloss_estimate_is_the_generic_one_on_its_flags(x64):
    meta = _meta(3.0, steps=100)
    box = {"lr": (0.98, 1.06)}
    a = ml.analysis.uncertainty_dimension(meta, box, samples=2000, resamples=50)
    b = ml.analysis.uncertainty_dimension_of(
        lambda p: flags(meta, p), box, samples=2000, resamples=50)
    assert a.dimension == b.dimension and a.ci == b.ci


def test_an_outcome_of_the_wrong_shape_is_refused():
    with pytest.raises(InputError, match="one flag per point"):
        ml.analysis.uncertainty_dimension_of(lambda p: np.zeros(3, bool), {"x": (0, 1)})


@pytest.mark.parametrize(("options", "message"), [
    ({"log": ("x", "z")}, "log name 'z' is not in the box"),
    ({"box": {"x": (0.0, 1.0)}, "log": ("x",)}, "box entry 'x' is log: it needs 0 < low"),
    ({"box": {"x": (-1.0, 1.0)}, "log": ("x",)}, "box entry 'x' is log: it needs 0 < low"),
    ({"box": {"x": (0.0, np.inf)}}, "box entry 'x' needs finite"),
    ({"box": {"x": 1.0}}, "box entry 'x' needs"),
    ({"eps": [1e-2, 1e-2]}, "all distinct"),
    ({"level": 2.0}, "level must lie in"),
    ({"resamples": -1}, "resamples must be"),
])
def test_bad_options_of_any_outcome_are_one_line(options, message):
    """Each refused before any outcome is computed, naming what is wrong (these gave a
    traceback, the wrong name, or 'the box holds no boundary')."""
    called = []
    box = options.pop("box", {"x": (0.5, 2.0)})
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        ml.analysis.uncertainty_dimension_of(lambda p: called.append(1) or p["x"] < 1, box,
                                             samples=64, **options)
    assert not called
