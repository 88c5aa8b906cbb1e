"""The explorer inside a Jupyter notebook: an anywidget over the explorer's own app.

The transport is the widget's comm, not HTTP. The page (``static/index.html`` with its
CSS and JavaScript inlined) runs in an ``iframe`` (``srcdoc``, so it keeps its own
``document`` and globals), preceded by a small bridge (``static/widget_bridge.js``)
that answers the page's ``fetch("/api/...")`` calls: it posts them to the widget's
front end (``static/widget.js``), which sends them over the comm
(``model.send``); the kernel answers each with one message whose binary buffer is the
response body (``msg:custom``). On the kernel side the request goes, without a socket,
to the same Starlette app that ``metaloss explore`` serves
(:func:`~metaloss._src.explore.server.create_app`), run on an event loop in one
background thread, so the checks, limits, wire formats and error answers are the
server's own.

Why not a server on loopback in an iframe: the browser would have to reach the kernel's
machine, which fails for remote kernels (JupyterHub, Colab, a kernel over SSH) and in
sandboxed front ends; the comm reaches the kernel wherever the notebook does, and no
port is opened.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from metaloss._src.errors import InputError, one_line
from metaloss._src.explore.requests import MAX_POINTS, default_view
from metaloss._src.explore.server import STATIC, create_app
from metaloss._src.explore.session import Explorer

if TYPE_CHECKING:
    import jax

    from metaloss._src.meta import MetaLoss

try:
    import anywidget
    import traitlets
except ImportError:  # the notebook extra is not installed
    anywidget = traitlets = None

log = logging.getLogger("metaloss._src.explore")


class Answer(NamedTuple):
    """One answer of the explorer's app: HTTP status, content type and body."""

    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


