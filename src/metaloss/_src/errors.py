"""One way to fail: :class:`InputError` for everything a user can get wrong.

Library code raises :class:`InputError` (a ``ValueError``) with a one-line message
for bad arguments, bad specs, bad paths and out-of-range values. The command
line turns it into ``error: <message>`` and exit code 2. Any other exception is a
bug in metaloss, and the command line shows it as one (traceback, exit code 1).

The ``check_*`` helpers are the one place where integer, positive and interval
arguments are validated; each returns the value it checked, converted.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any


class InputError(ValueError):
    """A mistake in what the user asked for (an argument, a spec, a path).

    The message is one line that says what was wrong and, where it helps, what
    would be accepted, in Python's terms (``resume=True``, ``store='name.zarr'``).

    Args:
      message: the line.
      arguments: the keyword arguments the message asks the caller to give, each
        mapped to the text that spells it in ``message`` (``{"resume": "resume=True"}``).
        A caller with other spellings (the command line's options) shows its own
        through :meth:`spelled`.
    """

    def __init__(self, message: str, *, arguments: Mapping[str, str] | None = None):
        super().__init__(message)
        self.arguments = dict(arguments or {})

    def spelled(self, spellings: Mapping[str, str]) -> str:
        """The message with each of its arguments that ``spellings`` names written the
        way ``spellings`` writes it (``{"resume": "--resume"}``).

        An error raised while handling another :class:`InputError` (to reword it)
        keeps the arguments of the one it rewords, where their text is still in it.
        """
        text, error = str(self), self
        while isinstance(error, InputError):
            for name, said in error.arguments.items():
                if name in spellings and said in text:
                    text = text.replace(said, spellings[name])
            error = error.__context__
        return text


RESUME = {"resume": "resume=True"}
"""The ``arguments`` of an :class:`InputError` whose message says to continue a store run
with ``resume=True``."""


MAX_STEPS = 10**7
"""Most inner (or outer) steps of one run: an unroll longer than this is a typo."""

MAX_SEED = 2**32 - 1
"""Largest PRNG seed (JAX keys hold 32 bits of it; larger ones would be cut silently)."""

MAX_PAIRS = 10**6
"""Most antithetic pairs of a sampling estimator per estimate."""

MAX_SAMPLES = 10**6
"""Most samples (estimates, perturbations, bootstrap draws) one request may ask for."""

MAX_AXIS = 10**7
"""Most values on one grid axis (80 MB of float64 coordinates; the grid's memory is
checked separately)."""

MAX_DIM = 10**7
"""Most parameters of a built-in problem (one float32 vector per grid point)."""


class Interrupted(Exception):  # noqa: N818 -- it names what happened, as KeyboardInterrupt
    """A store run stopped by Ctrl-C or SIGTERM; its finished tiles are kept.

    ``message`` says how many; the command line adds the ``--resume`` command."""

    def __init__(self, message: str, signal_number: int):
        super().__init__(message)
        self.signal_number = signal_number


def one_line(text: Any) -> str:
    """``text`` with every run of whitespace (newlines included) folded to one space."""
    return " ".join(str(text).split())


def check_int(name: str, value: Any, minimum: int | None = 1, maximum: int | None = None,
              *, limit: int | None = None, hint: str = "",
              arguments: Mapping[str, str] | None = None) -> int:
    """``value`` as an ``int``; :class:`InputError` unless it is an integer in range.

    Booleans are refused (``True`` is an ``int`` in Python, never a count here);
    so are floats, even integral ones, to catch ``steps=1e3`` style mistakes.

    Args:
      name: how the message names the argument (``"steps"``, ``"pairs"``).
      value: the value to check.
      minimum, maximum: inclusive bounds, ``None`` for none.
      limit: a safety ceiling (sizes that would exhaust memory or overflow): a larger
        value gets its own message, naming the limit and ``hint``, what to do instead.
      arguments: the :class:`InputError`'s ``arguments`` (``{"levels": "levels"}`` where
        ``name`` is a keyword argument a caller may spell otherwise).
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and limit is not None and value > limit:
        raise InputError(f"{name} {value} is above the limit of {limit}"
                         + (f"; {hint}" if hint else ""), arguments=arguments)
    if ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return int(value)
    if minimum is not None and maximum is not None:
        want = f"an integer in [{minimum}, {maximum}]"
    elif minimum is not None:
        want = f"an integer >= {minimum}"
    elif maximum is not None:
        want = f"an integer <= {maximum}"
    else:
        want = "an integer"
    raise InputError(f"{name} must be {want}, got {value!r}", arguments=arguments)


def _concrete(value: Any):
    """``value`` as a float array, or ``None`` for a traced (abstract) JAX value."""
    import jax
    import numpy as np

    try:
        return np.asarray(value, dtype=float)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None
    except (TypeError, ValueError):
        raise InputError(f"expected a number, got {value!r}") from None


def _show(arr) -> str:
    if arr.ndim == 0:
        return f"{float(arr):g}"
    return f"values in [{arr.min():g}, {arr.max():g}]"


def _number(name: str, value: Any):
    if isinstance(value, (bool, str)):
        raise InputError(f"{name} must be a number, got {value!r}")
    arr = _concrete(value)
    if arr is None:
        return None
    return arr


def _result(value: Any, arr):
    return float(arr) if arr.ndim == 0 and isinstance(value, numbers.Real) else value


def check_positive(name: str, value: Any):
    """:class:`InputError` unless ``value`` (a number or an array) is finite and > 0
    everywhere. Returns a number as a ``float``, anything else unchanged; traced JAX
    values pass unchecked."""
    arr = _number(name, value)
    if arr is None:
        return value
    import numpy as np

    if arr.size == 0 or not np.all(np.isfinite(arr) & (arr > 0)):
        raise InputError(f"{name} must be positive, got {_show(arr) if arr.size else 'nothing'}")
    return _result(value, arr)


def check_range(name: str, value: Any, low: float, high: float, *,
                closed: tuple[bool, bool] = (True, True)):
    """:class:`InputError` unless ``value`` (a number or an array) lies between ``low``
    and ``high`` everywhere (each end included when ``closed`` says so). Returns a
    number as a ``float``, anything else unchanged; traced JAX values pass unchecked."""
    arr = _number(name, value)
    if arr is None:
        return value
    import numpy as np

    lo_ok = arr >= low if closed[0] else arr > low
    hi_ok = arr <= high if closed[1] else arr < high
    if arr.size == 0 or not np.all(lo_ok & hi_ok):
        left, right = "[" if closed[0] else "(", "]" if closed[1] else ")"
        raise InputError(f"{name} must lie in {left}{low:g}, {high:g}{right}, "
                         f"got {_show(arr) if arr.size else 'nothing'}")
    return _result(value, arr)


def check_declared(values: Any, positive: tuple[str, ...] = (),
                   unit_interval: tuple[str, ...] = ()) -> None:
    """Checks the values in ``values`` (a mapping) that an optimizer or a problem
    declares ``positive`` (finite, > 0) or in ``unit_interval`` ([0, 1));
    other names and traced values pass."""
    for name in positive:
        if name in values:
            check_positive(name, values[name])
    for name in unit_interval:
        if name in values:
            check_range(name, values[name], 0.0, 1.0, closed=(True, False))
