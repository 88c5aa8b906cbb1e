"""The explorer's starting view when none is given: the study's for lr x momentum, a
system's declared hyperparameters around their defaults, and a one-line error otherwise.
Each default view is computed through the explorer's session (no browser)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.explore.requests import (
    STUDY_VIEW,
    default_view,
    parse_gradient,
    parse_landscape,
    parse_run,
)
from metaloss._src.grid.axes import parse_axis
from metaloss._src.systems.base import System
from metaloss.explore import Explorer


@dataclasses.dataclass(frozen=True)
class Decay(System):
    """s <- s - rate * s: a system whose one hyperparameter must be positive."""

    rate: float = 0.1
    hparam_fields: ClassVar[tuple[str, ...]] = ("rate",)
    positive: ClassVar[tuple[str, ...]] = ("rate",)

    def init(self, key=None):
        return jnp.ones((), jnp.result_type(float))

    def step(self, state, hparams, t, key):
        new = state - hparams["rate"] * state
        return new, new ** 2


def view_of(meta, specs):
    ex = Explorer(meta, jax.random.key(0), specs)
    ex.check_start()
    return ex, ex.landscape(parse_landscape([("axis", s) for s in specs]))


def test_influence_balancing_theta_from_minus_one_to_one():
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=50)
    specs = default_view(meta)
    assert specs == ("theta=lin:-1:1:256",)
    ex, view = view_of(meta, specs)
    values = np.asarray(view.values)
    assert view.dims == ("theta",) and values.shape == (256,)
    assert np.isfinite(values).all() and not np.asarray(view.diverged).any()
    theta = view.coords["theta"]
    assert theta[0] == pytest.approx(-1) and theta[-1] == pytest.approx(1)
    # the view holds both the paper's start (0.5) and a lower loss towards theta* = -1/6
    best = theta[np.argmin(values)]
    assert -1 < best < 0.5 and values.min() < values[np.argmin(abs(theta - 0.5))]
    run = ex.run(parse_run([("theta", "0.5")]))
    assert run["outer_loss"] is not None and len(run["losses"]) == 50
    grad = ex.gradient(parse_gradient([("theta", "0.5"), ("param", "theta=lin")]))
    assert np.isfinite(grad["gradient"]["theta"])


def test_toy_regression_two_axes_around_the_papers_start():
    meta = ml.MetaLoss(ml.systems.ToyRegression(), steps=20)
    specs = default_view(meta)
    assert specs == ("theta0=lin:-8:8:256", "theta1=lin:-8:8:256")
    small = tuple(s.rpartition(":")[0] + ":16" for s in specs)  # the same box, fewer points
    _, view = view_of(meta, small)
    values = np.asarray(view.values)
    assert values.shape == (16, 16) and np.isfinite(values).all()
    assert values.std() > 0  # not one flat value over the box


def test_a_positive_hyperparameter_gets_a_log_axis():
    meta = ml.MetaLoss(Decay(), steps=10)
    specs = default_view(meta)
    assert specs == ("rate=log:0.001:10:256",)
    name, values = parse_axis(specs[0])
    assert name == "rate" and values.min() > 0
    _, view = view_of(meta, specs)
    assert np.isfinite(np.asarray(view.values)[~np.asarray(view.diverged)]).all()


def test_the_study_view_and_a_fixed_hyperparameter():
    assert default_view(ml.MetaLoss("wavy1d", "sgdm", steps=5)) == STUDY_VIEW
    meta = ml.MetaLoss(ml.systems.ToyRegression(), steps=5, fixed={"theta0": 1.0})
    assert default_view(meta) == ("theta1=lin:-8:8:256",)


def test_no_default_is_one_line():
    with pytest.raises(InputError, match=r"no default starting view .*hyperparameters: lr, "):
        default_view(ml.MetaLoss("quadratic", "adam", steps=5))
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=5, fixed={"theta": 0.1})
    with pytest.raises(InputError, match="none free") as e:
        default_view(meta)
    assert "\n" not in str(e.value)
