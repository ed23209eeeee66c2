"""Fixtures of the compatible APIs' tests: their official clients, and the kind of connection
behind them."""

from __future__ import annotations

from contextlib import asynccontextmanager

import ollama
import pytest

from tests.api.proxy_clients import new_key, ollama_root, openai_client


@pytest.fixture
def client_for(api, jp_http_port, jp_base_url):
    """``async with client_for(key, user)``: an OpenAI client authenticated with a new key of
    ``user``'s (key "new", the default), a given key, or ``user``'s Jupyter token (None)."""

    @asynccontextmanager
    async def make(key: str | None = "new", user: str = "alice"):
        if key == "new":
            key = await new_key(api, user)
        async with openai_client(jp_http_port, jp_base_url, key, user) as client:
            yield client

    return make


@pytest.fixture
def ollama_for(api, jp_http_port, jp_base_url):
    """``async with ollama_for()``: an ollama.AsyncClient with a new key for alice, or with
    alice's Jupyter token (``key=None``)."""

    @asynccontextmanager
    async def make(key: str | None = "new"):
        if key == "new":
            key = await new_key(api)
        auth = f"Bearer {key}" if key else "token alice-token"
        client = ollama.AsyncClient(
            host=ollama_root(jp_http_port, jp_base_url), headers={"Authorization": auth}
        )
        try:
            yield client
        finally:
            await client.close()

    return make


@pytest.fixture(params=["openai", "ollama"])
def kind(request) -> str:
    """The kind of connection behind a compatible API."""
    return request.param
