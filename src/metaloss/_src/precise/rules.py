"""Inner problems written out in double-double: value and gradient by hand.

Automatic differentiation does not reach through error-free transformations (it
differentiates the rounding-error terms as if they were smooth), so each supported
problem gives its gradient in closed form, computed in double-double throughout.
Constants of the problem (data, curvatures, rotations) are the float64 numbers the
float64 problem uses, exact in double-double; ``pi``, ``sqrt 2`` and the like are
rounded once to double-double.

A rule is ``(init(hp) -> params, loss_grad(params, hp) -> (loss, grads), loss(params,
hp))`` with ``params`` a list of DD arrays and ``hp`` the run's hyperparameters as DD
scalars.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import NamedTuple

import jax.numpy as jnp

from metaloss._src.precision import dd, linalg
from metaloss._src.precision.dd import DD
from metaloss._src.problems.cosine import CosineQuadratic, ModulatedQuadratic
from metaloss._src.problems.meanfield import MeanFieldMLP, _draw
from metaloss._src.problems.quadratic import Quadratic, _rotation
from metaloss._src.problems.wavy import Wavy1D

_TWO_PI = dd._PI_2 * 4


class Rule(NamedTuple):
    init: Callable
    loss_grad: Callable
    loss: Callable


def _array(a) -> DD:
    return dd.lift(jnp.asarray(a, jnp.float64))


def cosine(problem: CosineQuadratic) -> Rule:
    """``x^2 + delta cos(2 pi x / lam)``; ``delta``, ``lam`` and ``x0`` may be axes."""

    def parts(x, hp):
        k = dd.div(dd.const(_TWO_PI), hp["lam"])
        s, c = dd.sincos(dd.mul(k, x))
        return k, s, c

    def loss(params, hp):
        (x,) = params
        _, _, c = parts(x, hp)
        return dd.add(dd.square(x), dd.mul(hp["delta"], c))

    def loss_grad(params, hp):
        (x,) = params
        k, s, c = parts(x, hp)
        value = dd.add(dd.square(x), dd.mul(hp["delta"], c))
        grad = dd.sub(dd.scale(x, 2.0), dd.mul(dd.mul(hp["delta"], k), s))
        return value, [grad]

    return Rule(lambda hp: [hp["x0"]], loss_grad, loss)


def modulated(problem: ModulatedQuadratic) -> Rule:
    """Liu's multiplicative family ``x^2 (1 + delta cos(2 pi x / lam))``; gradient
    ``2x (1 + delta cos) - delta k x^2 sin`` with ``k = 2 pi / lam``."""

    def parts(x, hp):
        k = dd.div(dd.const(_TWO_PI), hp["lam"])
        s, c = dd.sincos(dd.mul(k, x))
        return k, s, dd.add(dd.lift(1.0), dd.mul(hp["delta"], c))

    def loss(params, hp):
        (x,) = params
        return dd.mul(dd.square(x), parts(x, hp)[2])

    def loss_grad(params, hp):
        (x,) = params
        k, s, m = parts(x, hp)
        x2 = dd.square(x)
        grad = dd.sub(dd.mul(dd.scale(x, 2.0), m), dd.mul(dd.mul(hp["delta"], k),
                                                         dd.mul(x2, s)))
        return dd.mul(x2, m), [grad]

    return Rule(lambda hp: [hp["x0"]], loss_grad, loss)


def wavy(problem: Wavy1D) -> Rule:
    """``log(x^2 + 1 + sin 3x) + 1.5``."""

    def parts(x):
        s, c = dd.sincos(dd.mul_float(x, 3.0))
        u = dd.add(dd.add(dd.square(x), dd.lift(1.0)), s)
        return u, c

    def loss(params, hp):
        u, _ = parts(params[0])
        return dd.add(dd.log(u), dd.lift(1.5))

    def loss_grad(params, hp):
        (x,) = params
        u, c = parts(x)
        grad = dd.div(dd.add(dd.scale(x, 2.0), dd.mul_float(c, 3.0)), u)
        return dd.add(dd.log(u), dd.lift(1.5)), [grad]

    return Rule(lambda hp: [dd.lift(jnp.float64(problem.x0))], loss_grad, loss)


def quadratic(problem: Quadratic) -> Rule:
    """``1/2 sum h_i (R x)_i^2``, gradient ``R^T (h * R x)``."""
    h = _array(problem.curvatures)
    rot = _array(_rotation(problem.dim, problem.seed)) if problem.rotate else None

    def rotated(x):
        if rot is None:
            return x
        return linalg.matmul(rot, DD(x.hi[:, None], x.lo[:, None]))

    def loss(params, hp):
        z = rotated(params[0])
        z = DD(z.hi.reshape(-1), z.lo.reshape(-1))
        return dd.scale(linalg.sum(dd.mul(h, dd.square(z))), 0.5)

    def loss_grad(params, hp):
        z = rotated(params[0])
        z = DD(z.hi.reshape(-1), z.lo.reshape(-1))
        value = dd.scale(linalg.sum(dd.mul(h, dd.square(z))), 0.5)
        hz = dd.mul(h, z)
        if rot is not None:
            hz = linalg.matmul(linalg.transpose(rot), DD(hz.hi[:, None], hz.lo[:, None]))
            hz = DD(hz.hi.reshape(-1), hz.lo.reshape(-1))
        return value, [hz]

    return Rule(lambda hp: [dd.lift(jnp.ones(problem.dim))], loss_grad, loss)


def _times(q: Fraction):
    """Multiplication by the rational ``q`` rounded once to double-double: exact
    scaling when ``q`` is a power of two."""
    hi, lo = dd.from_fraction(q)
    if lo == 0.0 and math.frexp(abs(hi))[0] == 0.5:
        return lambda v: dd.scale(v, hi)
    c = dd.const(q)
    return lambda v: dd.mul(v, c)


def _sqrt_fraction(q: Fraction) -> Fraction:
    """``sqrt(q)`` to 60 digits, exactly when ``q`` is the square of a rational."""
    num, den = math.isqrt(q.numerator), math.isqrt(q.denominator)
    if num * num == q.numerator and den * den == q.denominator:
        return Fraction(num, den)
    with localcontext() as ctx:
        ctx.prec = 60
        return Fraction((Decimal(q.numerator) / Decimal(q.denominator)).sqrt())


def meanfield(problem: MeanFieldMLP) -> Rule:
    """Sohl-Dickstein's network: ``h = phi(x W0 / sqrt w)``, ``y = h W1 / w``, mean
    squared error; backpropagation written out, the constants folded: with
    ``c = sqrt(2 / w)`` (``1 / sqrt w`` for the identity) the forward pass is
    ``h = tanh(c xW0)`` or ``relu(c xW0)``, and with ``g = r 2 / (n w)`` the gradients
    are ``h^T g`` and ``x^T ((g W1^T) c phi')``, ``phi' = 1 - h^2`` (tanh) or the mask."""
    w0, w1, x, y = _draw(problem.width, problem.points, problem.seed)
    ys = _array(y)
    kind = problem.nonlinearity
    width, n = problem.width, problem.points
    gain = _times(_sqrt_fraction(Fraction(1 if kind == "identity" else 2, width)))
    inv_w = _times(Fraction(1, width))
    residual_scale = _times(Fraction(2, n * width))       # d loss / d (h W1)

    def forward(params):
        a, b = params
        u = gain(linalg.matmul_float(x, a))
        if kind == "tanh":
            h = dd.tanh(u)
        elif kind == "relu":
            h = dd.where(u.hi > 0, u, dd.lift(jnp.zeros_like(u.hi)))
        else:
            h = u
        r = dd.sub(inv_w(linalg.matmul(h, b)), ys)
        return u, h, r

    def mse(r):
        return dd.div(linalg.matmul(linalg.transpose(r), r), dd.lift(jnp.float64(n)))

    def loss(params, hp):
        v = mse(forward(params)[2])
        return DD(v.hi[0, 0], v.lo[0, 0])

    def loss_grad(params, hp):
        a, b = params
        u, h, r = forward(params)
        v = mse(r)
        g = residual_scale(r)                               # (n, 1)
        db = linalg.transpose(linalg.matmul(linalg.transpose(g), h))   # (g^T h)^T: h unmoved
        gb = dd.mul(g, gain(linalg.transpose(b)))             # (n, 1) x (1, w): g W1^T c
        if kind == "tanh":
            dz = dd.mul(gb, dd.sub(dd.lift(1.0), dd.square(h)))
        elif kind == "relu":
            dz = dd.where(u.hi > 0, gb, dd.lift(jnp.zeros_like(u.hi)))
        else:
            dz = gb
        da = linalg.matmul_float(x.T, dz)
        return DD(v.hi[0, 0], v.lo[0, 0]), [da, db]

    def init(hp):
        off = hp["offset"]
        a = dd.add(_array(w0), DD(jnp.full(w0.shape, off.hi), jnp.full(w0.shape, off.lo)))
        return [a, _array(w1)]

    return Rule(init, loss_grad, loss)


RULES = {CosineQuadratic: cosine, ModulatedQuadratic: modulated, Wavy1D: wavy,
         Quadratic: quadratic, MeanFieldMLP: meanfield}
"""Problem class -> its double-double rule."""
