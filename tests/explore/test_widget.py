"""The notebook explorer widget: its requests answer what the server answers (a frame
equal to ml.landscape's), over the comm as over a call, errors are one line, and close()
stops its thread."""

from __future__ import annotations

import threading
import time

import jax
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.explore.encode import from_f32
from metaloss._src.explore.widget import page
from metaloss.explore import ExplorerWidget

pytest.importorskip("anywidget")

LR, MOM = "lr=log:1e-3:1e2:8", "momentum=1mlog:1e-3:1:6"
QUERY = f"/api/landscape?axis={LR}&axis={MOM}&format=f32"


@pytest.fixture(scope="module")
def meta():
    return ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=20)


@pytest.fixture(scope="module")
def widget(meta):
    w = ExplorerWidget(meta, (LR, MOM), key=jax.random.key(0))
    yield w
    w.close()


def test_frame_equals_the_library(widget, meta):
    answer = widget.request(QUERY)
    assert answer.status == 200 and answer.content_type == "application/octet-stream"
    head, values, diverged = from_f32(answer.body)
    ref = ml.landscape(meta, {"lr": ml.logspace(-3, 2, 8),
                              "momentum": 1 - ml.logspace(-3, 0, 6)},
                       key=jax.random.key(0), progress=False)
    assert head["shape"] == [8, 6]
    np.testing.assert_array_equal(values.reshape(8, 6), np.asarray(ref.values, np.float32))
    np.testing.assert_array_equal(diverged.reshape(8, 6), np.asarray(ref["diverged"]))


def test_comm_message_gets_the_same_frame(widget):
    got = []
    done = threading.Event()

    def send(content, buffers=None):
        got.append((content, buffers))
        done.set()

    widget.send = send
    try:
        widget._on_msg(widget, {"id": 7, "url": QUERY, "view": "v1"}, [])
        assert done.wait(60)
    finally:
        del widget.send
    content, buffers = got[0]
    assert content == {"id": 7, "view": "v1", "status": 200,
                       "type": "application/octet-stream"}
    _, values, diverged = from_f32(bytes(buffers[0]))
    _, want, want_diverged = from_f32(widget.request(QUERY).body)  # "seconds" differ
    np.testing.assert_array_equal(values, want)
    np.testing.assert_array_equal(diverged, want_diverged)


@pytest.mark.parametrize("url", [
    "/api/landscape?axis=lr=log:1e-3:1e2:x",
    "/api/landscape?axis=lr=log:1e-3:1e2:8&measure=nonsense",
    "/api/run",
    "/api/config?x=1",
])
def test_errors_are_one_line(widget, url):
    answer = widget.request(url)
    assert answer.status == 400
    message = answer.json()["error"]
    assert message and "\n" not in message and "Traceback" not in message


def test_bad_messages(widget):
    got = []
    widget.send = lambda content, buffers=None: got.append((content, buffers))
    try:
        widget._on_msg(widget, {"id": 1, "url": "/static/explorer.js", "view": "v"}, [])
        widget._on_msg(widget, {"id": 2, "view": "v"}, [])
        widget._on_msg(widget, "not a request", [])
    finally:
        del widget.send
    assert [c["status"] for c, _ in got] == [400, 400]
    assert all(b"\\n" not in b[0] for _, b in got)


def test_bad_start_is_an_input_error(meta):
    with pytest.raises(InputError, match="grid size"):
        ExplorerWidget(meta, "lr=log:1e-3:1e2:0", key=jax.random.key(0))


def test_page_is_self_contained():
    html = page()
    assert "/static/" not in html
    bridge, explorer = html.find("window.fetch ="), html.find('getJSON("/api/config")')
    assert 0 < bridge < explorer


def test_close_stops_the_thread(meta):
    w = ExplorerWidget(meta, LR, key=jax.random.key(0))
    assert w.request("/api/config").status == 200
    before = threading.active_count()
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 10
    assert not w.running and threading.active_count() < before
    with pytest.raises(InputError, match="closed"):
        w.request("/api/config")
