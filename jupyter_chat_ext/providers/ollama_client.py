"""A client for Ollama's native API, translated to the same deltas as OpenAI's."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from functools import partial
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

if TYPE_CHECKING:
    from .transport import UpstreamTransport

# What a listed model keeps of Ollama's account of it, for Ollama's own clients.
_LISTED = ("modified_at", "size", "digest", "details")

# OpenAI parameter -> Ollama option.
_OPTIONS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "seed": "seed",
    "stop": "stop",
    "max_tokens": "num_predict",
    "max_completion_tokens": "num_predict",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "num_ctx": "num_ctx",
    "repeat_penalty": "repeat_penalty",
}

# Ollama's own model options, by their own names: set as "any other option" (a preset's or a
# chat's), they go into the request's options. Other names (OpenAI's) are not Ollama's.
_OLLAMA_OPTIONS = frozenset(
    {
        "num_keep", "num_predict", "min_p", "typical_p", "repeat_last_n", "penalize_newline",
        "numa", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread", "mirostat",
        "mirostat_tau", "mirostat_eta", "tfs_z",
    }
)  # fmt: skip
# Fields of Ollama's request itself rather than of its options.
OLLAMA_FIELDS = ("think", "keep_alive")


def _listed(model: dict[str, Any]) -> dict[str, Any]:
    meta = {k: model[k] for k in _LISTED if k in model}
    created = unix_time(model.get("modified_at"))
    return meta if created is None else {**meta, "created": created}


def ollama_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    # Ollama pairs a tool's result with its call by the tool's name (many chat templates
    # write it), not by OpenAI's call id: the name is found from the id, as Ollama's own
    # OpenAI API finds it.
    called: dict[str, str] = {}
    for m in messages:
        content = m.get("content")
        images: list[str] = []
        if isinstance(content, list):
            images = [_base64_of(p) for p in content if p.get("type") == "image_url"]
            content = "\n".join(
                str(p.get(p["type"]) or "") for p in content if p.get("type") in ("text", "refusal")
            )
        # OpenAI's older form of a tool's result ("function", which names its function) is a
        # tool's result to Ollama.
        role = "tool" if m["role"] == "function" else m["role"]
        item: dict[str, Any] = {"role": role, "content": content or ""}
        if images:
            item["images"] = images
        if role == "tool":
            name = m.get("name") or called.get(str(m.get("tool_call_id")))
            if name:
                item["tool_name"] = name
        calls = m.get("tool_calls") or []
        if not calls and isinstance(m.get("function_call"), dict):
            calls = [{"function": m["function_call"]}]  # the older form of one call
        if calls:
            called.update({str(c.get("id")): c["function"].get("name", "") for c in calls})
            item["tool_calls"] = [
                {
                    "function": {
                        "name": c["function"].get("name", ""),
                        "arguments": _json_object(c["function"].get("arguments")),
                    }
                }
                for c in calls
            ]
        out.append(item)
    return out


def ollama_body(
    model: str, messages: list[dict[str, Any]], params: dict[str, Any]
) -> dict[str, Any]:
    options = {_OPTIONS[k]: v for k, v in params.items() if k in _OPTIONS and v is not None}
    if params.get("max_completion_tokens") is not None:
        # OpenAI's name for it now; max_tokens is the older one, whichever came last.
        options["num_predict"] = params["max_completion_tokens"]
    if isinstance(options.get("stop"), str):
        options["stop"] = [options["stop"]]  # Ollama takes a list only
    options.update({k: v for k, v in params.items() if k in _OLLAMA_OPTIONS})
    options.update(params.get("options") or {})
    body: dict[str, Any] = {"model": model, "messages": ollama_messages(messages), "stream": True}
    body.update({k: params[k] for k in OLLAMA_FIELDS if k in params})
    if options:
        body["options"] = options
    if params.get("tools"):
        # OpenAI's tools are functions whatever they say; Ollama's templates show the type.
        body["tools"] = [{"type": "function", **t} for t in params["tools"]]
    if params.get("logprobs"):
        body["logprobs"] = True
        if params.get("top_logprobs") is not None:
            body["top_logprobs"] = params["top_logprobs"]
    fmt = (params.get("response_format") or {}).get("type")
    if fmt == "json_object":
        body["format"] = "json"
    elif fmt == "json_schema":
        body["format"] = params["response_format"].get("json_schema", {}).get("schema", "json")
    return body


def _base64_of(part: dict[str, Any]) -> str:
    """The bare base64 that Ollama takes for an image, from an OpenAI ``data:`` URL (the
    compatible API refuses other URLs before this)."""
    url = str((part.get("image_url") or {}).get("url") or "")
    return url.partition(",")[2] if url.startswith("data:") else url


def _json_object(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments or "{}")
        except ValueError:
            return {}
    return arguments or {}


class OllamaClient:
    def __init__(
        self,
        http: UpstreamTransport,
        base_url: str,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        read_timeout: float = 300.0,
    ):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        # Ollama may load a model before its first byte: allow a long pause, not forever.
        self.read_timeout = read_timeout

    async def _get(self, path: str) -> bytes:
        async with upstream_stream(
            self.http,
            "GET",
            f"{self.base_url}{path}",
            headers=self.headers,
            connect_timeout=self.timeout,
        ) as response:
            return await response.aread()

    async def models(self) -> list[UpstreamModel]:
        body = await self._get("/api/tags")
        try:
            listed = json.loads(body)["models"]
            return [
                UpstreamModel(
                    id=str(m.get("model") or m["name"]),
                    name=str(m["name"]),
                    owned_by="ollama",
                    meta=_listed(m),
                )
                # Go writes an empty list as null: a server with no model pulled yet.
                for m in (listed if listed is not None else [])
            ]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UpstreamError("malformed", "The model list is not Ollama's format.") from None

    async def running(self) -> list[dict[str, Any]]:
        """The models this server holds in memory now (``/api/ps``), as it describes them."""
        body = await self._get("/api/ps")
        try:
            models = json.loads(body)["models"]
        except (ValueError, KeyError, TypeError):
            models = None
        if not isinstance(models, list) or not all(
            isinstance(m, dict) and isinstance(m.get("name"), str) for m in models
        ):
            raise UpstreamError("malformed", "The running models are not in Ollama's format.")
        return models

    async def stream_chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        body = ollama_body(model, messages, params)
        async with upstream_stream(
            self.http,
            "POST",
            f"{self.base_url}/api/chat",
            json=body,
            headers=self.headers,
            connect_timeout=self.timeout,
            read_timeout=self.read_timeout,
        ) as response:
            calls = 0
            async for line in response.aiter_lines():
                if not line.strip():
                    continue
                read = partial(_chunk_deltas, calls=calls)
                deltas = stream_deltas(line, "Ollama", "line", read)
                for delta in deltas:
                    calls += isinstance(delta, ToolCallDelta)
                    yield delta
                if deltas and isinstance(deltas[-1], Finish):
                    return
        raise UpstreamError("cut", "Ollama's stream ended before the answer was complete.")

    async def embed(
        self, model: str, inputs: list[str], dimensions: int | None = None
    ) -> tuple[list[list[float]], int]:
        """The vectors, and the tokens the inputs came to."""
        body: dict[str, Any] = {"model": model, "input": inputs}
        if dimensions is not None:
            body["dimensions"] = dimensions
        async with upstream_stream(
            self.http,
            "POST",
            f"{self.base_url}/api/embed",
            json=body,
            headers=self.headers,
            connect_timeout=self.timeout,
        ) as response:
            raw = await response.aread()
        try:
            data = json.loads(raw)
            vectors, tokens = data["embeddings"], int(data.get("prompt_eval_count") or 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            vectors = tokens = None
        if not is_vectors(vectors, len(inputs)):
            raise UpstreamError("malformed", "Ollama's embeddings are not in its format.")
        return vectors, tokens  # type: ignore[return-value]


def is_vectors(value: Any, count: int) -> bool:
    """``count`` vectors of numbers, one for each input."""
    return (
        isinstance(value, list)
        and len(value) == count
        and all(
            isinstance(v, list)
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
            for v in value
        )
    )


def _chunk_deltas(chunk: dict[str, Any], calls: int) -> list[Delta]:
    """The deltas of one line of Ollama's stream, ``calls`` tool calls into the answer."""
    out: list[Delta] = []
    message = chunk.get("message") or {}
    logprobs = chunk.get("logprobs")
    if message.get("thinking"):
        out.append(ReasoningDelta(str(message["thinking"])))
    if message.get("content") or logprobs:
        entries = [openai_logprob(e) for e in logprobs] if logprobs else None
        out.append(TextDelta(str(message.get("content") or ""), entries))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        out.append(
            ToolCallDelta(
                index=calls,
                # Ollama's own id where it gives one; otherwise one that no other call has.
                id=str(call.get("id") or f"call_{uuid.uuid4().hex[:24]}"),
                name=function.get("name"),
                arguments=json.dumps(function.get("arguments") or {}),
            )
        )
        calls += 1
    if chunk.get("done"):
        out.append(Usage.told(chunk.get("prompt_eval_count"), chunk.get("eval_count")))
        out.append(Finish("tool_calls" if calls else chunk.get("done_reason") or "stop"))
    return out


def openai_logprob(entry: dict[str, Any]) -> dict[str, Any]:
    """One of Ollama's per-token log-probabilities in OpenAI's form (which adds the bytes)."""

    def one(e: dict[str, Any]) -> dict[str, Any]:
        token = str(e["token"])
        return {"token": token, "logprob": e["logprob"], "bytes": list(token.encode())}

    return {**one(entry), "top_logprobs": [one(t) for t in entry.get("top_logprobs") or []]}
