"""The double-double meanfield_mlp unroll against 60-digit mpmath: the hand-written
forward and backward passes (tanh, relu, identity) keep double-double accuracy over
several SGD steps, where float64 keeps about 16 digits."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.precise import unroll as precise
from metaloss._src.precision.exact import hilo
from metaloss._src.problems.meanfield import _draw


def _mp_mean_loss(problem, lr, steps):
    """The ``mean`` objective of SGD on ``problem`` (all learning rates ``lr``), exactly
    as :mod:`metaloss._src.problems.meanfield` defines the network, in mpmath."""
    w0, w1, x, y = (mpmath.matrix(a.tolist()) for a in
                    _draw(problem.width, problem.points, problem.seed))
    a, b, width, n = w0, w1, problem.width, problem.points
    phi = {"tanh": lambda z: mpmath.tanh(mpmath.sqrt(2) * z),
           "relu": lambda z: mpmath.sqrt(2) * max(z, 0),
           "identity": lambda z: z}[problem.nonlinearity]
    dphi = {"tanh": lambda z: mpmath.sqrt(2) * (1 - mpmath.tanh(mpmath.sqrt(2) * z) ** 2),
            "relu": lambda z: mpmath.sqrt(2) * (z > 0),
            "identity": lambda z: 1}[problem.nonlinearity]
    total = 0
    for _ in range(steps):
        z = (x * a) / mpmath.sqrt(width)
        h = z.apply(phi)
        r = (h * b) / width - y
        total += sum(v ** 2 for v in r) / n
        dy = r * (mpmath.mpf(2) / n)
        db = (h.T * dy) / width
        dh = (dy * b.T) / width
        dz = mpmath.matrix(n, width)
        for i in range(n):
            for j in range(width):
                dz[i, j] = dh[i, j] * dphi(z[i, j]) / mpmath.sqrt(width)
        a, b = a - lr * (x.T * dz), b - lr * db
    return total / steps


@pytest.mark.parametrize("spec, lrs", [
    ("meanfield_mlp(width=3)", [0.5, 2.0, 6.0]),
    ("meanfield_mlp(width=2, nonlinearity='relu')", [0.3, 1.5, 3.0]),
    ("meanfield_mlp(width=3, nonlinearity='identity')", [0.2, 1.0, 3.0]),
])
def test_meanfield_tracks_mpmath(x64, spec, lrs):
    steps = 6
    meta = ml.MetaLoss(spec, "sgd", steps=steps, divergence=None)
    hi, lo, _ = precise.evaluate(meta, {"lr": hilo(np.array(lrs))})
    with mpmath.workdps(60):
        for i, lr in enumerate(lrs):
            want = _mp_mean_loss(meta.problem, mpmath.mpf(Fraction(lr).numerator)
                                 / Fraction(lr).denominator, steps)
            got = mpmath.mpf(float(hi[i])) + mpmath.mpf(float(lo[i]))
            assert abs(got - want) < 1e-29 * abs(want), (lr, float(abs(got - want) / want))
