"""Sohl-Dickstein (2024)'s boundary dimension: box counts of phase edges, median slope.

J. Sohl-Dickstein, "The boundary of neural network trainability is fractal" (2024,
arXiv:2402.06184). Its notebook (Sohl-Dickstein/fractal,
``the_boundary_of_neural_network_trainability_is_fractal.ipynb``) marks as edges the
2x2 neighbourhoods where a signed convergence score changes sign, box-counts each
image of a zoom sequence with ``porespy.metrics.boxcount``, and reports the median of
all local slopes. This module computes the same numbers without porespy (the tests
check it against porespy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from metaloss._src.analysis.dimension import BoundaryDimension
from metaloss._src.errors import InputError


def phase_edges(image) -> np.ndarray:
    """Sohl-Dickstein (2024)'s edges: the 2x2 neighbourhoods that span both phases.

    ``image`` is a 2-D signed convergence score (negative where training converged,
    positive where it diverged, or the other way round) or a boolean mask (True and
    False are the two phases). A cell of the ``(n - 1, m - 1)`` result is an edge when
    the four values around it hold both a positive and a negative one (zeros belong to
    neither phase), as ``extract_edges`` in the paper's notebook defines them.
    """
    arr = np.asarray(image)
    if arr.dtype == np.bool_:
        arr = np.where(arr, 1.0, -1.0)
    elif not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"an image must be a boolean mask or a signed score, got dtype "
                         f"{arr.dtype}")
    if arr.ndim != 2:
        raise InputError(f"method 'sohl-dickstein' takes 2-D images, got {arr.ndim}-D "
                         f"shape {arr.shape}")
    if min(arr.shape) < 3:
        raise InputError(f"an image must have at least 3 cells per axis, got {arr.shape}")
    quad = np.stack([arr[1:, 1:], arr[:-1, 1:], arr[1:, :-1], arr[:-1, :-1]], axis=-1)
    with np.errstate(invalid="ignore"):
        return np.sign(quad.max(axis=-1) * quad.min(axis=-1)) < 0


def spanning_box_counts(edges: np.ndarray, bins: Sequence[int] | int = 10
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``porespy.metrics.boxcount``'s counts, vectorised: ``(sizes, counts)``.

    ``bins`` as porespy takes it: an integer ``k`` gives the distinct integer parts of
    ``k`` sizes spaced logarithmically from 10 to the shortest side; a sequence is used
    as given. A box of side ``d`` tiles the image from index 0 (boxes at the far edges
    are cut short), and counts when it holds an edge cell and is not wholly edge.
    """
    im = np.asarray(edges, bool)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        sizes = np.unique(np.logspace(1, np.log10(min(im.shape)), int(bins)).astype(int))
    else:
        sizes = np.asarray(bins).astype(int)
    if sizes.size == 0 or sizes.min() < 1:
        raise InputError(f"box sizes must be integers >= 1, got {np.asarray(bins).tolist()!r}")
    counts = []
    for d in sizes.tolist():
        pad = [(0, -n % d) for n in im.shape]
        shape = [im.shape[0] // d + bool(im.shape[0] % d), d,
                 im.shape[1] // d + bool(im.shape[1] % d), d]
        anyb = np.pad(im, pad, constant_values=False).reshape(shape).any(axis=(1, 3))
        allb = np.pad(im, pad, constant_values=True).reshape(shape).all(axis=(1, 3))
        counts.append(int(anyb.sum()) - int(allb.sum()))
    return sizes.astype(np.int64), np.asarray(counts, np.int64)


def sohl_dickstein_dimension(images, *, bins: Sequence[int] | int = 10,
                             resamples: int = 2000, level: float = 0.95,
                             seed: int = 0) -> BoundaryDimension:
    """Sohl-Dickstein (2024)'s dimension of a trainability boundary.

    Use it when you compare a 2-D hyperparameter image, or a zoom sequence of them,
    with the paper's Table 1.

    For each image: the edges are the 2x2 neighbourhoods spanning both phases
    (:func:`phase_edges`); they are box-counted as ``porespy.metrics.boxcount`` counts
    (:func:`spanning_box_counts`); the local slopes are ``-np.gradient(log N, log s)``
    as porespy computes them. The estimate is the median of all images' local slopes
    together, as the paper's notebook takes it (``estimate_fractal_dimension``); an
    image with no edge gives non-finite slopes and so a ``nan`` median, as there.

    The interval is a percentile bootstrap of that median over the pooled slopes
    (``resamples`` draws with replacement); it says how much the median depends on
    which scales and images enter it, not sampling noise.

    ``sizes`` of the result are one image's box sizes when all images share them (the
    usual case: a zoom sequence at one resolution), else the concatenation; ``counts``
    are summed over the images when they share sizes.
    """
    seq = [images] if _is_one_image(images) else list(images)
    if not seq:
        raise InputError("method 'sohl-dickstein' needs at least one image")
    all_sizes, all_counts, slopes, edges_total = [], [], [], 0
    for i, image in enumerate(seq):
        try:
            edges = phase_edges(image)
        except InputError as e:
            raise InputError(f"image {i}: {e}") from None
        edges_total += int(edges.sum())
        sizes, counts = spanning_box_counts(edges, bins)
        if sizes.size < 2:
            raise InputError(f"image {i}: need at least two box sizes, got {sizes.tolist()}")
        with np.errstate(divide="ignore", invalid="ignore"):
            slopes.append(-np.gradient(np.log(counts.astype(float)), np.log(sizes.astype(float))))
        all_sizes.append(sizes)
        all_counts.append(counts)
    pooled = np.concatenate(slopes)
    dim = float(np.median(pooled))
    same = all(np.array_equal(all_sizes[0], s) for s in all_sizes)
    sizes = all_sizes[0] if same else np.concatenate(all_sizes)
    counts = np.sum(all_counts, axis=0) if same else np.concatenate(all_counts)
    if resamples and np.isfinite(dim):
        rng = np.random.default_rng(seed)
        meds = np.median(pooled[rng.integers(0, pooled.size, (resamples, pooled.size))], axis=1)
        tail = (1 - level) / 2 * 100
        low, high = np.percentile(meds, [tail, 100 - tail])
        ci = (float(low), float(high))
    else:
        ci = (dim, dim)
    note = (f"median of {pooled.size} local slopes over {len(seq)} image(s), box sizes "
            f"{int(sizes.min())}-{int(sizes.max())}")
    if not np.isfinite(dim):
        note = "an image without edges gives non-finite slopes: the median is undefined"
    return BoundaryDimension(dim, ci, sizes, counts, edges_total, math.nan, level,
                             method="sohl-dickstein", fitted=np.ones(sizes.size, bool),
                             slopes=pooled, note=note)


def _is_one_image(images) -> bool:
    return isinstance(images, np.ndarray) and images.ndim == 2 or (
        not isinstance(images, (list, tuple)) and np.ndim(images) == 2)
