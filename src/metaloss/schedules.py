"""Schedules: a value as a function of the outer step, written as specs.

Any optax schedule (a function ``step -> value``) works wherever metaloss takes a
schedule, e.g. ``ES(std=optax.exponential_decay(0.1, 1000, 0.1))``. The schedules
here are small frozen dataclasses with the same calling convention, so that they
also have a label that parses back (``es(std=geometric(start=0.1, end=0.01,
steps=3000))``) and can key compiled functions.
"""

from metaloss._src.schedules import (
    Geometric,
)

__all__ = [
    "Geometric",
]
