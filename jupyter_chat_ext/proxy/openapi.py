"""The compatible APIs in the OpenAPI document, next to the REST API they sit beside.

Their paths are written in full (``/chat-ext/openai/v1/models``) with a server of ``../..``
which resolves from the document's own address ({base_url}chat-ext/api/openapi.json) to
{base_url}; their errors have their own formats, and they accept API keys.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..core.openapi import build_document
from .mounts import MOUNTS, OLLAMA_ROOT, OPENAI_ROOT
from .schemas import OllamaError, OpenAIError

_ERRORS: dict[str, type[BaseModel]] = {OPENAI_ROOT: OpenAIError, OLLAMA_ROOT: OllamaError}
_STREAMS = {OPENAI_ROOT: "text/event-stream", OLLAMA_ROOT: "application/x-ndjson"}
_STREAMING = {"post_OpenAIChatHandler", "post_OllamaChatHandler", "post_OllamaGenerateHandler"}


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def extend(document: dict[str, Any]) -> dict[str, Any]:
    components = document["components"]
    components["securitySchemes"]["chatExtApiKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A chat-ext API key (cx-...), from POST users/me/keys",
    }
    for root, pairs, _ in MOUNTS:
        part = build_document([(root + p, h) for p, h in pairs], title="", version="")
        components["schemas"].update(part["components"]["schemas"])
        error = {"application/json": {"schema": _add_schema(components["schemas"], _ERRORS[root])}}
        for path, item in part["paths"].items():
            for op in item.values():
                op["responses"]["4XX"]["content"] = error
                op["responses"]["5XX"] = {
                    "description": "The model server failed",
                    "content": error,
                }
                op["security"] = [{"jupyterToken": []}, {"chatExtApiKey": []}]
                # Per operation (not per path), so that a path item holds only its methods.
                op["servers"] = [{"url": "../.."}]
                if op["operationId"] in _STREAMING:
                    op["responses"]["200"]["content"][_STREAMS[root]] = {
                        "schema": {"type": "string"}
                    }
            document["paths"][path] = item
    return document
