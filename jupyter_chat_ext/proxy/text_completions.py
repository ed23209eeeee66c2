"""OpenAI's legacy completions (``POST /v1/completions``): a prompt continued, as code
completion clients still ask, with fill-in-the-middle (``suffix``) where the server has it.

OpenAI-compatible servers and Ollama (whose own ``/v1/completions`` applies its templates as
Ollama does) speak this API themselves and get the request as it was sent; the local model
continues the prompt's own text, without its chat template.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from ..core.identity import Identity
from ..models.service import LENGTH_LIMITS, ModelService, Route
from ..providers.base import Finish, TextDelta, Usage
from ..providers.local_client import LocalModelClient
from ..providers.ollama_client import OllamaClient
from ..providers.openai_client import OpenAIClient
from .errors import ProxyError
from .passthrough import SSE, Renamer, check_event_stream, relay_frames, whole_answer
from .routing import route
from .translate import SSE_DONE, framed, sse

LISTING = "GET chat-ext/openai/v1/models lists the models you can use."
# A preset's parameters that a plain continuation takes; its system prompt and the rest
# (tools, response formats) belong to a chat.
PRESET_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
)
# What only an upstream that speaks this API itself can give, as the local model is asked.
_UPSTREAM_ONLY = {
    "suffix": "fill-in-the-middle (suffix)",
    "logprobs": "log-probabilities",
    "best_of": "best_of",
}


def with_preset(target: Route, body: dict[str, Any]) -> dict[str, Any]:
    """The preset's sampling parameters as defaults the request overrides."""
    if target.preset is None:
        return body
    given = dict(target.preset.params or {})
    limit = next((given[k] for k in reversed(LENGTH_LIMITS) if given.get(k) is not None), None)
    defaults = {k: given[k] for k in PRESET_PARAMS if given.get(k) is not None}
    if limit is not None:
        # This API knows the limit by its older name only.
        defaults["max_tokens"] = limit
    return {**defaults, **body}


def speaker(client: Any) -> OpenAIClient | None:
    """The client that asks this API of the upstream itself, if it has it."""
    if isinstance(client, OpenAIClient):
        return client
    if isinstance(client, OllamaClient):
        # Ollama serves OpenAI's API under /v1, this one included.
        return OpenAIClient(
            client.http,
            f"{client.base_url}/v1",
            headers=client.headers,
            timeout=client.timeout,
            read_timeout=client.read_timeout,
        )
    return None


def _local_request(client: Any, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The local model's prompt and parameters. What it cannot give is refused, by name."""
    requested = body["model"]
    if not isinstance(client, LocalModelClient):
        raise ProxyError(f"Model {requested!r} does not write text.", param="model")
    for name, what in _UPSTREAM_ONLY.items():
        if body.get(name) is not None and not (name == "best_of" and body[name] == 1):
            raise ProxyError(
                f"{requested} does not give {what}: only models on an OpenAI-compatible "
                "or Ollama connection do.",
                param=name,
            )
    if (body.get("n") or 1) > 1:
        raise ProxyError(
            f"'n' above 1 needs an OpenAI-compatible connection; {requested} gives one answer.",
            param="n",
        )
    prompt = body["prompt"]
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ProxyError(
            f"{requested} continues one text prompt: several prompts, or tokens, need an "
            "OpenAI-compatible connection.",
            param="prompt",
        )
    params = {k: body[k] for k in PRESET_PARAMS if body.get(k) is not None}
    # As OpenAI's legacy API does, an answer without a limit is short: 16 tokens.
    params.setdefault("max_tokens", 16)
    return prompt, params


class TextChunks:
    """``text_completion`` objects, streamed or whole, from the local model's deltas."""

    def __init__(self, model: str, echo: str, include_usage: bool):
        self.base = {
            "id": f"cmpl-{uuid.uuid4().hex}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
        }
        self.echo = echo
        self.include_usage = include_usage
        self.text = ""
        self.reason = "stop"
        self.usage = Usage(0, 0, 0)

    def _chunk(self, text: str, reason: str | None = None) -> bytes:
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": reason}
        extra = {"usage": None} if self.include_usage else {}
        return sse({**self.base, "choices": [choice], **extra})

    def add(self, delta: Any) -> bytes:
        """The frame ``delta`` makes, if any (and what it adds to the whole answer)."""
        if isinstance(delta, TextDelta) and delta.text:
            self.text += delta.text
            return self._chunk(delta.text)
        if isinstance(delta, Usage):
            self.usage = delta
        elif isinstance(delta, Finish):
            self.reason = delta.reason or "stop"
        return b""

    def opening(self) -> bytes:
        return self._chunk(self.echo) if self.echo else b""

    def end(self) -> bytes:
        frames = self._chunk("", self.reason)
        if self.include_usage:
            frames += sse({**self.base, "choices": [], "usage": self._usage()})
        return frames + SSE_DONE

    def whole(self) -> dict[str, Any]:
        choice = {
            "text": self.echo + self.text,
            "index": 0,
            "logprobs": None,
            "finish_reason": self.reason,
        }
        return {**self.base, "choices": [choice], "usage": self._usage()}

    def _usage(self) -> dict[str, int]:
        u = self.usage
        return {
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "total_tokens": u.total_tokens,
        }


class TextCompletions:
    def __init__(self, models: ModelService):
        self.models = models

    async def _target(self, me: Identity, body: dict[str, Any]) -> tuple[Route, dict[str, Any]]:
        target = await route(self.models, me, body["model"], LISTING)
        return target, with_preset(target, body)

    async def stream(self, me: Identity, body: dict[str, Any]) -> AsyncIterator[bytes]:
        requested = body["model"]
        target, body = await self._target(me, body)
        upstream = speaker(target.client)
        if upstream is not None:
            sent = {**body, "model": target.upstream_id}
            async with upstream.open_stream(sent, "/completions") as response:
                check_event_stream(response)
                rename = Renamer.needed(target.upstream_id, requested)
                async for data in relay_frames(response, SSE, rename):
                    yield data
            return
        prompt, params = _local_request(target.client, body)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = TextChunks(requested, prompt if body.get("echo") else "", include_usage)
        # The echoed prompt goes with the first text (see ``framed``).
        async with aclosing(
            target.client.stream_text(target.upstream_id, prompt, params)
        ) as deltas:
            async for data in framed(deltas, chunks.add, chunks.end, chunks.opening()):
                yield data

    async def whole(self, me: Identity, body: dict[str, Any]) -> dict[str, Any]:
        requested = body["model"]
        target, body = await self._target(me, body)
        upstream = speaker(target.client)
        if upstream is not None:
            answer = await upstream.complete({**body, "model": target.upstream_id}, "/completions")
            return whole_answer(answer, "choices", requested)
        prompt, params = _local_request(target.client, body)
        chunks = TextChunks(requested, prompt if body.get("echo") else "", False)
        async for delta in target.client.stream_text(target.upstream_id, prompt, params):
            chunks.add(delta)
        return chunks.whole()
