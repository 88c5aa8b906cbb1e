"""Analysis of meta-loss landscapes."""

from metaloss.analysis import stats
from metaloss.analysis.fractal import BoundaryDimension, boundary_dimension
from metaloss.analysis.gradients import gradient_sweep
from metaloss.analysis.points import evaluate_points
from metaloss.analysis.slices import slices

__all__ = [
    "BoundaryDimension",
    "boundary_dimension",
    "evaluate_points",
    "gradient_sweep",
    "slices",
    "stats",
]
