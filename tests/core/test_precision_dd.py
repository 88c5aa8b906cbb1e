"""Double-double arithmetic against 60-digit mpmath, to the bounds stated in dd.py."""

from __future__ import annotations

import jax
import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")

from metaloss._src.precision import dd  # noqa: E402

mpmath.mp.dps = 60
BOUND = 1e-30


def _random_dd(rng, n, low, high, log=False):
    """Random double-doubles (hi, lo) and their exact mpmath values."""
    hi = 10 ** rng.uniform(low, high, n) if log else rng.uniform(low, high, n)
    lo = hi * rng.uniform(-1, 1, n) * 2.0 ** -53
    hi2 = hi + lo
    lo2 = lo - (hi2 - hi)
    return dd.DD(jax.numpy.asarray(hi2), jax.numpy.asarray(lo2)), _exact(hi2, lo2)


def _exact(his, los):
    return [mpmath.mpf(float(h)) + mpmath.mpf(float(x)) for h, x in zip(his, los, strict=True)]


def _err(got: dd.DD, want, relative=True):
    worst = 0.0
    for h, low_, w in zip(np.asarray(got.hi), np.asarray(got.lo), want, strict=True):
        value = mpmath.mpf(float(h)) + mpmath.mpf(float(low_))
        diff = abs(value - w)
        # relative where |w| >= 1, absolute below it when ``relative`` is False
        diff = diff / (abs(w) if relative and w != 0 else max(1, abs(w)))
        worst = max(worst, float(diff))
    return worst


@pytest.mark.parametrize("op,ref", [
    (dd.add, lambda a, b: a + b), (dd.sub, lambda a, b: a - b),
    (dd.mul, lambda a, b: a * b), (dd.div, lambda a, b: a / b)])
def test_arithmetic(x64, op, ref):
    rng = np.random.default_rng(0)
    x, xs = _random_dd(rng, 200, -3, 3, log=True)
    y, ys = _random_dd(rng, 200, -3, 3, log=True)
    y = dd.DD(y.hi * np.sign(rng.uniform(-1, 1, 200)), y.lo)  # mixed signs for add/sub
    ys = _exact(y.hi, y.lo)
    got = jax.jit(op)(x, y)
    want = [ref(a, b) for a, b in zip(xs, ys, strict=True)]
    # add/sub of opposite signs can cancel: bound the error relative to the operands
    if op in (dd.add, dd.sub):
        scale = [max(abs(a), abs(b)) for a, b in zip(xs, ys, strict=True)]
        values = _exact(np.asarray(got.hi), np.asarray(got.lo))
        errs = [abs(v - w) / s for v, w, s in zip(values, want, scale, strict=True)]
        assert float(max(errs)) < BOUND
    else:
        assert _err(got, want) < BOUND


@pytest.mark.parametrize("name,low,high,log,relative", [
    ("sqrt", -10, 10, True, True),
    ("exp", -50, 50, False, True),
    ("log", -10, 10, True, False),
    ("sin", -100, 100, False, False),
    ("cos", -100, 100, False, False),
    ("tanh", -20, 20, False, True),
    ("tanh", -0.6, 0.6, False, True),
])
def test_functions(x64, name, low, high, log, relative):
    rng = np.random.default_rng(1)
    x, xs = _random_dd(rng, 300, low, high, log=log)
    got = jax.jit(getattr(dd, name))(x)
    want = [getattr(mpmath, name)(v) for v in xs]
    assert _err(got, want, relative) < BOUND


def test_tiny_arguments_keep_relative_accuracy(x64):
    x, xs = _random_dd(np.random.default_rng(2), 100, -25, -1, log=True)
    for name in ("sin", "tanh", "exp"):
        got = jax.jit(getattr(dd, name))(x)
        assert _err(got, [getattr(mpmath, name)(v) for v in xs]) < BOUND, name


def test_decimal_strings_keep_every_digit(x64):
    text = "1.2345678901234567890123456789012"
    hi, lo = dd.from_string(text)
    assert abs(mpmath.mpf(hi) + mpmath.mpf(lo) - mpmath.mpf(text)) < 1e-32
    assert lo != 0.0


def test_edge_values(x64):
    vals = dd.lift(np.array([0.0, -1.0, 800.0, -800.0]))
    s = dd.sqrt(vals)
    assert float(s.hi[0]) == 0.0 and np.isnan(float(s.hi[1]))
    e = dd.exp(vals)
    assert np.isinf(float(e.hi[2])) and float(e.hi[3]) == 0.0
    t = dd.tanh(vals)
    assert float(t.hi[2]) == 1.0 and float(t.hi[3]) == -1.0


def test_products_fed_to_sums_stay_exact_under_jit(x64):
    """XLA contracts ``a*b + c`` into an FMA; a float64 product lifted to a DD inside
    the same jitted function must still be the rounded product (the barrier)."""
    rng = np.random.default_rng(3)
    a, b, c = (rng.uniform(0.5, 2, 100) for _ in range(3))
    got = jax.jit(lambda a, b, c: dd.add(dd.lift(a * b), dd.lift(c)))(a, b, c)
    want = [mpmath.mpf(float(x * y)) + mpmath.mpf(float(z))
            for x, y, z in zip(a, b, c, strict=True)]
    assert _err(got, want) < BOUND


@pytest.mark.parametrize("name,f,ref", [
    ("square", dd.square, lambda x: x * x),
    ("mul_float", lambda x: dd.mul_float(x, 0.076), lambda x: x * mpmath.mpf(0.076)),
    ("mul", lambda x: dd.mul(x, x * 0.37), None)])
