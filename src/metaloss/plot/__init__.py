"""Matplotlib figures. Plotting code takes arrays; it never calls into JAX."""

from metaloss.plot.figures import (
    distributions,
    heatmap,
    inner_loss,
    outer_curves,
    slice_plot,
    sweep,
    training_curve,
    trajectories,
)
from metaloss.plot.style import save

__all__ = [
    "distributions",
    "heatmap",
    "inner_loss",
    "outer_curves",
    "save",
    "slice_plot",
    "sweep",
    "training_curve",
    "trajectories",
]
