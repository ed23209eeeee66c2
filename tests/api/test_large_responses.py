"""Large responses (a long chat, an export) are sent as they are made, and stop being made
when the client leaves."""

from __future__ import annotations

import asyncio
import json

from jupyter_chat_ext.chats.schemas import ChatDetail, ExportDocument
from jupyter_chat_ext.core import handlers
from tests.support.identity import header


async def long_chat(api, messages: int, size: int, char: str = "é") -> dict:
    # Every message different, so that a piece sent twice or out of order shows.
    body = {
        "title": "Long chat",
        "messages": [
            {"role": "user" if i % 2 == 0 else "assistant", "content": f"{i:05d} " + char * size}
            for i in range(messages)
        ],
    }
    r = await api("POST", "chats", body)
    assert r.status == 201, r
    return r.json()


async def test_a_long_chat_is_sent_in_pieces_and_is_the_same_json(api):
    chat = await long_chat(api, 40, 4_000)  # about 320 KB of UTF-8
    r = await api("GET", f"chats/{chat['id']}")
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in r.headers
    got = r.json()
    assert [m["content"][:5] for m in got["messages"]] == [f"{i:05d}" for i in range(40)]
    assert got["messages"] == chat["messages"]
    # Byte for byte what the model made whole would have been.
    raw = r.text.encode()
    assert ChatDetail.model_validate_json(raw).model_dump_json().encode() == raw

    exported = await api("GET", f"chats/{chat['id']}/export")
    assert exported.status == 200
    assert exported.headers.get("Transfer-Encoding") == "chunked"
    assert exported.headers["Content-Disposition"].startswith("attachment")
    raw = exported.text.encode()
    assert ExportDocument.model_validate_json(raw).model_dump_json().encode() == raw
    assert len(exported.json()["chats"][0]["messages"]) == 40
    # And it is still importable as it is.
    r = await api("POST", "chats/import", raw=raw)
    assert r.status == 201, r
    assert r.json()["items"][0]["title"] == "Long chat"


async def test_a_short_chat_is_one_piece_with_its_length(api):
    chat = await long_chat(api, 3, 10)
    r = await api("GET", f"chats/{chat['id']}")
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/json"
    assert int(r.headers["Content-Length"]) == len(r.text.encode())
    assert "Transfer-Encoding" not in r.headers
    assert r.json()["messages"] == chat["messages"]


async def test_a_large_response_made_in_one_piece_keeps_its_length(api):
    # A page of 150 chats with long titles: over 64 KB, but nothing to send it in parts for.
    for i in range(150):
        assert (await api("POST", "chats", {"title": f"{i:03d} " + "t" * 490})).status == 201
    r = await api("GET", "chats", params={"limit": 200})
    assert r.status == 200 and len(r.json()["items"]) == 150
    assert int(r.headers["Content-Length"]) == len(r.text.encode()) > 64 * 1024
    assert "Transfer-Encoding" not in r.headers


async def test_a_client_that_leaves_stops_the_rest_being_made(
    api, jp_http_port, jp_base_url, monkeypatch
):
    # 24 MB: more than the loopback socket buffers of both ends hold, so that the server
    # is still making the response when the client goes.
    chat = await long_chat(api, 48, 512 * 1024, "x")
    made: list[int] = []
    closed = asyncio.Event()
    pieces = handlers.json_pieces

    def counted(model):
        try:
            for piece in pieces(model):
                made.append(len(piece))
                yield piece
        finally:
            closed.set()

    monkeypatch.setattr(handlers, "json_pieces", counted)
    reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
    auth = header("alice")["Authorization"]
    path = f"{jp_base_url}chat-ext/api/chats/{chat['id']}"
    host = f"localhost:{jp_http_port}"
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200")
    await asyncio.wait_for(reader.readexactly(64 * 1024), 10)
    writer.close()
    await asyncio.wait_for(closed.wait(), 10)
    sent = sum(made)
    whole = len((await api("GET", f"chats/{chat['id']}")).text.encode())
    assert 0 < sent < whole / 2, (sent, whole)
    # The server is none the worse for it.
    r = await api("GET", "chats", params={"limit": 1})
    assert r.status == 200 and r.json()["items"][0]["id"] == chat["id"]
    assert json.loads((await api("GET", f"chats/{chat['id']}")).text)["id"] == chat["id"]
