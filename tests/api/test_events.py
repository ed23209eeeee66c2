"""The events WebSocket: a user's changes reach that user's tabs and no one else's."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.identity import header


async def next_event(ws) -> dict:
    message = await asyncio.wait_for(ws.read_message(), 5.0)
    assert message is not None, "socket closed"
    return json.loads(message)


async def test_changes_reach_the_users_other_tabs_only(api, jp_ws_fetch):
    alice_tab = await jp_ws_fetch("chat-ext", "api", "events", headers=header("alice"))
    alice_tab2 = await jp_ws_fetch("chat-ext", "api", "events", headers=header("alice"))
    bob_tab = await jp_ws_fetch("chat-ext", "api", "events", headers=header("bob"))

    chat = (await api("POST", "chats", {"title": "live"})).json()
    for tab in (alice_tab, alice_tab2):
        event = await next_event(tab)
        assert event["type"] == "chat.created"
        assert event["data"]["id"] == chat["id"] and event["data"]["title"] == "live"

    await api("PATCH", f"chats/{chat['id']}", {"title": "renamed"})
    assert (await next_event(alice_tab))["data"]["title"] == "renamed"

    message = (
        await api("POST", f"chats/{chat['id']}/messages", {"role": "user", "content": "hi"})
    ).json()
    event = await next_event(alice_tab)
    assert event["type"] == "message.added"
    assert event["data"]["chat_id"] == chat["id"] and event["data"]["id"] == message["id"]

    await api("PATCH", f"chats/{chat['id']}/messages/{message['id']}", {"content": "hello"})
    event = await next_event(alice_tab)
    assert (event["type"], event["data"]["content"]) == ("message.updated", "hello")

    # A chat's changes carry its current leaf, so a tab showing it knows if its branch moved.
    await api("PATCH", f"chats/{chat['id']}", {"pinned": True})
    event = await next_event(alice_tab)
    assert event["type"] == "chat.updated" and event["data"]["pinned"] is True
    assert event["data"]["current_message_id"] == message["id"]
    assert "messages" not in event["data"]

    await api("DELETE", f"chats/{chat['id']}")
    assert await next_event(alice_tab) == {"type": "chat.deleted", "data": {"id": chat["id"]}}

    # Bob's own change is the first thing Bob's tab sees: none of Alice's leaked to it.
    await api.as_("bob")("POST", "chats", {"title": "bob's"})
    event = await next_event(bob_tab)
    assert (event["type"], event["data"]["title"]) == ("chat.created", "bob's")
    for tab in (alice_tab, alice_tab2, bob_tab):
        tab.close()


async def test_anonymous_socket_is_refused(jp_ws_fetch):
    with pytest.raises(HTTPClientError) as error:
        await jp_ws_fetch("chat-ext", "api", "events", headers=header(None))
    assert error.value.code == 403
