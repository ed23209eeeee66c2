"""Where the model servers are is for admins to know: an upstream's failure is told to other
users without its address, in chat answers and in the compatible APIs alike."""

from __future__ import annotations

import json

import ollama
import openai
import pytest

from jupyter_chat_ext.providers.urls import where
from jupyter_chat_ext.testing.upstream import FakeUpstream
from tests.api.completion_calls import complete, until_written
from tests.api.proxy_clients import HELLO


async def _connect(api, up: FakeUpstream) -> str:
    """A connection whose URL holds a credential, which no one is ever shown; its place."""
    base = up.openai_url.replace("http://", "http://ops:hunter2secret@")
    r = await api.as_("admin")("POST", "connections", {"kind": "openai", "base_url": base})
    assert r.status == 201, r
    return where(up.openai_url)


def _port(up: FakeUpstream) -> str:
    return up.openai_url.split("://")[1].split("/")[0].split(":")[1]


def _check(message: str, place: str, port: str, admin: bool) -> None:
    assert "hunter2secret" not in message and "ops:" not in message, message
    if admin:
        assert place in message, message
    else:
        assert "127.0.0.1" not in message and port not in message, message
        assert "model server" in message, message


async def _answer_error(api, jp_fetch, user: str, model: str) -> tuple[str, str]:
    """An answer that fails: the error its stream ends with, and the one stored with it."""
    _, events = await complete(jp_fetch, {"model": model, "content": "fail"}, user=user)
    name, data = events[-1]
    assert name == "error", events
    start = events[0][1]
    await until_written(start["message_id"])
    chat = (await api.as_(user)("GET", f"chats/{start['chat_id']}")).json()
    return data["message"], chat["messages"][1]["meta"]["error"]


@pytest.mark.parametrize("user", ["alice", "admin"])
async def test_a_failed_answer_names_the_model_server_only_to_admins(api, jp_fetch, user):
    admin = user == "admin"
    async with FakeUpstream(models=("fake-chat", "fake-chat+error-503")) as up:
        place, port = await _connect(api, up), _port(up)
        told, stored = await _answer_error(api, jp_fetch, user, "fake-chat+error-503")
        for message in (told, stored):
            assert message.startswith("503 from ") and "fake upstream failure" in message
            _check(message, place, port, admin)
        await up.stop()  # refused: the socket's own words name the address too
        told, stored = await _answer_error(api, jp_fetch, user, "fake-chat")
        for message in (told, stored):
            assert message.startswith("Cannot connect to "), message
            _check(message, place, port, admin)


@pytest.mark.parametrize("user", ["alice", "admin"])
async def test_the_compatible_apis_name_the_model_server_only_to_admins(
    api, client_for, ollama_for, user
):
    admin = user == "admin"
    async with FakeUpstream() as up:
        place, port = await _connect(api, up), _port(up)
        async with client_for(user=user) as client:
            await client.models.list()  # the models are known now
            await up.stop()
            for stream in (False, True):
                with pytest.raises(openai.APIStatusError) as error:
                    await client.chat.completions.create(
                        model="fake-chat", messages=HELLO, stream=stream
                    )
                assert error.value.status_code == 502
                _check(error.value.message, place, port, admin)
        if not admin:  # the Ollama API's error shape, through the same failure
            async with ollama_for() as client:
                with pytest.raises(ollama.ResponseError) as failed:
                    await client.chat(model="fake-chat", messages=HELLO)
                assert failed.value.status_code == 502
                _check(failed.value.error, place, port, admin)


@pytest.mark.parametrize("user", ["alice", "admin"])
async def test_a_connection_down_is_named_by_its_server_only_to_admins(api, jp_fetch, user):
    """Connections left with their default names, which hold their hosts and ports: a user
    sees each as "OpenAI", beside the models listed and with why one lists none."""
    admin = user == "admin"
    async with FakeUpstream() as up:
        place = await _connect(api, up)
        listed = (await api.as_(user)("GET", "models")).json()["items"]
        shown = f"OpenAI ({place.partition('://')[2]})" if admin else "OpenAI"
        assert listed and {m["connection_name"] for m in listed} == {shown}
    async with FakeUpstream() as gone:
        pass
    place, port = await _connect(api, gone), _port(gone)
    r = await api.as_(user)("GET", "models")  # the new one's server is gone: it lists none
    [(name, message)] = r.json()["errors"].items()
    assert message.startswith("Cannot connect to "), message
    _check(message, place, port, admin)
    assert name == (f"OpenAI ({place.partition('://')[2]})" if admin else "OpenAI")
    r, _ = await complete(jp_fetch, {"model": "nope", "content": "hi"}, user=user)
    body = json.loads(r.body)
    assert r.code == 404 and body["code"] == "model_not_found", body
    _check(body["message"].partition("Not listed now: ")[2], place, port, admin)
