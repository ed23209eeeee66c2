"""A chat's own system prompt and parameters: set over REST or by a new chat's first request,
used by every answer in the chat (over a preset's, under the request's own)."""

from __future__ import annotations

import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream
from tests.api.completion_calls import complete

SETTINGS = {"system": "Be brief.", "params": {"temperature": 0.3, "max_tokens": 50}}


async def connect(api, up: FakeUpstream) -> None:
    r = await api.as_("admin")("POST", "connections", {"kind": "openai", "base_url": up.openai_url})
    assert r.status == 201, r


def asked(up: FakeUpstream) -> dict:
    """What the upstream was last asked for an answer (titles aside: they ask for 24 tokens)."""
    answers = [
        r.body
        for r in up.requests
        if r.path == "/v1/chat/completions" and r.body.get("max_tokens") != 24
    ]
    return answers[-1]


async def test_a_chats_settings_shape_every_answer_in_it(api, jp_fetch):
    async with FakeUpstream() as up:
        await connect(api, up)
        chat = (await api("POST", "chats", {"title": "Set"})).json()
        r = await api("PATCH", f"chats/{chat['id']}", {"settings": SETTINGS})
        assert r.status == 200, r
        assert r.json()["meta"]["settings"] == {
            **SETTINGS,
            "params": {**SETTINGS["params"], "options": {}},
        }

        await complete(jp_fetch, {"model": "fake-chat", "chat_id": chat["id"], "content": "hi"})
        sent = asked(up)
        assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
        assert (sent["temperature"], sent["max_tokens"]) == (0.3, 50)

        # The request's own values come first, the chat's fill in the rest.
        body = {"model": "fake-chat", "chat_id": chat["id"], "content": "again"}
        await complete(jp_fetch, {**body, "system": "Be long.", "params": {"temperature": 1.5}})
        sent = asked(up)
        assert sent["messages"][0]["content"] == "Be long."
        assert (sent["temperature"], sent["max_tokens"]) == (1.5, 50)

        # Over a preset: the chat's system prompt and parameters win, the preset's fill in.
        preset = {"id": "p", "name": "P", "base_model": "fake-chat", "system_prompt": "Preset."}
        preset["params"] = {"temperature": 0.9, "top_p": 0.5}
        assert (await api("POST", "presets", preset)).status == 201
        await complete(jp_fetch, {"model": "p", "chat_id": chat["id"], "content": "and you"})
        sent = asked(up)
        assert sent["messages"][0]["content"] == "Be brief."
        assert (sent["temperature"], sent["top_p"], sent["max_tokens"]) == (0.3, 0.5, 50)

        # Cleared, the preset speaks again.
        r = await api("PATCH", f"chats/{chat['id']}", {"settings": None})
        assert "settings" not in r.json()["meta"]
        await complete(jp_fetch, {"model": "p", "chat_id": chat["id"], "content": "now"})
        assert asked(up)["messages"][0]["content"] == "Preset."


async def test_a_new_chat_is_made_with_the_settings_its_first_request_gives(api, jp_fetch):
    async with FakeUpstream() as up:
        await connect(api, up)
        settings = {"system": "Be brief.", "params": {"seed": 7}}
        _, events = await complete(
            jp_fetch, {"model": "fake-chat", "content": "hi", "settings": settings}
        )
        chat_id = events[0][1]["chat_id"]
        assert asked(up)["messages"][0]["content"] == "Be brief."
        chat = (await api("GET", f"chats/{chat_id}")).json()
        assert chat["meta"]["settings"]["system"] == "Be brief."
        await complete(jp_fetch, {"model": "fake-chat", "chat_id": chat_id, "content": "more"})
        sent = asked(up)
        assert sent["messages"][0]["content"] == "Be brief." and sent["seed"] == 7

        # A request's own system prompt and parameters are that answer's alone.
        body = {"model": "fake-chat", "content": "plain", "system": "Once.", "params": {"seed": 1}}
        _, events = await complete(jp_fetch, body)
        chat_id = events[0][1]["chat_id"]
        assert asked(up)["messages"][0]["content"] == "Once."
        assert "settings" not in (await api("GET", f"chats/{chat_id}")).json()["meta"]
        await complete(jp_fetch, {"model": "fake-chat", "chat_id": chat_id, "content": "next"})
        sent = asked(up)
        assert sent["messages"][0]["role"] == "user" and "seed" not in sent

        # An existing chat's settings change over PATCH, not with an answer.
        r, _ = await complete(
            jp_fetch, {"model": "fake-chat", "chat_id": chat_id, "content": "x", "settings": {}}
        )
        assert r.code == 422 and "PATCH chats" in r.body.decode()


