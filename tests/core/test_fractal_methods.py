"""The three boundary-dimension estimators on sets whose dimension is known, and the
Sohl-Dickstein method against porespy, the library the paper's notebook calls."""

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

import metaloss as ml
from metaloss._src.analysis.crossings import crossing_counts
from metaloss._src.analysis.edges import phase_edges, spanning_box_counts
from metaloss._src.errors import InputError

CANTOR = math.log(2) / math.log(3)
KOCH = math.log(4) / math.log(3)


def cantor_line(n: int) -> np.ndarray:
    """``2**n + 1`` points on [0, 1], True inside the middle thirds removed at odd
    levels: the label changes at their end points, whose closure is the Cantor set."""
    x = np.arange(2**n + 1) / 2**n
    label, found = np.zeros(x.size, bool), np.zeros(x.size, bool)
    for j in range(1, int(n * math.log(2) / math.log(3)) + 3):
        hit = (np.floor(x * 3**j).astype(np.int64) % 3 == 1) & ~found
        label[hit], found = j % 2 == 1, found | hit
    return label


def koch_snowflake(side: int, iterations: int) -> np.ndarray:
    """The filled Koch snowflake rasterised on ``side x side`` cells."""
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, -math.sqrt(3) / 2], [0.0, 0.0]])
    turn = np.array([[0.5, -math.sqrt(3) / 2], [math.sqrt(3) / 2, 0.5]])
    for _ in range(iterations):
        new = []
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            d = (b - a) / 3
            new += [a, a + d, a + d + turn @ d, a + 2 * d]
        pts = np.array([*new, pts[-1]])
    lo = pts.min(axis=0)
    xy = (pts - lo) * (side - 8) / (pts.max(axis=0) - lo).max() + 4
    img = Image.new("1", (side, side), 0)
    ImageDraw.Draw(img).polygon([tuple(p) for p in xy], fill=1)
    return np.array(img, bool)


@pytest.fixture(scope="module")
def koch():
    return koch_snowflake(1024, 6)


def disk(side: int) -> np.ndarray:
    i, j = np.mgrid[:side, :side]
    return (i - side * 0.49) ** 2 + (j - side * 0.5) ** 2 < (side * 0.39) ** 2