def test_jitted_products_match_op_by_op(x64, name, f, ref):
    """Under jit (and jit of vmap) XLA may fuse a rounded product into the sums that
    use it; the products must stay exact there (they were 1e-16 off with optimization
    barriers alone: scripts/dd_fusion_check.py)."""
    rng = np.random.default_rng(5)
    x, exact = _random_dd(rng, 64, 1, 100)
    with jax.disable_jit():
        plain = f(x)
    want = _exact(plain.hi, plain.lo) if ref is None else [ref(w) for w in exact]
    for g in (jax.jit(f), jax.jit(jax.vmap(f))):
        assert _err(g(x), want) < BOUND, name


@pytest.mark.parametrize("shape", [(8, 72, 8), (72, 8, 1), (3, 200, 2)])
def test_matmul_is_a_compensated_dot_product(x64, shape):
    """Every entry of the dd matrix products within ``1e-31 sum_k |a_ik b_kj|`` of the
    exact rational product (operands spread over 6 decades, mixed signs)."""
    from fractions import Fraction

    from metaloss._src.precision import linalg

    rng = np.random.default_rng(4)
    m, k, n = shape

    def draw(shape):
        hi = rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)
        lo = hi * rng.uniform(-1, 1, shape) * 2.0 ** -53
        return dd.DD(jax.numpy.asarray(hi + lo), jax.numpy.asarray(lo - ((hi + lo) - hi)))

    def exact(x):
        return [[Fraction(float(h)) + Fraction(float(lo_)) for h, lo_ in zip(*rows, strict=True)]
                for rows in zip(np.asarray(x.hi), np.asarray(x.lo), strict=True)]

    a, b = draw((m, k)), draw((k, n))
    a_float = dd.DD(a.hi, jax.numpy.zeros_like(a.lo))
    for got, left in ((jax.jit(linalg.matmul)(a, b), a),
                      (jax.jit(linalg.matmul_float)(a.hi, b), a_float)):
        ea, eb, eg = exact(left), exact(b), exact(got)
        for i in range(m):
            for j in range(n):
                terms = [ea[i][t] * eb[t][j] for t in range(k)]
                err = abs(eg[i][j] - sum(terms)) / sum(abs(t) for t in terms)
                assert err < 1e-31, (i, j, float(err))


def test_exp_up_to_the_float64_overflow(x64):
    """``exp`` and ``expm1`` are finite up to ``log(max float64) = 709.78`` (``k = 1023``
    and ``1024`` of ``2^k 2^(j/64) e^t``); they were ``inf`` from ``708.74`` on."""
    xs = np.array([708.7, 708.8, 709.0, 709.5, 709.78])
    x = dd.lift(xs)
    for f in (dd.exp, dd.expm1):
        got = jax.jit(f)(x)
        want = [mpmath.exp(mpmath.mpf(float(v))) - (f is dd.expm1) for v in xs]
        assert _err(got, want) < BOUND, f.__name__
        over = jax.jit(f)(dd.lift(np.array([709.79, 710.0, 1e4, np.inf])))
        assert np.all(np.isposinf(np.asarray(over.hi))), f.__name__
    assert np.isnan(float(dd.expm1(dd.lift(np.float64(np.nan))).hi))


def test_log_over_the_whole_float64_range(x64):
    """``log`` of the smallest and largest normal float64s: ``x exp(-log x)`` multiplied
    a tiny by a huge number, whose Veltkamp split underflows (XLA flushes subnormals to
    zero; one above 1.3e300 overflows it): ``log 1e-300`` was ``1e-11`` off, ``log 1e305`` NaN."""
    rng = np.random.default_rng(6)
    his = np.concatenate([10 ** rng.uniform(-307, -292, 40), [2.3e-308, 1e-300]])
    x = dd.lift(his)  # lo = 0: a residue below 2e-308 would be flushed, not data
    y, ys = _random_dd(rng, 60, 250, 308.2, log=True)
    z, zs = _random_dd(rng, 60, -292, -250, log=True)
    for v, want in ((x, _exact(his, 0 * his)), (y, ys), (z, zs)):
        got = jax.jit(dd.log)(v)
        assert _err(got, [mpmath.log(w) for w in want]) < BOUND


@pytest.mark.parametrize("mode", ["op by op", "jit"])
def test_log_within_1e_31_over_the_normal_range(x64, mode):
    """``log`` below ``1e-31 max(1, |log x|)`` (dd.py) on log-uniform samples of
    ``[1e-300, 1e300]`` and of ``[1e-10, 1e10]``, op by op and under jit (XLA may fold
    or contract the two differently). A Newton step alone (``y + w``) leaves ``w^2/2``:
    up to 1.56e-30 on ``[2^-500, 2^500]``, where ``|log x|`` and so ``|w|`` is largest."""
    rng = np.random.default_rng(9)
    wide, wides = _random_dd(rng, 300, -290, 300, log=True)
    documented, documenteds = _random_dd(rng, 200, -10, 10, log=True)
    tiny = 10 ** rng.uniform(-300, -290, 40)  # lo = 0: a residue there would be subnormal
    cases = [(wide, wides), (documented, documenteds), (dd.lift(tiny), _exact(tiny, 0 * tiny))]
    for x, xs in cases:
        with jax.disable_jit(mode == "op by op"):
            got = jax.jit(dd.log)(x)
        assert _err(got, [mpmath.log(v) for v in xs], relative=False) < 1e-31