async def test_an_empty_system_prompt_sends_none_over_the_chats_and_the_presets(api, jp_fetch):
    """An empty system prompt is a choice, none at all, not a gap for the next one to fill."""
    async with FakeUpstream() as up:
        await connect(api, up)
        preset = {"id": "p", "name": "P", "base_model": "fake-chat", "system_prompt": "Preset."}
        assert (await api("POST", "presets", preset)).status == 201
        chat = (await api("POST", "chats", {"title": "Set", "settings": SETTINGS})).json()
        body = {"model": "p", "chat_id": chat["id"]}

        # For one answer: neither the chat's nor the preset's.
        await complete(jp_fetch, {**body, "content": "one", "system": ""})
        sent = asked(up)
        assert sent["messages"] == [{"role": "user", "content": "one"}]
        assert sent["temperature"] == 0.3  # the chat's parameters still count

        # For the chat: the earlier prompt is gone, and the preset's does not come back.
        r = await api("PATCH", f"chats/{chat['id']}", {"settings": {"system": ""}})
        assert r.status == 200, r
        assert r.json()["meta"]["settings"] == {"system": "", "params": {"options": {}}}
        await complete(jp_fetch, {**body, "content": "two"})
        sent = asked(up)
        assert all(m["role"] != "system" for m in sent["messages"]), sent["messages"]
        assert "temperature" not in sent

        # A new chat made with it, and a request that gives one back for itself.
        _, events = await complete(
            jp_fetch, {"model": "p", "content": "three", "settings": {"system": ""}}
        )
        assert all(m["role"] != "system" for m in asked(up)["messages"])
        new_id = events[0][1]["chat_id"]
        await complete(jp_fetch, {"model": "p", "chat_id": new_id, "content": "4", "system": "X"})
        assert asked(up)["messages"][0] == {"role": "system", "content": "X"}

        # Cleared with null, the preset speaks again.
        await api("PATCH", f"chats/{chat['id']}", {"settings": None})
        await complete(jp_fetch, {**body, "content": "five"})
        assert asked(up)["messages"][0] == {"role": "system", "content": "Preset."}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"params": {"temperature": 5}}, "temperature"),
        ({"params": {"warmth": 1}}, "warmth"),
        ({"params": {"options": {"model": "x"}}}, "model"),
        ({"system": 3}, "system"),
        ({"mood": "calm"}, "mood"),
    ],
)
async def test_bad_settings_are_refused_by_name_and_change_nothing(api, settings, named):
    chat = (await api("POST", "chats", {"title": "Set", "settings": SETTINGS})).json()
    r = await api("PATCH", f"chats/{chat['id']}", {"settings": settings})
    assert r.status == 422 and named in r.text, r.text
    assert (await api("GET", f"chats/{chat['id']}")).json()["meta"]["settings"]["system"] == (
        "Be brief."
    )


async def test_settings_travel_with_export_and_bad_imported_ones_are_left_unused(api, jp_fetch):
    async with FakeUpstream() as up:
        await connect(api, up)
        chat = (await api("POST", "chats", {"title": "Set", "settings": SETTINGS})).json()
        doc = (await api("GET", f"chats/{chat['id']}/export")).json()
        (copy,) = (await api("POST", "chats/import", doc)).json()["items"]
        await complete(jp_fetch, {"model": "fake-chat", "chat_id": copy["id"], "content": "hi"})
        assert asked(up)["messages"][0]["content"] == "Be brief."

        doc["chats"][0]["meta"]["settings"] = {"params": {"temperature": "hot"}}
        (odd,) = (await api("POST", "chats/import", doc)).json()["items"]
        r, events = await complete(
            jp_fetch, {"model": "fake-chat", "chat_id": odd["id"], "content": "hi"}
        )
        assert r.code == 200 and events[-1][0] == "done"
        assert "temperature" not in asked(up)


