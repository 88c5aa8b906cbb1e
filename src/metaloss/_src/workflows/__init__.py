"""Workflows: library functions that run a whole piece of work (a zoom, a comparison,
the atlas) on the core and return result objects. They sit above the grid engine and
the analysis, and below the applications (report, command line, explorer)."""
