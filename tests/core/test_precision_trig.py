"""Double-double sin and cos (precision/trig.py) against 60-digit mpmath, run op by op,
under jit and under jit(vmap): XLA's rewrites must leave them exact."""

from __future__ import annotations

from fractions import Fraction

import jax
import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")

from metaloss._src.precision import dd, tables, trig  # noqa: E402

mpmath.mp.dps = 60
BOUND = 1e-30
PI = np.pi

RANGES = {
    "[-100, 100]": lambda rng: rng.uniform(-100, 100, 60),
    "near k pi/2": lambda rng: (np.round(rng.uniform(-60, 60, 60)) * PI / 2
                                + rng.uniform(-1e-6, 1e-6, 60)),
    "table midpoints": lambda rng: (np.round(rng.uniform(-3000, 3000, 60)) + 0.5) * PI / 512,
    "large": lambda rng: rng.uniform(-2.6e7, 2.6e7, 60),
}
MODES = ("op by op", "jit", "jit(vmap)")


def _draw(hi, rng):
    lo = hi * rng.uniform(-1, 1, hi.size) * 2.0 ** -53
    h2 = hi + lo
    return dd.DD(jax.numpy.asarray(h2), jax.numpy.asarray(lo - (h2 - hi)))


def _value(hi, lo):
    return mpmath.mpf(float(hi)) + mpmath.mpf(float(lo))


def _err(got, want, relative):
    """Largest error, relative to ``max(1, |f|)`` (or to ``|f|`` when ``relative``)."""
    return max(float(abs(_value(h, lo) - w) / (abs(w) if relative else max(1, abs(w))))
               for h, lo, w in zip(np.asarray(got.hi), np.asarray(got.lo), want, strict=True))


_COMPILED: dict = {}


def _run(mode, f, x):
    if mode == "op by op":
        with jax.disable_jit():
            return f(x)
    key = (mode, f)
    if key not in _COMPILED:  # one compilation per function and mode for all the draws
        _COMPILED[key] = jax.jit(f) if mode == "jit" else jax.jit(jax.vmap(f))
    return _COMPILED[key](x)


@pytest.mark.parametrize("where", list(RANGES))
def test_sin_cos_in_every_mode(x64, where):
    """Error below 1e-30 max(1, |f|) for sincos, sin and cos in each mode (before
    two-sum was written for XLA's folding of ``(C + b) - C``, jit gave 2e-28 here)."""
    rng = np.random.default_rng(list(RANGES).index(where))
    x = _draw(RANGES[where](rng), rng)
    exact = [_value(h, lo) for h, lo in zip(np.asarray(x.hi), np.asarray(x.lo), strict=True)]
    want_s, want_c = [mpmath.sin(v) for v in exact], [mpmath.cos(v) for v in exact]
    for mode in MODES:
        s, c = _run(mode, dd.sincos, x)
        assert _err(s, want_s, False) < BOUND, (mode, "sincos[0]")
        assert _err(c, want_c, False) < BOUND, (mode, "sincos[1]")
    assert _err(_run("jit", dd.sin, x), want_s, False) < BOUND
    assert _err(_run("jit", dd.cos, x), want_c, False) < BOUND


def test_tiny_and_near_pi_keep_relative_accuracy(x64):
    """sin of tiny arguments and of arguments near k pi (the table's exact zeros) keeps
    relative accuracy in every mode."""
    rng = np.random.default_rng(7)
    tiny = 10 ** rng.uniform(-25, -1, 60) * np.sign(rng.uniform(-1, 1, 60))
    x = _draw(tiny, rng)
    want = [mpmath.sin(_value(h, lo)) for h, lo in zip(np.asarray(x.hi), np.asarray(x.lo),
                                                       strict=True)]
    for mode in MODES:
        assert _err(_run(mode, dd.sincos, x)[0], want, True) < BOUND, mode
    # x = k pi + d, d of 1e-12..1e-3: |sin x| = |d| up to 1e-31 relative
    k = np.round(rng.uniform(-30, 30, 60))
    pi_dd = dd.const(Fraction(2) * dd._PI_2)
    d = dd.lift(10 ** rng.uniform(-12, -3, 60))
    x = dd.add(dd.mul_float(dd.DD(pi_dd.hi + 0 * k, pi_dd.lo + 0 * k), k), d)
    want = [mpmath.sin(_value(h, lo)) for h, lo in zip(np.asarray(x.hi), np.asarray(x.lo),
                                                       strict=True)]
    for mode in MODES:
        assert _err(_run(mode, dd.sincos, x)[0], want, True) < 1e-28, mode  # 2.2e-30


@pytest.mark.parametrize("mode", ["op by op", "jit"])
def test_constant_plus_float_stays_exact(x64, mode):
    """``C + b`` for a dd constant ``C`` (the series' ``1/120 + t^2 R``), against exact
    rationals: under jit XLA folds ``(C + b) - C`` to ``b``, which two-sum must survive
    with the constant first."""
    b = np.random.default_rng(8).uniform(-1e-9, 1e-9, 100)
    c = trig._S5
    with jax.disable_jit(mode == "op by op"):
        got = jax.jit(lambda b: tables._add_float(tables._dd_const(c), b))(b)
    for h, lo, v in zip(np.asarray(got.hi), np.asarray(got.lo), b, strict=True):
        want = Fraction(float(v)) + Fraction(c[0]) + Fraction(c[1])
        assert abs(Fraction(float(h)) + Fraction(float(lo)) - want) < Fraction(1, 10**34)


def test_table_rows_are_sin_and_cos(x64):
    rows = trig._TABLE
    assert rows.shape == (1024, 4)
    for j in (0, 1, 255, 256, 257, 511, 512, 700, 768, 1023):
        a = j * mpmath.pi / 512
        assert abs(rows[j, 0] + mpmath.mpf(rows[j, 1]) - mpmath.sin(a)) < 1e-32
        assert abs(rows[j, 2] + mpmath.mpf(rows[j, 3]) - mpmath.cos(a)) < 1e-32
    assert rows[0, 0] == rows[512, 0] == rows[256, 2] == rows[768, 2] == 0.0
