"""A client for OpenAI-compatible servers (OpenAI, vLLM, llama.cpp, LiteLLM, ...)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from .base import (
    Delta,
    Finish,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    UpstreamError,
    UpstreamModel,
    Usage,
    stream_deltas,
    unix_time,
)
from .http import upstream_stream
from .sse import EventReader

if TYPE_CHECKING:
    from .transport import UpstreamTransport


def _made(created: Any) -> dict[str, Any]:
    seconds = unix_time(created)
    return {} if seconds is None else {"created": seconds}


class OpenAIClient:
    def __init__(
        self,
        http: UpstreamTransport,
        base_url: str,
        api_key: str = "",
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        read_timeout: float = 300.0,
    ):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = timeout
        # A streamed answer may pause (a model loading, a long think) far longer than a connect.
        self.read_timeout = read_timeout

    async def models(self) -> list[UpstreamModel]:
        async with upstream_stream(
            self.http,
            "GET",
            f"{self.base_url}/models",
            headers=self.headers,
            connect_timeout=self.timeout,
        ) as response:
            body = await response.aread()
        try:
            data = json.loads(body)["data"]
            return [
                UpstreamModel(
                    id=str(m["id"]),
                    name=str(m.get("name") or m["id"]),
                    owned_by=str(m.get("owned_by") or ""),
                    meta=_made(m.get("created")),
                )
                for m in data
            ]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UpstreamError("malformed", "The model list is not OpenAI's format.") from None

    def request_body(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool
    ) -> dict[str, Any]:
        body = {**params, "model": model, "messages": messages, "stream": stream}
        if stream:
            body["stream_options"] = {"include_usage": True, **params.get("stream_options", {})}
        return body

    def open_stream(self, body: dict[str, Any], path: str = "/chat/completions"):
        """The raw streamed response, for callers that pass OpenAI's bytes straight through."""
        return upstream_stream(
            self.http,
            "POST",
            f"{self.base_url}{path}",
            json=body,
            headers=self.headers,
            connect_timeout=self.timeout,
            read_timeout=self.read_timeout,
        )

    async def complete(
        self, body: dict[str, Any], path: str = "/chat/completions"
    ) -> dict[str, Any]:
        async with upstream_stream(
            self.http,
            "POST",
            f"{self.base_url}{path}",
            json={**body, "stream": False},
            headers=self.headers,
            connect_timeout=self.timeout,
            read_timeout=self.read_timeout,
        ) as response:
            raw = await response.aread()
        try:
            return json.loads(raw)
        except ValueError:
            raise UpstreamError("malformed", "The upstream's answer is not JSON.") from None

    async def embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        async with upstream_stream(
            self.http,
            "POST",
            f"{self.base_url}/embeddings",
            json=body,
            headers=self.headers,
            connect_timeout=self.timeout,
        ) as response:
            raw = await response.aread()
        try:
            return json.loads(raw)
        except ValueError:
            raise UpstreamError("malformed", "The upstream's answer is not JSON.") from None

    async def stream_chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        body = self.request_body(model, messages, params, stream=True)
        async with self.open_stream(body) as response:
            async for delta in parse_sse(response.aiter_bytes()):
                yield delta

    async def stream_text(
        self, model: str, prompt: str, params: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        """``prompt`` continued (before ``params["suffix"]``, if any), by the legacy
        completions API: no chat template comes between."""
        body = {
            **params,
            "model": model,
            "prompt": prompt,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        async with self.open_stream(body, "/completions") as response:
            async for delta in parse_sse(response.aiter_bytes(), _text_chunk_deltas):
                yield delta


def _text_chunk_deltas(chunk: dict[str, Any]) -> list[Delta]:
    """The deltas of one streamed text_completion (its first choice only)."""
    out: list[Delta] = []
    for choice in chunk.get("choices") or []:
        if choice.get("index", 0) != 0:
            continue
        if choice.get("text"):
            out.append(TextDelta(str(choice["text"])))
        if choice.get("finish_reason"):
            out.append(Finish(choice["finish_reason"]))
    return out + _usage(chunk)


async def parse_sse(
    pieces: AsyncIterator[bytes],
    read: Callable[[dict[str, Any]], list[Delta]] | None = None,
) -> AsyncIterator[Delta]:
    """OpenAI's chat.completion.chunk events (or another kind, which ``read`` reads) as
    deltas; a stream that stops before [DONE] and before a finish reason was cut."""
    read = read or _chunk_deltas
    finished = False
    reader = EventReader()
    async for piece in pieces:
        for raw in reader.feed(piece):
            data = raw.decode("utf-8", "replace").strip()
            if not data:
                continue  # an event of empty data lines says nothing (a keep-alive)
            if data == "[DONE]":
                if not finished:
                    yield Finish(None)
                return
            for delta in stream_deltas(data, "The upstream", "event", read):
                finished = finished or isinstance(delta, Finish)
                yield delta
    if not finished:
        raise UpstreamError("cut", "The upstream stream ended before the answer was complete.")


def _arguments_text(arguments: Any) -> str:
    """A tool call's arguments as OpenAI sends them, JSON text; some servers send the object."""
    if arguments is None or isinstance(arguments, str):
        return arguments or ""
    return json.dumps(arguments)


def _chunk_deltas(chunk: dict[str, Any]) -> list[Delta]:
    """The deltas of one chat.completion.chunk (its first choice only)."""
    out: list[Delta] = []
    for choice in chunk.get("choices") or []:
        if choice.get("index", 0) != 0:
            continue
        delta = choice.get("delta") or {}
        logprobs = (choice.get("logprobs") or {}).get("content")
        thought = delta.get("reasoning_content") or delta.get("reasoning")
        if thought and isinstance(thought, str):
            # DeepSeek, vLLM and LiteLLM name it reasoning_content; OpenRouter and Ollama's
            # OpenAI API, reasoning.
            out.append(ReasoningDelta(thought))
        # A model that refuses (OpenAI's structured outputs) says why in "refusal", in place
        # of the content: it is the answer's text, which would otherwise be empty.
        text = delta.get("content") or delta.get("refusal")
        if text or logprobs:
            out.append(TextDelta(str(text or ""), logprobs or None))
        for call in delta.get("tool_calls") or []:
            function = call.get("function") or {}
            out.append(
                ToolCallDelta(
                    index=call.get("index", 0),
                    id=call.get("id"),
                    name=function.get("name"),
                    arguments=_arguments_text(function.get("arguments")),
                )
            )
        if choice.get("finish_reason"):
            out.append(Finish(choice["finish_reason"]))
    return out + _usage(chunk)


def _usage(chunk: dict[str, Any]) -> list[Delta]:
    usage = chunk.get("usage")
    if not isinstance(usage, dict):
        return []
    told = (usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens"))
    return [Usage.told(*told)]
