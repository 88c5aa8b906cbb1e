"""Inner optimizers whose hyperparameters are explicit pytree leaves."""

from metaloss.optimizers.base import InnerOptimizer
from metaloss.optimizers.sgd import SGD, SGDM

__all__ = ["InnerOptimizer", "SGD", "SGDM"]
