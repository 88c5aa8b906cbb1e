"""The one grammar: every registered object's label parses back to an equal object, and
bad specs fail with one line."""

from __future__ import annotations

import dataclasses

import hypothesis.strategies as st
import optax
import pytest
from hypothesis import HealthCheck, assume, given, settings

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.spec import KINDS, REGISTRY, label, parse, parse_list
from metaloss.estimators import ES, PES, Backprop, Forward, TruncatedBackprop, get, get_list
from metaloss.schedules import Geometric


def registered_classes():
    for kind in KINDS:
        for entry in REGISTRY.entries(kind):
            if entry.cls is not None and REGISTRY.entry_of_class(entry.cls) is entry:
                yield kind, entry.cls


def value(field: dataclasses.Field):
    default = field.default
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(1, 64)
    if isinstance(default, float) or field.type in ("float", float):
        # fractions (val_fraction), values >= 1 (condition numbers) and wide ones (offsets)
        return st.one_of(st.floats(0.01, 0.99), st.floats(1.0, 1e4),
                         st.floats(-1e3, 1e3).filter(lambda v: v != 0))
    if isinstance(default, str):
        return st.sampled_from(["raw", "centered_ranks", "normalized", default])
    if isinstance(default, tuple) or "tuple" in str(field.type):
        return st.one_of(st.integers(1, 64), st.lists(st.integers(1, 64), min_size=1,
                                                     max_size=3).map(tuple))
    if default is None:
        return st.one_of(st.none(), st.integers(1, 256))
    if "Callable" in str(field.type):  # ES std: a number or a schedule
        return st.one_of(st.floats(1e-3, 10.0),
                         st.builds(Geometric, st.floats(1e-3, 1.0), st.floats(1e-3, 1.0),
                                   st.integers(1, 5000)))
    return st.integers(1, 64)


CLASSES = sorted(registered_classes(), key=lambda kc: (kc[0], kc[1].__name__))


@pytest.mark.parametrize("kind, cls", CLASSES, ids=lambda v: getattr(v, "__name__", v))
def test_every_label_parses_back_to_an_equal_object(kind, cls):
    fields = [f for f in dataclasses.fields(cls) if f.init]

    # Values a class refuses are skipped (assume): some fields have narrow ranges.
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(st.fixed_dictionaries({f.name: value(f) for f in fields}))
    def check(kwargs):
        try:
            obj = cls(**kwargs)
        except InputError:
            assume(False)
        text = label(obj)
        assert parse(kind, text) == obj, text
        assert label(parse(kind, text)) == text

    check()


def test_every_kind_has_registered_classes():
    assert {k for k, _ in CLASSES} == set(KINDS)


def test_labels_are_readable_and_old_spellings_still_parse():
    assert label(ES(std=0.05, pairs=16)) == "es(std=0.05, pairs=16)"
    assert label(TruncatedBackprop()) == "truncated(K=10)"
    assert label(Backprop()) == "backprop"
    assert label(ml.problems.Quadratic(dim=20)) == "quadratic(dim=20)"
    assert get("es:pairs=16:std=0.05") == ES(std=0.05, pairs=16)
    assert get("es:antithetic=false:fitness=centered_ranks") == ES(antithetic=False,
                                                                    fitness="centered_ranks")
    assert get("es(fitness=centered_ranks)") == ES(fitness="centered_ranks")
    spec = "backprop, forward, truncated(K=5), es(pairs=16, std=0.05), pes(K=20)"
    ests = get_list(spec)
    assert ests == [Backprop(), Forward(), TruncatedBackprop(K=5), ES(std=0.05, pairs=16),
                    PES(K=20)]
    assert get_list(", ".join(label(e) for e in ests)) == ests


def test_annealed_es_is_es_with_a_schedule():
    est = parse("estimator", "annealed_es(std_start=0.1, std_end=0.01, horizon=300, pairs=8)")
    assert est == ES(std=Geometric(0.1, 0.01, 300), pairs=8)
    assert parse("estimator", label(est)) == est
    assert float(est.std_at(0)) == pytest.approx(0.1)
    assert float(est.std_at(300)) == pytest.approx(0.01)
    assert float(est.std_at(10_000)) == pytest.approx(0.01)
    assert float(est.std_at(150)) == pytest.approx(0.1 * 0.1 ** 0.5)


def test_es_takes_an_optax_schedule():
    sched = optax.exponential_decay(0.1, 100, 0.5)
    est = ES(std=sched)
    assert float(est.std_at(100)) == pytest.approx(0.05)


@pytest.mark.parametrize("kind, spec, words", [
    ("estimator", "sgd", "unknown estimator 'sgd'; choose one of"),
    ("estimator", "es:pairs=1.5", "pairs must be an integer"),
    ("estimator", "es:bogus=1", "unknown option 'bogus'; es takes std, pairs"),
    ("estimator", "backprop:K=3", "backprop takes no options"),
    ("estimator", "es:fitness=top", "unknown ES fitness"),
    ("estimator", "pes:K=0", "K must be"),
    ("estimator", "es(1)", "by keyword"),
    ("estimator", "es(std=-1)", "std must be positive"),
    ("estimator", "es(std=geometric(start=0))", "start must be positive|missing"),
    ("problem", "quadratic(dim=[1][0])", "literals"),
    ("objective", "median", "unknown objective 'median'; choose one of mean, final"),
    ("measure", "entropy", "unknown measure"),
    ("optimizer", "", "non-empty"),
])
def test_bad_specs_say_why_in_one_line(kind, spec, words):
    with pytest.raises(InputError, match=words) as info:
        parse(kind, spec)
    assert "\n" not in str(info.value)


def test_lists_split_only_at_top_level_commas():
    assert len(parse_list("estimator", "es(std=0.1, pairs=2), backprop")) == 2
    with pytest.raises(InputError, match="repeat"):
        get_list("es, es")
    with pytest.raises(InputError, match="expected one estimator, got 2"):
        get("es:pairs=2,backprop")
    with pytest.raises(InputError, match="empty"):
        parse_list("estimator", "es,,backprop")


def test_objects_pass_through_and_strings_build_a_meta_loss():
    meta = ml.MetaLoss("quadratic(dim=3)", "sgdm", steps=5, objective="final")
    assert meta.problem == ml.problems.Quadratic(dim=3)
    assert isinstance(meta.objective, ml.objectives.Final)
    assert ml.MetaLoss.from_record(meta.describe()) == meta