async def _call(app, path: str, query: str) -> Answer:
    """``GET path?query`` on the ASGI ``app``, in process."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": query.encode(), "headers": [],
             "client": None, "server": ("notebook", 0)}
    sent = False
    status, ctype, chunks = 500, "", []

    async def receive():
        nonlocal sent
        if sent:  # the app only reads the (empty) body once; then wait to be cancelled
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status, ctype
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = {k.lower(): v for k, v in message.get("headers", [])}
            ctype = headers.get(b"content-type", b"").decode()
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Answer(status, ctype, b"".join(chunks))


def _inline(page: str) -> str:
    """``index.html`` with its ``/static/`` stylesheets and scripts inlined, and the
    bridge script before the first script."""
    def css(m):
        return "<style>\n" + (STATIC / m.group(1)).read_text() + "\n</style>"

    def script(m):
        return "<script>\n" + (STATIC / m.group(1)).read_text() + "\n</script>"

    page = re.sub(r'<link rel="stylesheet" href="/static/([\w.-]+)">', css, page)
    page = re.sub(r'<script src="/static/([\w.-]+)"></script>', script, page)
    bridge = "<script>\n" + (STATIC / "widget_bridge.js").read_text() + "\n</script>\n"
    at = page.find("<script>")
    return page[:at] + bridge + page[at:] if at >= 0 else page + bridge


def page() -> str:
    """The explorer's page as one self-contained HTML document for the widget's iframe."""
    return _inline((STATIC / "index.html").read_text())


def _answer_error(status: int, message: str) -> Answer:
    return Answer(status, "application/json", json.dumps({"error": message}).encode())


if anywidget is not None:
    _Base = anywidget.AnyWidget
else:
    class _Base:
        def __init__(self, **_):
            raise InputError("the explorer widget needs anywidget: "
                             "pip install 'metaloss[notebook]'")

    _traits = {}


class ExplorerWidget(_Base):
    """The landscape explorer of ``metaloss explore`` as a Jupyter widget.

    Display it (leave it as a cell's last expression) to get the explorer's page in the
    notebook: zoom, hover, a point's training run, the estimators' arrows, all computed
    by this kernel. Requests travel over the widget's comm (see the module docstring of
    ``metaloss._src.explore.widget`` for why not HTTP), so it works with remote kernels
    and opens no port. It needs the ``notebook`` extra (``pip install
    'metaloss[notebook]'``, which brings anywidget).

    Args:
      meta: the meta-loss every view evaluates (problem, optimizer, steps, fixed values).
      axes: the starting view, axis specs in order in the ``--axis`` grammar, e.g.
        ``("lr=log:1e-3:1e2:128", "momentum=1mlog:1e-3:1:128")`` (one spec: a curve);
        ``None``: the default view of ``metaloss explore`` (the study's, or a system's
        hyperparameters around their defaults).
      key: the inner runs' key (``None`` for a problem that draws no random numbers).
        Views equal ``ml.landscape(meta, axes, key=key)``.
      measure: the starting measure (``loss``, ``diverged`` or another registered one).
      max_points: the most grid points one view may have.
      height: the widget's height in pixels.

    Raises:
      InputError: a starting view the explorer would refuse, or anywidget missing.

    Call :meth:`close` when done: it stops the widget's thread.
    """

    if traitlets is not None:
        _esm = STATIC / "widget.js"
        html = traitlets.Unicode("").tag(sync=True)
        height = traitlets.Int(720).tag(sync=True)

    def __init__(self, meta: MetaLoss, axes: str | Sequence[str] | None = None, *,
                 key: jax.Array | None = None, measure: str = "loss",
                 max_points: int = MAX_POINTS, height: int = 720):
        specs = (default_view(meta) if axes is None
                 else (axes,) if isinstance(axes, str) else tuple(axes))
        explorer = Explorer(meta, key, specs, measure=measure, max_points=max_points)
        explorer.check_start()
        super().__init__(html=page(), height=int(height))
        self.explorer = explorer
        self._app = create_app(explorer)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="metaloss-explore-widget")
        self._thread.start()
        self.on_msg(self._on_msg)

    @property
    def running(self) -> bool:
        """Whether the widget's thread still answers requests (``False`` after close)."""
        thread = getattr(self, "_thread", None)
        return thread is not None and thread.is_alive()

    def _submit(self, url: str):
        if not self.running:
            raise InputError("the explorer widget is closed")
        parts = urllib.parse.urlsplit(url)
        if not parts.path.startswith("/api/"):
            raise InputError(f"the explorer widget answers /api/ requests, not {url!r}")
        return asyncio.run_coroutine_threadsafe(_call(self._app, parts.path, parts.query),
                                                self._loop)

    def request(self, url: str, timeout: float | None = None) -> Answer:
        """What the page's ``fetch(url)`` gets: e.g. ``request("/api/landscape?axis=...")``
        answers the explorer's API (its status, content type and body) as the server
        would, 400 with a one-line ``{"error": ...}`` for bad parameters."""
        return self._submit(url).result(timeout)

    def _on_msg(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or "id" not in content:
            return
        head = {"id": content["id"], "view": content.get("view")}
        url = content.get("url")
        try:
            if not isinstance(url, str):
                raise InputError("a request message needs a url")
            future = self._submit(url)
        except InputError as e:
            self._reply(head, _answer_error(400, one_line(e)))
            return
        future.add_done_callback(lambda f: self._done(head, url, f))

    def _done(self, head: dict, url: str, future) -> None:
        if future.cancelled():
            answer = _answer_error(503, "the explorer widget is closed")
        elif future.exception() is not None:
            log.error("internal error in metaloss serving %s", url,
                      exc_info=future.exception())
            answer = _answer_error(500, "internal error in metaloss (a bug): see the log")
        else:
            answer = future.result()
        self._reply(head, answer)

    def _reply(self, head: dict, answer: Answer) -> None:
        if self.comm is None:  # closed meanwhile
            return
        self.send({**head, "status": answer.status, "type": answer.content_type},
                  buffers=[answer.body])

    def close(self) -> None:
        """Stops the widget's thread (pending requests are dropped) and closes the widget."""
        if self.running:
            async def stop():
                me = asyncio.current_task()
                tasks = [t for t in asyncio.all_tasks() if t is not me]
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                asyncio.get_running_loop().stop()

            asyncio.run_coroutine_threadsafe(stop(), self._loop)
            self._thread.join(30)
            if not self._thread.is_alive():
                self._loop.close()
        super().close()
