"""The extension's routes, registered late, stand first among the web app's routes."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from tornado import httpserver, web
from tornado.httpclient import AsyncHTTPClient
from tornado.netutil import bind_sockets

from jupyter_chat_ext.core.deferred_routes import DeferredRoutes


def named(name: str) -> type[web.RequestHandler]:
    class Handler(web.RequestHandler):
        def get(self, *args: str) -> None:
            self.finish(name)

    return Handler


@pytest.fixture
def built():
    app = web.Application([("/core", named("core")), (".*", named("server 404"))])
    loads: list[int] = []

    def load():
        loads.append(1)
        return [("/ext/a", named("ext a"), {}), ("/ext/.*", named("ext unknown"), {})]

    deferred = DeferredRoutes(app, load)
    app.add_handlers(".*$", [("/ext(?:/.*)?$", deferred)])
    # Another extension, loaded after this one.
    app.add_handlers(".*$", [("/other", named("other")), ("/ext/a", named("shadowed"))])
    return app, deferred, loads


@asynccontextmanager
async def serving(app: web.Application):
    """GET a path of ``app``, served on loopback on the test's own loop."""
    [sock] = bind_sockets(0, "127.0.0.1")
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    client = AsyncHTTPClient(force_instance=True)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def get(path: str) -> str:
        return (await client.fetch(base + path, request_timeout=10)).body.decode()

    try:
        yield get
    finally:
        client.close()
        server.stop()


def first_pattern(app: web.Application) -> str:
    return app.default_router.rules[0].target.rules[0].matcher.regex.pattern


async def test_a_request_before_registration_registers_and_is_served(built):
    app, _, loads = built
    async with serving(app) as get:
        # The other extension's /ext/a, tried first before, no longer shadows this one's.
        assert await get("/ext/a") == "ext a"
        assert await get("/ext/b") == "ext unknown"
        assert loads == [1]
        assert first_pattern(app) == "/ext/a$"
        assert [await get(p) for p in ("/other", "/core", "/nowhere")] == [
            "other",
            "core",
            "server 404",
        ]


async def test_registered_ahead_of_time_the_routes_take_the_routers_place(built):
    app, deferred, loads = built
    count = len(app.default_router.rules)
    deferred.register()
    deferred.register()
    assert loads == [1]
    assert len(app.default_router.rules) == count
    assert first_pattern(app) == "/ext/a$"
    assert not any(
        deferred is inner.target
        for r in app.default_router.rules
        for inner in getattr(r.target, "rules", [])
    )
    async with serving(app) as get:
        assert [await get(p) for p in ("/ext/a", "/other")] == ["ext a", "other"]
