"""Shared fixtures."""

import jax
import pytest
from jax import monitoring


@pytest.fixture
def x64():
    """Float64 for the duration of one test (JAX's x64 mode is process-global)."""
    with jax.enable_x64(True):
        yield


class CompileCounter:
    """Counts XLA backend compilations while active (a JAX monitoring listener)."""

    def __init__(self):
        self.count, self.active = 0, False
        monitoring.register_event_duration_secs_listener(self)

    def __call__(self, event, duration, **kwargs):
        if self.active and event == "/jax/core/compile/backend_compile_duration":
            self.count += 1

    def during(self, fn) -> int:
        """Backend compilations while ``fn()`` runs."""
        self.count, self.active = 0, True
        try:
            fn()
        finally:
            self.active = False
        return self.count


@pytest.fixture(scope="module")
def compiles():
    counter = CompileCounter()
    yield counter
    monitoring.unregister_event_duration_listener(counter)
