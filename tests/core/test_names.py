"""One ``.name`` for every named object: the spec that parses back to an equal object
(DESIGN.md: "every object prints a label that parses back to an equal object")."""

import optax
import pytest

import metaloss as ml
from metaloss._src.spec import REGISTRY, label, parse

NAMED = ("problem", "optimizer", "objective", "estimator", "measure")
"""The kinds whose objects carry ``.name`` (systems are problems)."""

BUILT_INS = [(kind, e.name) for kind in NAMED for e in REGISTRY.entries(kind)]


def test_the_walk_covers_every_kind_and_the_systems():
    kinds = {kind for kind, _ in BUILT_INS}
    assert kinds == set(NAMED)
    assert {"influence_balancing", "toy_regression", "wavy1d", "sgdm", "pes", "lyapunov",
            "mean"} <= {name for _, name in BUILT_INS}


@pytest.mark.parametrize("kind, registered", BUILT_INS)
def test_every_built_in_is_named_by_its_spec(kind, registered):
    obj = parse(kind, registered)
    assert isinstance(obj.name, str) and obj.name == label(obj)
    back = parse(kind, obj.name)
    assert type(back) is type(obj) and back == obj
    # the name is the canonical registered name, lower case, with options in parentheses
    head = obj.name.split("(")[0]
    assert head == REGISTRY.entry_of(obj).name and head == head.lower()


@pytest.mark.parametrize("kind, obj", [
    ("problem", ml.problems.Quadratic(dim=3)),
    ("problem", ml.systems.InfluenceBalancing(theta=0.3)),
    ("estimator", ml.estimators.ES(std=0.05, pairs=8)),
    ("estimator", ml.estimators.PES(std=0.2, pairs=4, K=5)),
    ("objective", ml.MetaLoss("wavy1d", "sgdm", steps=8, objective="window_end(K=4)").objective),
])
def test_options_are_part_of_the_name(kind, obj):
    assert "(" in obj.name and parse(kind, obj.name) == obj


def test_a_users_subclass_is_named_by_its_class():
    """No registered name spells a user's class; its name must not recurse into label."""

    class MyBackprop(ml.estimators.Backprop):
        pass

    class MyWavy(ml.problems.Wavy1D):
        pass

    class MySGDM(ml.optimizers.SGDM):
        pass

    assert [c().name for c in (MyBackprop, MyWavy, MySGDM)] == ["MyBackprop", "MyWavy",
                                                                 "MySGDM"]
    assert label(MyBackprop()) == "MyBackprop"


def test_wrappers_are_named_by_what_they_wrap():
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    opt = ml.optimizers.FromOptax(tx, label="plain_sgd")
    assert opt.name == "plain_sgd" and label(opt) == "plain_sgd"
    custom = ml.problems.FromFunction(lambda p: (p**2).sum(), init=0.0, name="bowl")
    assert custom.name == "bowl" == label(custom)
