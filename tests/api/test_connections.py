"""Connections: admins add, edit, verify and remove model servers; keys never come back."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, RefusedPort
from tests.support.identity import header

SECRET = "sk-test-0123456789abcdefSECRET"


async def test_admin_manages_connections_with_keys_masked(api, caplog):
    caplog.set_level(logging.DEBUG)
    admin = api.as_("admin")
    async with FakeUpstream(api_key=SECRET) as up:
        r = await admin(
            "POST",
            "connections",
            {
                "kind": "openai",
                "base_url": up.openai_url + "/",
                "api_key": SECRET,
                "headers": {"X-Team": "blue-secret"},
            },
        )
        assert r.status == 201, r
        conn = r.json()
        assert conn["api_key"] == "sk-****CRET"
        assert conn["headers"] == {"X-Team": "****"}
        assert conn["base_url"] == up.openai_url
        assert conn["name"].startswith("OpenAI (127.0.0.1:")
        verified = (await admin("POST", f"connections/{conn['id']}/verify")).json()
        assert verified["ok"] is True and verified["model_count"] >= 1
        assert verified["latency_ms"] >= 0
        # the key went upstream as a bearer token, with the extra header
        sent = up.requests[-1].headers
        assert sent["authorization"] == f"Bearer {SECRET}" and sent["x-team"] == "blue-secret"

        r = await admin("PATCH", f"connections/{conn['id']}", {"api_key": "wrong-key-123456789"})
        assert r.json()["api_key"] == "****6789"  # a short key shows less of itself
        failed = (await admin("POST", f"connections/{conn['id']}/verify")).json()
        assert failed["ok"] is False and failed["status"] == 401 and failed["error"]

        r = await admin(
            "PATCH", f"connections/{conn['id']}", {"name": "Team server", "enabled": False}
        )
        assert (r.json()["name"], r.json()["enabled"]) == ("Team server", False)
        listed = (await admin("GET", "connections")).json()["items"]
        assert [c["name"] for c in listed] == ["Team server"]
        assert (await admin("DELETE", f"connections/{conn['id']}")).status == 204
        assert (await admin("GET", "connections")).json()["items"] == []
    for record in caplog.records:
        assert SECRET not in record.getMessage()


async def test_verify_counts_the_models_chats_can_use(api):
    admin = api.as_("admin")
    async with FakeUpstream(models=("a", "b", "c")) as up:
        body = {"kind": "openai", "base_url": up.openai_url, "model_ids": ["a", "c", "typo"]}
        conn = (await admin("POST", "connections", body)).json()
        verified = (await admin("POST", f"connections/{conn['id']}/verify")).json()
        assert (verified["model_count"], verified["missing"]) == (2, ["typo"])
        await admin("PATCH", f"connections/{conn['id']}", {"model_ids": []})
        verified = (await admin("POST", f"connections/{conn['id']}/verify")).json()
        assert (verified["model_count"], verified["missing"]) == (3, [])


async def test_verify_reports_a_dead_server(api):
    admin = api.as_("admin")
    with RefusedPort() as port:
        conn = (await admin("POST", "connections", {"kind": "ollama", "base_url": port.url})).json()
        result = (await admin("POST", f"connections/{conn['id']}/verify")).json()
    assert result["ok"] is False and "Cannot connect" in result["error"]


async def test_bad_connection_input(api):
    admin = api.as_("admin")
    r = await admin("POST", "connections", {"kind": "gopher", "base_url": "http://x.example"})
    assert r.status == 422 and "'kind'" in r.json()["message"]
    r = await admin("POST", "connections", {"kind": "openai", "base_url": "ftp://x.example"})
    assert r.status == 422 and "http" in r.json()["message"]
    assert (await admin("PATCH", "connections/nope", {"name": "x"})).status == 404
    assert (await admin("GET", "connections")).json()["items"] == []


async def test_users_cannot_see_connections(api):
    r = await api("GET", "connections")
    assert r.status == 403 and "admins" in r.json()["message"]


@pytest.mark.parametrize(
    "chat_ext_config",
    [{"openai_api_base_urls": ["http://127.0.0.1:9/v1"], "openai_api_keys": [SECRET]}],
)
async def test_configured_connections_are_seeded(api, chat_ext_config):
    items = (await api.as_("admin")("GET", "connections")).json()["items"]
    assert [(c["kind"], c["base_url"], c["origin"], c["api_key"]) for c in items] == [
        ("openai", "http://127.0.0.1:9/v1", "config", "sk-****CRET")
    ]


async def test_a_password_in_a_url_is_a_secret_too(api, jp_fetch):
    admin = api.as_("admin")
    async with FakeUpstream() as up:
        url = up.ollama_url.replace("http://", "http://svc:hunter2-PASSWORD@")
        shown = up.ollama_url.replace("http://", "http://svc:****@")
        r = await admin("POST", "connections", {"kind": "ollama", "base_url": url})
        assert r.status == 201, r
        conn = r.json()
        assert conn["base_url"] == shown and conn["name"] == f"Ollama ({up.ollama_url[7:]})"
        assert "hunter2" not in (await admin("GET", "connections")).text
        models = await api.as_("bob")("GET", "models")
        tags = await jp_fetch("chat-ext", "ollama", "api", "tags", headers=header("bob"))
        assert models.json()["items"] and json.loads(tags.body)["models"]
        assert "hunter2" not in models.text and b"hunter2" not in tags.body

        # The form sends the URL back as shown: the password it stands for is kept.
        r = await admin("PATCH", f"connections/{conn['id']}", {"base_url": shown, "name": "Lab"})
        assert (r.status, r.json()["base_url"]) == (200, shown)
        assert (await admin("POST", f"connections/{conn['id']}/verify")).json()["ok"]
        basic = "Basic " + base64.b64encode(b"svc:hunter2-PASSWORD").decode()
        assert up.requests[-1].headers["authorization"] == basic

        # A mask cannot follow the URL elsewhere.
        moved = shown.replace("127.0.0.1", "localhost")
        r = await admin("PATCH", f"connections/{conn['id']}", {"base_url": moved})
        assert r.status == 422 and "password again" in r.json()["message"]


async def test_a_user_alone_in_a_url_is_the_secret(api):
    admin = api.as_("admin")
    async with FakeUpstream() as up:
        url = up.openai_url.replace("http://", "http://TOKEN-SECRET@")
        shown = up.openai_url.replace("http://", "http://****@")
        r = await admin("POST", "connections", {"kind": "openai", "base_url": url})
        assert (r.status, r.json()["base_url"]) == (201, shown)
        assert "TOKEN-SECRET" not in (await admin("GET", "connections")).text
        r = await admin("PATCH", f"connections/{r.json()['id']}", {"base_url": shown})
        assert (r.status, r.json()["base_url"]) == (200, shown)
        assert (await admin("POST", f"connections/{r.json()['id']}/verify")).json()["ok"]
        basic = "Basic " + base64.b64encode(b"TOKEN-SECRET:").decode()
        assert up.requests[-1].headers["authorization"] == basic


async def test_moving_a_connection_needs_its_secrets_again(api):
    admin = api.as_("admin")
    created = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": SECRET}
    conn = (await admin("POST", "connections", {**created, "headers": {"X-Team": "blue"}})).json()
    path = f"connections/{conn['id']}"
    async with FakeUpstream() as elsewhere:
        r = await admin("PATCH", path, {"base_url": elsewhere.openai_url})
        assert r.status == 422 and "api_key and headers again" in r.json()["message"]
        r = await admin("PATCH", path, {"base_url": elsewhere.openai_url, "api_key": "sk-new"})
        assert r.status == 422 and "headers again" in r.json()["message"]
        await admin("POST", f"{path}/verify")
        assert elsewhere.requests == []  # nothing stored was sent there

        r = await admin(
            "PATCH", path, {"base_url": elsewhere.openai_url, "api_key": "", "headers": {}}
        )
        assert r.status == 200 and (r.json()["api_key"], r.json()["headers"]) == ("", {})
        assert (await admin("POST", f"{path}/verify")).json()["ok"]
        assert "authorization" not in elsewhere.requests[-1].headers

    # The same server under another path keeps what it has.
    conn = (await admin("POST", "connections", created)).json()
    r = await admin("PATCH", f"connections/{conn['id']}", {"base_url": "http://127.0.0.1:9/v2"})
    assert r.status == 200 and r.json()["api_key"] == "sk-****CRET"


async def test_secrets_sent_back_as_shown_are_kept(api):
    admin = api.as_("admin")
    async with FakeUpstream(api_key=SECRET) as up:
        body = {"kind": "openai", "base_url": up.openai_url, "api_key": SECRET}
        conn = (
            await admin("POST", "connections", body | {"headers": {"X-Team": "blue-123456"}})
        ).json()
        # A form sends back what it was shown, masks included.
        shown = {k: conn[k] for k in ("name", "api_key", "headers", "base_url")}
        r = await admin("PATCH", f"connections/{conn['id']}", shown | {"name": "Renamed"})
        assert r.status == 200, r
        assert (await admin("POST", f"connections/{conn['id']}/verify")).json()["ok"] is True
        sent = up.requests[-1].headers
        assert sent["authorization"] == f"Bearer {SECRET}" and sent["x-team"] == "blue-123456"


async def test_an_upstream_that_quotes_the_key_does_not_show_it(api):
    admin = api.as_("admin")
    async with FakeUpstream() as up:
        body = {"kind": "openai", "base_url": up.openai_url, "api_key": SECRET}
        conn = (
            await admin("POST", "connections", body | {"headers": {"X-Org": "org-SECRET42"}})
        ).json()
        up.set_faults(
            error_status=401,
            error_message=f"Incorrect API key provided: Bearer {SECRET} (org org-SECRET42)",
        )
        verified = (await admin("POST", f"connections/{conn['id']}/verify")).json()
        assert verified["ok"] is False and "Incorrect API key provided" in verified["error"]
        listed = (await api("GET", "models")).json()
        for shown in (json.dumps(verified), json.dumps(listed)):
            assert SECRET not in shown and "org-SECRET42" not in shown, shown


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"Bad Name": "v"}, "'Bad Name' is not a header name"),
        ({"X-A": "a\r\nInjected: 1"}, "characters a header cannot carry"),
        ({"X-A": "\u2603"}, "characters a header cannot carry"),
        ({"X-Big": "x" * 9000}, "longer than"),
        ({"Host": "evil.example"}, "set by the server"),
        ({"x-a": "1", "X-A": "2"}, "given twice"),
    ],
)
async def test_headers_a_request_cannot_carry_are_refused(api, headers, named):
    admin = api.as_("admin")
    body = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "headers": headers}
    r = await admin("POST", "connections", body)
    assert r.status == 422 and named in r.json()["message"], r.json()
    assert (await admin("GET", "connections")).json()["items"] == []


async def test_a_key_is_given_once(api):
    admin = api.as_("admin")
    body = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": SECRET}
    r = await admin("POST", "connections", body | {"headers": {"authorization": "Bearer x"}})
    assert r.status == 422 and "in one place" in r.json()["message"]
    conn = (await admin("POST", "connections", body)).json()
    r = await admin(
        "PATCH", f"connections/{conn['id']}", {"headers": {"Authorization": "Bearer x"}}
    )
    assert r.status == 422 and "in one place" in r.json()["message"]
    # Without a key, the header is the key.
    r = await admin(
        "PATCH",
        f"connections/{conn['id']}",
        {"api_key": "", "headers": {"Authorization": "Bearer x"}},
    )
    assert r.status == 200, r


@pytest.mark.parametrize(
    "url", ["http://[::1/v1", "http://127.0.0.1:99999/v1", "http:// 127.0.0.1/v1", "http:///v1"]
)
async def test_urls_a_request_cannot_go_to_are_refused(api, url):
    r = await api.as_("admin")("POST", "connections", {"kind": "openai", "base_url": url})
    assert r.status == 422 and "'base_url'" in r.json()["message"], r.json()


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"base_url": "http://127.0.0.1:9/v1?key=sk-in-the-query"}, "a query"),
        ({"base_url": "http://127.0.0.1:9/v1#models"}, "a fragment"),
        ({"enabled": "yes"}, "'enabled'"),
        ({"enabled": 1}, "'enabled'"),
        ({"api_key": "sk-0123\nInjected: 1"}, "'api_key'"),
        ({"api_key": "sk-caf\u00e9-\u2603"}, "'api_key'"),
        ({"name": "Two\nlines"}, "'name'"),
        ({"prefix": "my team/"}, "'prefix'"),
        ({"model_ids": ["llama3", "  "]}, "'model_ids.1'"),
        ({"model_ids": ["m" * 256]}, "'model_ids.0'"),
        ({"model_ids": [f"m{i}" for i in range(1001)]}, "'model_ids'"),
        ({"headers": {"X-" + "a" * 300: "v"}}, "header name is longer"),
    ],
)
async def test_what_a_connection_could_never_use_is_refused(api, fields, named):
    admin = api.as_("admin")
    body = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}
    r = await admin("POST", "connections", body | fields)
    assert r.status == 422 and named in r.json()["message"], r.json()
    assert "sk-in-the-query" not in r.text
    assert (await admin("GET", "connections")).json()["items"] == []
    # Nor can a connection be changed to it.
    conn = (await admin("POST", "connections", body)).json()
    r = await admin("PATCH", f"connections/{conn['id']}", fields)
    assert r.status == 422 and named in r.json()["message"], r.json()
    assert (await admin("GET", "connections")).json()["items"] == [conn]


async def test_null_is_no_value_a_connection_takes(api):
    admin = api.as_("admin")
    body = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": SECRET}
    conn = (await admin("POST", "connections", body)).json()
    for name in ("api_key", "enabled", "base_url", "headers"):
        r = await admin("PATCH", f"connections/{conn['id']}", {name: None})
        assert r.status == 422 and f"'{name}' cannot be null" in r.json()["message"], r.json()
    assert (await admin("GET", "connections")).json()["items"] == [conn]


@pytest.mark.parametrize("chat_ext_config", [{"local_model": "some-org/some-model"}])
async def test_a_local_connection_is_renamed_and_disabled_with_its_model_as_shown(
    api, chat_ext_config
):
    admin = api.as_("admin")
    (conn,) = (await admin("GET", "connections")).json()["items"]
    # As the admin screen sends it: the whole form, the model in the URL's place.
    form = {"name": "Mine", "base_url": conn["base_url"], "prefix": "", "model_ids": []}
    r = await admin("PATCH", f"connections/{conn['id']}", form | {"enabled": False})
    assert r.status == 200, r
    assert (r.json()["name"], r.json()["enabled"]) == ("Mine", False)
    r = await admin("PATCH", f"connections/{conn['id']}", {"base_url": "other-org/other"})
    assert r.status == 422 and "ChatExtApp" in r.json()["message"], r.json()


async def test_users_are_refused_before_their_body_is_read(api):
    for method, path, body in (
        ("POST", "connections", "not json"),
        ("POST", "connections", {"kind": "gopher"}),
        ("PATCH", "connections/x", {"kind": "openai"}),
    ):
        r = await api(method, path, body)
        assert r.status == 403 and "admins" in r.json()["message"], (path, r.json())


@pytest.mark.parametrize(
    "chat_ext_config",
    [{"openai_api_base_urls": ["http://127.0.0.1:9/v1 "], "openai_api_keys": [SECRET]}],
)
async def test_a_configured_connections_url_and_key_are_changed_where_they_are_set(
    api, chat_ext_config
):
    admin = api.as_("admin")
    (conn,) = (await admin("GET", "connections")).json()["items"]
    assert conn["base_url"] == "http://127.0.0.1:9/v1"  # the stray space gone
    for change in ({"base_url": "http://127.0.0.1:10/v1"}, {"api_key": "sk-other-0123456789"}):
        r = await admin("PATCH", f"connections/{conn['id']}", change)
        assert r.status == 422 and "ChatExtApp" in r.json()["message"], r.json()
    r = await admin(
        "PATCH", f"connections/{conn['id']}", {"name": "Ours", "api_key": conn["api_key"]}
    )
    assert r.status == 200 and r.json()["name"] == "Ours"


async def test_connections_of_one_name_each_say_what_failed(api):
    admin = api.as_("admin")
    with RefusedPort() as one, RefusedPort() as two:
        for port in (one, two):
            body = {"kind": "ollama", "base_url": port.url, "name": "Lab"}
            assert (await admin("POST", "connections", body)).status == 201
        errors = (await api("GET", "models")).json()["errors"]
    assert len(errors) == 2 and "Lab" in errors, errors


async def test_a_masked_secret_never_follows_a_move(api):
    admin = api.as_("admin")
    async with FakeUpstream(api_key=SECRET) as up, FakeUpstream() as elsewhere:
        body = {"kind": "openai", "base_url": up.openai_url, "api_key": SECRET}
        body["headers"] = {"X-Team": "blue-123456"}
        conn = (await admin("POST", "connections", body)).json()
        move = {"base_url": elsewhere.openai_url}
        # What the screen showed is not the secret: whoever moves it must know it.
        for sent, named in (
            ({"api_key": conn["api_key"], "headers": {"X-Team": "blue-123456"}}, "api_key"),
            ({"api_key": SECRET, "headers": conn["headers"]}, "headers"),
        ):
            r = await admin("PATCH", f"connections/{conn['id']}", move | sent)
            assert r.status == 422 and named in r.json()["message"], r.json()
        await admin("POST", f"connections/{conn['id']}/verify")
        assert up.requests and not elsewhere.requests
        again = {"api_key": SECRET, "headers": body["headers"]}
        r = await admin("PATCH", f"connections/{conn['id']}", move | again)
        assert r.status == 200, r


async def test_an_ollama_connection_takes_no_key(api):
    admin = api.as_("admin")
    body = {"kind": "ollama", "base_url": "http://127.0.0.1:9", "api_key": SECRET}
    r = await admin("POST", "connections", body)
    assert r.status == 422 and "'api_key'" in r.json()["message"], r.json()
    conn = (await admin("POST", "connections", body | {"api_key": ""})).json()
    r = await admin("PATCH", f"connections/{conn['id']}", {"api_key": SECRET})
    assert r.status == 422 and "Authorization header" in r.json()["message"]
