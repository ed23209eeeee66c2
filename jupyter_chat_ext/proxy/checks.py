"""What the compatible APIs accept, checked before any model is looked up: the shape a
client must send, with errors that name the parameter as each API does."""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any

from ..models.schemas import response_format_problem
from .errors import ProxyError
from .translate import THINK_LEVELS, keep_alive_seconds

# A check returns None for a good value, else what the value should have been.
Check = Callable[[Any], "str | None"]


def _of(kind: type, wanted: str) -> Check:
    def check(value: Any) -> str | None:
        # JSON's true is not a number, though Python's bool is an int.
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        return None if ok else wanted

    return check


def _number(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"a number from {low:g} to {high:g}"

    return check


def _integer(low: int, high: int | None = None) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        if high is None:
            return None if ok else f"an integer of at least {low}"
        return None if ok and value <= high else f"an integer from {low} to {high}"

    return check


def _strings(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return None if ok else "an array of strings"


def _objects_of(kind: type, wanted: str) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, list) and all(_of(kind, wanted)(v) is None for v in value)
        return None if ok else wanted

    return check


def _string_or_strings(value: Any) -> str | None:
    ok = isinstance(value, str) or _strings(value) is None
    return None if ok else "a string or an array of strings"


def _string_or_object(value: Any) -> str | None:
    return None if isinstance(value, str | dict) else "a string or an object"


def _objects_with(key: str, kind: type = dict) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, list) and all(
            isinstance(v, dict) and isinstance(v.get(key), kind) for v in value
        )
        return None if ok else f"an array of objects, each with '{key}'"

    return check


def custom(item: Any) -> bool:
    """Whether a tool, or a tool call, is OpenAI's custom kind (free-form text in and out),
    which holds its "custom" object where a function's holds "function"."""
    return isinstance(item, dict) and item.get("type") == "custom"


def _tools(value: Any) -> str | None:
    ok = isinstance(value, list) and all(
        isinstance(v, dict) and isinstance(v.get("custom" if custom(v) else "function"), dict)
        for v in value
    )
    return None if ok else "an array of objects, each with 'function' (or 'custom')"


def _require(
    body: dict[str, Any], checks: dict[str, Check], say: Callable[[str, str], str], at: str = ""
) -> None:
    for name, check in checks.items():
        value = body.get(name)
        if value is not None and (wanted := check(value)) is not None:
            raise ProxyError(say(at + name, wanted), param=at + name)


# OpenAI

# The parameters this server reads or translates, with what each must be; any other goes to
# OpenAI-compatible upstreams as it is, for them to judge.
_OPENAI_PARAMS: dict[str, Check] = {
    "stream": _of(bool, "a boolean"),
    "stream_options": _of(dict, "an object"),
    "n": _integer(1),
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    "max_tokens": _integer(1),
    "max_completion_tokens": _integer(1),
    "presence_penalty": _number(-2, 2),
    "frequency_penalty": _number(-2, 2),
    "seed": _integer(-(2**63), 2**63 - 1),
    "stop": _string_or_strings,
    "logprobs": _of(bool, "a boolean"),
    "top_logprobs": _integer(0),
    "response_format": response_format_problem,
    "tools": _tools,
    "tool_choice": _string_or_object,
    "user": _of(str, "a string"),
    # Ollama's own, which an Ollama connection's request takes as its options.
    "options": _of(dict, "an object"),
}
_parts = _objects_with("type", str)


def _part(part: dict[str, Any]) -> bool:
    """A content part as OpenAI takes it: text with its text, an image with its URL."""
    if part["type"] == "text":
        return isinstance(part.get("text"), str)
    if part["type"] == "image_url":
        image = part.get("image_url")
        return isinstance(image, dict) and isinstance(image.get("url"), str)
    return True


def _content(value: Any) -> str | None:
    ok = (
        value is None
        or isinstance(value, str)
        or (_parts(value) is None and all(map(_part, value)))
    )
    return None if ok else "a string or an array of content parts"


