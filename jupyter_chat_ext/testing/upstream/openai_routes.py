"""The OpenAI-compatible routes under `/v1`: models, chat completions, (legacy) completions
and embeddings.

Validation mirrors the real API's messages closely enough that a proxy's error handling can
be tested, but it is no schema validator: only what tests need to provoke is checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from . import openai_payloads as payloads
from .base_handler import BadRequest, UpstreamHandler
from .content import compose, count_tokens, embedding, prompt_tokens, text_of

_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
_RESPONSE_FORMATS = {"text", "json_object", "json_schema"}
# As many inputs as OpenAI embeds in one request.
MAX_EMBEDDING_INPUTS = 2048


class OpenAIHandler(UpstreamHandler):
    def error_payload(
        self,
        status: int,
        message: str,
        *,
        kind: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> Any:
        return payloads.error(status, message, kind=kind, param=param, code=code)

    def json_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise BadRequest(
                "We could not parse the JSON body of your request. (HINT: This likely means you "
                "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)"
            )
        return self.body

    def require_model(self, body: dict[str, Any]) -> str:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise BadRequest("you must provide a model parameter")
        if self.model is None:
            raise BadRequest(
                f"The model `{name}` does not exist or you do not have access to it.",
                status=404,
                code="model_not_found",
            )
        return name

    def next_id(self, prefix: str) -> str:
        # Ids follow the request count, so a run is reproducible and ids stay unique per server.
        return f"{prefix}-fake{self._record_index:06d}"

    def streams(self, body: dict[str, Any]) -> bool:
        stream = bool(body.get("stream"))
        if body.get("stream_options") is not None and not stream:
            raise BadRequest(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
                code="invalid_value",
            )
        return stream

    async def answer(
        self,
        body: dict[str, Any],
        common: dict[str, Any],
        whole: Callable[..., Any],
        chunks: Callable[..., list[dict[str, Any]]],
        frame: Callable[[bytes], bytes] = payloads.sse,
    ) -> None:
        """``whole(**common)`` as JSON, or streamed as ``chunks(**common, ...)`` when asked."""
        self.set_header("x-request-id", self.next_id("req"))
        if not body.get("stream"):
            await self.send_json(whole(**common))
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        await self.send_stream(
            chunks(**common, include_usage=include_usage),
            content_type="text/event-stream; charset=utf-8",
            frame=frame,
            done=frame(b"[DONE]"),
            error=payloads.error(500, self.fault_message(500)),
        )


class ModelsHandler(OpenAIHandler):
    async def get(self) -> None:
        data = [payloads.model(m) for m in self.state.settings.models]
        await self.send_json({"object": "list", "data": data})


class ModelHandler(OpenAIHandler):
    async def get(self, model_id: str) -> None:
        self.model, _ = self.state.resolve_model(model_id)
        if self.model is None:
            raise BadRequest(
                f"The model '{model_id}' does not exist",
                status=404,
                param="model",
                code="model_not_found",
            )
        await self.send_json(payloads.model(model_id))


class ChatCompletionsHandler(OpenAIHandler):
    async def post(self) -> None:
        body = self.json_body()
        model_name = self.require_model(body)
        messages = _messages(body)
        n = _int_in(body, "n", 1, 128, default=1)
        self.streams(body)
        top = _logprobs(body)
        answers = [
            compose(
                messages,
                canned=self.state.settings.reply,
                tools=_tool_names(body),
                tool_choice=body.get("tool_choice"),
                json_mode=_json_mode(body, messages),
                stop=_stop(body),
                max_tokens=_max_tokens(body),
                index=i,
                think=self.think,
            )
            for i in range(n)
        ]
        common = {
            "completion_id": self.next_id("chatcmpl"),
            "created": int(time.time()),
            "model_name": model_name,
            "answers": answers,
            "prompt_tokens": prompt_tokens(messages),
            "chunks": self.chunks,
            "logprobs": top,
        }
        frame = payloads.Spread() if self.faults.spread_sse else payloads.sse
        await self.answer(body, common, payloads.completion, payloads.stream_chunks, frame)


class TextCompletionsHandler(OpenAIHandler):
    """The legacy completions API: a prompt (or several) continued, with an optional suffix
    (fill-in-the-middle) and echo. The fake continues a prompt as it answers a question."""

    async def post(self) -> None:
        body = self.json_body()
        model_name = self.require_model(body)
        prompts = _prompts(body.get("prompt"))
        suffix = body.get("suffix")
        if suffix is not None and not isinstance(suffix, str):
            raise BadRequest("Invalid 'suffix': expected a string.", param="suffix")
        n = _int_in(body, "n", 1, 128, default=1)
        self.streams(body)
        top = None if body.get("logprobs") is None else _int_in(body, "logprobs", 0, 5, default=0)
        max_tokens = None
        if body.get("max_tokens") is not None:
            max_tokens = _int_in(body, "max_tokens", 0, 1_000_000, default=0)
        answers, echoes = [], []
        for prompt in prompts:
            # Fill-in-the-middle: the fake says what it was to go between.
            asked = prompt if suffix is None else f"{prompt} ... {suffix}"
            for i in range(n):
                answers.append(
                    compose(
                        [{"role": "user", "content": asked}],
                        canned=self.state.settings.reply,
                        stop=_stop(body),
                        max_tokens=max_tokens,
                        index=i,
                    )
                )
                echoes.append(prompt if body.get("echo") else "")
        common = {
            "completion_id": self.next_id("cmpl"),
            "created": int(time.time()),
            "model_name": model_name,
            "answers": answers,
            "echoes": echoes,
            "prompt_tokens": sum(count_tokens(p) for p in prompts),
            "chunks": self.chunks,
            "logprobs": top,
        }
        await self.answer(body, common, payloads.text_completion, payloads.text_stream_chunks)


class EmbeddingsHandler(OpenAIHandler):
    async def post(self) -> None:
        body = self.json_body()
        model_name = self.require_model(body)
        texts = _embedding_inputs(body.get("input"))
        dimensions = body.get("dimensions", self.state.settings.dimensions)
        if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
            raise BadRequest(
                f"Invalid value for 'dimensions' = {dimensions}. Must be greater than 0.",
                param="dimensions",
                code="invalid_value",
            )
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise BadRequest(
                f"Invalid value: '{encoding}'. Supported values are: 'float' and 'base64'.",
                param="encoding_format",
                code="invalid_value",
            )
        vectors = [embedding(t, dimensions) for t in texts]
        tokens = sum(count_tokens(t) for t in texts)
        await self.send_json(
            payloads.embeddings(vectors, model_name=model_name, tokens=tokens, encoding=encoding)
        )


class OpenAINotFoundHandler(OpenAIHandler):
    async def _not_found(self, *args: Any) -> None:
        raise BadRequest(f"Invalid URL ({self.request.method} {self.request.path})", status=404)

    get = post = put = delete = patch = _not_found


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if messages is None:
        raise BadRequest(
            "Missing required parameter: 'messages'.",
            param="messages",
            code="missing_required_parameter",
        )
    if not isinstance(messages, list) or not messages:
        raise BadRequest(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            param="messages",
            code="empty_array",
        )
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLES:
            raise BadRequest(
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
                "'function', 'tool', and 'developer'.",
                param=f"messages[{i}].role",
                code="invalid_value",
            )
    return messages


def _prompts(value: Any) -> list[str]:
    """A legacy prompt: a string, strings, or token arrays (read here as their numbers)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [" ".join(map(str, value))]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, list) and all(isinstance(t, int) for t in v) for v in value)
    ):
        return [" ".join(map(str, v)) for v in value]
    raise BadRequest(
        "Invalid 'prompt': expected a string, an array of strings, or token arrays.",
        param="prompt",
        code="invalid_type",
    )


