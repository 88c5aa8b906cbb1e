"""Lanes: functions in threads of their own, with the caller's JAX settings."""

import jax
import jax.numpy as jnp
import pytest

from metaloss._src.workflows.lanes import Lanes


def test_a_lane_computes_with_the_callers_x64_setting():
    dtype = lambda: jnp.asarray(1.0).dtype
    with Lanes(2) as lanes:
        default = lanes.start(dtype)
        with jax.enable_x64(True):
            wide = lanes.start(dtype)
    assert default.result() == jnp.float32
    assert wide.result() == jnp.float64


def test_a_lanes_error_reaches_the_caller():
    def fail():
        raise ValueError("inside a lane")

    with Lanes(1) as lanes:
        job = lanes.start(fail)
    with pytest.raises(ValueError, match="inside a lane"):
        job.result()
