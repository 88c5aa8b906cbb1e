"""Precision beyond float64: double-double arithmetic (:mod:`.dd`)."""
