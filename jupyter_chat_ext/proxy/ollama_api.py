"""The Ollama-compatible API's rules. An Ollama connection's bytes are relayed as they are;
every other connection is asked in OpenAI's terms and answered in Ollama's NDJSON."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

from ..core.identity import Identity
from ..models.service import ModelService, Route, spellings
from ..providers.base import Delta, ReasoningDelta, UpstreamError
from ..providers.local_client import LocalEmbedder, LocalModelClient
from ..providers.ollama_client import OllamaClient, is_vectors
from ..providers.openai_client import OpenAIClient
from ..providers.orm import ConnectionRow
from .checks import MAX_EMBEDDING_INPUTS
from .errors import ProxyError
from .ollama_wire import OllamaLines, ollama_running, ollama_tag, ollama_time
from .passthrough import NDJSON, Renamer, is_json, ollama_request, read_json, relay_frames
from .routing import preset_params, preset_prompt, route
from .schemas import OllamaRunning, OllamaTags, OllamaVersion
from .stops import cut_at_stops, kept_stops
from .text_completions import with_preset as text_with_preset
from .translate import (
    generate_messages,
    ndjson,
    openai_messages,
    openai_params,
    unloads,
    with_json_hint,
)

LISTING = "GET chat-ext/ollama/api/tags lists the models you can use."
# Ollama's own words, which some clients look for.
UNKNOWN = 'model "{}" not found.'
# The Ollama release whose API this one follows; clients use it to decide what to ask for.
# 0.12.11 is the first with everything served here: log-probabilities, and tool calls with
# their ids and indexes.
VERSION = "0.12.11"
_PATHS = {"message": "/api/chat", "response": "/api/generate"}


def _messages(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return (body.get("messages") or []) if field == "message" else generate_messages(body)


def _loaded(model: str, field: str, body: dict[str, Any]) -> dict[str, Any]:
    """Ollama's answer to an empty chat or prompt: the model is loaded (or, with a
    ``keep_alive`` of 0, unloaded), nothing is said."""
    if field == "message":
        content: dict[str, Any] = {"message": {"role": "assistant", "content": ""}}
    else:
        content = {"response": ""}
    return {
        "model": model,
        "created_at": ollama_time(),
        **content,
        "done": True,
        "done_reason": "unload" if unloads(body) else "load",
    }


async def _load_or_unload(client: Any, body: dict[str, Any]) -> None:
    """Does for the local model what the answer to an empty chat or prompt says was done
    (clients unload a model with ``keep_alive`` 0, as ``ollama stop`` does, and check ``ps``)."""
    if isinstance(client, LocalModelClient | LocalEmbedder):
        await (client.unload() if unloads(body) else client.preload())


def _empty(body: dict[str, Any], field: str) -> bool:
    return not (body.get("messages") if field == "message" else body.get("prompt"))


def _renamed(answer: Any, requested: str) -> Any:
    if isinstance(answer, dict) and "model" in answer:
        answer["model"] = requested
    return answer


# Ollama's generate fields that only an Ollama server can honour: a model asked in OpenAI's
# terms has no template of its own and no token context. A raw prompt and fill-in-the-middle
# are asked of some others by OpenAI's legacy completions (see ``_continuing``).
_OLLAMA_ONLY = {
    "suffix": "fill-in-the-middle (suffix)",
    "raw": "a raw prompt",
    "template": "a template",
    "context": "a token context",
}
# What a continuation (a raw prompt, or one with a suffix) cannot be asked for, by the name
# of Ollama's field: a chat's tools, formats and thinking, and log-probabilities (which the
# legacy API gives in another shape).
_NOT_CONTINUED = {
    "tools": "tools",
    "response_format": "format",
    "logprobs": "logprobs",
    "reasoning_effort": "think",
}


def _continuing(client: Any) -> set[str]:
    """The fields of ``_OLLAMA_ONLY`` that ``client`` honours: an OpenAI-compatible server
    continues a raw prompt and fills in the middle; the local model continues a raw prompt."""
    if isinstance(client, OpenAIClient):
        return {"raw", "suffix"}
    return {"raw"} if isinstance(client, LocalModelClient) else set()


def _continues(body: dict[str, Any], field: str) -> bool:
    return field == "response" and bool(body.get("raw") or body.get("suffix"))


def _continuation_params(target: Route, body: dict[str, Any], local: bool) -> dict[str, Any]:
    """The legacy completions' parameters of a raw or fill-in-the-middle generate: what the
    request asks, over its preset's sampling defaults. What a continuation cannot give (it is
    text alone) is refused by name."""
    asked = openai_params(body, local)
    refused = [field for name, field in _NOT_CONTINUED.items() if asked.get(name)]
    if body.get("images"):
        refused.append("images")
    if refused:
        raise ProxyError(
            f"{body['model']} takes no '{refused[0]}' with a raw prompt or a suffix: only "
            "models on an Ollama connection do.",
            param=refused[0],
        )
    if body.get("suffix"):
        asked["suffix"] = body["suffix"]
    return text_with_preset(target, asked)


def _capabilities(client: Any, kind: str) -> list[str]:
    if isinstance(client, LocalEmbedder):
        return ["embedding"]
    # OpenAI-compatible servers take tools; the local model only writes text.
    return ["completion", "tools"] if kind == "openai" else ["completion"]


def _embedded(model: str, vectors: list[list[float]], started: int, tokens: int) -> dict[str, Any]:
    """Ollama's answer to ``embed``."""
    return {
        "model": model,
        "embeddings": vectors,
        "total_duration": time.perf_counter_ns() - started,
        "load_duration": 0,
        "prompt_eval_count": tokens,
    }


