"""Workflows: library functions that run a whole piece of work (a landscape with its
statistics, a zoom, a comparison) on the core and return result objects (the atlas,
built on the study, is :mod:`metaloss._src.study.atlas`). They sit above the grid engine and
the analysis, and below the applications (report, command line, explorer)."""
