"""The explorer answers bad requests with a one-line 400 before any work (item 7)."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import jax
import pytest

import metaloss as ml
from metaloss._src.explore.server import background
from metaloss.explore import Explorer

START = ("lr=log:1e-3:1e2:8", "momentum=1mlog:1e-3:1:8")


@pytest.fixture(scope="module")
def server():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=20)
    with background(Explorer(meta, jax.random.key(0), START, max_points=4096)) as url:
        yield url


def get(url, path, query):
    full = url.rstrip("/") + path + "?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(full, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.mark.parametrize("path, query", [
    ("/api/landscape", [("axis", "lr=log:1e-3:1:1000000000000")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:1000000"), ("axis", "momentum=lin:0:0.9:1000000")]),
    # one size unreadable: refused before the other (huge) axis is made
    ("/api/landscape", [("axis", "lr=log:1e-3:1:9000000"), ("axis", "momentum=lin:0:0.9:x")]),
    ("/api/landscape", [("axis", "lr=log:1e-3:1:9000000"), ("axis", "momentum=lin:0:0.9:-3")]),
    ("/api/landscape", [("axis", "lr=lin:-inf:inf:8")]),
    ("/api/gradient", [("lr", "-1"), ("estimator", "truncated(K=1000)")]),
    ("/api/gradient", [("lr", "-1"), ("estimator", "es(pairs=1000000000000)")]),
    ("/api/gradient", [("lr", "-1"), ("seed", "1180591620717411303424")]),
])
def test_fuzz_is_a_quick_one_line_400(server, path, query):
    start = time.perf_counter()
    code, body = get(server, path, query)
    assert code == 400, body
    error = json.loads(body)["error"]
    assert "\n" not in error and error
    assert time.perf_counter() - start < 5.0


def test_beyond_loopback_a_token_is_required():
    from metaloss._src.explore.server import new_token

    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=5)
    token = new_token()
    with background(Explorer(meta, jax.random.key(0), START), token=token) as url:
        base = url.split("?")[0].rstrip("/")
        assert url.endswith(f"?token={token}")
        for path in ("/", "/api/config", "/static/explorer.js"):
            code, body = get(base, path, [])
            assert code == 403 and "token" in json.loads(body)["error"]
        assert get(base, "/api/config", [("token", "wrong")])[0] == 403
        assert get(base, "/api/config", [("token", token)])[0] == 200
        # the page's own requests carry the cookie the first good request set
        with urllib.request.urlopen(base + f"/?token={token}", timeout=60) as r:
            cookie = r.headers["set-cookie"].split(";")[0]
        req = urllib.request.Request(base + "/api/config", headers={"Cookie": cookie})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200