def noise(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < 0.5


# measured values (tests/core/test_fractal_methods.py sets): box on the Koch snowflake
# at 1024^2 gives 1.241, the Sohl-Dickstein median 1.360 (its largest boxes are a few
# per side, where the count of spanning boxes bends); both within their tolerances.
@pytest.mark.parametrize("method, tol", [("box", 0.05), ("sohl-dickstein", 0.12)])
def test_koch_snowflake(koch, method, tol):
    est = ml.analysis.boundary_dimension(koch, method=method)
    assert abs(est.dimension - KOCH) < tol, est.dimension
    assert est.method == method


@pytest.mark.parametrize("method", ["box", "sohl-dickstein"])
def test_circle_is_one_and_filled_noise_is_two(method):
    assert abs(ml.analysis.boundary_dimension(disk(1024), method=method).dimension - 1) < 0.05
    assert abs(ml.analysis.boundary_dimension(noise((512, 512)), method=method).dimension
               - 2) < 0.06


def test_cantor_by_crossings_and_boxes():
    mask = cantor_line(18)
    cross = ml.analysis.boundary_dimension(mask, method="crossings")
    assert abs(cross.dimension - CANTOR) < 0.03, cross.dimension
    assert cross.ci[0] <= cross.dimension <= cross.ci[1]
    box = ml.analysis.boundary_dimension(mask)
    assert abs(box.dimension - CANTOR) < 0.06, box.dimension


def test_random_labels_on_a_line_have_crossing_dimension_one():
    est = ml.analysis.boundary_dimension(noise(2**16 + 1), method="crossings")
    assert abs(est.dimension - 1) < 0.03


def test_crossings_count_label_changes_on_nested_sub_grids_by_hand():
    mask = np.array([0, 0, 1, 1, 0, 1, 1, 1, 0], bool)  # 2**3 + 1 points
    levels, counts = crossing_counts(mask)
    np.testing.assert_array_equal(levels, [0, 1, 2, 3])
    # level 0: points 0, 8 -> 0 | 1: 0, 4, 8 -> 0 | 2: 0,2,4,6,8 -> 0,1,0,1,0 | 3: all
    np.testing.assert_array_equal(counts, [0, 0, 4, 4])


def test_a_single_crossing_has_dimension_zero_by_liu_s_convention():
    est = ml.analysis.boundary_dimension(np.arange(1025) > 300, method="crossings")
    assert est.dimension == 0.0 and "convention" in est.note
    np.testing.assert_array_equal(est.counts[3:], 1)


def test_box_fit_skips_saturated_scales_and_reports_the_range():
    """Three clusters of fine structure: at coarse scales three boxes hold the whole
    boundary, which would flatten the slope; the rule leaves those scales out."""
    mask = np.zeros(2**16, bool)
    rng = np.random.default_rng(2)
    for start in (5000, 30000, 52000):
        mask[start:start + 2000] = rng.random(2000) < 0.5
    est = ml.analysis.boundary_dimension(mask)
    assert not est.fitted.all() and est.counts[~est.fitted].max() < 10
    assert est.fit_range == (1, int(est.sizes[est.fitted][-1]))
    assert len(est.slopes) == len(est.sizes) - 1
    everything = ml.analysis.boundary_dimension(mask, sizes=est.sizes.tolist())
    assert everything.fitted.all() and everything.dimension < est.dimension - 0.1


def test_sohl_dickstein_edges_are_two_by_two_sign_changes():
    score = np.array([[-1.0, -2.0, 3.0], [-1.0, 0.0, 2.0], [-4.0, -1.0, -1.0]])
    np.testing.assert_array_equal(phase_edges(score), [[False, True], [False, True]])
    np.testing.assert_array_equal(phase_edges(score < 0), [[True, True], [True, True]])


@pytest.mark.parametrize("shape, bins", [((64, 64), 10), ((200, 131), 10),
                                         ((300, 300), [3, 7, 20, 64, 150])])
def test_sohl_dickstein_equals_porespy(shape, bins):
    ps = pytest.importorskip("porespy")
    rng = np.random.default_rng(sum(shape))
    i, j = np.mgrid[: shape[0], : shape[1]]
    images = [np.sin(i / (4.0 + k)) * np.cos(j / 3.0) + 0.3 * rng.standard_normal(shape)
              for k in range(3)]
    ref = [ps.metrics.boxcount(phase_edges(im), bins=bins) for im in images]
    for im, r in zip(images, ref, strict=True):
        sizes, counts = spanning_box_counts(phase_edges(im), bins)
        np.testing.assert_array_equal(sizes, r.size)
        np.testing.assert_array_equal(counts, np.asarray(r.count))
    est = ml.analysis.boundary_dimension(images, method="sohl-dickstein", sizes=bins)
    median = np.median(np.concatenate([r.slope for r in ref]))
    assert est.dimension == pytest.approx(median, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(est.slopes, np.concatenate([r.slope for r in ref]), rtol=1e-12)


@pytest.mark.parametrize("mask, kwargs, match", [
    (np.zeros(1025, bool), {"method": "crossings"}, "no boundary"),
    (np.arange(1000) > 5, {"method": "crossings"}, "2\\*\\*N \\+ 1"),
    (np.zeros((33, 33), bool), {"method": "crossings"}, "1-D"),
    (np.arange(1025) > 5, {"method": "crossings", "sizes": [0, 11]}, "levels"),
    (np.zeros(64, bool), {"method": "sohl-dickstein"}, "2-D"),
    (np.arange(64) > 5, {"method": "fractal"}, "unknown method"),
    ([np.zeros((8, 8), bool), np.zeros(8, bool)], {"method": "sohl-dickstein"}, "image 1"),
])
def test_bad_input_is_a_one_line_error(mask, kwargs, match):
    with pytest.raises(InputError, match=match) as e:
        ml.analysis.boundary_dimension(mask, **kwargs)
    assert "\n" not in str(e.value)
