"""Ollama's API under {base_url}chat-ext/ollama/api/: point any Ollama client at
{base_url}chat-ext/ollama."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import endpoint
from . import checks
from .errors import Failure
from .relay import ProxyHandler, UnknownPath
from .schemas import OllamaRunning, OllamaTags, OllamaVersion

if TYPE_CHECKING:
    from .ollama_api import OllamaApi

NDJSON = "application/x-ndjson"


class OllamaHandler(ProxyHandler):
    auth_resource = "chat-ext:ollama"
    api_name = "ollama_api"
    api: OllamaApi

    def error_body(self, failure: Failure) -> dict[str, Any]:
        return {"error": failure.message}

    def error_frame(self, failure: Failure) -> bytes:
        # Ollama's clients raise on a line that carries "error".
        return json.dumps(self.error_body(failure)).encode() + b"\n"

    async def _answer(self, body: Any, kind: str, field: str) -> None:
        body = checks.check_ollama(body, kind)
        if checks.ollama_streams(body):
            await self.relay(self.api.answer_stream(self.identity, body, field), NDJSON)
        else:
            self.send_json(await self.api.answer(self.identity, body, field))


class OllamaRootHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: whether the server is up, as Ollama's root says", content_type="text/plain")
    async def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("Ollama is running")

    # Clients check that the server is up with HEAD (tornado sends no body for it).
    head = get


class OllamaTagsHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: list the models", response=OllamaTags)
    async def get(self) -> OllamaTags | None:
        return await self.guard(self.api.tags(self.identity))

    head = get


class OllamaVersionHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: the version of Ollama's API this follows", response=OllamaVersion)
    async def get(self) -> OllamaVersion:
        return self.api.version()

    head = get


class OllamaShowHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: what is known of a model (details, capabilities)", raw_body=True)
    async def post(self, body: Any) -> None:
        await self.guard(self._show(body))

    async def _show(self, body: Any) -> None:
        body = checks.check_ollama(body, "show")
        self.send_json(
            await self.api.show(self.identity, body["model"], body.get("verbose", False))
        )


class OllamaRunningHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: the models held in memory now", response=OllamaRunning)
    async def get(self) -> OllamaRunning | None:
        return await self.guard(self.api.running())


class OllamaChatHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: chat, streamed as NDJSON unless `stream` is false", raw_body=True)
    async def post(self, body: Any) -> None:
        await self.guard(self._answer(body, "chat", "message"))


class OllamaGenerateHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "Ollama: complete a prompt, streamed as NDJSON unless `stream` is false", raw_body=True
    )
    async def post(self, body: Any) -> None:
        await self.guard(self._answer(body, "generate", "response"))


class OllamaEmbedHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: embeddings of one or more inputs", raw_body=True)
    async def post(self, body: Any) -> None:
        await self.guard(self._embed(body))

    async def _embed(self, body: Any) -> None:
        self.send_json(await self.api.embed(self.identity, checks.check_ollama(body, "embed")))


class OllamaEmbeddingHandler(OllamaHandler):
    @web.authenticated
    @authorized
    @endpoint("Ollama: the embedding of one prompt (the older form of embed)", raw_body=True)
    async def post(self, body: Any) -> None:
        await self.guard(self._embedding(body))

    async def _embedding(self, body: Any) -> None:
        body = checks.check_ollama(body, "embeddings")
        self.send_json(await self.api.embedding(self.identity, body))


# Ollama's routes that manage the models it holds; here the models are the connections'.
_MANAGING = frozenset({"pull", "push", "create", "copy", "delete", "blobs"})


class OllamaUnknownHandler(UnknownPath, OllamaHandler):
    def unknown_message(self) -> str:
        route = self.request.path.rpartition("/chat-ext/ollama/api/")[2].split("/")[0]
        if route not in _MANAGING:
            return super().unknown_message()
        # `ollama pull` and the like show this line as it is.
        return (
            f"chat-ext serves the models of its connections and cannot {route} models: "
            f"{route} them on the model server itself, or add its connection under "
            "Settings > Chat Models and Connections."
        )


routes = [
    (r"/?", OllamaRootHandler),
    (r"/api/tags", OllamaTagsHandler),
    (r"/api/version", OllamaVersionHandler),
    (r"/api/show", OllamaShowHandler),
    (r"/api/chat", OllamaChatHandler),
    (r"/api/generate", OllamaGenerateHandler),
    (r"/api/embed", OllamaEmbedHandler),
    (r"/api/embeddings", OllamaEmbeddingHandler),
    (r"/api/ps", OllamaRunningHandler),
]
unknown = OllamaUnknownHandler
