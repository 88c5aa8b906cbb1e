"""Estimators by name: labels and the ``name:option=value`` syntax of ``metaloss compare``.

``es:std=0.05:pairs=16`` is ``ES(std=0.05, pairs=16)``; :func:`label` writes the
same syntax back, so a table row names exactly the estimator that produced it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from metaloss.estimators.backprop import Backprop
from metaloss.estimators.base import Estimator
from metaloss.estimators.es import ES
from metaloss.estimators.forward import Forward
from metaloss.estimators.pes import PES
from metaloss.estimators.truncated import TruncatedBackprop

NAMES = {"backprop": Backprop, "forward": Forward, "truncated": TruncatedBackprop,
         "es": ES, "pes": PES}
"""Estimator names understood by :func:`parse_estimators`."""


def label(est: Estimator) -> str:
    """A short name that :func:`parse_estimators` reads back, e.g. ``es:std=0.1:pairs=16``.

    Estimators outside :data:`NAMES` get their class name and all their fields.
    """
    name = next((n for n, cls in NAMES.items() if type(est) is cls), None)
    parts = [type(est).__name__ if name is None else name]
    for f in dataclasses.fields(est):
        value = getattr(est, f.name)
        if name is None or f.name in ("std", "pairs", "K") or value != f.default:
            parts.append(f"{f.name}={value:g}" if isinstance(value, float) else
                         f"{f.name}={value}")
    return ":".join(parts)


def _convert(field: dataclasses.Field, text: str, spec: str) -> Any:
    kind = type(field.default)  # every estimator field has a default of its own type
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        return kind(text)
    except ValueError:
        want = {int: "an integer", float: "a number", bool: "true or false"}.get(kind, "text")
        raise ValueError(f"{spec!r}: {field.name} needs {want}, got {text!r}") from None


def parse_estimators(spec: str) -> list[Estimator]:
    """``"backprop,es:pairs=16:std=0.05,pes:K=10"`` -> estimators (``ValueError`` if bad).

    Comma-separated estimators, each a name from :data:`NAMES` followed by
    ``:option=value`` settings for its fields (std, pairs, K, antithetic, fitness).
    """
    out = []
    for item in (s.strip() for s in spec.split(",")):
        name, *opts = item.split(":")
        cls = NAMES.get(name.strip().lower())
        if cls is None:
            raise ValueError(f"unknown estimator {name!r}; choose from {', '.join(NAMES)}")
        fields = {f.name.lower(): f for f in dataclasses.fields(cls)}
        kwargs = {}
        for opt in opts:
            key, sep, text = opt.partition("=")
            f = fields.get(key.strip().lower())
            if not sep or f is None:
                have = ", ".join(f.name for f in fields.values()) or "no options"
                raise ValueError(f"{item!r}: bad option {opt!r}; {name} takes {have}")
            kwargs[f.name] = _convert(f, text.strip(), item)
        out.append(cls(**kwargs))
    if len({label(e) for e in out}) < len(out):
        raise ValueError(f"estimators repeat in {spec!r}")
    return out
