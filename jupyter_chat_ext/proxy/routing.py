"""Which connection serves a requested model, with Ollama's habit of optional tags, and what
a preset adds to the request."""

from __future__ import annotations

from typing import Any

from ..core.errors import NotFound
from ..core.identity import Identity
from ..models.service import ModelService, Route
from ..providers.ollama_client import OLLAMA_FIELDS


async def route(
    models: ModelService,
    me: Identity,
    model: str,
    listing: str,
    unknown: str = "Unknown model {!r}.",
) -> Route:
    """The route for ``model`` (with or without Ollama's ":latest", as ``models.route`` takes
    it), or a 404 that says (in ``unknown``'s words, as each API says it) that the model is
    unknown and where the model list is."""
    try:
        return await models.route(model, me)
    except NotFound as error:
        if error.code != "model_not_found":
            raise
    raise NotFound(f"{unknown.format(model)} {listing}", code="model_not_found")


# A preset's (OpenAI-named) parameter -> Ollama's option, where the names differ.
_OLLAMA_NAMES = {"max_tokens": "num_predict", "max_completion_tokens": "num_predict"}


def with_preset(target: Route, body: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat request as a preset shapes it: its parameters and its system prompt."""
    return preset_prompt(target, preset_params(target, body))


def preset_params(target: Route, body: dict[str, Any], *, ollama: bool = False) -> dict[str, Any]:
    """The preset's parameters as defaults the request overrides. An Ollama request
    (``ollama``) takes them as its ``options``."""
    preset = target.preset
    if preset is None:
        return body
    if not ollama:
        # The request's limit, under either name, replaces the preset's.
        return target.params(body)
    defaults = dict(preset.params or {})
    response_format = defaults.pop("response_format", None)
    # Fields of Ollama's request itself, beside its options.
    fields = {k: defaults.pop(k) for k in OLLAMA_FIELDS if k in defaults}
    options = {_OLLAMA_NAMES.get(k, k): v for k, v in defaults.items()}
    body = {**fields, **body, "options": {**options, **(body.get("options") or {})}}
    if response_format and "format" not in body:
        kind = response_format.get("type")
        schema = (response_format.get("json_schema") or {}).get("schema")
        body["format"] = schema if kind == "json_schema" and schema else "json"
    return body


def preset_prompt(target: Route, body: dict[str, Any]) -> dict[str, Any]:
    """The preset's system prompt leading a conversation (or a prompt) that has none."""
    system = target.preset.system_prompt if target.preset else None
    if not system:
        return body
    messages = body.get("messages")
    if isinstance(messages, list):
        # OpenAI's "developer" message is the system prompt under its newer name.
        if not (messages and messages[0].get("role") in ("system", "developer")):
            body = {**body, "messages": [{"role": "system", "content": system}, *messages]}
    elif "prompt" in body and not body.get("system"):
        body = {**body, "system": system}
    return body
