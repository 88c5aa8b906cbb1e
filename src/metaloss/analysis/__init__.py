"""Analysis of meta-loss landscapes.
"""

from metaloss._src.analysis import (
    BoundaryDimension,
    boundary_dimension,
    estimator_maps,
    evaluate_points,
    gradient_sweep,
    slices,
    smoothed_gradient,
    smoothed_loss,
    stats,
)

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
