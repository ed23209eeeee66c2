"""The OpenAPI 3.1 document, generated from the routes and their ``endpoint`` declarations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from tornado import web

from .handlers import ApiHandler, HandlerContext, Operation, WsHandler, endpoint
from .schemas import ErrorBody

METHODS = ("get", "post", "put", "patch", "delete")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def operations(handler: type) -> dict[str, Operation | None]:
    """Each HTTP method the handler class defines, with its declaration (None if undeclared)."""
    found: dict[str, Operation | None] = {}
    for method in METHODS:
        fn = getattr(handler, method, None)
        base = getattr(web.RequestHandler, method, None)
        if fn is None or fn is base:
            continue
        found[method] = getattr(fn, "__openapi__", None)
    return found


def openapi_path(pattern: str) -> str:
    # A pattern's optional trailing slash ("/?") is written as the slash.
    return _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern).removesuffix("?")


def build_document(routes: list[tuple[str, type]], *, title: str, version: str) -> dict[str, Any]:
    """``routes`` are (path relative to the API root, handler class) pairs."""
    models: set[type[BaseModel]] = {ErrorBody}
    for _, handler in routes:
        if issubclass(handler, WsHandler) and handler.message_model is not None:
            models.add(handler.message_model)
        for op in operations(handler).values():
            if op is not None:
                models.update(m for m in (op.body, op.query, op.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    keys, schema = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    refs = {m: keys[(m, "validation")] for m in ordered}
    error = {"application/json": {"schema": refs[ErrorBody]}}

    paths: dict[str, Any] = {}
    for pattern, handler in routes:
        path = openapi_path(pattern)
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _GROUP.findall(pattern)
        ]
        if issubclass(handler, WsHandler):
            paths[path] = {"get": _websocket(handler, params, refs)}
            continue
        for method, op in operations(handler).items():
            if op is None:
                continue
            item: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{method}_{handler.__name__}",
                "tags": [getattr(handler, "auth_resource", "chat-ext").split(":")[-1]],
                "parameters": list(params),
                "responses": {
                    "4XX": {
                        "description": "Bad request, not found or not allowed",
                        "content": error,
                    }
                },
            }
            if op.query is not None:
                query_schema = op.query.model_json_schema()
                for name, prop in query_schema.get("properties", {}).items():
                    item["parameters"].append(
                        {
                            "name": name,
                            "in": "query",
                            "required": name in query_schema.get("required", []),
                            "schema": prop,
                        }
                    )
            if op.body is not None:
                item["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[op.body]}},
                }
            elif op.raw_body:
                item["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {}}},
                }
            if op.response is not None:
                content = {"application/json": {"schema": refs[op.response]}}
                if op.content_type != "application/json":
                    content[op.content_type] = {"schema": {"type": "string"}}
                item["responses"][str(op.status)] = {"description": "OK", "content": content}
            elif op.status == 204:
                item["responses"]["204"] = {"description": "No content"}
            else:
                item["responses"][str(op.status)] = {
                    "description": "OK",
                    "content": {op.content_type: {"schema": {"type": "object"}}},
                }
            paths.setdefault(path, {})[method] = item

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        # Relative to where the document is served, {base_url}chat-ext/api/openapi.json.
        "servers": [{"url": "."}],
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {
                "jupyterToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"jupyterToken": []}],
    }


def _websocket(handler: type[WsHandler], params: list, refs: dict) -> dict[str, Any]:
    model = handler.message_model
    return {
        "summary": (handler.__doc__ or handler.__name__).strip().splitlines()[0],
        "description": "A WebSocket: upgrade with GET; each message the server sends is "
        + (model.__name__ if model else "JSON")
        + ".",
        "operationId": f"ws_{handler.__name__}",
        "tags": [handler.auth_resource.split(":")[-1]],
        "parameters": params,
        "responses": {
            "101": {
                "description": "Switching protocols",
                "content": {"application/json": {"schema": refs[model]}} if model else {},
            },
            "403": {"description": "Not authenticated or not authorized"},
        },
    }


class OpenApiHandler(ApiHandler):
    auth_resource = "chat-ext:api"

    def initialize(self, ctx: HandlerContext, document: Callable[[], dict[str, Any]]) -> None:
        super().initialize(ctx)
        self.document = document

    @web.authenticated
    @authorized
    @endpoint("This OpenAPI document")
    async def get(self) -> None:
        self.finish(self.document())
