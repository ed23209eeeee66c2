"""What the compatible APIs accept, checked before any model is looked up: the shape a
client must send, with errors that name the parameter as each API does."""

from __future__ import annotations

from typing import Any

from .errors import ProxyError

# OpenAI


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
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise ProxyError("Each message must be an object with a 'role'.", param="messages")
    return body


def check_embeddings(body: Any) -> dict[str, Any]:
    body = check_object(body)
    if body.get("input") in (None, "", []):
        raise ProxyError("You must provide an 'input' to embed.", param="input")
    return body


# Ollama


def check_ollama(body: Any, kind: str) -> dict[str, Any]:
    """``kind`` is "chat", "generate" or "embed"."""
    if not isinstance(body, dict):
        raise ProxyError("The request body must be a JSON object.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ProxyError("model is required", param="model")
    if kind == "chat":
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise ProxyError("messages must be a list of objects", param="messages")
    elif kind == "generate":
        if not isinstance(body.get("prompt") or "", str):
            raise ProxyError("prompt must be a string", param="prompt")
    else:
        value = body.get("input")
        inputs = [value] if isinstance(value, str) else value
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ProxyError("input must be a string or a list of strings", param="input")
    return body


def ollama_streams(body: dict[str, Any]) -> bool:
    # Ollama streams unless told not to.
    return body.get("stream", True) is not False
