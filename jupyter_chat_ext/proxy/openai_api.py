"""The OpenAI-compatible API's rules: which connection answers, and in which form.

An OpenAI-kind connection already speaks the format, so its bytes are relayed untouched (the
request body too, with only ``model`` changed): tools, ``response_format``, ``n``, ``logprobs``
and any future parameter work without this code knowing them. Other connections answer in
typed deltas, which become OpenAI chunks here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from ..core.identity import Identity
from ..models.service import ModelService, Route, spellings
from ..providers.base import Delta
from ..providers.local_client import LocalEmbedder
from ..providers.ollama_client import OllamaClient
from ..providers.openai_client import OpenAIClient
from .checks import custom
from .errors import ProxyError
from .openai_wire import OpenAIChunks, openai_completion, openai_embeddings
from .passthrough import SSE, Renamer, check_event_stream, relay_frames, whole_answer
from .responses_request import chat_request
from .responses_wire import ResponseEvents
from .routing import route, with_preset
from .schemas import OpenAIModel, OpenAIModelList
from .text_completions import TextCompletions
from .translate import Collected, framed

LISTING = "GET chat-ext/openai/v1/models lists the models you can use."
# What the upstream client needs besides these is a parameter of the answer.
_ENVELOPE = {"model", "messages", "stream", "stream_options"}
# Content parts that are text: an earlier answer's refusal is what that answer said.
_WORDS = ("text", "refusal")


def _params(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _ENVELOPE}


def _translatable(body: dict[str, Any], client: Any) -> tuple[list[dict], dict[str, Any]]:
    """The messages and parameters of a translated answer. What it cannot give is refused,
    never silently left out; what only OpenAI names is said in the other's terms."""
    model = "an Ollama model" if isinstance(client, OllamaClient) else "the local model"
    if (body.get("n") or 1) > 1:
        raise ProxyError(
            f"'n' above 1 needs an OpenAI-compatible connection; {model} gives one answer.",
            param="n",
        )
    if body.get("functions"):
        # OpenAI's older form of tools, which only an OpenAI-compatible server still takes:
        # left out, the model would answer as if it had none to call.
        how = (
            "send them as 'tools'"
            if isinstance(client, OllamaClient)
            else "use a model served by an OpenAI-compatible connection"
        )
        raise ProxyError(
            f"'functions' (OpenAI's older form of 'tools') is not taken by {model}: {how}.",
            param="functions",
        )
    if isinstance(client, OllamaClient) and any(map(custom, body.get("tools") or ())):
        raise ProxyError(
            "Custom tools need an OpenAI-compatible connection; an Ollama model calls "
            "functions only.",
            param="tools",
        )
    for message in body["messages"]:
        if isinstance(client, OllamaClient) and any(map(custom, message.get("tool_calls") or ())):
            # Its free-form input has no place in Ollama's calls, whose arguments are JSON.
            raise ProxyError(
                "A custom tool's call needs an OpenAI-compatible connection; an Ollama model "
                "calls functions only.",
                param="messages",
            )
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            # The local model refuses images itself, on every route.
            if part["type"] in _WORDS or not isinstance(client, OllamaClient):
                continue
            if part["type"] != "image_url":
                # Ollama's messages hold text and images only: audio or a file would be lost.
                raise ProxyError(
                    f"{model[0].upper()}{model[1:]} takes text and images, not "
                    f"{part['type']!r} content.",
                    param="messages",
                )
            if not str((part.get("image_url") or {}).get("url") or "").startswith("data:"):
                raise ProxyError(
                    f"Images for {model} go as data: URLs (base64), not links.",
                    param="messages",
                )
    # OpenAI's newer name for system instructions; chat templates know only "system".
    messages = [
        {**m, "role": "system"} if m.get("role") == "developer" else m for m in body["messages"]
    ]
    params = _params(body)
    if params.get("tool_choice") == "none":
        # Ollama takes no tool_choice (its own OpenAI API ignores it), so "none" is said by
        # showing no tools; any other choice leaves the call to the model, as Ollama does.
        params.pop("tools", None)
    params.pop("tool_choice", None)
    effort = params.pop("reasoning_effort", None) if isinstance(client, OllamaClient) else None
    if isinstance(effort, str) and effort:
        # As Ollama's own OpenAI API reads it for a model that thinks or not: "none" is no
        # thinking, a level is thinking. Which levels a model takes beyond that, Ollama's API
        # does not tell, and a level it does not take would fail the request.
        params.setdefault("think", effort != "none")
    return messages, params


def _cache_untold(client: Any) -> bool:
    """Whether a translated answer's prompt may have been read from a cache of the server's
    that its count of tokens does not tell of: Ollama keeps one between requests; the local
    model keeps none."""
    return isinstance(client, OllamaClient)