class OllamaApi:
    def __init__(self, models: ModelService):
        self.models = models

    async def route(
        self, me: Identity, body: dict[str, Any], field: str | None = None
    ) -> tuple[Route, dict[str, Any]]:
        """Where the request goes, and the request as its preset (if any) shapes it. For a
        chat or generate (``field``) that only loads or unloads the model, the preset's
        system prompt stays out: it would make the model answer it. Embeddings (no
        ``field``) take nothing of it but its base model: its parameters and system prompt
        are a chat's."""
        target = await route(self.models, me, body["model"], LISTING, UNKNOWN)
        if field is None:
            return target, body
        if isinstance(target.client, OllamaClient):
            body = preset_params(target, body, ollama=True)
        else:
            # Asked in OpenAI's terms, where the preset's parameters join as they do on the
            # OpenAI API (``_deltas``), Ollama-only ones included.
            honoured = _continuing(target.client)
            for name, what in _OLLAMA_ONLY.items():
                if body.get(name) and name not in honoured:
                    continued = name in ("raw", "suffix")
                    where = "an Ollama or OpenAI-compatible" if continued else "an Ollama"
                    raise ProxyError(
                        f"{body['model']} does not support {what}: only models on {where} "
                        "connection do.",
                        param=name,
                    )
        return target, body if _empty(body, field) else preset_prompt(target, body)

    async def tags(self, me: Identity) -> OllamaTags:
        listed = await self.models.list(me)
        # A preset shows its base model's size and family.
        meta = await self.models.upstream_meta()
        return OllamaTags(
            models=[
                ollama_tag(
                    m.id,
                    m.kind or "preset",
                    m.owned_by,
                    meta.get(m.preset.base_model if m.preset else m.id),
                    m.created,
                )
                for m in listed.items
            ]
        )

    async def running(self) -> OllamaRunning:
        """The models held in memory now: what each Ollama connection says of its own (named
        as they are listed here), and the local model while its weights are loaded. Only
        what answers for its name here is shown: a connection's prefix and allowlist apply,
        and a copy on a server that an earlier connection shadows is left out."""
        rows = await self.models.connections.enabled()
        listed, *found = await asyncio.gather(
            self.models.list(), *(self._running(row) for row in rows)
        )
        served = {m.id: m.connection_id for m in listed.items}
        models = [
            model
            for row, loaded in zip(rows, found, strict=True)
            for model in loaded
            if served.get(model["name"]) == row.id
        ]
        return OllamaRunning.model_validate({"models": models})

    async def _running(self, row: ConnectionRow) -> list[dict[str, Any]]:
        client = self.models.connections.client(row)
        if isinstance(client, LocalModelClient | LocalEmbedder):
            resident = client.resident()
            if resident is None:
                return []
            expires = (datetime.now(UTC) + timedelta(seconds=resident.expires_in)).isoformat()
            name = f"{row.prefix}{client.model_id}"
            meta = {"size": resident.size, "context_length": resident.context_length}
            return [ollama_running(name, "local", meta, expires)]
        if not isinstance(client, OllamaClient):
            return []
        try:
            async with asyncio.timeout(self.models.connections.timeout):
                loaded = await client.running()
        except (UpstreamError, TimeoutError):
            # As for Ollama's own list: a server that cannot say holds nothing worth showing.
            return []
        return [
            ollama_running(f"{row.prefix}{model.get('model') or model['name']}", "ollama", model)
            for model in loaded
        ]

    async def show(self, me: Identity, model: str, verbose: bool = False) -> dict[str, Any]:
        """What Ollama's ``show`` tells of a model: an Ollama connection's own account (in
        full with ``verbose``), or one made from what is known here. A preset adds its system
        prompt."""
        target = await route(self.models, me, model, LISTING, UNKNOWN)
        client = target.client
        if isinstance(client, OllamaClient):
            asked = {"model": target.upstream_id, **({"verbose": True} if verbose else {})}
            async with ollama_request(client, "/api/show", asked, short=True) as r:
                shown = await read_json(r)
            if not isinstance(shown, dict):
                raise UpstreamError("malformed", "Ollama's model details are not an object.")
        else:
            kind = target.connection.kind
            # Described as tags lists it.
            listed = {m.id: m for m in (await self.models.list(me)).items}
            found = next((listed[s] for s in spellings(model) if s in listed), None)
            if found is not None:
                tag = ollama_tag(
                    model, found.kind or "preset", found.owned_by, created=found.created
                )
            else:
                tag = ollama_tag(model, kind, "")
            shown = {
                "modelfile": "",
                "parameters": "",
                "template": "",
                "details": tag["details"],
                "model_info": {},
                "capabilities": _capabilities(client, kind),
                "modified_at": tag["modified_at"],
            }
        preset = target.preset
        if preset is not None:
            if preset.system_prompt:
                # Where Ollama shows a model's own system prompt.
                base = shown.get("modelfile") or f"FROM {preset.base_model}\n"
                shown["modelfile"] = f'{base}SYSTEM """{preset.system_prompt}"""\n'
                shown["system"] = preset.system_prompt
            have = shown.get("capabilities")
            have = have if isinstance(have, list) else []  # older servers send none, or null
            extra = [c for c in preset.capabilities or () if c not in have]
            shown["capabilities"] = [*have, *extra]
        return shown

    def version(self) -> OllamaVersion:
        return OllamaVersion(version=VERSION)

    async def answer_stream(
        self, me: Identity, body: dict[str, Any], field: str
    ) -> AsyncIterator[bytes]:
        """``field`` is "message" for /api/chat, "response" for /api/generate."""
        requested = body["model"]
        target, body = await self.route(me, body, field)
        client = target.client
        if isinstance(client, OllamaClient):
            upstream = {**body, "model": target.upstream_id}
            async with ollama_request(client, _PATHS[field], upstream) as response:
                if is_json(response):
                    # Loading or unloading, Ollama answers one JSON object, streamed or not.
                    yield ndjson(_renamed(await read_json(response), requested))
                    return
                rename = Renamer.needed(target.upstream_id, requested)
                async for data in relay_frames(response, NDJSON, rename):
                    yield data
            return
        if _empty(body, field):
            await _load_or_unload(client, body)
            yield ndjson(_loaded(requested, field, body))
            return
        lines = OllamaLines(requested, field)
        async for delta in self._deltas(target, body, field):
            frame = lines.frames(delta)
            if frame:
                yield frame
        yield lines.end()

    async def answer(self, me: Identity, body: dict[str, Any], field: str) -> dict[str, Any]:
        requested = body["model"]
        target, body = await self.route(me, body, field)
        client = target.client
        if isinstance(client, OllamaClient):
            upstream = {**body, "model": target.upstream_id, "stream": False}
            async with ollama_request(client, _PATHS[field], upstream) as response:
                return _renamed(await read_json(response), requested)
        if _empty(body, field):
            await _load_or_unload(client, body)
            return _loaded(requested, field, body)
        lines = OllamaLines(requested, field)
        async for delta in self._deltas(target, body, field):
            lines.add(delta)
        return lines.final(lines.answer.content)

    async def _deltas(
        self, target: Route, body: dict[str, Any], field: str
    ) -> AsyncIterator[Delta]:
        local = isinstance(target.client, LocalModelClient)
        if _continues(body, field):
            # The prompt as it is, without a chat template, as Ollama takes a raw one.
            params = _continuation_params(target, body, local)
            stops = kept_stops(params) if not local else []
            deltas = target.client.stream_text(target.upstream_id, body.get("prompt") or "", params)
        else:
            messages = openai_messages(_messages(body, field))
            params = target.params(openai_params(body, local))
            stops = []
            if isinstance(target.client, OpenAIClient):
                messages = with_json_hint(messages, params)
                stops = kept_stops(params)
            deltas = target.client.stream_chat(target.upstream_id, messages, params)
        if stops:
            deltas = cut_at_stops(deltas, stops)
        # "think": false (the request's, else its preset's) asks for no thinking; a server
        # that thinks anyway is not shown.
        quiet = body.get("think", params.get("think")) is False
        async with aclosing(deltas):  # type: ignore[type-var]
            async for delta in deltas:
                if not (quiet and isinstance(delta, ReasoningDelta)):
                    yield delta
        if unloads(body) and isinstance(target.client, LocalModelClient):
            await target.client.unload()  # as Ollama drops a model after a keep_alive of 0

    async def embedding(self, me: Identity, body: dict[str, Any]) -> dict[str, Any]:
        """The older ``/api/embeddings``: one prompt, one vector, as ``{"embedding": [...]}``."""
        target, body = await self.route(me, body)
        client = target.client
        if isinstance(client, OllamaClient):
            upstream = {**body, "model": target.upstream_id}
            async with ollama_request(client, "/api/embeddings", upstream, short=True) as response:
                return await read_json(response)
        prompt = body.pop("prompt", "")
        if not prompt:
            return {"embedding": []}  # as Ollama answers an empty prompt
        answer = await self._embed(target, {**body, "input": [prompt]})
        return {"embedding": answer["embeddings"][0]}

    async def embed(self, me: Identity, body: dict[str, Any]) -> dict[str, Any]:
        target, body = await self.route(me, body)
        return await self._embed(target, body)

    async def _embed(self, target: Route, body: dict[str, Any]) -> dict[str, Any]:
        requested = body["model"]
        client = target.client
        if isinstance(client, OllamaClient):
            async with ollama_request(
                client, "/api/embed", {**body, "model": target.upstream_id}, short=True
            ) as response:
                return _renamed(await read_json(response), requested)
        if not isinstance(client, OpenAIClient | LocalEmbedder):
            raise ProxyError(f"Model {requested!r} does not make embeddings.", param="model")
        value = body.get("input")
        inputs = ([value] if value else []) if isinstance(value, str) else value or []
        if not inputs:
            # As Ollama answers nothing to embed.
            return {"model": requested, "embeddings": []}
        started = time.perf_counter_ns()
        if isinstance(client, LocalEmbedder):
            if not all(isinstance(i, str) for i in inputs):
                raise ProxyError("'input' must be a string or an array of strings.", param="input")
            dimensions = body.get("dimensions")
            vectors, tokens = await client.embed(
                target.upstream_id,
                inputs,
                dimensions if isinstance(dimensions, int) else None,
                truncate=body.get("truncate") is not False,
            )
            if unloads(body):  # as Ollama drops a model after a request with keep_alive 0
                await client.unload()
            return _embedded(requested, vectors, started, tokens)
        request = {"model": target.upstream_id, "encoding_format": "float"}
        if isinstance(body.get("dimensions"), int):
            request["dimensions"] = body["dimensions"]
        vectors, tokens = [], 0
        # Ollama embeds any number of inputs at once; OpenAI refuses more than its limit in
        # one request, so a longer list is asked for in batches, one after the other.
        for start in range(0, len(inputs), MAX_EMBEDDING_INPUTS):
            batch = inputs[start : start + MAX_EMBEDDING_INPUTS]
            answer = await client.embeddings({**request, "input": batch})
            more, counted = _openai_vectors(answer)
            if not is_vectors(more, len(batch)):
                raise ProxyError(
                    "The upstream's embeddings are not in OpenAI's format.", status=502
                )
            vectors += more
            tokens += counted
        return _embedded(requested, vectors, started, tokens)


def _openai_vectors(answer: Any) -> tuple[Any, int]:
    """The vectors of an OpenAI embeddings answer in the inputs' order (None when it has
    none), and the tokens it counted (0 when it does not say)."""
    try:
        data = sorted(answer["data"], key=lambda d: d.get("index", 0))
        vectors = [d["embedding"] for d in data]
    except (KeyError, TypeError, AttributeError):
        return None, 0
    usage = answer.get("usage")
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return vectors, tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else 0