async def test_any_other_option_reaches_an_ollama_connection(api, jp_fetch):
    """Ollama's own options go into its request's options; think and keep_alive beside them."""
    async with FakeUpstream() as up:
        r = await api.as_("admin")(
            "POST", "connections", {"kind": "ollama", "base_url": up.ollama_url}
        )
        assert r.status == 201, r
        options = {"mirostat": 2, "num_gpu": 0, "num_ctx": 4096, "think": False, "keep_alive": "5m"}
        settings = {"params": {"temperature": 0.2, "options": options}}
        chat = (await api("POST", "chats", {"title": "Ollama", "settings": settings})).json()
        body = {"model": "fake-chat:latest", "chat_id": chat["id"], "content": "hi"}
        r, events = await complete(jp_fetch, body)
        assert events[-1][0] == "done", events[-1]
        (sent,) = [q.body for q in up.requests if q.path == "/api/chat"]
        assert sent["options"] == {"temperature": 0.2, "mirostat": 2, "num_gpu": 0, "num_ctx": 4096}
        assert (sent["think"], sent["keep_alive"]) == (False, "5m")


async def test_the_length_limit_closest_to_the_answer_is_the_one_sent(api, jp_fetch):
    """Under OpenAI's older or newer name: a preset's max_completion_tokens and a request's
    max_tokens were both sent, which OpenAI refuses."""
    async with FakeUpstream() as up:
        await connect(api, up)
        preset = {"id": "p", "name": "P", "base_model": "fake-chat"}
        preset["params"] = {"temperature": 0.9, "options": {"max_completion_tokens": 30}}
        assert (await api("POST", "presets", preset)).status == 201
        body = {"model": "p", "content": "hi", "params": {"max_tokens": 5}}
        r, events = await complete(jp_fetch, body)
        assert r.code == 200 and events[-1][0] == "done", events
        sent = asked(up)
        assert (sent["max_tokens"], "max_completion_tokens" in sent) == (5, False), sent
        assert sent["temperature"] == 0.9
        # A chat's limit over the preset's, and the request's over the chat's.
        settings = {"params": {"options": {"max_completion_tokens": 7}}}
        chat = (await api("POST", "chats", {"title": "c", "settings": settings})).json()
        await complete(jp_fetch, {"model": "p", "chat_id": chat["id"], "content": "hi"})
        sent = asked(up)
        assert (sent["max_completion_tokens"], "max_tokens" in sent) == (7, False), sent
        body = {**body, "chat_id": chat["id"], "content": "again"}
        await complete(jp_fetch, body)
        sent = asked(up)
        assert (sent["max_tokens"], "max_completion_tokens" in sent) == (5, False), sent


async def test_a_system_suffix_is_added_to_the_system_prompt_in_use(api, jp_fetch):
    """How to shape one answer (code only, say) keeps the chat's or the preset's prompt."""
    async with FakeUpstream() as up:
        await connect(api, up)
        preset = {"id": "p", "name": "P", "base_model": "fake-chat", "system_prompt": "Preset."}
        assert (await api("POST", "presets", preset)).status == 201
        chat = (await api("POST", "chats", {"title": "Set", "settings": SETTINGS})).json()
        body = {"model": "p", "chat_id": chat["id"], "system_suffix": "Code only."}

        await complete(jp_fetch, {**body, "content": "one"})
        assert asked(up)["messages"][0] == {"role": "system", "content": "Be brief.\n\nCode only."}
        await complete(jp_fetch, {**body, "content": "two", "system": "Be long."})
        assert asked(up)["messages"][0]["content"] == "Be long.\n\nCode only."
        await complete(jp_fetch, {**body, "content": "three", "system": ""})
        assert asked(up)["messages"][0] == {"role": "system", "content": "Code only."}

        r = await api("PATCH", f"chats/{chat['id']}", {"settings": {"system": None}})
        assert r.status == 200, r
        await complete(jp_fetch, {**body, "content": "four"})
        assert asked(up)["messages"][0]["content"] == "Preset.\n\nCode only."
        # For that answer alone: the next one has the preset's prompt as it is.
        await complete(jp_fetch, {"model": "p", "chat_id": chat["id"], "content": "five"})
        assert asked(up)["messages"][0]["content"] == "Preset."
