"""The page in a real browser: ``metaloss explore`` in a subprocess, driven by Playwright
through Debian's Chromium. ``make test`` installs Chromium when it is missing; without it
this test fails (it never skips)."""

from __future__ import annotations

import math
import os
import queue
import re
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("METALOSS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run"]
SCREENSHOT = os.environ.get("METALOSS_EXPLORE_SCREENSHOT")
"""Where to save the screenshot as well (``make screenshot``: docs/explore.png)."""

pytestmark = pytest.mark.slow

DISTINCT_COLOURS = """() => {
  const c = document.getElementById("map");
  const d = c.getContext("2d").getImageData(80, 14, c.width - 94, c.height - 68).data;
  const seen = new Set();
  for (let k = 0; k < d.length; k += 4 * 7) seen.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
  return seen.size;
}"""
INKED = """(id) => {
  const c = document.getElementById(id);
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let k = 3; k < d.length; k += 4) n += d[k] > 0 ? 1 : 0;
  return n;
}"""
FINGERPRINT = """() => {
  const c = document.getElementById("map");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let k = 0; k < d.length; k += 13) h = (h * 31 + d[k]) >>> 0;
  return h;
}"""
PLOT_W, PLOT_H = 720 - 78 - 12, 640 - 12 - 52
"""The map's plot area in pixels (the canvas less explorer.js's MARGIN)."""
FULL_VIEW = ("() => { const s = document.getElementById('status').textContent;"
             " return s.includes('in all') && !s.includes('preview'); }")


