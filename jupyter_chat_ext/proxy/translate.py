"""Pure conversions shared by both APIs: framing, answers gathered from deltas, and Ollama
requests as OpenAI parameters. Nothing here does I/O of its own."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.content import content_text
from ..providers.base import Delta, Finish, ReasoningDelta, TextDelta, ToolCallDelta, Usage


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def sse(data: Any) -> bytes:
    return b"data: " + _dumps(data) + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"


def ndjson(data: Any) -> bytes:
    return _dumps(data) + b"\n"


async def framed(
    deltas: AsyncIterator[Delta],
    frame: Callable[[Delta], bytes],
    end: Callable[[], bytes],
    opening: bytes = b"",
) -> AsyncIterator[bytes]:
    """The frames of ``deltas``, then ``end()``'s. ``opening`` goes with the first frame:
    nothing is sent before the model has begun, so a model that refuses (or fails to start)
    still gets its own error status."""
    pending = opening
    async for delta in deltas:
        data = frame(delta)
        if data:
            yield pending + data
            pending = b""
    yield pending + end()


@dataclass
class Collected:
    """A whole answer gathered from deltas, for non-streamed replies and Ollama's last line."""

    text: list[str] = field(default_factory=list)
    thoughts: list[str] = field(default_factory=list)
    calls: dict[int, dict[str, str]] = field(default_factory=dict)
    finish: str | None = None
    usage: Usage | None = None
    logprobs: list[dict[str, Any]] = field(default_factory=list)

    def add(self, delta: Delta) -> None:
        if isinstance(delta, TextDelta):
            self.text.append(delta.text)
            self.logprobs += delta.logprobs or ()
        elif isinstance(delta, ReasoningDelta):
            self.thoughts.append(delta.text)
        elif isinstance(delta, ToolCallDelta):
            call = self.calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = delta.id or call["id"] or f"call_{delta.index}"
            call["name"] = delta.name or call["name"]
            call["arguments"] += delta.arguments
        elif isinstance(delta, Usage):
            self.usage = delta
        elif isinstance(delta, Finish):
            self.finish = delta.reason

    @property
    def content(self) -> str:
        return "".join(self.text)

    @property
    def reasoning(self) -> str:
        return "".join(self.thoughts)


# Ollama option -> OpenAI parameter, for what both mean the same way.
_FROM_OPTIONS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "stop": "stop",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}

# Base64 openings of the image formats Ollama clients send, for the data URL's type.
_IMAGE_TYPES = {"/9j/": "image/jpeg", "iVBOR": "image/png", "R0lGOD": "image/gif"}


def _image_url(data: str) -> str:
    mime = next((t for head, t in _IMAGE_TYPES.items() if data.startswith(head)), None)
    if mime is None:
        mime = "image/webp" if data.startswith("UklGR") else "image/png"
    return f"data:{mime};base64,{data}"


def _answered(open_calls: list[tuple[str, str, str]], result: dict[str, Any]) -> str | None:
    """The id here of the call a tool's result answers: the call with the result's
    ``tool_call_id``, else the first open one named as its ``tool_name``, else the first open
    one; None when none is open."""
    for key, at in (("tool_call_id", 0), ("tool_name", 1)):
        wanted = result.get(key)
        found = next((c for c in open_calls if wanted and c[at] == wanted), None)
        if found is not None:
            open_calls.remove(found)
            return found[2]
    return open_calls.pop(0)[2] if open_calls else None


def openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ollama's messages in OpenAI's form. Calls get ids of their own here (a client's may
    be missing, or repeat from one answer to the next), and each tool result goes with the
    call it answers (see ``_answered``)."""
    out: list[dict[str, Any]] = []
    # (the client's id for a call, its name, its id here), for each call not yet answered.
    open_calls: list[tuple[str, str, str]] = []
    made = 0
    for m in messages:
        role, content = m.get("role", "user"), m.get("content") or ""
        item: dict[str, Any] = {"role": role, "content": content}
        images = m.get("images") or []
        if images:
            item["content"] = [{"type": "text", "text": content}] + [
                {"type": "image_url", "image_url": {"url": _image_url(str(i))}} for i in images
            ]
        calls = []
        for call in m.get("tool_calls") or []:
            function = call.get("function") or {}
            arguments = function.get("arguments") or {}
            call_id = f"call_{made}"
            made += 1
            open_calls.append((str(call.get("id") or ""), function.get("name", ""), call_id))
            calls.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {
                        "name": function.get("name", ""),
                        "arguments": arguments
                        if isinstance(arguments, str)
                        else json.dumps(arguments),
                    },
                }
            )
        if calls:
            item["tool_calls"] = calls
            item["content"] = content or None
        if role == "tool":
            item["tool_call_id"] = _answered(open_calls, m) or f"call_{made}"
        out.append(item)
    return out


# Options the local model samples with under the same names. OpenAI's API refuses names it
# does not know, so only the local model is given them.
_LOCAL_OPTIONS = ("top_k", "min_p", "repeat_penalty")
# Of those taken, the ones Ollama reads as integers.
_WHOLE = frozenset({"seed", "top_k"})


def openai_params(body: dict[str, Any], local: bool = False) -> dict[str, Any]:
    """The OpenAI parameters an Ollama chat or generate request asks for (``local``: of the
    local model, which takes some of Ollama's own options too)."""
    options = body.get("options") or {}
    names = {**_FROM_OPTIONS, **({n: n for n in _LOCAL_OPTIONS} if local else {})}
    params = {dst: options[src] for src, dst in names.items() if options.get(src) is not None}
    for name in _WHOLE & params.keys():
        params[name] = int(params[name])  # Ollama drops a fraction (checks.py); OpenAI refuses it
    num_predict = options.get("num_predict")
    # Ollama's runners stop at num_predict only when it is above 0: 0, -1 and -2 set no limit.
    if isinstance(num_predict, int | float) and int(num_predict) > 0:
        params["max_tokens"] = int(num_predict)
    if body.get("tools"):
        params["tools"] = body["tools"]
    if body.get("logprobs"):
        params["logprobs"] = True
        if body.get("top_logprobs") is not None:
            params["top_logprobs"] = body["top_logprobs"]
    think = body.get("think")
    if think in THINK_LEVELS:
        # How hard to think, which OpenAI's API says as reasoning_effort ("max" as its
        # highest, as Ollama says it to gpt-oss). A plain true or false has no such word:
        # false only hides the thinking (see OllamaApi._deltas).
        params["reasoning_effort"] = "high" if think == "max" else think
    fmt = body.get("format")
    if fmt == "json":
        params["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict):
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": fmt},
        }
    return params


# OpenAI takes JSON mode only when a message asks for JSON ("'messages' must contain the word
# 'json'"); Ollama's format needs no such word, so a request written for Ollama gets one.
JSON_HINT = "Respond in JSON."


def with_json_hint(messages: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """``messages`` with JSON asked for, when ``params`` ask for JSON mode and none does."""
    if (params.get("response_format") or {}).get("type") != "json_object":
        return messages
    if any("json" in content_text(m.get("content")).lower() for m in messages):
        return messages
    first = messages[0] if messages else {}
    if first.get("role") == "system" and isinstance(first.get("content"), str):
        # Some models' templates take one system message, and only first.
        return [{**first, "content": f"{first['content']}\n\n{JSON_HINT}"}, *messages[1:]]
    return [{"role": "system", "content": JSON_HINT}, *messages]


def generate_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    user: dict[str, Any] = {"role": "user", "content": body.get("prompt") or ""}
    if body.get("images"):
        user["images"] = body["images"]
    system = body.get("system")
    return [{"role": "system", "content": system}, user] if system else [user]


THINK_LEVELS = ("high", "medium", "low", "max")

# Go's durations, as Ollama reads keep_alive: "5m", "1h30m", "-1s", "0".
_DURATION = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def keep_alive_seconds(value: Any) -> float | None:
    """Ollama's ``keep_alive`` in seconds: a number of seconds, or a duration as Go writes
    one; None for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lstrip("+-") == "0":
        return 0.0  # the one duration Go takes without a unit
    if not _DURATION.fullmatch(text):
        return None
    seconds = sum(float(n) * _SECONDS[unit] for n, unit in _DURATION_PART.findall(text))
    return -seconds if text.startswith("-") else seconds


def unloads(body: dict[str, Any]) -> bool:
    """Whether a request asks for its model to leave memory now (``keep_alive`` 0)."""
    return keep_alive_seconds(body.get("keep_alive")) == 0
