"""A floor inside Jupyter Server: the least an authenticated, authorized Jupyter API handler
can do to relay a non-streamed chat completion, with the server's own transport. bench_proxy.py
loads it as a second extension of the server it measures, so that it runs in the same process,
beside the proxy, under the same settings (token, logging, metrics, headers).

What it adds over bare_relay.py's ``tornado.web`` relay is Jupyter Server's own work per request;
what the proxy adds over it is the extension's (key or token look-up, model routing, checks).
"""

from __future__ import annotations

import os
from typing import Any

from bare_relay import JSON, relay
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from jupyter_chat_ext.providers.transport import UpstreamTransport

PATH = "bench-relay/v1/chat/completions"
UPSTREAM = "CHAT_EXT_BENCH_RELAY_UPSTREAM"


class JupyterRelay(APIHandler):
    auth_resource = "bench-relay"

    def initialize(self, pool: UpstreamTransport, url: str) -> None:
        self.pool = pool
        self.url = url

    @web.authenticated
    @authorized
    async def post(self) -> None:
        status, body = await relay(self.pool, self.url, self.request.body)
        self.set_status(status)
        self.set_header("Content-Type", JSON["Content-Type"])
        self.finish(body)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_relay"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    url = f"{os.environ[UPSTREAM].rstrip('/')}/chat/completions"
    route = url_path_join(serverapp.base_url, PATH)
    args = {"pool": UpstreamTransport(max_idle=200), "url": url}
    serverapp.web_app.add_handlers(".*$", [(route, JupyterRelay, args)])
