"""The explorer's HTTP API against a live server on a free localhost port (in a thread):
values equal the library's, bad input is a one-line 400, the limits hold, bugs are 500s."""

from __future__ import annotations

import io
import json
import logging
import struct
import urllib.error
import urllib.parse
import urllib.request

import jax
import numpy as np
import pytest
import xarray as xr

import metaloss as ml
from metaloss._src.estimators.base import outer_fn
from metaloss._src.explore.encode import from_f32
from metaloss._src.explore.server import background, is_loopback
from metaloss.explore import Explorer

MAX_POINTS = 64 * 64
START = ("lr=log:1e-3:1e2:32", "momentum=1mlog:1e-3:1:32")
AXES = [("axis", "lr=log:1e-3:1e2:48"), ("axis", "momentum=1mlog:1e-3:1:40")]


@pytest.fixture(scope="module")
def meta():
    return ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50)


@pytest.fixture(scope="module")
def explorer(meta):
    return Explorer(meta, jax.random.key(0), START, max_points=MAX_POINTS)


@pytest.fixture(scope="module")
def server(explorer):
    with background(explorer) as url:
        yield url


def get(url: str, path: str, query=()) -> tuple[int, bytes, str]:
    full = url.rstrip("/") + path + ("?" + urllib.parse.urlencode(list(query)) if query else "")
    try:
        with urllib.request.urlopen(full, timeout=120) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def reference(meta, lr_n=48, mom_n=40):
    return ml.landscape(meta, {"lr": ml.logspace(-3, 2, lr_n),
                               "momentum": 1 - ml.logspace(-3, 0, mom_n)},
                        key=jax.random.key(0), progress=False)


def test_landscape_json_equals_the_library(server, meta):
    status, body, ctype = get(server, "/api/landscape", AXES)
    assert status == 200 and ctype.startswith("application/json")
    doc = json.loads(body)
    da = reference(meta)
    assert doc["dims"] == ["lr", "momentum"] and doc["measure"] == "loss"
    np.testing.assert_array_equal(doc["coords"]["lr"], da["lr"].values)
    np.testing.assert_array_equal(doc["coords"]["momentum"], da["momentum"].values)
    values = np.array([[np.nan if v is None else v for v in row] for row in doc["values"]])
    assert values.shape == (48, 40)
    np.testing.assert_array_equal(values.astype(da.dtype), da.values)
    np.testing.assert_array_equal(np.array(doc["diverged"]), da["diverged"].values)
    assert doc["seconds"] > 0


def test_non_finite_values_are_null(server):
    # with the divergence cap off, a quadratic blows up to inf / NaN at large rates
    meta = ml.MetaLoss("quadratic", "sgdm", steps=50, divergence=None)
    with background(Explorer(meta, jax.random.key(0), START)) as url:
        status, body, _ = get(url, "/api/landscape", [("axis", "lr=log:1:1e3:4"),
                                                       ("axis", "momentum=lin:0:0.9:2")])
    assert status == 200
    doc = json.loads(body)
    flat = [v for row in doc["values"] for v in row]
    assert None in flat and b"NaN" not in body and b"Infinity" not in body


def test_f32_frame(server, meta):
    status, body, ctype = get(server, "/api/landscape", [*AXES, ("format", "f32")])
    assert status == 200 and ctype == "application/octet-stream"
    (n,) = struct.unpack_from("<I", body)
    assert (4 + n) % 8 == 0
    assert len(body) == 4 + n + 48 * 40 * 5
    head, values, diverged = from_f32(body)
    da = reference(meta)
    assert head["shape"] == [48, 40] and head["values"] == "<f4"
    np.testing.assert_array_equal(values, da.values)
    np.testing.assert_array_equal(diverged, da["diverged"].values)
    # the boundary's dimension by the atlas's estimators, named as there
    mask = da["diverged"].values
    if mask.any() and not mask.all():
        for method in ("box", "sohl-dickstein"):
            want = ml.analysis.boundary_dimension(mask, method=method, resamples=200)
            assert head["boundary"][method]["dimension"] == pytest.approx(want.dimension,
                                                                          abs=1e-4)
    else:
        assert head["boundary"] == {}


def test_boundary_lists_the_estimators_that_apply():
    from metaloss._src.explore.encode import boundary

    line = np.arange(1025) > 400
    line[600:700:3] = True
    assert set(boundary(line)) == {"box", "crossings"}
    assert set(boundary(np.arange(1000) > 400)) == {"box"}  # not 2**N + 1 points
    i, j = np.mgrid[:64, :64]
    assert set(boundary((i - 30) ** 2 + (j - 31) ** 2 < 400)) == {"box", "sohl-dickstein"}
    assert boundary(np.zeros((64, 64), bool)) == {}


