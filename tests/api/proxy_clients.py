"""What the tests of the compatible APIs share: requests the fake upstream answers in known
ways, connecting it, and the official clients pointed at chat-ext."""

from __future__ import annotations

import base64
import json
from contextlib import asynccontextmanager

import httpx
import openai

from jupyter_chat_ext.testing.upstream import FakeUpstream
from tests.support.raw_server import RawServer

HELLO = [{"role": "user", "content": "Hello there"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
ASK_WEATHER = [{"role": "user", "content": 'call:get_weather({"city": "Paris"})'}]

# A 1x1 PNG, as Ollama clients send images: bare base64.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()


def server_url(port: int, base_url: str) -> str:
    return f"http://localhost:{port}{base_url}"


def ollama_root(port: int, base_url: str) -> str:
    return f"{server_url(port, base_url)}chat-ext/ollama"


async def connect(api, up: FakeUpstream, kind: str = "openai", **extra) -> dict:
    url = up.openai_url if kind == "openai" else up.ollama_url
    r = await api.as_("admin")("POST", "connections", {"kind": kind, "base_url": url, **extra})
    assert r.status == 201, r
    return r.json()


async def connect_raw(api, raw: RawServer) -> None:
    body = {"kind": "openai", "base_url": raw.url + "/v1"}
    assert (await api.as_("admin")("POST", "connections", body)).status == 201


async def connect_url(api, url: str) -> None:
    """The only connection: an OpenAI-compatible one at ``url``."""
    for old in (await api.as_("admin")("GET", "connections")).json()["items"]:
        await api.as_("admin")("DELETE", f"connections/{old['id']}")
    r = await api.as_("admin")("POST", "connections", {"kind": "openai", "base_url": url})
    assert r.status == 201, r


async def new_key(api, user: str = "alice") -> str:
    r = await api.as_(user)("POST", "users/me/keys", {"name": "tests"})
    assert r.status == 201, r
    return r.json()["key"]


@asynccontextmanager
async def openai_client(port: int, base_url: str, key: str | None = None, user: str = "alice"):
    """An AsyncOpenAI client on chat-ext: with an API key, or (key None) a Jupyter token."""
    headers = {} if key else {"Authorization": f"token {user}-token"}
    async with httpx.AsyncClient() as http:
        yield openai.AsyncOpenAI(
            base_url=server_url(port, base_url) + "chat-ext/openai/v1",
            api_key=key or "unused",
            default_headers=headers,
            http_client=http,
            max_retries=0,
        )


def assert_nothing_leaked(up: FakeUpstream, *secrets: str) -> None:
    for request in up.requests:
        assert "cookie" not in request.headers
        for secret in secrets:
            assert secret not in json.dumps(request.headers), request.headers
