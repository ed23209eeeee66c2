"""The chats resource: create, list, search, filter, rename, pin, archive, move, tag, clone."""

from __future__ import annotations


async def make(api, title: str, **extra):
    r = await api("POST", "chats", {"title": title, **extra})
    assert r.status == 201, r
    return r.json()


async def titles(api, **params) -> list[str]:
    r = await api("GET", "chats", params=params)
    assert r.status == 200, r
    return [c["title"] for c in r.json()["items"]]


async def test_create_and_get(api):
    chat = await make(
        api,
        "Pandas questions",
        tags=["Data", "python"],
        messages=[
            {"role": "user", "content": "How do I pivot?"},
            {"role": "assistant", "content": "Use `pivot_table`.", "model": "m1"},
        ],
    )
    assert chat["title"] == "Pandas questions"
    assert chat["tags"] == ["Data", "python"]
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant"]
    assert chat["messages"][1]["parent_id"] == chat["messages"][0]["id"]
    assert chat["current_message_id"] == chat["messages"][1]["id"]
    got = (await api("GET", f"chats/{chat['id']}")).json()
    assert got["messages"] == chat["messages"]
    assert got["messages"][1]["model"] == "m1"


async def test_list_is_newest_first_and_paged(api):
    for i in range(7):
        await make(api, f"chat {i}")
    first = (await api("GET", "chats", params={"limit": 3})).json()
    assert [c["title"] for c in first["items"]] == ["chat 6", "chat 5", "chat 4"]
    second = (await api("GET", "chats", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [c["title"] for c in second["items"]] == ["chat 3", "chat 2", "chat 1"]
    third = (await api("GET", "chats", params={"limit": 3, "cursor": second["next_cursor"]})).json()
    assert [c["title"] for c in third["items"]] == ["chat 0"]
    assert third["next_cursor"] is None


async def test_list_never_shows_other_users_chats(api):
    await make(api, "alice's")
    await make(api.as_("bob"), "bob's")
    assert await titles(api) == ["alice's"]
    assert await titles(api.as_("bob")) == ["bob's"]


async def test_search_titles_and_message_text(api):
    await make(api, "Plotting with matplotlib")
    await make(api, "Unrelated", messages=[{"role": "user", "content": "a MATPLOTLIB legend"}])
    await make(api, "Other", messages=[{"role": "user", "content": "nothing here"}])
    await make(api.as_("bob"), "matplotlib too")
    assert await titles(api, q="matplotlib") == ["Unrelated", "Plotting with matplotlib"]
    assert await titles(api, q="legend") == ["Unrelated"]
    assert await titles(api, q="100%") == []
    assert await titles(api, q="_") == []


async def test_rename_pin_archive(api):
    chat = await make(api, "before")
    r = await api("PATCH", f"chats/{chat['id']}", {"title": "after", "pinned": True})
    assert r.status == 200, r
    assert (r.json()["title"], r.json()["pinned"]) == ("after", True)
    assert await titles(api, pinned="true") == ["after"]
    await make(api, "second")
    r = await api("PATCH", f"chats/{chat['id']}", {"archived": True})
    assert r.json()["archived"] is True
    assert await titles(api) == ["second"]
    assert await titles(api, archived="true") == ["after"]
    r = await api("PATCH", f"chats/{chat['id']}", {"archived": False})
    assert sorted(await titles(api)) == ["after", "second"]


async def test_archive_all(api):
    for i in range(3):
        await make(api, f"c{i}")
    r = await api("POST", "chats/archive-all")
    assert r.json() == {"count": 3}
    assert await titles(api) == []
    assert len(await titles(api, archived="true")) == 3


async def test_tags(api):
    chat = await make(api, "tagged")
    other = await make(api, "other", tags=["work"])
    r = await api("POST", f"chats/{chat['id']}/tags", {"name": "Work"})
    assert r.status == 200, r
    assert r.json()["tags"] == ["work"]  # the existing tag, matched case-insensitively
    r = await api("POST", f"chats/{chat['id']}/tags", {"name": "  deep   learning "})
    assert r.json()["tags"] == ["deep learning", "work"]
    tags = (await api("GET", "tags")).json()["items"]
    assert tags == [{"name": "deep learning", "chat_count": 1}, {"name": "work", "chat_count": 2}]
    assert sorted(await titles(api, tag="WORK")) == ["other", "tagged"]
    r = await api("DELETE", f"chats/{chat['id']}/tags/deep learning")
    assert r.status == 200 and r.json()["tags"] == ["work"]
    # an unused tag disappears from the user's list
    assert [t["name"] for t in (await api("GET", "tags")).json()["items"]] == ["work"]
    r = await api("DELETE", f"chats/{chat['id']}/tags/nope")
    assert r.status == 404
    assert (await api.as_("bob")("GET", "tags")).json()["items"] == []
    assert other["tags"] == ["work"]


async def test_clone_copies_every_branch(api):
    chat = await make(
        api,
        "original",
        tags=["t"],
        messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a1"}],
    )
    user_msg = chat["messages"][0]["id"]
    await api(
        "POST",
        f"chats/{chat['id']}/messages",
        {"parent_id": user_msg, "role": "assistant", "content": "a2"},
    )
    r = await api("POST", f"chats/{chat['id']}/clone", {})
    assert r.status == 201, r
    clone = r.json()
    assert clone["id"] != chat["id"]
    assert clone["title"] == "Clone of original"
    assert clone["tags"] == ["t"]
    assert [m["content"] for m in clone["messages"]] == ["q", "a2"]
    assert len(clone["messages"][1]["sibling_ids"]) == 2
    assert not {m["id"] for m in clone["messages"]} & {m["id"] for m in chat["messages"]}
    named = (await api("POST", f"chats/{chat['id']}/clone", {"title": "copy"})).json()
    assert named["title"] == "copy"


async def test_delete_and_delete_all(api):
    a = await make(api, "a")
    await make(api, "b")
    await make(api.as_("bob"), "bob's")
    assert (await api("DELETE", f"chats/{a['id']}")).status == 204
    assert (await api("GET", f"chats/{a['id']}")).status == 404
    assert (await api("DELETE", f"chats/{a['id']}")).status == 404
    r = await api("POST", "chats/delete-all", {"confirm": "yes"})
    assert r.status == 422 and "delete all chats" in r.json()["message"]
    assert await titles(api) == ["b"]
    r = await api("POST", "chats/delete-all", {"confirm": "delete all chats"})
    assert r.json() == {"count": 1}
    assert await titles(api) == []
    assert await titles(api.as_("bob")) == ["bob's"]


async def test_move_to_folder_and_filter(api):
    folder = (await api("POST", "folders", {"name": "Projects"})).json()
    chat = await make(api, "in folder")
    await make(api, "at top")
    r = await api("PATCH", f"chats/{chat['id']}", {"folder_id": folder["id"]})
    assert r.json()["folder_id"] == folder["id"]
    assert await titles(api, folder_id=folder["id"]) == ["in folder"]
    assert await titles(api, folder_id="none") == ["at top"]
    r = await api("PATCH", f"chats/{chat['id']}", {"folder_id": None})
    assert r.json()["folder_id"] is None
    bobs = (await api.as_("bob")("POST", "folders", {"name": "Bob's"})).json()
    r = await api("PATCH", f"chats/{chat['id']}", {"folder_id": bobs["id"]})
    assert r.status == 404
    created = await api("POST", "chats", {"title": "x", "folder_id": bobs["id"]})
    assert created.status == 404


async def test_jupyterlab_cache_busting_query_key_is_ignored(api):
    await make(api, "seen")
    r = await api("GET", "chats", params={"limit": "5", "1795720112980": ""})
    assert r.status == 200, r
    assert [c["title"] for c in r.json()["items"]] == ["seen"]


async def test_search_follows_edits_and_deletions(api):
    chat = await make(api, "plain", messages=[{"role": "user", "content": "first draft"}])
    mid = chat["messages"][0]["id"]
    assert await titles(api, q="draft") == ["plain"]
    await api("PATCH", f"chats/{chat['id']}/messages/{mid}", {"content": "a walrus appears"})
    assert await titles(api, q="draft") == []
    assert await titles(api, q="WALRUS") == ["plain"]
    await api("DELETE", f"chats/{chat['id']}")
    assert await titles(api, q="walrus") == []
