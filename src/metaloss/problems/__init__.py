"""Inner problems."""

from metaloss.problems.base import Problem
from metaloss.problems.wavy import Wavy1D, wavy_loss

__all__ = ["Problem", "Wavy1D", "wavy_loss"]