_OPENAI_MESSAGE: dict[str, Check] = {
    "content": _content,
    "tool_calls": _tools,
}


def openai_says(name: str, wanted: str) -> str:
    return f"Invalid '{name}': expected {wanted}."


def check_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ProxyError("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ProxyError("You must provide a model parameter.", param="model")
    return body


def check_chat(body: Any) -> dict[str, Any]:
    body = check_object(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ProxyError(
            "'messages' must be a non-empty array of messages.",
            param="messages",
            code="missing_required_parameter" if messages is None else "invalid_value",
        )
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise ProxyError("Each message must be an object.", param=f"messages[{i}]")
        if not isinstance(m.get("role"), str):
            raise ProxyError("Each message must have a 'role'.", param=f"messages[{i}].role")
        _require(m, _OPENAI_MESSAGE, openai_says, at=f"messages[{i}].")
    _require(body, _OPENAI_PARAMS, openai_says)
    if body.get("top_logprobs") is not None and body.get("logprobs") is not True:
        # As OpenAI (and vLLM) refuse it; a translated answer would come without any.
        raise ProxyError(
            "'logprobs' must be true when 'top_logprobs' is used.", param="top_logprobs"
        )
    return body


def _prompt(value: Any) -> str | None:
    def tokens(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and all(_integer(0)(t) is None for t in v)

    ok = (
        isinstance(value, str)
        or (isinstance(value, list) and bool(value) and _strings(value) is None)
        or tokens(value)
        or (isinstance(value, list) and bool(value) and all(map(tokens, value)))
    )
    return None if ok else "a string, an array of strings, or token arrays"


# The legacy completions' parameters this server reads or translates; any other goes to the
# upstream as it is.
_TEXT_PARAMS: dict[str, Check] = {
    "prompt": _prompt,
    "suffix": _of(str, "a string"),
    "echo": _of(bool, "a boolean"),
    "stream": _of(bool, "a boolean"),
    "stream_options": _of(dict, "an object"),
    "n": _integer(1),
    "best_of": _integer(1),
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    # 0 is allowed, as OpenAI allows it: with echo, the prompt alone comes back.
    "max_tokens": _integer(0),
    "presence_penalty": _number(-2, 2),
    "frequency_penalty": _number(-2, 2),
    "seed": _integer(-(2**63), 2**63 - 1),
    "stop": _string_or_strings,
    "logprobs": _integer(0, 5),
    "user": _of(str, "a string"),
}


def check_text_completion(body: Any) -> dict[str, Any]:
    """OpenAI's legacy completions: a ``prompt`` to continue."""
    body = check_object(body)
    if body.get("prompt") is None:
        raise ProxyError(
            "You must provide a 'prompt' to complete.",
            param="prompt",
            code="missing_required_parameter",
        )
    _require(body, _TEXT_PARAMS, openai_says)
    return body


# OpenAI's Responses API. Nothing is stored here, so what needs a stored response is refused
# by name: the caller sends the whole conversation as ``input``, as with ``store: false``.

_RESPONSES_PARAMS: dict[str, Check] = {
    "instructions": _of(str, "a string"),
    "stream": _of(bool, "a boolean"),
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    "max_output_tokens": _integer(1),
    "parallel_tool_calls": _of(bool, "a boolean"),
    "text": _of(dict, "an object"),
    "reasoning": _of(dict, "an object"),
    "tools": _of(list, "an array of tools"),
    "metadata": _of(dict, "an object"),
    "user": _of(str, "a string"),
    "store": _of(bool, "a boolean"),
    "include": _of(list, "an array"),
    "top_logprobs": _integer(0, 20),
}
# What a stored response would give.
_STORED = {
    "previous_response_id": "'previous_response_id'",
    "conversation": "a 'conversation'",
    "background": "running in the 'background'",
    "prompt": "a stored 'prompt'",
}
# Taken and left as they are: they change nothing in an answer (or nothing that a chat's
# upstream could be asked).
_HARMLESS = {"store", "metadata", "include", "truncation", "service_tier", "stream_options"}
_HARMLESS |= {"prompt_cache_key", "safety_identifier"}
_READ = set(_RESPONSES_PARAMS) | {"model", "input", "tool_choice"}


def check_responses(body: Any) -> dict[str, Any]:
    body = check_object(body)
    for name, what in _STORED.items():
        if body.get(name) not in (None, False):
            raise ProxyError(
                f"Responses are not stored here, so {what} cannot be used: send the whole "
                "conversation as 'input' (as with 'store': false).",
                param=name,
            )
    if body.get("input") is None:
        raise ProxyError(
            "You must provide an 'input'.", param="input", code="missing_required_parameter"
        )
    if not isinstance(body["input"], str | list):
        raise ProxyError(openai_says("input", "a string or an array of items"), param="input")
    _require(body, _RESPONSES_PARAMS, openai_says)
    unknown = sorted(set(body) - _READ - _HARMLESS)
    if unknown:
        raise ProxyError(f"Unknown parameter: '{unknown[0]}'.", param=unknown[0])
    return body


# As many inputs (texts or token arrays) as OpenAI takes in one embeddings request.
MAX_EMBEDDING_INPUTS = 2048


def check_embeddings(body: Any) -> dict[str, Any]:
    body = check_object(body)
    value = body.get("input")
    if value in (None, "", []):
        raise ProxyError("You must provide an 'input' to embed.", param="input")
    if isinstance(value, list) and "" in value:
        # As OpenAI answers: an empty text has no meaning to give a vector for.
        raise ProxyError("'input' must not hold an empty string.", param="input")
    if isinstance(value, list) and len(value) > MAX_EMBEDDING_INPUTS:
        # OpenAI's own limit: a client that batches for OpenAI is told the same here, and no
        # upstream is handed a request it would refuse (or choke on).
        raise ProxyError(
            f"'input' holds {len(value)} items; at most {MAX_EMBEDDING_INPUTS} can be embedded "
            "in one request: send them in batches.",
            param="input",
        )
    _require(body, {"dimensions": _integer(1)}, openai_says)
    if body.get("encoding_format") not in (None, "float", "base64"):
        raise ProxyError(
            openai_says("encoding_format", "'float' or 'base64'"), param="encoding_format"
        )
    return body


# Ollama


def _think(value: Any) -> str | None:
    ok = isinstance(value, bool) or value in THINK_LEVELS
    return None if ok else 'a boolean or "high", "medium", "low" or "max"'


def _keep_alive(value: Any) -> str | None:
    ok = keep_alive_seconds(value) is not None
    return None if ok else 'a number of seconds or a duration such as "5m"'


def _format(value: Any) -> str | None:
    ok = value in ("json", "") or isinstance(value, dict)
    return None if ok else '"json" or a JSON schema object'


def _images(value: Any) -> str | None:
    # Ollama takes images as plain base64, and refuses what is not.
    ok = _strings(value) is None and all(map(_is_base64, value))
    return None if ok else "an array of base64-encoded images"


def _is_base64(data: str) -> bool:
    try:
        binascii.a2b_base64(data.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        return False
    return bool(data)


_number_ = _of(int | float, "a number")


def _whole(value: Any) -> str | None:
    # Ollama reads any JSON number for its integer options and drops the fraction, as Go
    # does (JSON's numbers are floats to it): 8192.0 is as good as 8192.
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok and -(2**63) <= value < 2**63 else "an integer"


# The options whose type Ollama fixes, checked for every connection: an OpenAI-compatible
# upstream gets some of them under other names, and a wrong type is the caller's to hear of.
_OLLAMA_OPTIONS: dict[str, Check] = {
    **dict.fromkeys(
        (
            "temperature",
            "top_p",
            "min_p",
            "typical_p",
            "presence_penalty",
            "frequency_penalty",
            "repeat_penalty",
        ),
        _number_,
    ),
    **dict.fromkeys(
        ("seed", "top_k", "num_predict", "num_ctx", "num_keep", "repeat_last_n", "num_batch"),
        _whole,
    ),
    "stop": _string_or_strings,
}
_OLLAMA_REQUEST: dict[str, Check] = {
    "stream": _of(bool, "a boolean"),
    "options": _of(dict, "an object"),
    "format": _format,
    "tools": _objects_with("function"),
    "think": _think,
    "keep_alive": _keep_alive,
    "logprobs": _of(bool, "a boolean"),
    "top_logprobs": _integer(0, 20),
}
_OLLAMA_PROMPT: dict[str, Check] = {
    "prompt": _of(str, "a string"),
    "system": _of(str, "a string"),
    "images": _images,
    "suffix": _of(str, "a string"),
    "template": _of(str, "a string"),
    "raw": _of(bool, "a boolean"),
    "context": _objects_of(int, "an array of integers"),
}
_OLLAMA_MESSAGE: dict[str, Check] = {
    "content": _of(str, "a string"),
    "images": _images,
    "tool_calls": _objects_with("function"),
}
_OLLAMA_EMBED: dict[str, Check] = {
    "truncate": _of(bool, "a boolean"),
    "dimensions": _integer(1),
    "keep_alive": _keep_alive,
    "options": _of(dict, "an object"),
}


def _ollama_says(name: str, wanted: str) -> str:
    return f"{name} must be {wanted}"


def check_ollama(body: Any, kind: str) -> dict[str, Any]:
    """``kind`` is "chat", "generate", "embed", "embeddings" (the older form) or "show"."""
    if not isinstance(body, dict):
        raise ProxyError("The request body must be a JSON object.")
    if kind == "show" and "model" not in body and "name" in body:
        body = {**body, "model": body["name"]}  # what older clients send
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ProxyError("model is required", param="model")
    if kind == "chat":
        messages = body.get("messages")
        if messages is not None and not (
            isinstance(messages, list) and all(isinstance(m, dict) for m in messages)
        ):
            raise ProxyError("messages must be a list of objects", param="messages")
        for i, m in enumerate(messages or ()):
            _require(m, _OLLAMA_MESSAGE, _ollama_says, at=f"messages[{i}].")
        if any(isinstance(m.get("role"), str) and not m["role"].islower() for m in messages or ()):
            # Ollama reads a role in any case ("User"); the servers behind it may not.
            body = {**body, "messages": [_lower_role(m) for m in messages]}
    elif kind == "generate":
        _require(body, _OLLAMA_PROMPT, _ollama_says)
    elif kind == "show":
        _require(body, {"verbose": _of(bool, "a boolean")}, _ollama_says)
        return body
    elif kind == "embeddings":
        if not isinstance(body.get("prompt", ""), str):
            raise ProxyError("prompt must be a string", param="prompt")
        return body
    else:
        value = body.get("input")
        inputs = [value] if isinstance(value, str) else value
        if value is not None and (
            not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs)
        ):
            raise ProxyError("input must be a string or a list of strings", param="input")
        _require(body, _OLLAMA_EMBED, _ollama_says)
        return body
    _require(body, _OLLAMA_REQUEST, _ollama_says)
    _require(body.get("options") or {}, _OLLAMA_OPTIONS, _ollama_says, at="options.")
    return body


def _lower_role(message: dict[str, Any]) -> dict[str, Any]:
    role = message.get("role")
    return {**message, "role": role.lower()} if isinstance(role, str) else message


def ollama_streams(body: dict[str, Any]) -> bool:
    # Ollama streams unless told not to.
    return body.get("stream", True) is not False
