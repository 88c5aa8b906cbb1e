"""The chaos section's computation on a tiny plane: the three maps agree on divergence,
the Lyapunov map has both signs, and the boundary's dimension lies between a curve's
and the plane's."""

import numpy as np
import pytest

from metaloss._src.study.report.chaos_plane import FACTOR, STRONG, compute_plane


@pytest.fixture(scope="module")
def plane():
    return compute_plane(32)


def test_the_three_maps_share_one_grid_and_one_divergence_mask(plane):
    assert set(plane.maps) == {"outer_loss", "lyapunov", "gradnorm"}
    assert {da.shape for da in plane.maps.values()} == {(32, 32)}
    assert plane.meta.divergence.factor == FACTOR
    assert plane.masks_agree()
    c = plane.counts()
    assert c["cells"] == 32 * 32
    assert c["diverged"] == int(plane.diverged.sum()) > 0
    # diverged runs hold NaN exponents, and only they do
    lam = plane.maps["lyapunov"].values
    assert np.array_equal(np.isnan(lam), plane.diverged)
    assert c["lyapunov non-finite"] == 0
    g = plane.maps["gradnorm"].values
    assert c["gradnorm non-finite"] == int((~np.isfinite(g) & ~plane.diverged).sum())


def test_lyapunov_exponents_take_both_signs_and_are_counted(plane):
    lam = plane.trained()
    assert lam.size == plane.counts()["cells"] - plane.counts()["diverged"]
    assert (lam > 0).any() and (lam < 0).any()
    c = plane.counts()
    assert c["chaotic"] == int((lam > 0).sum())
    assert c["strongly chaotic"] == int((lam > STRONG).sum()) <= c["chaotic"]
    assert plane.gradient_correlation() > 0.5


def test_the_boundary_dimension_lies_between_a_curve_and_the_plane(plane):
    for est in (plane.boundary, plane.coarse):
        assert est is not None
        assert 1.0 <= est.dimension <= 2.0
        assert est.ci[0] <= est.dimension <= est.ci[1]
    assert plane.boundary.sizes.tolist() == [1, 2, 4, 8]


def test_the_threshold_is_the_policy_applied_to_the_starting_loss(plane):
    loss0 = float(plane.meta.init_state().loss0)
    assert plane.threshold == pytest.approx(FACTOR * (abs(loss0) + 1))
    x = plane.escape
    loss = plane.meta.problem.loss
    assert float(loss(np.float32(x * 1.02))) > plane.threshold > float(loss(np.float32(x / 1.1)))


def test_a_plane_too_small_to_count_boxes_has_no_dimension():
    small = compute_plane(8)
    assert small.boundary is None and small.coarse is None
