"""OpenAI's wire format, built from typed deltas: stream chunks, whole completions, embeddings."""

from __future__ import annotations

import base64
import struct
import time
import uuid
from typing import Any

from ..providers.base import Delta, Finish, ReasoningDelta, TextDelta, ToolCallDelta, Usage
from .translate import SSE_DONE, Collected, sse

# Where a model's reasoning goes: OpenAI's API has no field for it, and this is the name
# DeepSeek's API, vLLM and LiteLLM give it, which most clients read.
REASONING = "reasoning_content"


def _openai_call(index: int, call: dict[str, str]) -> dict[str, Any]:
    return {
        "index": index,
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": call["arguments"]},
    }


def openai_usage(usage: Usage | None, *, reasoned: bool, cache_untold: bool) -> dict[str, Any]:
    """OpenAI's usage, with those of its details that are known for certain: no audio either
    way, and no predicted output (neither Ollama nor the local model takes a ``prediction``);
    no hidden reasoning when none was sent apart (``reasoned``: how much of the answer it
    was is not told); and no cached prompt tokens unless the server may reuse a cache it does
    not account for (``cache_untold``: Ollama's)."""
    u = usage or Usage(0, 0, 0)
    prompt: dict[str, int] = {"audio_tokens": 0}
    if not cache_untold:
        prompt["cached_tokens"] = 0
    completion = {
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    }
    if not reasoned:
        completion["reasoning_tokens"] = 0
    return {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.total_tokens,
        "prompt_tokens_details": prompt,
        "completion_tokens_details": completion,
    }


class OpenAIChunks:
    """``chat.completion.chunk`` events from deltas, as OpenAI streams them."""

    def __init__(self, model: str, include_usage: bool, *, cache_untold: bool):
        self.base = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            # OpenAI's name for its backend's configuration; there is none to name here.
            "system_fingerprint": None,
        }
        self.include_usage = include_usage
        self.cache_untold = cache_untold
        self.started = False
        self.reasoned = False
        self.usage: Usage | None = None

    def _chunk(
        self, delta: dict[str, Any], reason: str | None = None, logprobs: list | None = None
    ) -> bytes:
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": {"content": logprobs, "refusal": None} if logprobs else None,
            "finish_reason": reason,
        }
        extra = {"usage": None} if self.include_usage else {}
        return sse({**self.base, "choices": [choice], **extra})

    def frames(self, delta: Delta) -> bytes:
        out = b""
        if not self.started:
            self.started = True
            out = self._chunk({"role": "assistant", "content": "", "refusal": None})
        if isinstance(delta, TextDelta):
            out += self._chunk({"content": delta.text}, logprobs=delta.logprobs)
        elif isinstance(delta, ReasoningDelta):
            self.reasoned = True
            out += self._chunk({REASONING: delta.text})
        elif isinstance(delta, ToolCallDelta):
            call = {"id": delta.id or "", "name": delta.name or "", "arguments": delta.arguments}
            out += self._chunk({"tool_calls": [_openai_call(delta.index, call)]})
        elif isinstance(delta, Usage):
            self.usage = delta
        elif isinstance(delta, Finish):
            out += self._chunk({}, delta.reason or "stop")
        return out

    def end(self) -> bytes:
        out = b""
        if self.include_usage:
            usage = openai_usage(self.usage, reasoned=self.reasoned, cache_untold=self.cache_untold)
            out = sse({**self.base, "choices": [], "usage": usage})
        return out + SSE_DONE


def openai_completion(answer: Collected, model: str, *, cache_untold: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.content, "refusal": None}
    if answer.reasoning:
        message[REASONING] = answer.reasoning
    if answer.calls:
        message["content"] = answer.content or None
        message["tool_calls"] = [
            {k: v for k, v in _openai_call(i, c).items() if k != "index"}
            for i, c in sorted(answer.calls.items())
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": {"content": answer.logprobs, "refusal": None}
                if answer.logprobs
                else None,
                "finish_reason": answer.finish or "stop",
            }
        ],
        "usage": openai_usage(
            answer.usage, reasoned=bool(answer.thoughts), cache_untold=cache_untold
        ),
    }


def openai_embeddings(
    vectors: list[list[float]], model: str, encoding: str, tokens: int
) -> dict[str, Any]:
    def encoded(vector: list[float]) -> Any:
        if encoding == "base64":
            # What the official clients ask for by default: little-endian float32.
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return vector

    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encoded(v)}
            for i, v in enumerate(vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
