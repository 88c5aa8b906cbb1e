"""Outer objectives: what number an inner run is judged by, as small strategy objects.

An objective reduces one inner run to the outer loss, and says what one window of
a truncated run contributes to it, so the full unroll (:class:`metaloss.MetaLoss`)
and the windowed estimators (truncated backprop, PES) share one definition.

Windows are scaled so that the outer loss is the *mean* of its windows' losses
over one inner run: a window's gradient is then on the scale of the full
gradient, whatever the window length.
"""

from metaloss._src.objectives import (
    NAMES,
    Final,
    Mean,
    Objective,
    ValFinal,
    ValMean,
    get,
)

__all__ = [
    "Final",
    "Mean",
    "NAMES",
    "Objective",
    "ValFinal",
    "ValMean",
    "get",
]
