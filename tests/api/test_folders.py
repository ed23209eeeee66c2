"""Folders: create, rename, nest, move, delete."""

from __future__ import annotations


async def test_folder_lifecycle(api):
    r = await api("POST", "folders", {"name": "Work"})
    assert r.status == 201, r
    work = r.json()
    sub = (await api("POST", "folders", {"name": "Reports", "parent_id": work["id"]})).json()
    assert sub["parent_id"] == work["id"]
    r = await api("PATCH", f"folders/{work['id']}", {"name": "Job"})
    assert r.json()["name"] == "Job"
    items = (await api("GET", "folders")).json()["items"]
    assert [(f["name"], f["parent_id"]) for f in items] == [("Job", None), ("Reports", work["id"])]
    # move the subfolder to the top level and back
    r = await api("PATCH", f"folders/{sub['id']}", {"parent_id": None})
    assert r.json()["parent_id"] is None
    r = await api("PATCH", f"folders/{sub['id']}", {"parent_id": work["id"]})
    assert r.json()["parent_id"] == work["id"]


async def test_a_folder_cannot_go_inside_itself(api):
    a = (await api("POST", "folders", {"name": "a"})).json()
    b = (await api("POST", "folders", {"name": "b", "parent_id": a["id"]})).json()
    for target in (a["id"], b["id"]):
        r = await api("PATCH", f"folders/{a['id']}", {"parent_id": target})
        assert r.status == 422 and "itself" in r.json()["message"], r
    assert (await api("GET", "folders")).json()["items"][0]["parent_id"] is None


async def test_delete_removes_subfolders_and_keeps_chats(api):
    top = (await api("POST", "folders", {"name": "top"})).json()
    sub = (await api("POST", "folders", {"name": "sub", "parent_id": top["id"]})).json()
    chat = (await api("POST", "chats", {"title": "inside", "folder_id": sub["id"]})).json()
    assert (await api("DELETE", f"folders/{top['id']}")).status == 204
    assert (await api("GET", "folders")).json()["items"] == []
    kept = (await api("GET", f"chats/{chat['id']}")).json()
    assert kept["folder_id"] is None


async def test_other_users_folders_are_invisible(api):
    mine = (await api("POST", "folders", {"name": "mine"})).json()
    bob = api.as_("bob")
    assert (await bob("GET", "folders")).json()["items"] == []
    assert (await bob("PATCH", f"folders/{mine['id']}", {"name": "x"})).status == 404
    assert (await bob("DELETE", f"folders/{mine['id']}")).status == 404
    assert (await bob("POST", "folders", {"name": "y", "parent_id": mine["id"]})).status == 404
