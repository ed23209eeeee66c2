"""Bad input gets a clear 4xx in the one error shape, and nothing is half-written."""

from __future__ import annotations

import pytest


def assert_error(r, status: int, code: str, *words: str) -> None:
    assert r.status == status, r
    body = r.json()
    assert set(body) == {"message", "reason", "code"}, body
    assert body["code"] == code, body
    for word in words:
        assert word in body["message"], body


async def count(api) -> int:
    return len((await api("GET", "chats", params={"limit": 200})).json()["items"])


async def test_malformed_json(api):
    assert_error(
        await api("POST", "chats", raw=b'{"title": '), 400, "malformed_json", "not valid JSON"
    )
    assert_error(await api("POST", "chats", raw=b"[1, 2]"), 400, "malformed_json", "JSON object")
    assert_error(await api("POST", "chats", raw=b"\xff\xfe"), 400, "malformed_json")
    # Half a UTF-16 pair, escaped or raw: valid JSON, but no text anything can store.
    for half in (b"\\ud800", b"\xed\xa0\x80"):
        r = await api("POST", "chats", raw=b'{"title": "a ' + half + b'"}')
        assert_error(r, 400, "malformed_json", "lone surrogate")
    r = await api("POST", "chats", raw=b'{"title": "a \\ud83d\\ude00 pair"}')
    assert (r.status, r.json()["title"]) == (201, "a \U0001f600 pair")
    assert await count(api) == 1


async def test_wrong_types_and_unknown_fields_are_named(api):
    assert_error(await api("POST", "chats", {"title": 3}), 422, "invalid", "'title'")
    assert_error(
        await api("POST", "chats", {"titel": "x"}), 422, "invalid", "unknown field 'titel'"
    )
    assert_error(
        await api("POST", "chats", {"messages": [{"role": "robot", "content": "x"}]}),
        422,
        "invalid",
        "'messages.0.role'",
    )
    assert_error(
        await api("POST", "chats", {"messages": [{"role": "user"}]}),
        422,
        "invalid",
        "'messages.0.content' is required",
    )
    assert_error(await api("POST", "chats", {"title": ""}), 422, "invalid", "'title'")
    assert await count(api) == 0


async def test_blank_values_are_refused(api):
    chat = (await api("POST", "chats", {"title": "keep"})).json()
    assert_error(
        await api("PATCH", f"chats/{chat['id']}", {"title": "   "}), 422, "invalid", "blank"
    )
    assert_error(
        await api("PATCH", f"chats/{chat['id']}", {"pinned": None}), 422, "invalid", "null"
    )
    assert_error(
        await api("POST", f"chats/{chat['id']}/tags", {"name": "   "}), 422, "invalid", "blank"
    )
    assert_error(await api("POST", "folders", {"name": "  "}), 422, "invalid", "blank")
    assert (await api("GET", f"chats/{chat['id']}")).json()["title"] == "keep"


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"limit": "0"}, "'limit'"),
        ({"limit": "201"}, "'limit'"),
        ({"limit": "ten"}, "'limit'"),
        ({"cursor": "garbage"}, "cursor"),
        ({"archived": "maybe"}, "'archived'"),
        ({"sort": "title"}, "unknown field 'sort'"),
    ],
)
async def test_bad_pagination_and_filters(api, params, word):
    assert_error(await api("GET", "chats", params=params), 422, "invalid", word)


@pytest.mark.parametrize("chat_ext_config", [{"max_body_size": 2048}])
async def test_body_over_the_limit(api, chat_ext_config):
    r = await api(
        "POST", "chats", {"title": "x", "messages": [{"role": "user", "content": "a" * 5000}]}
    )
    assert_error(r, 413, "too_large", "max_body_size")
    assert await count(api) == 0


async def test_unknown_ids(api):
    assert_error(await api("GET", "chats/0123"), 404, "not_found", "0123")
    assert_error(await api("PATCH", "chats/0123", {"title": "x"}), 404, "not_found")
    assert_error(
        await api("POST", "chats/0123/messages", {"role": "user", "content": "x"}), 404, "not_found"
    )
    assert_error(await api("PATCH", "folders/0123", {"name": "x"}), 404, "not_found")
    assert_error(await api("GET", "nothing/here"), 404, "not_found")


async def test_import_of_something_that_is_not_a_chat(api):
    for body in (
        {"hello": "world"},
        [1, 2, 3],
        "text",
        {"format": "jupyter-chat-ext", "chats": [{"x": 1}]},
    ):
        r = await api("POST", "chats/import", body)
        assert r.status == 422, r
    assert_error(await api("POST", "chats/import", raw=b"not json"), 400, "malformed_json")
    assert await count(api) == 0


async def test_an_import_with_one_bad_chat_writes_nothing(api):
    good = {
        "title": "fine",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "messages": [],
    }
    bad = {**good, "title": "bad", "messages": [{"id": "1", "role": "wizard", "content": "x"}]}
    r = await api(
        "POST", "chats/import", {"format": "jupyter-chat-ext", "version": 1, "chats": [good, bad]}
    )
    assert_error(r, 422, "invalid", "chats.1.messages.0")
    assert await count(api) == 0


async def test_an_import_is_checked_as_it_would_be_refused_and_nothing_is_written(api):
    at = "2024-01-01T00:00:00Z"
    said = {"id": "1", "parent_id": None, "role": "user", "content": "hello"}
    good = {
        "id": "c1",
        "title": "fine",
        "created_at": at,
        "updated_at": at,
        "messages": [{**said, "created_at": at, "updated_at": at}],
    }
    doc = {"format": "jupyter-chat-ext", "version": 1, "chats": [good, good]}
    r = await api("POST", "chats/import/check", doc)
    assert r.status == 200, r.json()
    assert r.json() == {"chats": 2}
    bad = {**good, "messages": [{"id": "1", "role": "wizard", "content": "x"}]}
    r = await api("POST", "chats/import/check", {**doc, "chats": [good, bad]})
    assert_error(r, 422, "invalid", "chats.1.messages.0")
    assert_error(await api("POST", "chats/import/check", {"hello": "world"}), 422, "invalid")
    raw = b'{"format": "jupyter-chat-ext", "chats": [{"title": "a \\u0000 b"}]}'
    assert_error(await api("POST", "chats/import/check", raw=raw), 400, "malformed_json", "NUL")
    assert await count(api) == 0


async def test_text_with_a_nul_is_refused_and_nothing_is_written(api):
    # PostgreSQL's text cannot hold a NUL; SQLite is held to the same, so data moves between them.
    nul = b'"a \\u0000 b"'
    for method, path, raw in (
        ("POST", "chats", b'{"title": ' + nul + b"}"),
        ("POST", "chats", b'{"messages": [{"role": "user", "content": ' + nul + b"}]}"),
        ("POST", "folders", b'{"name": ' + nul + b"}"),
        ("POST", "chat/completions", b'{"model": "m", "content": ' + nul + b"}"),
    ):
        assert_error(await api(method, path, raw=raw), 400, "malformed_json", "NUL")
    # Keys are text too, and UTF-16 bodies carry NUL bytes that are not NUL characters.
    r = await api("POST", "chats", raw=b'{"title": "x", "\\u0000": 1}')
    assert_error(r, 400, "malformed_json", "NUL")
    r = await api("POST", "chats", raw='{"title": "utf-16 \\\\u0000"}'.encode("utf-16"))
    assert (r.status, r.json()["title"]) == (201, "utf-16 \\u0000")
    assert await count(api) == 1
