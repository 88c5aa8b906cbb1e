"""The explorer's HTTP server: a Starlette app over an :class:`Explorer`, run by uvicorn.

Routes (all ``GET``; the parameters are documented in the README's Explorer section):

- ``/``: the page (``static/index.html``, with ``explorer.js`` and ``explorer.css``);
- ``/api/config``: what the server fixed at start and the starting view;
- ``/api/landscape``: a view, as JSON or as the binary frame of :mod:`.encode`;
- ``/api/landscape.nc``: the same view as a NetCDF file;
- ``/api/run``: one inner run at hyperparameter values;
- ``/api/gradient``: an estimator's outer gradient at outer coordinates.

Beyond loopback the server requires a random token (as Jupyter does): printed in its
URL, checked on every request (the ``token`` parameter, or the cookie the first
good request sets); a request without it answers 403.

Bad parameters answer 400 with ``{"error": "one line"}``; a view that a newer one of
the same client replaced answers 409; anything else is a bug in metaloss: it is
logged with its traceback and answers 500.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import secrets
import socket
import threading
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from metaloss._src.errors import InputError, one_line
from metaloss._src.explore import encode
from metaloss._src.explore.requests import (
    MAX_DETERMINED,
    estimator_choices,
    measure_info,
    measure_names,
    parse_gradient,
    parse_landscape,
    parse_run,
)
from metaloss._src.explore.session import Explorer, Superseded

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("metaloss._src.explore")
NO_STORE = {"Cache-Control": "no-store"}


def _json(content, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers=NO_STORE)


def _endpoint(work: Callable[[list[tuple[str, str]]], Response]):
    """An endpoint that runs ``work(query pairs)`` in a worker thread (JAX calls block)
    and turns its failures into the answers the module docstring lists."""

    async def endpoint(request: Request) -> Response:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != TOKEN]
        try:
            return await run_in_threadpool(work, query)
        except InputError as e:
            return _json({"error": one_line(e)}, 400)
        except MemoryError:
            return _json({"error": "the view does not fit in this machine's memory: ask for "
                                   "fewer points"}, 400)
        except Superseded:
            return _json({"error": "superseded by a newer view"}, 409)
        except Exception:
            log.exception("internal error in metaloss serving %s", request.url)
            return _json({"error": "internal error in metaloss (a bug): see the server log"},
                         500)

    return endpoint


TOKEN = "token"
"""The query parameter and cookie that carry the access token."""


def new_token() -> str:
    """A random access token (128 bits)."""
    return secrets.token_urlsafe(16)


def _guarded(app, token: str):
    """``app`` answering 403 to any request that carries neither ``token`` (as the
    ``token`` parameter) nor its cookie; a request with the parameter gets the cookie,
    so the page's own requests need not repeat it."""

    def good(given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), token.encode())

    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        request = Request(scope)
        in_query = good(request.query_params.get(TOKEN))
        if not (in_query or good(request.cookies.get(TOKEN))):
            answer = _json({"error": "forbidden: open the URL with ?token=... that "
                                     "metaloss explore printed"}, 403)
            return await answer(scope, receive, send)
        if not in_query:
            return await app(scope, receive, send)

        async def with_cookie(message):
            if message["type"] == "http.response.start":
                cookie = f"{TOKEN}={token}; Path=/; HttpOnly; SameSite=Strict"
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"set-cookie", cookie.encode())]}
            await send(message)

        return await app(scope, receive, with_cookie)

    return guarded


def create_app(explorer: Explorer, token: str | None = None) -> Starlette:
    """The ASGI app that serves ``explorer`` (behind :func:`_guarded` with a ``token``)."""
    meta = explorer.meta

    def config(query):
        if query:
            raise InputError("/api/config takes no parameters")
        free = [n for n in meta.hparam_names if n not in explorer.fixed]
        return _json({
            "axes": list(explorer.axes),
            "measure": explorer.measure,
            "measures": list(measure_names()),
            "measure_info": measure_info(),
            "estimators": list(estimator_choices()),
            "max_determined": MAX_DETERMINED,
            "max_points": explorer.max_points,
            "meta": meta.describe(),
            "free": free,
        })

    def view(query):
        return explorer.landscape(parse_landscape(query, max_points=explorer.max_points,
                                                  fixed=explorer.fixed))

    def landscape(query):
        v = view(query)
        if dict(query).get("format") == "f32":
            return Response(encode.to_f32(v), media_type="application/octet-stream",
                            headers=NO_STORE)
        return Response(encode.to_json(v), media_type="application/json", headers=NO_STORE)

    def netcdf(query):
        body = encode.to_netcdf(view(query))
        return Response(body, media_type="application/x-netcdf", headers={
            **NO_STORE, "Content-Disposition": 'attachment; filename="landscape.nc"'})

    def run(query):
        return _json(explorer.run(parse_run(query)))

    def gradient(query):
        return _json(explorer.gradient(parse_gradient(query)))

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=NO_STORE)

    routes = [
        Route("/", index),
        Route("/api/config", _endpoint(config)),
        Route("/api/landscape", _endpoint(landscape)),
        Route("/api/landscape.nc", _endpoint(netcdf)),
        Route("/api/run", _endpoint(run)),
        Route("/api/gradient", _endpoint(gradient)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    return app if token is None else _guarded(app, token)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    return sock


def url_of(sock: socket.socket, token: str | None = None) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = socket.gethostname()
    url = f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
    return url if token is None else f"{url}?{TOKEN}={token}"


def token_for(sock: socket.socket) -> str | None:
    """A fresh token when ``sock`` listens beyond loopback, else ``None`` (no token)."""
    return None if is_loopback(sock.getsockname()[0]) else new_token()


def _server(explorer: Explorer, token: str | None = None):
    import uvicorn

    return uvicorn.Server(uvicorn.Config(create_app(explorer, token), log_level="warning",
                                         timeout_graceful_shutdown=1))


def serve(explorer: Explorer, sock: socket.socket, *, open_browser: bool = False,
          token: str | None = None) -> None:
    """Serves ``explorer`` on ``sock`` until interrupted (Ctrl-C); with ``token``, only
    to requests that carry it."""
    server = _server(explorer, token)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url_of(sock, token),)).start()
    server.run(sockets=[sock])


@contextlib.contextmanager
def background(explorer: Explorer, host: str = "127.0.0.1", port: int = 0,
               token: str | None = None) -> Iterator[str]:
    """Serves ``explorer`` from a thread while the block runs; yields the URL (with
    ``?token=`` when a token is given; for tests, benchmarks and notebooks)."""
    sock = bind(host, port)
    server = _server(explorer, token)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="metaloss-explore")
    thread.start()
    try:
        yield url_of(sock, token)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
