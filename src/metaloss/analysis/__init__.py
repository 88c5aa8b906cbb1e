"""Analysis of meta-loss landscapes."""

from metaloss.analysis import stats
from metaloss.analysis.fractal import BoundaryDimension, boundary_dimension
from metaloss.analysis.gradients import gradient_sweep
from metaloss.analysis.maps import estimator_maps
from metaloss.analysis.points import evaluate_points
from metaloss.analysis.slices import slices
from metaloss.analysis.smoothed import smoothed_gradient, smoothed_loss

__all__ = [
    "BoundaryDimension",
    "boundary_dimension",
    "estimator_maps",
    "evaluate_points",
    "gradient_sweep",
    "slices",
    "smoothed_gradient",
    "smoothed_loss",
    "stats",
]
