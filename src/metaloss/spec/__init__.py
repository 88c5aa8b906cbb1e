"""One grammar and one registry for every named object: problems, optimizers,
objectives, estimators, schedules and grid measures.

A spec is one of:

- ``name``: a registered name, e.g. ``wavy1d``, ``sgdm``, ``backprop``;
- ``name(key=value, ...)``: the same with keyword arguments; values are Python
  literals (numbers, strings, tuples, ``None``, ``True``/``False``; ``true``,
  ``false`` and bare words such as ``centered_ranks`` are accepted too) or
  nested specs of registered objects, e.g.
  ``es(std=geometric(start=0.1, end=0.01, steps=3000), pairs=8)``;
- ``module:attribute`` or ``path/file.py:attribute``: a user's own object (an
  instance, a class, or a function of no arguments returning one).

The older ``name:key=value:key=value`` spelling (``es:pairs=16:std=0.05``) is
read as ``name(key=value, ...)``. :func:`label` writes the canonical form, which
:func:`parse` reads back to an equal object.

Each class registers itself where it is defined, with :func:`register`; the
registry imports a kind's package the first time that kind is parsed.
"""

from metaloss._src.spec import (
    REGISTRY,
    label,
    parse,
    parse_list,
    parse_one,
    register,
)

__all__ = [
    "REGISTRY",
    "label",
    "parse",
    "parse_list",
    "parse_one",
    "register",
]
