"""The explorer's state without HTTP: the newest view of a client wins, starting from a
store, the request parsers' limits."""

from __future__ import annotations

import threading
import time

import jax
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.explore.requests import parse_landscape
from metaloss._src.explore.stored import axis_spec, from_store
from metaloss._src.grid.axes import parse_axis
from metaloss.explore import Explorer, Superseded

START = ("lr=log:1e-3:1e2:16", "momentum=1mlog:1e-3:1:16")


@pytest.fixture(scope="module")
def meta():
    return ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=20)


def request(lo: float, client: str | None = "page"):
    query = [("axis", f"lr=log:{lo}:1e2:16"), ("axis", "momentum=1mlog:1e-3:1:16")]
    return parse_landscape(query + ([("client", client)] if client else []))


def wait_for(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_a_newer_view_of_the_same_client_drops_a_waiting_one(meta):
    ex = Explorer(meta, jax.random.key(0), START)
    results: dict[str, object] = {}

    def ask(name, req):
        try:
            results[name] = ex.landscape(req)
        except Superseded as e:
            results[name] = e

    ex._compute.acquire()  # a view is computing: the next ones wait
    try:
        first = threading.Thread(target=ask, args=("first", request(1e-3)))
        first.start()
        wait_for(lambda: "page" in ex._latest)
        ticket = ex._latest["page"]
        other = threading.Thread(target=ask, args=("other", request(1e-3, client="script")))
        other.start()
        wait_for(lambda: "script" in ex._latest)
        second = threading.Thread(target=ask, args=("second", request(1e-2)))
        second.start()
        wait_for(lambda: ex._latest["page"] != ticket)
    finally:
        ex._compute.release()
    for t in (first, other, second):
        t.join(120)
    assert isinstance(results["first"], Superseded)
    assert results["second"].coords["lr"][0] == pytest.approx(1e-2)
    assert results["other"].values.shape == (16, 16)  # another client is not affected
    # requests without a client are never superseded
    assert ex.landscape(request(1e-3, client=None)).values.shape == (16, 16)


def test_parse_landscape_refuses_fixed_axes():
    with pytest.raises(InputError, match="held fixed"):
        parse_landscape([("axis", "momentum=lin:0:0.9:4")], fixed=("momentum",))
    with pytest.raises(InputError, match="more than the limit of 100"):
        parse_landscape([("axis", "lr=log:1e-3:1:11"), ("axis", "momentum=lin:0:0.9:10")],
                        max_points=100)


@pytest.mark.parametrize("spec", ["lr=log:0.001:100:", "momentum=1mlog:0.001:1:",
                                  "momentum=lin:0:0.9:", "lr=lin:0.3:0.001:"])
def test_axis_spec_reproduces_axes(spec):
    _, values = parse_axis(spec + "37")
    name = spec.partition("=")[0]
    assert axis_spec(name, values, 37) == spec + "37"
    assert axis_spec(name, values, 5) == spec + "5"


def test_from_store(tmp_path, meta):
    fixed = meta.with_fixed({"momentum": 0.9})
    path = tmp_path / "s.zarr"
    axes = {"lr": ml.logspace(-3, 2, 300)}
    key = jax.random.key(7)
    stored = ml.landscape(fixed, axes, key=key, store=path, progress=False).load()
    got, got_key, specs, measure = from_store(path)
    assert got == fixed and measure == "loss"
    assert specs == ("lr=log:0.001:100:256",)
    np.testing.assert_array_equal(jax.random.key_data(got_key), jax.random.key_data(key))
    ex = Explorer(got, got_key, specs)
    view = ex.landscape(parse_landscape([("axis", "lr=log:0.001:100:300")],
                                        fixed=ex.fixed))
    np.testing.assert_array_equal(view.values, stored.values)


def test_from_store_refuses_a_missing_store(tmp_path):
    with pytest.raises(InputError, match="no landscape store"):
        from_store(tmp_path / "none.zarr")


def test_warm_compiles_the_starting_view(meta, compiles):
    ex = Explorer(meta, jax.random.key(0), ("lr=log:1e-3:1e2:72", "momentum=1mlog:1e-3:1:72"))
    ex.warm(preview=24)
    for n in (24, 72):
        query = [("axis", f"lr=log:1e-2:1e2:{n}"), ("axis", f"momentum=1mlog:1e-2:1:{n}")]
        assert compiles.during(lambda q=query: ex.landscape(parse_landscape(q))) == 0
    other = [("axis", "lr=log:1e-2:1e2:100"), ("axis", "momentum=1mlog:1e-2:1:100")]
    assert compiles.during(lambda: ex.landscape(parse_landscape(other))) > 0  # not warmed


def test_determined_flags_against_the_next_precision():
    import jax
    import numpy as np

    import metaloss as ml
    from metaloss._src.errors import InputError
    from metaloss._src.explore.encode import from_f32, to_f32
    from metaloss._src.explore.requests import parse_landscape
    from metaloss._src.explore.session import Explorer

    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=30)
    ex = Explorer(meta, jax.random.key(0), ("lr=log:1e-1:1e1:16", "momentum=1mlog:1e-3:1:16"))
    q = [("axis", "lr=log:1e-1:1e1:16"), ("axis", "momentum=1mlog:1e-3:1:16")]
    view = ex.landscape(parse_landscape([*q, ("determined", "1")]))
    axes = {"lr": ml.logspace(-1, 1, 16), "momentum": 1 - ml.logspace(-3, 0, 16)}
    other = ml.landscape(meta, axes, key=jax.random.key(0), precision="float64",
                         progress=False)
    expected = np.asarray(view.diverged) == np.asarray(other["diverged"])
    assert view.determined_against == "float64" and view.precision == "float32"
    np.testing.assert_array_equal(view.determined, expected)
    head, _, _ = from_f32(to_f32(view))
    np.testing.assert_array_equal(head["determined"], expected)
    assert head["determined_share"] == pytest.approx(expected.mean())
    with pytest.raises(InputError, match="at most"):
        parse_landscape([("axis", "lr=log:1e-1:1e1:300"), ("axis", "momentum=1mlog:1e-3:1:300"),
                         ("determined", "1")])


def test_explorer_on_a_system_without_optimizer():
    import jax

    import metaloss as ml
    from metaloss._src.explore.requests import parse_gradient, parse_landscape, parse_run
    from metaloss._src.explore.session import Explorer

    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=40)
    ex = Explorer(meta, jax.random.key(0), ("theta=lin:-1:1:9",))
    ex.check_start()
    view = ex.landscape(parse_landscape([("axis", "theta=lin:-1:1:9"), ("measure", "lyapunov")]))
    assert view.values.shape == (9,) and (view.values < 0).all()  # a contracting linear map
    run = ex.run(parse_run([("theta", "0.5")]))
    assert run["outer_loss"] > 0 and len(run["losses"]) == 40
    g = ex.gradient(parse_gradient([("theta", "0.5"), ("param", "theta=lin"),
                                    ("estimator", "truncated(K=1)")]))
    assert g["gradient"]["theta"] is not None
