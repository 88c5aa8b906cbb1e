"""Shared figure helpers: new figures, colours, masking, labels. Saving (inline or in
a worker process) is :mod:`metaloss._src.plot.pool`.

Figures are built with matplotlib's object-oriented API (``matplotlib.figure.Figure``),
never through pyplot: nothing here touches pyplot's global state or the user's
backend, so importing metaloss in a notebook changes nothing there. A Figure
built this way renders to files with the Agg canvas and shows inline in Jupyter.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

DIVERGED_COLOR = "#d62728"
NONFINITE_COLOR = "#bbbbbb"


def figure(width: float = 6.0, height: float = 4.0) -> Figure:
    """An empty figure with constrained layout (no pyplot involved)."""
    return Figure(figsize=(width, height), layout="constrained")


def new_figure(width: float = 6.0, height: float = 4.0):
    """``(figure, axes)`` for a one-panel figure."""
    fig = figure(width, height)
    return fig, fig.add_subplot()


def finite_masked(values) -> np.ma.MaskedArray:
    """Masks inf and NaN so they are left out of lines and drawn as 'bad' in images."""
    arr = np.asarray(values, dtype=float)
    return np.ma.masked_invalid(arr)


def describe(da) -> str:
    """What a landscape holds, for labels: its ``description`` attribute (set by the
    grid engine from the measure), else ``outer loss``."""
    return str(da.attrs.get("description") or "outer loss")
