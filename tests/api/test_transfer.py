"""Export as JSON and Markdown; import our export and Open WebUI's."""

from __future__ import annotations

import json

from jupyter_server.auth.identity import User

from jupyter_chat_ext.chats import service as chats_service
from jupyter_chat_ext.chats.schemas import ExportDocument


async def test_export_json_round_trips_every_branch(api):
    chat = (
        await api(
            "POST",
            "chats",
            {
                "title": "Round trip",
                "tags": ["keep"],
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": "a1"},
                ],
            },
        )
    ).json()
    q = chat["messages"][0]["id"]
    await api(
        "POST",
        f"chats/{chat['id']}/messages",
        {"role": "assistant", "content": "a2", "parent_id": q},
    )
    r = await api("GET", f"chats/{chat['id']}/export")
    assert r.status == 200, r
    assert 'filename="Round-trip.json"' in r.headers["Content-Disposition"]
    doc = r.json()
    assert doc["format"] == "jupyter-chat-ext" and doc["version"] == 1
    assert len(doc["chats"][0]["messages"]) == 3

    r = await api("POST", "chats/import", doc)
    assert r.status == 201, r
    (imported,) = r.json()["items"]
    assert imported["id"] != chat["id"]
    assert imported["title"] == "Round trip" and imported["tags"] == ["keep"]
    detail = (await api("GET", f"chats/{imported['id']}")).json()
    assert [m["content"] for m in detail["messages"]] == ["q", "a2"]
    assert len(detail["messages"][1]["sibling_ids"]) == 2
    assert detail["created_at"] == chat["created_at"]


async def test_export_markdown_is_the_current_branch(api):
    chat = (
        await api(
            "POST",
            "chats",
            {
                "title": "Notes",
                "messages": [
                    {"role": "user", "content": "What is 2+2?"},
                    {"role": "assistant", "content": "**4**", "model": "tiny"},
                ],
            },
        )
    ).json()
    r = await api("GET", f"chats/{chat['id']}/export", params={"format": "markdown"})
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/markdown")
    assert r.text == "# Notes\n\n## User\n\nWhat is 2+2?\n\n## Assistant (tiny)\n\n**4**\n"


async def test_export_all_then_import_all(api):
    for title in ("one", "two"):
        await api(
            "POST", "chats", {"title": title, "messages": [{"role": "user", "content": title}]}
        )
    await api.as_("bob")("POST", "chats", {"title": "bob's"})
    doc = (await api("GET", "chats/export")).json()
    assert sorted(c["title"] for c in doc["chats"]) == ["one", "two"]
    r = await api.as_("bob")("POST", "chats/import", doc)
    assert r.status == 201
    listed = (await api.as_("bob")("GET", "chats")).json()["items"]
    assert sorted(c["title"] for c in listed) == ["bob's", "one", "two"]


async def test_export_all_reads_and_sends_a_page_of_chats_at_a_time(api, jp_serverapp, monkeypatch):
    for i in range(5):
        messages = [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]
        await api("POST", "chats", {"title": f"chat {i}", "messages": messages})
    services = await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()
    me = await services.users.identify(User(username="alice"))
    monkeypatch.setattr(chats_service, "_EXPORT_PAGE", 2)
    store = services.chats.store
    read_page = store.export_page
    pages: list[list[str]] = []

    async def page_by_page(user_id, chat_ids):
        pages.append(list(chat_ids))
        if len(pages) == 2:
            # Deleted while the export runs, before its page is read: it is left out.
            assert await store.delete(me.id, chat_ids[-1])
        return await read_page(user_id, chat_ids)

    monkeypatch.setattr(store, "export_page", page_by_page)
    r = await api("GET", "chats/export")
    assert r.status == 200 and r.headers["Content-Type"] == "application/json"
    assert [len(p) for p in pages] == [2, 2, 1]
    doc = r.json()
    # Newest first, as the chats list them.
    assert [c["title"] for c in doc["chats"]] == ["chat 4", "chat 3", "chat 2", "chat 0"]
    assert sorted(m["content"] for m in doc["chats"][0]["messages"]) == ["a", "q4"]
    raw = r.text.encode()
    assert ExportDocument.model_validate_json(raw).model_dump_json().encode() == raw


OPEN_WEBUI_EXPORT = [
    {
        "id": "6a1e2b8c-0000-0000-0000-000000000001",
        "user_id": "u1",
        "title": "Chat from Open WebUI",
        "chat": {
            "id": "",
            "title": "Chat from Open WebUI",
            "models": ["llama3.1:8b"],
            "history": {
                "messages": {
                    "m1": {
                        "id": "m1",
                        "parentId": None,
                        "childrenIds": ["m2", "m3"],
                        "role": "user",
                        "content": "Hi",
                        "timestamp": 1718000000,
                    },
                    "m2": {
                        "id": "m2",
                        "parentId": "m1",
                        "childrenIds": [],
                        "role": "assistant",
                        "content": "Hello!",
                        "model": "llama3.1:8b",
                        "timestamp": 1718000001,
                    },
                    "m3": {
                        "id": "m3",
                        "parentId": "m1",
                        "childrenIds": [],
                        "role": "assistant",
                        "content": "Hey there",
                        "model": "llama3.1:8b",
                        "timestamp": 1718000002,
                        "usage": {"total_tokens": 9},
                    },
                },
                "currentId": "m2",
            },
            "messages": [],
            "tags": [],
            "timestamp": 1718000000000,
        },
        "updated_at": 1718000005,
        "created_at": 1718000000,
        "share_id": None,
        "archived": False,
        "pinned": True,
        "meta": {"tags": ["imported"]},
        "folder_id": None,
    },
    {
        "id": "legacy",
        "title": "Flat messages",
        "chat": {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
            ]
        },
    },
]


