"""Outer-gradient estimators, one module each, one interface."""

from metaloss.estimators.backprop import Backprop
from metaloss.estimators.base import Estimator, outer_fn
from metaloss.estimators.es import ES

__all__ = ["ES", "Backprop", "Estimator", "outer_fn"]
