"""Outer-gradient estimators, one module each, one interface. Each registers its spec
name where it is defined (``backprop``, ``forward``, ``truncated(K=10)``,
``es(std=0.1, pairs=1)``, ``pes(...)``, ``nres(...)``, ``guided_es(...)``,
``hybrid(...)``); :func:`get` and :func:`get_list` build
them from specs (see :mod:`metaloss.spec`).
"""

from metaloss._src.estimators import (
    ES,
    FITNESS,
    NRES,
    PES,
    Backprop,
    Estimator,
    Forward,
    GuidedES,
    GuidedState,
    Hybrid,
    NRESState,
    PESState,
    TruncatedBackprop,
    annealed_es,
    get,
    get_list,
    names,
    outer_fn,
)

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
    "TruncatedBackprop",
    "annealed_es",
    "get",
    "get_list",
    "names",
    "outer_fn",
]
