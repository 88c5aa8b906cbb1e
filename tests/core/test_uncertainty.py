"""The uncertainty-exponent dimension and the determined map."""

from __future__ import annotations

import numpy as np
import pytest

import metaloss as ml
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