def _int_in(body: dict[str, Any], name: str, low: int, high: int, *, default: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(
            f"Invalid '{name}': must be an integer between {low} and {high}.",
            param=name,
            code="invalid_value",
        )
    return value


def _stop(body: dict[str, Any]) -> str | list[str] | None:
    stop = body.get("stop")
    if stop is None or isinstance(stop, str):
        return stop
    if isinstance(stop, list) and len(stop) <= 4 and all(isinstance(s, str) for s in stop):
        return stop
    raise BadRequest(
        "Invalid 'stop': expected a string or an array of at most 4 strings.",
        param="stop",
        code="invalid_type",
    )


def _max_tokens(body: dict[str, Any]) -> int | None:
    if body.get("max_tokens") is not None and body.get("max_completion_tokens") is not None:
        raise BadRequest(
            "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.",
            param="max_tokens",
            code="invalid_parameter_combination",
        )
    for name in ("max_completion_tokens", "max_tokens"):
        if body.get(name) is not None:
            return _int_in(body, name, 1, 1_000_000, default=0)
    return None


def _logprobs(body: dict[str, Any]) -> int | None:
    """How many alternatives to report per token, or None when logprobs are off."""
    top = body.get("top_logprobs")
    if not body.get("logprobs"):
        if top is not None:
            raise BadRequest(
                "logprobs must be set to true if top_logprobs is used.",
                param="top_logprobs",
                code="invalid_value",
            )
        return None
    return _int_in(body, "top_logprobs", 0, 20, default=0)


def _tool_names(body: dict[str, Any]) -> list[str]:
    tools = body.get("tools") or []
    names = []
    for i, tool in enumerate(tools):
        # A custom tool (free-form input, no JSON schema) is named in its "custom" object; the
        # fake model calls functions only.
        kind = "custom" if isinstance(tool, dict) and tool.get("type") == "custom" else "function"
        function = tool.get(kind) if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            raise BadRequest(
                f"Missing required parameter: 'tools[{i}].{kind}.name'.",
                param=f"tools[{i}].{kind}.name",
                code="missing_required_parameter",
            )
        if kind == "function":
            names.append(name)
    return names


def _json_mode(body: dict[str, Any], messages: list[dict[str, Any]]) -> bool:
    response_format = body.get("response_format")
    if response_format is None:
        return False
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind not in _RESPONSE_FORMATS:
        raise BadRequest(
            f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object' and "
            "'json_schema'.",
            param="response_format.type",
            code="invalid_value",
        )
    if kind == "json_object" and not any(
        "json" in text_of(m.get("content")).lower() for m in messages
    ):
        raise BadRequest(
            "'messages' must contain the word 'json' in some form, to use 'response_format' "
            "of type 'json_object'.",
            param="messages",
        )
    return kind != "text"


def _embedding_inputs(value: Any) -> list[str]:
    """Strings, or token arrays (whose ids are embedded as words)."""
    if isinstance(value, list) and len(value) > MAX_EMBEDDING_INPUTS:
        raise BadRequest(
            f"Invalid 'input': array too long. Expected an array with maximum length "
            f"{MAX_EMBEDDING_INPUTS}, but got an array with length {len(value)} instead.",
            param="input",
            code="array_above_max_length",
        )
    if isinstance(value, str):
        items: list[Any] = [value]
    elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        items = [" ".join(str(v) for v in value)]
    elif isinstance(value, list) and value:
        items = [" ".join(map(str, v)) if isinstance(v, list) else v for v in value]
    else:
        raise BadRequest("'$.input' is invalid. Please check the API reference.", param="input")
    if not all(isinstance(t, str) and t for t in items):
        raise BadRequest("'$.input' is invalid. Please check the API reference.", param="input")
    return items
