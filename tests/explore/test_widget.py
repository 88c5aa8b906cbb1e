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


HARNESS = """async ([html, esm]) => {
  const handlers = {};
  const model = {
    get: (k) => ({ html, height: 700 })[k],
    on: (ev, f) => { (handlers[ev] ||= []).push(f); },
    off: () => {},
    send: async (msg) => {
      const a = await window.kernel(msg);
      const bytes = Uint8Array.from(atob(a.body), (c) => c.charCodeAt(0));
      for (const f of handlers["msg:custom"] || []) {
        f({ id: msg.id, view: msg.view, status: a.status, type: a.type },
          [new DataView(bytes.buffer)]);
      }
    },
  };
  const mod = await import("data:text/javascript;base64," + esm);
  mod.default.render({ model, el: document.body });
}"""


@pytest.mark.slow
def test_page_in_a_browser_over_the_bridge(meta):
    """widget.js and the bridge in Chromium, with a stand-in for anywidget's model whose
    send() calls the widget's request handling: the page draws its map and a run."""
    import base64
    from pathlib import Path

    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM, DISTINCT_COLOURS, FULL_VIEW

    from metaloss._src.explore.server import STATIC

    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser test needs Chromium at {CHROMIUM}")
    w = ExplorerWidget(meta, ("lr=log:1e-3:1e2:64", "momentum=1mlog:1e-3:1:64"),
                       key=jax.random.key(0))
    urls: list[str] = []

    def kernel(msg):
        urls.append(msg["url"])
        a = w.request(msg["url"])
        return {"status": a.status, "type": a.content_type,
                "body": base64.b64encode(a.body).decode()}

    errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 800})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.expose_function("kernel", kernel)
            esm = base64.b64encode((STATIC / "widget.js").read_bytes()).decode()
            page.evaluate(HARNESS, [w.html, esm])
            page.wait_for_selector("iframe")
            frame = page.frames[1]
            frame.wait_for_function(FULL_VIEW, timeout=120_000)
            assert frame.evaluate(DISTINCT_COLOURS) > 20, "the map is blank"
            box = frame.locator("#overlay").bounding_box()
            page.mouse.click(box["x"] + 330, box["y"] + 300)
            frame.wait_for_function("() => document.getElementById('run-info').textContent"
                                    ".includes('outer loss')", timeout=120_000)
            browser.close()
    finally:
        w.close()
    assert not errors, errors
    assert urls[0] == "/api/config" and any("format=f32" in u for u in urls)


def test_a_system_without_axes_starts_at_its_default_view():
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=10)
    w = ExplorerWidget(meta)
    try:
        assert w.explorer.axes == ("theta=lin:-1:1:256",)
        answer = w.request("/api/landscape?axis=theta=lin:-1:1:256")
        assert answer.status == 200
        values = answer.json()["values"]
        assert len(values) == 256 and all(v is not None for v in values)
    finally:
        w.close()
