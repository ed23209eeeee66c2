"""AsyncClient against the real server: the same methods as Client, awaited."""

from __future__ import annotations

import asyncio
import getpass
import socket
import uuid

import pytest
from jupyter_chat_kernel import AsyncClient, ChatDetail, ChatError, ChatPage, MessageOut, UserOut

from tests.support.raw_server import RawServer

pytestmark = pytest.mark.asyncio


async def test_me(server):
    async with AsyncClient(server.url, server.token) as client:
        me = await client.me()
    assert isinstance(me, UserOut)
    assert (me.username, me.role) == (getpass.getuser(), "admin")


async def test_chat_lifecycle(server):
    async with AsyncClient(server.url, server.token) as client:
        created = await client.create_chat("async", [("user", "Hi")], pinned=True)
        assert isinstance(created, ChatDetail)
        assert created.pinned
        [question] = created.messages
        answer = await client.add_message(created.id, "assistant", "Hello", model="m")
        assert isinstance(answer, MessageOut)
        assert answer.parent_id == question.id
        detail = await client.chat(created.id)
        assert [m.content for m in detail.messages] == ["Hi", "Hello"]
        assert await client.delete_chat(created.id) is None
        with pytest.raises(ChatError) as caught:
            await client.chat(created.id)
        assert (caught.value.status, caught.value.code) == (404, "not_found")


async def test_pages_and_iteration(server):
    tag = f"a{uuid.uuid4().hex[:12]}"
    async with AsyncClient(server.url, server.token) as client:
        # Requests share one connection pool; several may be in flight at once.
        created = await asyncio.gather(*(client.create_chat(f"{tag} {i}") for i in range(5)))
        page = await client.chats(q=tag, limit=2)
        assert isinstance(page, ChatPage)
        assert len(page.items) == 2
        assert page.next_cursor
        seen = [chat.id async for chat in client.iter_chats(q=tag, limit=2)]
        assert sorted(seen) == sorted(c.id for c in created)
        assert len(seen) == 5
        await asyncio.gather(*(client.delete_chat(c.id) for c in created))
        assert [chat async for chat in client.iter_chats(q=tag)] == []


async def test_bad_token_is_403(server):
    async with AsyncClient(server.url, "wrong") as client:
        with pytest.raises(ChatError) as caught:
            await client.me()
    assert (caught.value.status, caught.value.code) == (403, "forbidden")
    assert "refused the token" in str(caught.value)


async def test_unknown_chat_is_404(server):
    async with AsyncClient(server.url, server.token) as client:
        with pytest.raises(ChatError, match=r"No chat with id 'nope'\. \(HTTP 404, not_found\)"):
            await client.chat("nope")


async def test_server_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AsyncClient(f"http://127.0.0.1:{port}/", "t", timeout=5) as client:
        with pytest.raises(ChatError) as caught:
            await client.me()
    assert (caught.value.status, caught.value.code) == (None, "unreachable")
    assert f"http://127.0.0.1:{port}/" in str(caught.value)


async def test_discovered_over_a_unix_socket(socket_server, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(socket_server.runtime_dir))
    async with AsyncClient() as client:
        assert client.connection.sock == str(socket_server.sock)
        assert (await client.me()).role == "admin"


async def test_a_closed_client_says_so(server):
    client = AsyncClient(server.url, server.token)
    await client.aclose()
    with pytest.raises(ChatError) as caught:
        await client.me()
    assert caught.value.code == "closed" and "closed" in str(caught.value)


async def test_an_answer_that_is_not_a_stream_is_a_bad_response():
    async with RawServer(b'{"a": 1}') as raw, AsyncClient(raw.url + "/", "t") as client:
        with pytest.raises(ChatError) as caught:
            await client.stream("hello", model="m")
    assert caught.value.code == "bad_response" and "not events" in str(caught.value)
