"""The message tree: replies, edits and regenerations as siblings, and switching branches."""

from __future__ import annotations


async def add(api, chat_id: str, role: str, content: str, **extra):
    r = await api("POST", f"chats/{chat_id}/messages", {"role": role, "content": content, **extra})
    assert r.status == 201, r
    return r.json()


async def branch(api, chat_id: str) -> list[str]:
    return [m["content"] for m in (await api("GET", f"chats/{chat_id}")).json()["messages"]]


async def test_replies_follow_the_current_leaf(api):
    chat = (await api("POST", "chats", {})).json()
    assert chat["title"] == "New Chat" and chat["messages"] == []
    q = await add(api, chat["id"], "user", "question")
    a = await add(api, chat["id"], "assistant", "answer", model="m", meta={"usage": {"total": 3}})
    assert q["parent_id"] is None and a["parent_id"] == q["id"]
    assert a["meta"] == {"usage": {"total": 3}}
    assert await branch(api, chat["id"]) == ["question", "answer"]


async def test_edit_and_regenerate_make_branches_and_switching_works(api):
    chat = (await api("POST", "chats", {})).json()
    cid = chat["id"]
    q1 = await add(api, cid, "user", "q1")
    a1 = await add(api, cid, "assistant", "a1")
    # regenerate: a second answer to q1
    a2 = await add(api, cid, "assistant", "a2", parent_id=q1["id"])
    assert a2["sibling_ids"] == [a1["id"], a2["id"]]
    assert await branch(api, cid) == ["q1", "a2"]
    # edit the first user message: a new root sibling with its own answer
    q1b = await add(api, cid, "user", "q1 edited", parent_id=None)
    await add(api, cid, "assistant", "a for edited")
    detail = (await api("GET", f"chats/{cid}")).json()
    assert [m["content"] for m in detail["messages"]] == ["q1 edited", "a for edited"]
    assert detail["messages"][0]["sibling_ids"] == [q1["id"], q1b["id"]]
    # switch back to the first root: the branch continues down its newest answer
    r = await api("PATCH", f"chats/{cid}", {"current_message_id": q1["id"]})
    assert r.status == 200, r
    assert [m["content"] for m in r.json()["messages"]] == ["q1", "a2"]
    r = await api("PATCH", f"chats/{cid}", {"current_message_id": a1["id"]})
    assert [m["content"] for m in r.json()["messages"]] == ["q1", "a1"]
    assert r.json()["messages"][1]["sibling_ids"] == [a1["id"], a2["id"]]
    # the choice is remembered
    assert await branch(api, cid) == ["q1", "a1"]
    r = await api("PATCH", f"chats/{cid}", {"current_message_id": "nope"})
    assert r.status == 404


async def test_update_message(api):
    chat = (await api("POST", "chats", {})).json()
    m = await add(api, chat["id"], "assistant", "partial")
    r = await api(
        "PATCH",
        f"chats/{chat['id']}/messages/{m['id']}",
        {"content": "complete", "meta": {"done": True}},
    )
    assert r.status == 200, r
    assert (r.json()["content"], r.json()["meta"]) == ("complete", {"done": True})
    assert await branch(api, chat["id"]) == ["complete"]
    r = await api("PATCH", f"chats/{chat['id']}/messages/unknown", {"content": "x"})
    assert r.status == 404
    r = await api("PATCH", f"chats/{chat['id']}/messages/{m['id']}", {"content": None})
    assert r.status == 422


async def test_reply_to_a_message_of_another_chat_is_refused(api):
    one = (await api("POST", "chats", {"messages": [{"role": "user", "content": "x"}]})).json()
    two = (await api("POST", "chats", {})).json()
    r = await api(
        "POST",
        f"chats/{two['id']}/messages",
        {"role": "assistant", "content": "y", "parent_id": one["messages"][0]["id"]},
    )
    assert r.status == 404
    assert await branch(api, two["id"]) == []


async def test_switching_branch_can_return_just_the_tail(api):
    chat = (
        await api(
            "POST",
            "chats",
            {"messages": [{"role": "user", "content": f"m{i}"} for i in range(8)]},
        )
    ).json()
    cid, first = chat["id"], chat["messages"][0]["id"]
    other = await add(api, cid, "user", "other root", parent_id=None)
    r = await api("PATCH", f"chats/{cid}", {"current_message_id": first}, params={"tail": "3"})
    assert r.status == 200, r
    detail = r.json()
    assert [m["content"] for m in detail["messages"]] == ["m5", "m6", "m7"]
    assert (detail["branch_length"], detail["first_index"]) == (8, 5)
    # A query PATCH does not take is refused before anything changes.
    r = await api(
        "PATCH", f"chats/{cid}", {"current_message_id": other["id"]}, params={"before": first}
    )
    assert r.status == 422 and "before" in r.json()["message"]
    assert (await api("GET", f"chats/{cid}", params={"tail": "1"})).json()["messages"][0][
        "content"
    ] == "m7"


async def test_the_tail_of_a_long_branch_and_the_messages_before_it(api):
    chat = (
        await api(
            "POST",
            "chats",
            {"messages": [{"role": "user", "content": f"m{i}"} for i in range(12)]},
        )
    ).json()
    assert chat["branch_length"] == 12 and chat["first_index"] == 0
    r = await api("GET", f"chats/{chat['id']}", params={"tail": "5"})
    tail = r.json()
    assert [m["content"] for m in tail["messages"]] == ["m7", "m8", "m9", "m10", "m11"]
    assert (tail["branch_length"], tail["first_index"]) == (12, 7)
    first = tail["messages"][0]["id"]
    earlier = (
        await api("GET", f"chats/{chat['id']}", params={"tail": "5", "before": first})
    ).json()
    assert [m["content"] for m in earlier["messages"]] == ["m2", "m3", "m4", "m5", "m6"]
    assert earlier["first_index"] == 2
    oldest = earlier["messages"][0]["id"]
    rest = (await api("GET", f"chats/{chat['id']}", params={"tail": "5", "before": oldest})).json()
    assert [m["content"] for m in rest["messages"]] == ["m0", "m1"]
    r = await api("GET", f"chats/{chat['id']}", params={"tail": "5", "before": "nope"})
    assert r.status == 404
    r = await api("GET", f"chats/{chat['id']}", params={"tail": "0"})
    assert r.status == 422
