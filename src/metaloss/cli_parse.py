"""Parsing of command-line specs: grid axes, fixed values, outer parametrizations."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import numpy as np

from metaloss.estimators.spec import NAMES, parse_estimators
from metaloss.space import Linear, Log10, OneMinusLog10, Param, linspace, logspace

AXIS_KINDS = ("log", "lin", "1mlog")
PARAM_KINDS: Mapping[str, type[Param]] = {"log": Log10, "lin": Linear, "1mlog": OneMinusLog10}


def _split(spec: str, what: str) -> tuple[str, str]:
    name, sep, rest = spec.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise ValueError(f"bad {what} {spec!r}: expected NAME=VALUE")
    return name.strip(), rest.strip()


def _float(text: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"bad number {text!r} in {spec!r}") from None


def parse_axis(spec: str) -> tuple[str, np.ndarray]:
    """``name=KIND:A:B:N`` -> (name, values).

    KIND ``log``: N values log-spaced from A to B (both > 0); ``lin``: evenly spaced;
    ``1mlog``: values ``1 - v`` with v log-spaced from A to B (both > 0), for momenta
    (``momentum=1mlog:1e-3:1:2000`` is the study's momentum axis).
    """
    name, rest = _split(spec, "axis")
    parts = rest.split(":")
    if len(parts) != 4 or parts[0] not in AXIS_KINDS:
        raise ValueError(f"bad axis {spec!r}: expected NAME=KIND:START:STOP:N with KIND one of "
                         f"{', '.join(AXIS_KINDS)}")
    kind = parts[0]
    a, b = _float(parts[1], spec), _float(parts[2], spec)
    try:
        n = int(parts[3])
    except ValueError:
        raise ValueError(f"bad grid size {parts[3]!r} in {spec!r}: need an integer >= 1") from None
    if kind == "lin":
        return name, linspace(a, b, n)
    if not (a > 0 and b > 0):
        raise ValueError(f"bad axis {spec!r}: a log axis needs positive values, got {a:g}, {b:g}")
    values = logspace(np.log10(a), np.log10(b), n)
    return name, (1.0 - values if kind == "1mlog" else values)


def parse_sets(specs: Iterable[str]) -> dict[str, float]:
    """``name=value`` items -> {name: value}."""
    out = {}
    for spec in specs:
        name, value = _split(spec, "value")
        out[name] = _float(value, spec)
    return out


def parse_params(specs: Iterable[str], names: Iterable[str]) -> dict[str, Param]:
    """``name=KIND`` items (KIND log, lin, 1mlog) -> the outer parameters and their
    parametrizations.

    With no items, every name in ``names`` (the hyperparameters not held fixed) is an
    outer parameter with its default parametrization: ``log`` for ``lr``/``eps``,
    ``1mlog`` for momenta and decay rates (``momentum``, ``b1``, ``b2``, ``decay``) and
    ``lin`` otherwise. With items, exactly the names they give, each among ``names``.
    """
    given = {}
    for spec in specs:
        name, kind = _split(spec, "parametrization")
        if kind not in PARAM_KINDS:
            raise ValueError(f"bad parametrization {spec!r}: KIND must be one of "
                             f"{', '.join(PARAM_KINDS)}")
        given[name] = PARAM_KINDS[kind]()
    names = list(names)
    unknown = [n for n in given if n not in names]
    if unknown:
        raise ValueError(f"--param names unknown outer parameter {unknown[0]!r}; "
                         f"outer parameters are {', '.join(names)}")
    return dict(given) if given else {n: default_param(n) for n in names}


def default_param(name: str) -> Param:
    if name in ("lr", "eps"):
        return Log10()
    if name in ("momentum", "b1", "b2", "decay"):
        return OneMinusLog10()
    return Linear()


def build_estimator(name: str, *, std: float, pairs: int, truncation: int):
    """An estimator from its command-line name, or from ``compare``'s ``name:opt=value`` syntax.

    The flags fill the fields the estimator has: ``std`` and ``pairs`` (ES, PES) and
    ``K`` = ``truncation`` (truncated backprop, PES); options in the spec win.
    """
    if ":" in name:
        (est,) = parse_estimators(name)
        return est
    cls = NAMES.get(name.lower())
    if cls is None:
        raise ValueError(f"unknown estimator {name!r}; choose one of {', '.join(NAMES)}")
    flags = {"std": std, "pairs": pairs, "K": truncation}
    fields = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in flags.items() if k in fields})
