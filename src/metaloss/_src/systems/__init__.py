"""Systems: any unrolled computation (see :mod:`metaloss._src.systems.base`)."""

from metaloss._src.systems.base import Dynamics, System
from metaloss._src.systems.influence import InfluenceBalancing
from metaloss._src.systems.toy_regression import ToyRegression

__all__ = ["Dynamics", "InfluenceBalancing", "System", "ToyRegression"]
