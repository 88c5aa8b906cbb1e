"""The ``metaloss`` command line: click commands and parameter types, one module per
group of commands. ``main`` is the console script's entry point."""

from metaloss._src.cli.app import cli, main

__all__ = ["cli", "main"]
