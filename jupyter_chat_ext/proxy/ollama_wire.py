"""Ollama's wire format, built from typed deltas: NDJSON lines and the model list."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from ..providers.base import Delta, ReasoningDelta, TextDelta, ToolCallDelta, Usage
from .translate import Collected, ndjson


def ollama_time() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OllamaLines:
    """Ollama's NDJSON lines from deltas; ``field`` is "message" (chat) or "response"
    (generate). Tool calls arrive from OpenAI in fragments and leave whole, as Ollama
    sends them."""

    def __init__(self, model: str, field: str):
        self.model = model
        self.field = field
        self.answer = Collected()
        self.started = time.perf_counter_ns()
        # When the model's first words came: reading the prompt ends there, writing begins.
        self.first: int | None = None

    def _content(
        self, text: str, calls: list[dict[str, Any]] | None = None, thinking: str = ""
    ) -> dict[str, Any]:
        if self.field == "response":
            return {"response": text, **({"thinking": thinking} if thinking else {})}
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if thinking:
            message["thinking"] = thinking
        if calls:
            message["tool_calls"] = calls
        return {"message": message}

    def _line(
        self,
        text: str,
        calls: list[dict[str, Any]] | None = None,
        logprobs: list | None = None,
        thinking: str = "",
    ) -> dict[str, Any]:
        content = self._content(text, calls, thinking)
        line = {"model": self.model, "created_at": ollama_time(), **content}
        if logprobs:
            line["logprobs"] = [ollama_logprob(e) for e in logprobs]
        return {**line, "done": False}

    def add(self, delta: Delta) -> None:
        if self.first is None and isinstance(delta, TextDelta | ReasoningDelta | ToolCallDelta):
            self.first = time.perf_counter_ns()
        self.answer.add(delta)

    def frames(self, delta: Delta) -> bytes:
        self.add(delta)
        if isinstance(delta, TextDelta):
            return ndjson(self._line(delta.text, logprobs=delta.logprobs))
        if isinstance(delta, ReasoningDelta):
            return ndjson(self._line("", thinking=delta.text))
        return b""

    def tool_calls(self) -> list[dict[str, Any]]:
        """Whole calls as Ollama gives them: an id (the upstream's), and the call's place among
        the answer's calls."""
        calls = []
        for index, (_, call) in enumerate(sorted(self.answer.calls.items())):
            try:
                arguments = json.loads(call["arguments"] or "{}")
            except ValueError:
                arguments = {}
            function = {"index": index, "name": call["name"], "arguments": arguments}
            calls.append({"id": call["id"], "function": function})
        return calls

    def final(self, text: str = "", *, with_calls: bool = True) -> dict[str, Any]:
        """The closing ``done: true`` object; for a non-streamed reply it carries the whole
        answer: text, reasoning and tool calls."""
        u = self.answer.usage or Usage(0, 0, 0)
        now = time.perf_counter_ns()
        first = now if self.first is None else self.first
        calls = self.tool_calls() if with_calls and self.field == "message" else None
        logprobs = self.answer.logprobs if with_calls else None
        thinking = self.answer.reasoning if with_calls else ""
        return {
            "model": self.model,
            "created_at": ollama_time(),
            **self._content(text, calls, thinking),
            **({"logprobs": [ollama_logprob(e) for e in logprobs]} if logprobs else {}),
            "done": True,
            "done_reason": "length" if self.answer.finish == "length" else "stop",
            "total_duration": now - self.started,
            "load_duration": 0,
            "prompt_eval_count": u.prompt_tokens,
            "prompt_eval_duration": first - self.started,
            "eval_count": u.completion_tokens,
            "eval_duration": now - first,
        }

    def end(self) -> bytes:
        out = b""
        calls = self.tool_calls()
        if calls and self.field == "message":
            out = ndjson(self._line("", calls))
        return out + ndjson(self.final(with_calls=False))


def ollama_logprob(entry: dict[str, Any]) -> dict[str, Any]:
    """One of OpenAI's per-token log-probabilities in Ollama's form."""
    top = [{"token": t["token"], "logprob": t["logprob"]} for t in entry.get("top_logprobs") or []]
    return {"token": entry["token"], "logprob": entry["logprob"], "top_logprobs": top}


def ollama_tag(
    model_id: str,
    kind: str,
    owned_by: str,
    meta: dict[str, Any] | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """A model as Ollama lists it. ``meta`` is an Ollama connection's own account (size,
    digest, details): what of it has the right type is kept, the rest stays at its default.
    ``created`` (Unix seconds, as the model list knows it) stands in for the time Ollama
    would give."""
    meta = meta or {}
    made = NO_TIME if created is None else _iso(created)
    details: dict[str, Any] = {
        "parent_model": "",
        "format": "",
        "family": owned_by or kind,
        "families": [owned_by or kind],
        "parameter_size": "",
        "quantization_level": "",
    }
    given = meta.get("details") if isinstance(meta.get("details"), dict) else {}
    details |= {k: v for k, v in given.items() if k in details and isinstance(v, str)}
    families = given.get("families")
    if isinstance(families, list) and all(isinstance(f, str) for f in families):
        details["families"] = families
    elif "family" in given:
        # Ollama sends null families for some models; its family stands for them.
        details["families"] = [details["family"]]
    size = meta.get("size")
    return {
        "name": model_id,
        "model": model_id,
        "modified_at": _text(meta.get("modified_at"), made),
        "size": _count(size),
        "digest": _text(meta.get("digest"), ""),
        "details": details,
    }


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# What Go's zero time reads as: Ollama's own word for "no time set".
NO_TIME = "0001-01-01T00:00:00Z"


def ollama_running(
    model_id: str, kind: str, meta: dict[str, Any], expires_at: str = NO_TIME
) -> dict[str, Any]:
    """A model held in memory, as Ollama's ``ps`` shows it: its tag without ``modified_at``,
    when it will be dropped (always a time, which typed clients parse), the memory it takes
    on the GPU and its context length."""
    tag = ollama_tag(model_id, kind, kind, meta)
    del tag["modified_at"]
    given = meta.get("expires_at")
    return {
        **tag,
        "expires_at": given if isinstance(given, str) and given else expires_at,
        "size_vram": _count(meta.get("size_vram")),
        "context_length": _count(meta.get("context_length")),
    }
