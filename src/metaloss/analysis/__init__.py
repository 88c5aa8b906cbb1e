"""Analysis of meta-loss landscapes."""

from metaloss.analysis.slices import slices

__all__ = ["slices"]