def test_diverged_measure_is_the_flag(server, meta):
    status, body, _ = get(server, "/api/landscape", [*AXES, ("measure", "diverged")])
    doc = json.loads(body)
    da = reference(meta)
    assert status == 200 and doc["measure"] == "diverged"
    np.testing.assert_array_equal(np.array(doc["values"]), da["diverged"].values.astype(float))


def test_netcdf_download_equals_the_library(server, meta):
    status, body, ctype = get(server, "/api/landscape.nc", AXES)
    assert status == 200 and ctype == "application/x-netcdf"
    got = xr.load_dataarray(io.BytesIO(body), engine="h5netcdf")
    da = reference(meta)
    xr.testing.assert_equal(got.drop_attrs(), da.drop_attrs())
    assert json.loads(got.attrs["config"]) == meta.describe()


def test_run_equals_metaloss(server, meta):
    status, body, _ = get(server, "/api/run", [("lr", "0.1"), ("momentum", "0.9")])
    assert status == 200
    doc = json.loads(body)
    res = meta.evaluate({"lr": 0.1, "momentum": 0.9}, trajectory=True)
    np.testing.assert_allclose(doc["losses"], res.losses, rtol=1e-6)
    assert doc["outer_loss"] == pytest.approx(float(res.loss), rel=1e-6)
    assert doc["diverged"] is bool(res.diverged)
    np.testing.assert_allclose(np.array(doc["trajectory"])[:, 0], res.trajectory, rtol=1e-5,
                               atol=1e-6)
    assert len(doc["trajectory"]) == meta.steps + 1


def test_run_of_a_large_problem_has_no_trajectory():
    meta = ml.MetaLoss("quadratic(dim=5)", "sgdm", steps=10)
    explorer = Explorer(meta, jax.random.key(0), START)
    with background(explorer) as url:
        status, body, _ = get(url, "/api/run", [("lr", "0.1")])
    assert status == 200 and json.loads(body)["trajectory"] is None


def test_gradient_backprop_equals_jax_grad(server, meta):
    status, body, _ = get(server, "/api/gradient", [("lr", "-2"), ("momentum", "-0.5")])
    assert status == 200
    doc = json.loads(body)
    space = meta.default_space(["lr", "momentum"])
    f = outer_fn(meta, space)
    coords = {"lr": -2.0, "momentum": -0.5}
    want = jax.grad(f)(coords, jax.random.key(0))
    assert doc["estimator"] == "backprop" and doc["params"] == {"lr": "log", "momentum": "1mlog"}
    for name in coords:
        assert doc["gradient"][name] == pytest.approx(float(want[name]), rel=1e-4)
    assert doc["loss"] == pytest.approx(float(f(coords, jax.random.key(0))), rel=1e-6)


def test_gradient_parametrization_and_es(server):
    lin = [("lr", "0.01"), ("param", "lr=lin"), ("momentum", "-0.5")]
    doc = json.loads(get(server, "/api/gradient", lin)[1])
    assert doc["params"]["lr"] == "lin" and doc["hparams"]["lr"] == pytest.approx(0.01)
    es = [("lr", "-2"), ("momentum", "-0.5"), ("estimator", "es(std=0.1, pairs=8)")]
    a = json.loads(get(server, "/api/gradient", es)[1])
    b = json.loads(get(server, "/api/gradient", es)[1])
    c = json.loads(get(server, "/api/gradient", [*es, ("seed", "1")])[1])
    assert a == b and a["gradient"] != c["gradient"]
    assert a["estimator"] == "es(std=0.1, pairs=8)"


def test_config_and_page(server):
    status, body, _ = get(server, "/api/config")
    doc = json.loads(body)
    assert status == 200 and doc["axes"] == list(START) and doc["max_points"] == MAX_POINTS
    assert doc["measures"][-1] == "diverged" and "loss" in doc["measures"]
    status, body, ctype = get(server, "/")
    assert status == 200 and ctype.startswith("text/html") and b"/static/explorer.js" in body
    for name in ("explorer.js", "explorer.css"):
        assert get(server, f"/static/{name}")[0] == 200


