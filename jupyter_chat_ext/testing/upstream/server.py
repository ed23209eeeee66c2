"""`FakeUpstream`: the tornado server speaking both APIs, started inside the test's event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from . import ollama_routes as ollama
from . import openai_routes as openai
from .control_routes import ControlHandler
from .faults import Faults
from .records import Disconnect, RecordedRequest
from .state import Settings, UpstreamState

HOST = "127.0.0.1"
log = logging.getLogger(__name__)


def _log_request(handler: web.RequestHandler) -> None:
    # Errors here are usually faults a test asked for, so they are not logged as warnings.
    request = handler.request
    log.debug("%s %s %s", handler.get_status(), request.method, request.uri)


def make_app(state: UpstreamState) -> web.Application:
    routes: list[tuple[str, type[web.RequestHandler]]] = [
        (r"/_control", ControlHandler),
        (r"/v1/models", openai.ModelsHandler),
        (r"/v1/models/(.+)", openai.ModelHandler),
        (r"/v1/chat/completions", openai.ChatCompletionsHandler),
        (r"/v1/completions", openai.TextCompletionsHandler),
        (r"/v1/embeddings", openai.EmbeddingsHandler),
        (r"/v1/.*", openai.OpenAINotFoundHandler),
        (r"/", ollama.RootHandler),
        (r"/api/tags", ollama.TagsHandler),
        (r"/api/ps", ollama.RunningHandler),
        (r"/api/version", ollama.VersionHandler),
        (r"/api/show", ollama.ShowHandler),
        (r"/api/chat", ollama.ChatHandler),
        (r"/api/generate", ollama.GenerateHandler),
        (r"/api/embed", ollama.EmbedHandler),
        (r"/api/embeddings", ollama.LegacyEmbeddingsHandler),
    ]
    args = {"state": state}
    return web.Application(
        [(pattern, handler, args) for pattern, handler in routes],
        default_handler_class=ollama.NotFoundHandler,
        default_handler_args=args,
        log_function=_log_request,
    )


class FakeUpstream:
    """An OpenAI- and Ollama-compatible model server on a free loopback port.

    `async with FakeUpstream(reply="Hi") as up:` then point a client at `up.openai_url`
    (`.../v1`) or `up.ollama_url`. Settings and faults can change at any time; they apply
    to the next request.
    """

    def __init__(
        self,
        *,
        models: tuple[str, ...] | list[str] = Settings.models,
        api_key: str | None = None,
        reply: str = "",
        chunks: int | None = None,
        dimensions: int = Settings.dimensions,
        faults: Faults | None = None,
        port: int = 0,
    ) -> None:
        settings = Settings(
            models=tuple(models),
            api_key=api_key,
            reply=reply,
            chunks=chunks,
            dimensions=dimensions,
        )
        self.state = UpstreamState(settings=settings, faults=faults or Faults())
        self.port = port
        self._server: HTTPServer | None = None

    # -- addresses ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def ollama_url(self) -> str:
        return self.url

    # -- switches and records -------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def faults(self) -> Faults:
        return self.state.faults

    def set_faults(self, faults: Faults | None = None, **switches: Any) -> None:
        """Replace the faults: `set_faults(cut_stream=True)`; `set_faults()` heals the server."""
        self.state.faults = dataclasses.replace(faults or Faults(), **switches)

    def update_settings(self, **settings: Any) -> None:
        self.state.settings.update(settings)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    @property
    def disconnects(self) -> list[Disconnect]:
        return self.state.disconnects

    def reset(self) -> None:
        """Forget requests and disconnects and clear the faults; settings stay."""
        self.state.reset()

    async def wait_for_disconnects(self, count: int = 1, within: float = 2.0) -> list[Disconnect]:
        """Wait until `count` disconnects are recorded; raise TimeoutError otherwise."""
        deadline = time.monotonic() + within
        while len(self.disconnects) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.disconnects)} of {count} disconnects seen")
            await asyncio.sleep(0.01)
        return list(self.disconnects)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> FakeUpstream:
        sockets = bind_sockets(self.port, HOST)
        self._server = HTTPServer(make_app(self.state))
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.stop()
        # Closing the open connections also ends hung requests and streams in progress.
        await server.close_all_connections()

    async def __aenter__(self) -> FakeUpstream:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
