"""Analysis of meta-loss landscapes."""

from metaloss._src.analysis import stats
from metaloss._src.analysis.fractal import BoundaryDimension, boundary_dimension
from metaloss._src.analysis.gradients import gradient_sweep
from metaloss._src.analysis.maps import estimator_maps
from metaloss._src.analysis.points import evaluate_points
from metaloss._src.analysis.slices import slices
from metaloss._src.analysis.smoothed import smoothed_gradient, smoothed_loss
from metaloss._src.analysis.uncertainty import (
    UncertaintyDimension,
    determined,
    uncertainty_dimension,
    uncertainty_dimension_of,
)

__all__ = [
    "BoundaryDimension",
    "UncertaintyDimension",
    "boundary_dimension",
    "determined",
    "estimator_maps",
    "evaluate_points",
    "gradient_sweep",
    "slices",
    "smoothed_gradient",
    "smoothed_loss",
    "stats",
    "uncertainty_dimension",
    "uncertainty_dimension_of",
]
