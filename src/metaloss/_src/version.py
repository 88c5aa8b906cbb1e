"""The installed package's version, read from its metadata (``pyproject.toml`` is the
one place it is written)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("metaloss")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
