"""Matplotlib figures, built with the object-oriented ``Figure`` API (no pyplot, no
backend switch). Plotting code takes arrays; it never calls into JAX."""

from metaloss._src.plot.atlas import liu_counts, liu_sweep, sd_frames
from metaloss._src.plot.chaos import boundary_box_counts, measure_panels
from metaloss._src.plot.estimators import final_losses, gradient_norms, trajectory_panels
from metaloss._src.plot.figures import (
    distributions,
    inner_loss,
    outer_curves,
    outer_training,
    slice_plot,
    sweep,
    training_curve,
)
from metaloss._src.plot.heatmaps import heatmap, trajectories
from metaloss._src.plot.maps import QUANTITIES as MAP_QUANTITIES
from metaloss._src.plot.maps import estimator_map
from metaloss._src.plot.pool import in_background, save
from metaloss._src.plot.style import figure
from metaloss._src.plot.zoom import animate, can_write_mp4, dimension_depth

__all__ = [
    "liu_counts",
    "liu_sweep",
    "sd_frames",
    "MAP_QUANTITIES",
    "estimator_map",
    "animate",
    "boundary_box_counts",
    "can_write_mp4",
    "dimension_depth",
    "distributions",
    "figure",
    "final_losses",
    "gradient_norms",
    "heatmap",
    "in_background",
    "inner_loss",
    "measure_panels",
    "outer_curves",
    "outer_training",
    "save",
    "slice_plot",
    "sweep",
    "training_curve",
    "trajectories",
    "trajectory_panels",
]
