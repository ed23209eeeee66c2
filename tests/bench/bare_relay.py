"""The floor under the proxy's figures: a bare Tornado app that relays a non-streamed chat
completion to the upstream with the server's own transport, and nothing else (no Jupyter, no
authentication, no model routing, no checks). bench_proxy.py runs it beside the real server.

    python tests/bench/bare_relay.py PORT UPSTREAM_BASE_URL
"""

from __future__ import annotations

import asyncio
import sys

from tornado import web

from jupyter_chat_ext.providers.transport import UpstreamTransport

JSON = {"Content-Type": "application/json"}


class Relay(web.RequestHandler):
    def initialize(self, pool: UpstreamTransport, url: str) -> None:
        self.pool = pool
        self.url = url

    async def post(self) -> None:
        response = await self.pool.open("POST", self.url, JSON, self.request.body, 60, 60)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        self.set_status(response.status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(body)


async def main(port: int, upstream: str) -> None:
    pool = UpstreamTransport(max_idle=200)
    kwargs = {"pool": pool, "url": f"{upstream.rstrip('/')}/chat/completions"}
    web.Application([(r"/v1/chat/completions", Relay, kwargs)]).listen(port, "127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
