"""The OpenAPI document is generated from the code and lists every route the server serves."""

from __future__ import annotations

import json
import re

from jupyter_chat_ext.core.handlers import UnknownRouteHandler, WsHandler
from jupyter_chat_ext.core.openapi import METHODS, openapi_path
from jupyter_chat_ext.proxy.relay import UnknownPath
from jupyter_chat_ext.routes import rules


async def test_served_document_lists_every_registered_route(api, jp_serverapp):
    r = await api("GET", "openapi.json")
    assert r.status == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    registered = 0
    # What the extension registers with the web app, here without the base URL.
    for pattern, handler, _ in rules("/", ext.ctx):
        if handler is UnknownRouteHandler or issubclass(handler, UnknownPath):
            continue
        path = openapi_path(re.sub(r"^.*?chat-ext/api", "", pattern))
        assert path in doc["paths"], f"{path} is served but missing from openapi.json"
        methods = (
            ["get"]
            if issubclass(handler, WsHandler)
            else [
                m
                for m in METHODS
                if m in vars(handler)
                or any(
                    m in vars(b)
                    for b in handler.__mro__[1:-1]
                    if b.__module__.startswith("jupyter_chat_ext")
                )
            ]
        )
        for method in methods:
            assert method in doc["paths"][path], (
                f"{method.upper()} {path} missing from openapi.json"
            )
            registered += 1
    assert registered >= 20
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (method, path)
            for response in op["responses"].values():
                for media in response.get("content", {}).values():
                    ref = media["schema"].get("$ref")
                    if ref:
                        assert ref.rsplit("/", 1)[-1] in doc["components"]["schemas"], ref


async def test_unknown_paths_answer_in_each_apis_own_shape(jp_fetch):
    cases = [
        (
            "chat-ext/api/nope",
            lambda body: body["code"] == "not_found" and "openapi" in body["message"],
        ),
        ("chat-ext/openai/v1/nope", lambda body: body["error"]["code"] == "unknown_url"),
        ("chat-ext/ollama/api/nope", lambda body: "Invalid URL (GET" in body["error"]),
    ]
    for path, shaped in cases:
        r = await jp_fetch(
            *path.split("/"),
            method="GET",
            raise_error=False,
            headers={"Authorization": "token alice-token"},
        )
        assert r.code == 404, path
        assert r.headers["Content-Type"].startswith("application/json"), path
        assert shaped(json.loads(r.body)), (path, r.body)
        # Without credentials nothing is said about what exists (the compatible APIs ask for
        # a key with a 401, as OpenAI and Ollama do).
        r = await jp_fetch(
            *path.split("/"), method="GET", raise_error=False, headers={"Authorization": ""}
        )
        assert r.code == (403 if path.startswith("chat-ext/api") else 401), path
