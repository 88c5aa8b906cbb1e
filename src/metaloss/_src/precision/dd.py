"""Double-double arithmetic in JAX: a value is the unevaluated sum ``hi + lo`` of two
float64 arrays with ``|lo| <= ulp(hi)/2``, about 106 significant bits (32 digits).

When to use it: a landscape or zoom whose window is narrower than float64 resolves
(``~1e-16`` relative), or a check of which float64 labels depend on rounding.

Method: the error-free transformations of Knuth (two-sum) and Dekker (two-product with
Veltkamp's split), "A floating-point technique for extending the available precision",
Numer. Math. 18 (1971); the add/mul/div/sqrt sequences follow Hida, Li & Bailey,
"Library for double-double and quad-double arithmetic" (2000) (:mod:`.arith`). The
elementary functions (:mod:`.elementary`, :mod:`.trig`, :mod:`.hyperbolic` for tanh) use
exact range reduction to a table point, short Taylor polynomials and tables rounded to
double-double from exact rationals or 60-digit ``decimal`` arithmetic (no third-party
constants at runtime). Every function
returns through :func:`materialize`, a fusion boundary: without it XLA recomputes
double-double chains in each consumer (several times the cost).

Accuracy (``tests/core/test_precision_dd.py`` against 60-digit mpmath): relative error
below ``1e-30`` for add, mul, div, sqrt, exp and expm1 on ``|x| <= 50``, sin and cos on
``|x| < 2.6e7`` (error below ``1e-30 max(1, |f|)``, also under ``jit``:
``tests/core/test_precision_trig.py``), tanh on ``|x| <= 20``, and for
tiny arguments (``1e-25 <= |x| <= 0.1``) sin, tanh and exp keep it too; log has error
below ``1e-31 max(1, |log x|)`` on ``[1e-300, 1e300]`` (largest measured 2.6e-32, op by op
and under ``jit``). Every op needs float64 inputs: run under ``jax.enable_x64``.

Range: XLA flushes subnormal float64s to zero, so a ``lo`` below ``2^-1022`` is lost
(values under ``~1e-292`` keep about float64 accuracy) and a product of a number under
``~3e-300`` with a large one (whose split underflows) can be off by up to ``2^-27``
relative; a factor above ``~1.3e300`` overflows the split of a product (NaN).
Infinities become NaN in sums, products and quotients (NaN propagates).
"""

from metaloss._src.precision.arith import (  # noqa: F401 - the module's interface
    _LN2,
    _PI_2,
    _SPLITTER,
    DD,
    _barrier,
    abs,
    add,
    const,
    div,
    from_fraction,
    from_string,
    isfinite,
    lift,
    lt,
    materialize,
    mul,
    mul_float,
    quick_two_sum,
    scale,
    sqrt,
    square,
    sub,
    to_float,
    to_fraction,
    two_prod,
    two_sum,
    where,
)
from metaloss._src.precision.elementary import cos, exp, expm1, log, sin, sincos
from metaloss._src.precision.hyperbolic import tanh

__all__ = [
    "abs", "add", "const", "cos", "DD", "div", "exp", "expm1", "from_fraction", "from_string",
    "isfinite", "lift", "log", "lt", "materialize", "mul", "mul_float", "quick_two_sum",
    "scale", "sin", "sincos", "sqrt", "square", "sub", "tanh", "to_float", "to_fraction",
    "two_prod", "two_sum", "where"]
