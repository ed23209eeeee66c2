"""Floors under the proxy's figures: bare Tornado relays of a non-streamed chat completion to
the upstream with the server's own transport, and nothing else (no Jupyter, no authentication,
no model routing, no checks). bench_proxy.py runs them beside the real server.

- on HANDLER_PORT, a ``tornado.web`` app: one RequestHandler, as every Jupyter handler is;
- on CONNECTION_PORT, Tornado's HTTP server alone: a message delegate that answers on the
  connection itself, below ``tornado.web``, the least any Tornado server can do.

    python tests/bench/bare_relay.py HANDLER_PORT CONNECTION_PORT UPSTREAM_BASE_URL
"""

from __future__ import annotations

import asyncio
import sys

from tornado import httputil, web
from tornado.httpserver import HTTPServer

from jupyter_chat_ext.providers.transport import UpstreamTransport

JSON = {"Content-Type": "application/json"}


async def relay(pool: UpstreamTransport, url: str, body: bytes) -> tuple[int, bytes]:
    response = await pool.open("POST", url, JSON, body, 60, 60)
    try:
        return response.status_code, await response.aread()
    finally:
        await response.aclose()


class Relay(web.RequestHandler):
    def initialize(self, pool: UpstreamTransport, url: str) -> None:
        self.pool = pool
        self.url = url

    async def post(self) -> None:
        status, body = await relay(self.pool, self.url, self.request.body)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(body)


class ConnectionRelay(httputil.HTTPServerConnectionDelegate):
    def __init__(self, pool: UpstreamTransport, url: str):
        self.pool = pool
        self.url = url

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        return _Message(self, request_conn)


class _Message(httputil.HTTPMessageDelegate):
    def __init__(self, server: ConnectionRelay, connection: httputil.HTTPConnection):
        self.server = server
        self.connection = connection
        self.body: list[bytes] = []
        self.answering: asyncio.Future[None] | None = None

    def data_received(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def finish(self) -> None:
        self.answering = asyncio.ensure_future(self._answer())

    async def _answer(self) -> None:
        status, body = await relay(self.server.pool, self.server.url, b"".join(self.body))
        headers = httputil.HTTPHeaders(
            {"Content-Type": "application/json", "Content-Length": str(len(body))}
        )
        self.connection.write_headers(httputil.ResponseStartLine("HTTP/1.1", status, ""), headers)
        self.connection.write(body)
        self.connection.finish()


async def main(handler_port: int, connection_port: int, upstream: str) -> None:
    pool = UpstreamTransport(max_idle=200)
    url = f"{upstream.rstrip('/')}/chat/completions"
    app = web.Application([(r"/v1/chat/completions", Relay, {"pool": pool, "url": url})])
    app.listen(handler_port, "127.0.0.1")
    HTTPServer(ConnectionRelay(pool, url)).listen(connection_port, "127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