class OpenAIApi:
    def __init__(self, models: ModelService):
        self.models = models
        self.text = TextCompletions(models)

    async def route(self, me: Identity, body: dict[str, Any]) -> tuple[Route, dict[str, Any]]:
        """Where the request goes, and the request as its preset (if any) shapes it."""
        target = await route(self.models, me, body["model"], LISTING)
        return target, with_preset(target, body)

    async def list_models(self, me: Identity) -> OpenAIModelList:
        listed = await self.models.list(me)
        return OpenAIModelList(
            data=[
                # 0, OpenAI's type being a number, where no time is known.
                OpenAIModel(
                    id=m.id, created=m.created or 0, owned_by=m.owned_by or m.connection_name or ""
                )
                for m in listed.items
            ]
        )

    async def model(self, me: Identity, model_id: str) -> OpenAIModel:
        listed = {m.id: m for m in (await self.list_models(me)).data}
        # As chat completions take it: an Ollama model with or without ":latest".
        found = next((listed[s] for s in spellings(model_id) if s in listed), None)
        if found is None:
            raise ProxyError(
                f"The model {model_id!r} does not exist. {LISTING}",
                status=404,
                code="model_not_found",
                param="model",
            )
        return found

    async def chat_stream(self, me: Identity, body: dict[str, Any]) -> AsyncIterator[bytes]:
        requested = body["model"]
        target, body = await self.route(me, body)
        client = target.client
        if isinstance(client, OpenAIClient):
            upstream = {**body, "model": target.upstream_id}
            async with client.open_stream(upstream) as response:
                check_event_stream(response)
                rename = Renamer.needed(target.upstream_id, requested)
                async for data in relay_frames(response, SSE, rename):
                    yield data
            return
        messages, params = _translatable(body, client)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = OpenAIChunks(requested, include_usage, cache_untold=_cache_untold(client))
        async for delta in client.stream_chat(target.upstream_id, messages, params):
            frame = chunks.frames(delta)
            if frame:
                yield frame
        yield chunks.end()

    async def chat(self, me: Identity, body: dict[str, Any]) -> dict[str, Any]:
        requested = body["model"]
        target, body = await self.route(me, body)
        client = target.client
        if isinstance(client, OpenAIClient):
            answer = await client.complete({**body, "model": target.upstream_id})
            return whole_answer(answer, "choices", requested)
        messages, params = _translatable(body, client)
        collected = Collected()
        async for delta in client.stream_chat(target.upstream_id, messages, params):
            collected.add(delta)
        return openai_completion(collected, requested, cache_untold=_cache_untold(client))

    async def embeddings(self, me: Identity, body: dict[str, Any]) -> dict[str, Any]:
        requested = body["model"]
        # A preset lends its base model only: its parameters and system prompt are a chat's,
        # and an embeddings endpoint refuses or misreads them.
        target = await route(self.models, me, requested, LISTING)
        client = target.client
        if isinstance(client, OpenAIClient):
            answer = await client.embeddings({**body, "model": target.upstream_id})
            return whole_answer(answer, "data", requested)
        if not isinstance(client, OllamaClient | LocalEmbedder):
            raise ProxyError(f"Model {requested!r} does not make embeddings.", param="model")
        value = body["input"]
        inputs = [value] if isinstance(value, str) else value
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ProxyError(
                "'input' must be a string or an array of strings for this model "
                "(token arrays need an OpenAI-compatible connection).",
                param="input",
            )
        vectors, tokens = await client.embed(target.upstream_id, inputs, body.get("dimensions"))
        encoding = body.get("encoding_format") or "float"
        return openai_embeddings(vectors, requested, encoding, tokens)

    # -- the Responses API, said as a chat ------------------------------------------------------

    async def _response_deltas(self, me: Identity, body: dict[str, Any]) -> AsyncIterator[Delta]:
        target, chat = await self.route(me, chat_request(body))
        client = target.client
        if isinstance(client, OpenAIClient):
            messages, params = chat["messages"], _params(chat)
        else:
            messages, params = _translatable(chat, client)
        async with aclosing(client.stream_chat(target.upstream_id, messages, params)) as deltas:
            async for delta in deltas:
                yield delta

    async def response_stream(self, me: Identity, body: dict[str, Any]) -> AsyncIterator[bytes]:
        events = ResponseEvents(body["model"], body)
        async with aclosing(self._response_deltas(me, body)) as deltas:
            async for data in framed(deltas, events.add, events.end, events.start()):
                yield data

    async def response(self, me: Identity, body: dict[str, Any]) -> dict[str, Any]:
        events = ResponseEvents(body["model"], body)
        async with aclosing(self._response_deltas(me, body)) as deltas:
            async for delta in deltas:
                events.add(delta)
        events.end()
        return events.whole()