@pytest.fixture
def server():
    proc = subprocess.Popen(
        [sys.executable, "-m", "metaloss.cli", "explore", "--no-open", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu"})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=120)
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, f"no URL in {line!r}"
        yield match.group(0)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def axes_of(url: str) -> dict[str, list[str]]:
    specs = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["axis"]
    return {s.partition("=")[0]: s.partition("=")[2].split(":") for s in specs}


def decades(spec: list[str]) -> float:
    return abs(math.log10(float(spec[2]) / float(spec[1])))


def test_page(server, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser test needs Chromium at {CHROMIUM}: run make test (it "
                    "installs Debian's chromium) or apt-get install -y chromium")
    errors: list[str] = []
    views: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 800})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: views.append(r.url) if "/api/landscape?" in r.url else None)
        page.goto(server)
        page.wait_for_function(FULL_VIEW, timeout=120_000)
        assert page.evaluate(DISTINCT_COLOURS) > 20, "the map is blank"
        start = axes_of(views[-1])
        assert start["lr"][3] == "256" and decades(start["lr"]) == pytest.approx(5)
        before = page.evaluate(FINGERPRINT)

        # a plain drag pans: the image follows the cursor while the button is held, and on
        # release the window moves against the drag by the dragged fraction of its size
        box = page.locator("#overlay").bounding_box()
        n = len(views)
        dx, dy = 126, -144  # right and up: a fifth of the plot's width, a quarter of its height
        page.mouse.move(box["x"] + 300, box["y"] + 300)
        page.mouse.down()
        page.mouse.move(box["x"] + 300 + dx / 2, box["y"] + 300 + dy / 2, steps=4)
        assert page.evaluate(FINGERPRINT) != before, "the image does not follow the drag"
        page.mouse.move(box["x"] + 300 + dx, box["y"] + 300 + dy, steps=4)
        page.mouse.up()
        page.wait_for_function(FULL_VIEW, timeout=120_000)
        panned = axes_of(views[-1])
        assert len(views) > n and panned["lr"][3] == "256"
        for name, frac in (("lr", -dx / PLOT_W), ("momentum", dy / PLOT_H)):
            was, now = start[name], panned[name]
            assert decades(now) == pytest.approx(decades(was), rel=1e-6), "the pan zoomed"
            span = decades(was) * 256 / 255  # cell edge to cell edge
            for k in (1, 2):
                moved = math.log10(float(now[k]) / float(was[k]))
                assert moved == pytest.approx(frac * span, rel=0.02), (name, was, now)
        page.click("#back")
        page.wait_for_function(FULL_VIEW, timeout=120_000)
        assert axes_of(views[-1])["lr"] == start["lr"]

        # shift-drag a box: a narrower view is requested (preview, then full) and drawn
        n = len(views)
        page.mouse.move(box["x"] + 250, box["y"] + 200)
        page.keyboard.down("Shift")
        page.mouse.down()
        page.mouse.move(box["x"] + 420, box["y"] + 380, steps=6)
        page.mouse.up()  # the status shows the preview at once, so this waits for the zoom
        page.keyboard.up("Shift")
        page.wait_for_function(FULL_VIEW, timeout=120_000)
        zoomed = [axes_of(u) for u in views[n:]]
        assert zoomed and zoomed[-1]["lr"][3] == "256"
        assert decades(zoomed[-1]["lr"]) < 0.5 * decades(start["lr"])
        assert decades(zoomed[-1]["momentum"]) < 0.5 * decades(start["momentum"])
        assert any(z["lr"][3] == "64" for z in zoomed), "no coarse preview first"
        assert page.evaluate(FINGERPRINT) != before, "the map was not redrawn"

        # click a pixel: its training curve and the gradient arrows
        page.mouse.click(box["x"] + 330, box["y"] + 300)
        page.wait_for_function("() => document.getElementById('run-info').textContent"
                               ".includes('outer loss')", timeout=120_000)
        page.wait_for_function("() => document.getElementById('grad-info').textContent"
                               ".includes('es(')", timeout=120_000)
        assert page.evaluate(INKED, "curve") > 200, "no training curve"
        assert page.evaluate(INKED, "overlay") > 50, "no arrows"
        page.screenshot(path=str(tmp_path / "explore.png"))
        if SCREENSHOT:
            page.screenshot(path=SCREENSHOT)

        # back to the starting view
        n = len(views)
        page.click("#back")
        page.wait_for_function(FULL_VIEW, timeout=120_000)
        assert axes_of(views[-1])["lr"] == start["lr"] and len(views) > n

        # the wheel zooms about the cursor: a narrower lr range holding the cursor's lr
        n = len(views)
        page.mouse.move(box["x"] + 300, box["y"] + 300)
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(500)  # the view settles 200 ms after the last notch
        page.wait_for_function(FULL_VIEW, timeout=120_000)
        wheeled = axes_of(views[-1])["lr"]
        assert len(views) > n and decades(wheeled) < decades(start["lr"])

        # the Lyapunov measure switches to a diverging scale; hover names the measure
        page.select_option("#measure", "lyapunov")
        assert page.input_value("#scale") == "diverging"
        page.wait_for_function("() => { const s = document.getElementById('status')"
                               ".textContent; return s.includes('lyapunov') && "
                               "s.includes('in all') && !s.includes('preview'); }",
                               timeout=120_000)
        page.mouse.move(box["x"] + 310, box["y"] + 310)
        assert "Lyapunov exponent" in page.text_content("#readout")

        # the estimator picker: the orange arrow from another estimator
        page.fill("#est-b", "forward")
        page.dispatch_event("#est-b", "change")
        page.wait_for_function("() => document.getElementById('grad-info').textContent"
                               ".includes('forward')", timeout=120_000)

        # greying undetermined pixels shows their share
        page.check("#determined")
        page.wait_for_function("() => document.getElementById('status').textContent"
                               ".includes('undetermined')", timeout=120_000)
        assert re.search(r"undetermined \d+\.\d% \(float32 vs float64",
                         page.text_content("#status"))

        # the r key restores the starting view
        n = len(views)
        page.keyboard.press("r")
        page.wait_for_timeout(300)
        page.wait_for_function(FULL_VIEW, timeout=120_000)
        assert len(views) > n and axes_of(views[-1])["lr"] == start["lr"]
        browser.close()
    assert not errors, errors
