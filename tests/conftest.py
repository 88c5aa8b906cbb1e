"""Shared fixtures."""

import jax
import pytest


@pytest.fixture
def x64():
    """Float64 for the duration of one test (JAX's x64 mode is process-global)."""
    with jax.enable_x64(True):
        yield
