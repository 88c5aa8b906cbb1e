"""One way to fail: :class:`InputError` for everything a user can get wrong.

Library code raises :class:`InputError` (a ``ValueError``) with a one-line message
for bad arguments, bad specs, bad paths and out-of-range values. The command
line turns it into ``error: <message>`` and exit code 2. Any other exception is a
bug in metaloss, and the command line shows it as one (traceback, exit code 1).

The ``check_*`` helpers are the one place where integer, positive and interval
arguments are validated; each returns the value it checked, converted.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


class InputError(ValueError):
    """A mistake in what the user asked for (an argument, a spec, a path).

    The message is one line that says what was wrong and, where it helps, what
    would be accepted.
    """


def one_line(text: Any) -> str:
    """``text`` with every run of whitespace (newlines included) folded to one space."""
    return " ".join(str(text).split())


def check_int(name: str, value: Any, minimum: int | None = 1, maximum: int | None = None) -> int:
    """``value`` as an ``int``; :class:`InputError` unless it is an integer in range.

    Booleans are refused (``True`` is an ``int`` in Python, never a count here);
    so are floats, even integral ones, to catch ``steps=1e3`` style mistakes.

    Args:
      name: how the message names the argument (``"steps"``, ``"--budget"``).
      value: the value to check.
      minimum, maximum: inclusive bounds, ``None`` for none.
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
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
    raise InputError(f"{name} must be {want}, got {value!r}")


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {value!r}")
    return float(value)


def check_positive(name: str, value: Any) -> float:
    """``value`` as a ``float``; :class:`InputError` unless it is finite and > 0."""
    v = _real(name, value)
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name} must be positive, got {value!r}")
    return v


def check_range(name: str, value: Any, low: float, high: float, *,
                closed: tuple[bool, bool] = (True, True)) -> float:
    """``value`` as a ``float``; :class:`InputError` unless it lies between ``low`` and
    ``high`` (each end included when ``closed`` says so)."""
    v = _real(name, value)
    lo_ok = v >= low if closed[0] else v > low
    hi_ok = v <= high if closed[1] else v < high
    if not (lo_ok and hi_ok):
        left, right = "[" if closed[0] else "(", "]" if closed[1] else ")"
        raise InputError(f"{name} must lie in {left}{low:g}, {high:g}{right}, got {value!r}")
    return v
