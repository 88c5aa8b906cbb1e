"""Box-counting dimension on sets whose dimension is known."""

import math

import numpy as np
import pytest

import metaloss as ml
from metaloss._src.analysis.fractal import boundary_cells, box_counts
from metaloss._src.errors import InputError

CANTOR = math.log(2) / math.log(3)


def cantor(depth: int) -> np.ndarray:
    """Cells 0 .. 3**depth - 1 whose ternary digits hold no 1: the middle-thirds Cantor set."""
    i = np.arange(3**depth)
    keep = np.ones(i.shape, bool)
    for _ in range(depth):
        keep &= i % 3 != 1
        i = i // 3
    return keep


def cantor_switches(depth: int) -> np.ndarray:
    """A mask that switches right after every Cantor cell, so its boundary (by the
    lower-cell rule of ``boundary_cells``) is the Cantor set, its last cell aside."""
    return np.concatenate([[False], np.cumsum(cantor(depth))[:-1] % 2 == 1])


def check(est, expected, tol):
    assert abs(est.dimension - expected) < tol, (est.dimension, est.counts)
    low, high = est.ci
    assert low <= est.dimension <= high
    assert len(est.sizes) == len(est.counts) >= 3
    assert np.all(np.diff(est.sizes) > 0) and np.all(np.diff(est.counts) <= 0)


def test_tilted_half_plane_has_dimension_one():
    n = 512
    i, j = np.mgrid[:n, :n]
    est = ml.analysis.boundary_dimension(j < 0.3 * i + 100)
    check(est, 1.0, 0.05)


def test_circle_has_dimension_one():
    n = 512
    i, j = np.mgrid[:n, :n]
    est = ml.analysis.boundary_dimension((i - 250.3) ** 2 + (j - 260.7) ** 2 < 180.0**2)
    check(est, 1.0, 0.05)
    assert est.r2 > 0.99


def test_single_switch_has_dimension_zero():
    est = ml.analysis.boundary_dimension(np.arange(1000) > 377)
    assert est.boundary == 1
    np.testing.assert_array_equal(est.counts, 1)
    assert est.dimension == 0.0 and est.ci == (0.0, 0.0)


def test_cantor_set_with_ternary_boxes_is_exact():
    np.testing.assert_array_equal(boundary_cells(cantor_switches(8))[:-1], cantor(8)[:-1])
    est = ml.analysis.boundary_dimension(cantor_switches(8), sizes=[3**k for k in range(1, 7)])
    assert est.dimension == pytest.approx(CANTOR, abs=1e-9)
    assert est.ci == pytest.approx((CANTOR, CANTOR), abs=1e-9)


def test_cantor_set_with_default_boxes():
    check(ml.analysis.boundary_dimension(cantor_switches(8)), CANTOR, 0.08)


def test_cantor_dust_times_a_line_adds_one():
    """A product with a segment adds 1 to the box dimension (Falconer 2014, 7.3)."""
    mask = np.broadcast_to(cantor_switches(6)[:, None], (729, 729))
    est = ml.analysis.boundary_dimension(mask, sizes=[3**k for k in range(1, 5)])
    assert est.dimension == pytest.approx(1 + CANTOR, abs=1e-9)


def test_a_boundary_that_fills_the_plane_has_dimension_two():
    i, j = np.mgrid[:256, :256]
    check(ml.analysis.boundary_dimension((i + j) % 2 == 0), 2.0, 0.01)
    noise = np.random.default_rng(1).random((256, 256)) < 0.5
    check(ml.analysis.boundary_dimension(noise), 2.0, 0.15)


def test_the_boundary_does_not_depend_on_which_side_is_true():
    n = 256
    i, j = np.mgrid[:n, :n]
    mask = np.sin(i / 7.0) * np.cos(j / 11.0) > 0.2
    a, b = ml.analysis.boundary_dimension(mask), ml.analysis.boundary_dimension(~mask)
    assert (a.dimension, a.ci, a.boundary) == (b.dimension, b.ci, b.boundary)
    np.testing.assert_array_equal(boundary_cells(mask), boundary_cells(~mask))


def test_boundary_cells_and_box_counts_by_hand():
    mask = np.array([0, 0, 1, 1, 0, 1, 1, 1], bool)
    np.testing.assert_array_equal(boundary_cells(mask), [0, 1, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(box_counts(boundary_cells(mask), [1, 2, 4, 8]), [3, 3, 2, 1])


def test_interval_is_seeded_and_widens_off_a_power_law():
    n = 256
    i, j = np.mgrid[:n, :n]
    rough = np.sin(i / 3.0) + np.cos(j / 5.0) + np.sin((i + j) / 40.0) > 0.5
    a = ml.analysis.boundary_dimension(rough, seed=3)
    assert a.ci == ml.analysis.boundary_dimension(rough, seed=3).ci
    assert a.ci[1] - a.ci[0] > 0.01
    assert ml.analysis.boundary_dimension(rough, resamples=0).ci == (a.dimension, a.dimension)


@pytest.mark.parametrize("mask, match", [
    (np.zeros((32, 32)), "boolean"),
    (np.zeros((16, 16, 16), bool), "1-D or 2-D"),
    (np.zeros((8, 64), bool), "too small"),
    (np.zeros((64, 64), bool), "no boundary: all 4096 cells are False"),
    (np.ones(64, bool), "no boundary: all 64 cells are True"),
])
def test_bad_masks_are_one_line_input_errors(mask, match):
    with pytest.raises(InputError, match=match) as e:
        ml.analysis.boundary_dimension(mask)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"sizes": [1, 2]}, "three box sizes"),
    ({"sizes": [0, 1, 2]}, "integers >= 1"),
    ({"sizes": [1, 2, 128]}, "exceeds"),
    ({"level": 1.0}, "level"),
    ({"resamples": -1}, "resamples"),
])
def test_bad_options_are_input_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        ml.analysis.boundary_dimension(np.arange(64) > 10, **kwargs)