BAD = [
    ("/api/landscape", []),
    ("/api/landscape", [("axis", "lr")]),
    ("/api/landscape", [("axis", "lr=cubic:1:2:3")]),
    ("/api/landscape", [("axis", "lr=log:-1:1:8")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:0")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:2.5")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:abc")]),
    ("/api/landscape", [("axis", "lr=lin:nan:1:8")]),
    ("/api/landscape", [("axis", "lr=lin:0:inf:8")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:8"), ("axis", "lr=log:1e-2:1:8")]),
    ("/api/landscape", [("axis", "beta=lin:0:1:8")]),
    ("/api/landscape", [("axis", "momentum=lin:0:2:8")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:8"), ("measure", "curvature")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:8"), ("measure", "loss"), ("measure", "loss")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:8"), ("format", "png")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:8"), ("problem", "quadratic")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:8"), ("client", "x" * 65)]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:65"), ("axis", "momentum=lin:0:0.9:64")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:100000000000000")]),
    ("/api/landscape.nc", [("axis", "lr=log:1e-3:1:8"), ("measure", "nope")]),
    ("/api/run", []),
    ("/api/run", [("lr", "fast")]),
    ("/api/run", [("lr", "nan")]),
    ("/api/run", [("lr", "-0.1")]),
    ("/api/run", [("lr", "0.1"), ("lr", "0.2")]),
    ("/api/run", [("beta", "0.1")]),
    ("/api/run", [("momentum", "1.5")]),
    ("/api/gradient", []),
    ("/api/gradient", [("lr", "-2"), ("estimator", "adam")]),
    ("/api/gradient", [("lr", "-2"), ("estimator", "es(std=-1)")]),
    ("/api/gradient", [("lr", "-2"), ("estimator", "os:system")]),
    ("/api/gradient", [("lr", "-2"), ("estimator", "es(std=os:getcwd)")]),
    ("/api/gradient", [("lr", "-2"), ("param", "lr=cube")]),
    ("/api/gradient", [("lr", "-2"), ("param", "momentum=log")]),
    ("/api/gradient", [("lr", "-2"), ("seed", "-1")]),
    ("/api/gradient", [("lr", "-2"), ("seed", "x")]),
    ("/api/gradient", [("beta", "1")]),
    ("/api/gradient", [("momentum", "1"), ("param", "momentum=lin")]),
    ("/api/config", [("x", "1")]),
]


@pytest.mark.parametrize(("path", "query"), BAD)
def test_bad_input_is_a_one_line_400(server, path, query):
    status, body, ctype = get(server, path, query)
    assert status == 400, body
    assert ctype.startswith("application/json")
    doc = json.loads(body)
    assert list(doc) == ["error"]
    assert doc["error"] and "\n" not in doc["error"] and "Traceback" not in doc["error"]


def test_size_limit_admits_exactly_max_points(server):
    ok = [("axis", "lr=log:1e-3:1:64"), ("axis", "momentum=lin:0:0.9:64"), ("format", "f32")]
    status, body, _ = get(server, "/api/landscape", ok)
    assert status == 200 and from_f32(body)[0]["shape"] == [64, 64]
    status, body, _ = get(server, "/api/landscape", [("axis", "lr=log:1e-3:1:4097")])
    assert status == 400 and "4096" in json.loads(body)["error"]


def test_a_bug_is_a_logged_500_not_a_400(server, explorer, monkeypatch, caplog):
    def broken(req):
        raise ZeroDivisionError("deliberate")

    monkeypatch.setattr(explorer, "run", broken)
    with caplog.at_level(logging.ERROR, logger="metaloss.explore"):
        status, body, _ = get(server, "/api/run", [("lr", "0.1")])
    assert status == 500
    assert "bug" in json.loads(body)["error"] and "deliberate" not in body.decode()
    assert any("ZeroDivisionError" in (r.exc_text or "") for r in caplog.records)


def test_changing_the_box_does_not_recompile(server, compiles):
    def view(lo):
        status, _, _ = get(server, "/api/landscape", [("axis", f"lr=log:{lo}:1e2:40"),
                                                      ("axis", "momentum=1mlog:1e-3:1:40"),
                                                      ("format", "f32")])
        assert status == 200

    view(1e-3)  # warm: compiles the program for this size if not done yet
    assert compiles.during(lambda: view(1e-2)) == 0
    assert compiles.during(lambda: view(0.5)) == 0


def test_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")


def test_a_superseded_view_answers_409(server, explorer, monkeypatch):
    from metaloss.explore import Superseded

    def superseded(req):
        raise Superseded

    monkeypatch.setattr(explorer, "landscape", superseded)
    status, body, _ = get(server, "/api/landscape", [*AXES, ("client", "page")])
    assert status == 409 and "superseded" in json.loads(body)["error"]
