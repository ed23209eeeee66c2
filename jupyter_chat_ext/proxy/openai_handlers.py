"""OpenAI's API under {base_url}chat-ext/openai/v1/: point any OpenAI client here."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import endpoint
from . import checks
from .errors import Failure
from .relay import ProxyHandler, UnknownPath
from .schemas import OpenAIModel, OpenAIModelList

if TYPE_CHECKING:
    from .openai_api import OpenAIApi

SSE = "text/event-stream; charset=utf-8"


class OpenAIHandler(ProxyHandler):
    auth_resource = "chat-ext:openai"
    api_name = "openai_api"
    api: OpenAIApi

    def error_body(self, failure: Failure) -> dict[str, Any]:
        return {
            "error": {
                "message": failure.message,
                "type": failure.openai_type,
                "param": failure.param,
                "code": failure.code,
            }
        }

    def error_frame(self, failure: Failure) -> bytes:
        # OpenAI's clients raise on an event that carries "error".
        return b"data: " + json.dumps(self.error_body(failure)).encode() + b"\n\n"


class OpenAIModelsHandler(OpenAIHandler):
    @web.authenticated
    @authorized
    @endpoint("OpenAI: list the models", response=OpenAIModelList)
    async def get(self) -> OpenAIModelList | None:
        return await self.guard(self.api.list_models(self.identity))


class OpenAIModelHandler(OpenAIHandler):
    @web.authenticated
    @authorized
    @endpoint("OpenAI: one model", response=OpenAIModel)
    async def get(self, model_id: str) -> OpenAIModel | None:
        return await self.guard(self.api.model(self.identity, model_id))


class OpenAIChatHandler(OpenAIHandler):
    @web.authenticated
    @authorized
    @endpoint(
        "OpenAI: a chat completion, streamed as server-sent events when `stream` is true",
        raw_body=True,
    )
    async def post(self, body: Any) -> None:
        await self.guard(self._answer(body))

    async def _answer(self, body: Any) -> None:
        body = checks.check_chat(body)
        if body.get("stream"):
            await self.relay(self.api.chat_stream(self.identity, body), SSE)
        else:
            self.send_json(await self.api.chat(self.identity, body))


class OpenAITextCompletionsHandler(OpenAIHandler):
    @web.authenticated
    @authorized
    @endpoint("OpenAI: continue a prompt (legacy completions)", raw_body=True)
    async def post(self, body: Any) -> None:
        await self.guard(self._answer(body))

    async def _answer(self, body: Any) -> None:
        body = checks.check_text_completion(body)
        if body.get("stream"):
            await self.relay(self.api.text.stream(self.identity, body), SSE)
        else:
            self.send_json(await self.api.text.whole(self.identity, body))


class OpenAIResponsesHandler(OpenAIHandler):
    @web.authenticated
    @authorized
    @endpoint("OpenAI: a response (the Responses API, answered as a chat)", raw_body=True)
    async def post(self, body: Any) -> None:
        await self.guard(self._answer(body))

    async def _answer(self, body: Any) -> None:
        body = checks.check_responses(body)
        if body.get("stream"):
            await self.relay(self.api.response_stream(self.identity, body), SSE)
        else:
            self.send_json(await self.api.response(self.identity, body))


class OpenAIEmbeddingsHandler(OpenAIHandler):
    @web.authenticated
    @authorized
    @endpoint("OpenAI: embeddings of one or more inputs", raw_body=True)
    async def post(self, body: Any) -> None:
        await self.guard(self._answer(body))

    async def _answer(self, body: Any) -> None:
        body = checks.check_embeddings(body)
        self.send_json(await self.api.embeddings(self.identity, body))


class OpenAIStoredResponseHandler(UnknownPath, OpenAIHandler):
    """A stored response, which this server never keeps: a 404 that says so."""

    def unknown_message(self) -> str:
        return (
            "Responses are not stored here, so none can be retrieved, cancelled or deleted "
            "(every response is answered as with 'store': false)."
        )


class OpenAIUnknownHandler(UnknownPath, OpenAIHandler):
    pass


routes = [
    (r"/models", OpenAIModelsHandler),
    # Model ids may hold slashes ("team/llama3", "Qwen/Qwen2.5-0.5B-Instruct").
    (r"/models/(?P<model_id>.+)", OpenAIModelHandler),
    (r"/chat/completions", OpenAIChatHandler),
    (r"/completions", OpenAITextCompletionsHandler),
    (r"/responses", OpenAIResponsesHandler),
    (r"/responses/.+", OpenAIStoredResponseHandler),
    (r"/embeddings", OpenAIEmbeddingsHandler),
]
unknown = OpenAIUnknownHandler
