"""Outer-gradient estimators, one module each, one interface."""

from metaloss.estimators.annealed import AnnealedES
from metaloss.estimators.backprop import Backprop
from metaloss.estimators.base import Estimator, outer_fn
from metaloss.estimators.es import ES, FITNESS
from metaloss.estimators.forward import Forward
from metaloss.estimators.pes import PES, PESState
from metaloss.estimators.spec import label, parse_estimators
from metaloss.estimators.truncated import TruncatedBackprop

__all__ = [
    "AnnealedES",
    "ES",
    "FITNESS",
    "PES",
    "Backprop",
    "Estimator",
    "Forward",
    "PESState",
    "TruncatedBackprop",
    "label",
    "outer_fn",
    "parse_estimators",
]
