"""Analysis of meta-loss landscapes.
"""

from metaloss._src.analysis import (
    BoundaryDimension,
    UncertaintyDimension,
    boundary_dimension,
    determined,
    estimator_maps,
    evaluate_points,
    gradient_sweep,
    slices,
    smoothed_gradient,
    smoothed_loss,
    stats,
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
