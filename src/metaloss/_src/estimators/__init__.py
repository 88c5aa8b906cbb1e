"""Outer-gradient estimators, one module each, one interface. Each registers its spec
name where it is defined (``backprop``, ``forward``, ``truncated(K=10)``,
``es(std=0.1, pairs=1)``, ``pes(...)``, ``nres(...)``, ``guided_es(...)``,
``hybrid(...)``, ``truncated_es(...)``, ``rtrl(K=1)``, ``uoro(K=1)``); :func:`get` and
:func:`get_list` build them from specs (see :mod:`metaloss._src.spec`)."""

from __future__ import annotations

from metaloss._src.errors import InputError
from metaloss._src.estimators.backprop import Backprop
from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.estimators.es import ES, FITNESS, annealed_es
from metaloss._src.estimators.forward import Forward
from metaloss._src.estimators.guided import GuidedES, GuidedState
from metaloss._src.estimators.hybrid import Hybrid
from metaloss._src.estimators.nres import NRES, NRESState
from metaloss._src.estimators.pes import PES, PESState
from metaloss._src.estimators.rtrl import RTRL, RTRLState
from metaloss._src.estimators.truncated import (
    TruncatedBackprop,
    restart_finished,
    run_window,
    windows_per_run,
)
from metaloss._src.estimators.truncated_es import TruncatedES
from metaloss._src.estimators.uoro import UORO, UOROState
from metaloss._src.spec import REGISTRY, parse_list, parse_one
from metaloss._src.unroll import tree_where


def get(spec: str | Estimator) -> Estimator:
    """The estimator one spec names, e.g. ``"es(std=0.05, pairs=16)"``."""
    return spec if isinstance(spec, Estimator) else parse_one("estimator", spec)


def get_list(spec: str) -> list[Estimator]:
    """Comma-separated estimator specs, e.g. ``"backprop, es(pairs=16), pes(K=20)"``;
    the same estimator twice is refused."""
    out = parse_list("estimator", spec)
    labels = [e.name for e in out]
    if len(set(labels)) < len(labels):
        raise InputError(f"estimators repeat in {spec!r}")
    return out


def names() -> tuple[str, ...]:
    """The registered estimator names."""
    return REGISTRY.names("estimator")


__all__ = [
    "ES",
    "FITNESS",
    "NRES",
    "PES",
    "Backprop",
    "Estimator",
    "Forward",
    "GuidedES",
    "GuidedState",
    "Hybrid",
    "NRESState",
    "PESState",
    "RTRL",
    "RTRLState",
    "TruncatedBackprop",
    "TruncatedES",
    "UORO",
    "UOROState",
    "annealed_es",
    "get",
    "get_list",
    "names",
    "outer_fn",
    "restart_finished",
    "run_window",
    "tree_where",
    "windows_per_run",
]
