"""The applications built on the library for the study metaloss starts from: its
settings, the estimator comparison, and the report of ``metaloss reproduce``.

Nothing in the library imports from here."""