async def test_import_open_webui_export(api):
    r = await api("POST", "chats/import", raw=json.dumps(OPEN_WEBUI_EXPORT).encode())
    assert r.status == 201, r
    items = {c["title"]: c for c in r.json()["items"]}
    owui = items["Chat from Open WebUI"]
    assert owui["pinned"] is True and owui["tags"] == ["imported"]
    assert owui["created_at"].startswith("2024-06-10")
    detail = (await api("GET", f"chats/{owui['id']}")).json()
    assert [m["content"] for m in detail["messages"]] == ["Hi", "Hello!"]
    assert detail["messages"][1]["model"] == "llama3.1:8b"
    assert len(detail["messages"][1]["sibling_ids"]) == 2
    other = detail["messages"][1]["sibling_ids"][1]
    switched = (await api("PATCH", f"chats/{owui['id']}", {"current_message_id": other})).json()
    assert switched["messages"][1]["meta"] == {"usage": {"total_tokens": 9}}
    flat = (await api("GET", f"chats/{items['Flat messages']['id']}")).json()
    assert [m["content"] for m in flat["messages"]] == ["a", "b"]


async def test_import_open_webui_brings_the_chats_own_system_prompt_and_parameters(api):
    chat = {
        "title": "Tuned",
        "params": {
            "system": "Answer in French.",
            "temperature": 0.3,
            "max_tokens": 256,
            "stop": ["###"],
            "seed": None,
            "top_p": 7,  # out of range: left behind
            "stream_response": True,  # Open WebUI's own switch
            "mirostat": 2,  # an Ollama option, which an OpenAI server would refuse
        },
        "messages": [{"role": "user", "content": "Bonjour"}],
    }
    r = await api("POST", "chats/import", raw=json.dumps([{"chat": chat}]).encode())
    assert r.status == 201, r
    detail = (await api("GET", f"chats/{r.json()['items'][0]['id']}")).json()
    assert detail["meta"]["settings"] == {
        "system": "Answer in French.",
        "params": {"temperature": 0.3, "max_tokens": 256, "stop": ["###"], "options": {}},
    }


async def test_export_markdown_keeps_a_reasoning_models_thoughts(api):
    thought = {"reasoning": "Two and two.\nThat is four.", "reasoning_ms": 12_400}
    chat = (
        await api(
            "POST",
            "chats",
            {
                "title": "Sums",
                "messages": [
                    {"role": "user", "content": "What is 2+2?"},
                    {"role": "assistant", "content": "**4**", "model": "r1", "meta": thought},
                ],
            },
        )
    ).json()
    r = await api("GET", f"chats/{chat['id']}/export", params={"format": "markdown"})
    assert r.status == 200
    # Folded, as the chat view shows them, above the answer.
    assert r.text == (
        "# Sums\n\n## User\n\nWhat is 2+2?\n\n## Assistant (r1)\n\n"
        "<details>\n<summary>Thought for 12 seconds</summary>\n\n"
        "Two and two.\nThat is four.\n\n</details>\n\n**4**\n"
    )


async def test_import_open_webui_takes_a_reasoning_models_thoughts_apart(api):
    """Open WebUI keeps the thoughts in the answer's text, as a <details> block at its start:
    they are taken out into the answer's reasoning, and the answer is what follows."""
    thought = (
        '<details type="reasoning" done="true" duration="7" view="" last_tool_call_name="">\n'
        "<summary>Thought for 7 seconds</summary>\n"
        "> Two and two.\n> \n> Is it &lt;5? Yes.\n"
        "</details>\n"
    )
    export = [
        {
            "id": "r",
            "title": "Reasoned",
            "chat": {
                "messages": [
                    {"role": "user", "content": "2+2?"},
                    {"role": "assistant", "content": thought + "**Four.**"},
                    {"role": "user", "content": "<details>mine</details> and 3?"},
                ]
            },
        }
    ]
    r = await api("POST", "chats/import", raw=json.dumps(export).encode())
    assert r.status == 201, r
    (chat,) = r.json()["items"]
    messages = (await api("GET", f"chats/{chat['id']}")).json()["messages"]
    assert [m["content"] for m in messages] == [
        "2+2?",
        "**Four.**",
        "<details>mine</details> and 3?",
    ]
    assert messages[1]["meta"]["reasoning"] == "Two and two.\n\nIs it <5? Yes."
    assert messages[1]["meta"]["reasoning_ms"] == 7000
