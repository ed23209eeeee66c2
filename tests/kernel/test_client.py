"""The blocking Client against a real Jupyter server running the extension."""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from datetime import datetime

import pytest
from jupyter_chat_kernel import (
    ChatDetail,
    ChatError,
    ChatPage,
    ChatSummary,
    Client,
    MessageOut,
    UserOut,
    discover,
)

from .conftest import BASE_PATH


@pytest.fixture
def client(server):
    with Client(server.url, server.token, timeout=10) as client:
        yield client


def marker() -> str:
    return f"k{uuid.uuid4().hex[:12]}"


def test_me(client):
    me = client.me()
    assert isinstance(me, UserOut)
    assert me.username == getpass.getuser()
    assert me.role == "admin"
    assert me.id


def test_chat_lifecycle(client):
    title = f"lifecycle {marker()}"
    created = client.create_chat(
        title,
        [("system", "Be brief."), {"role": "user", "content": "Hello?"}],
        tags=["kernel"],
    )
    assert isinstance(created, ChatDetail)
    assert created.title == title
    assert created.tags == ("kernel",)
    assert (created.pinned, created.archived, created.folder_id) == (False, False, None)
    assert isinstance(created.created_at, datetime)
    assert created.created_at.tzinfo is not None
    system, user = created.messages
    assert (system.role, system.content, system.parent_id) == ("system", "Be brief.", None)
    assert (user.role, user.parent_id) == ("user", system.id)
    assert created.current_message_id == user.id

    answer = client.add_message(created.id, "assistant", "Hi.", model="tiny", meta={"tokens": 2})
    assert isinstance(answer, MessageOut)
    assert (answer.parent_id, answer.model, dict(answer.meta)) == (user.id, "tiny", {"tokens": 2})
    assert answer.sibling_ids == (answer.id,)

    # An answer regenerated from the same question is a sibling, and becomes the current one.
    again = client.add_message(created.id, "assistant", "Hello!", parent_id=user.id)
    assert again.sibling_ids == (answer.id, again.id)
    detail = client.chat(created.id)
    assert [m.id for m in detail.messages] == [system.id, user.id, again.id]
    assert detail.current_message_id == again.id

    root = client.add_message(created.id, "user", "A fresh start", parent_id=None)
    assert root.parent_id is None
    assert [m.id for m in client.chat(created.id).messages] == [root.id]

    assert client.delete_chat(created.id) is None
    with pytest.raises(ChatError) as caught:
        client.chat(created.id)
    assert (caught.value.status, caught.value.code) == (404, "not_found")


def test_create_chat_defaults(client):
    created = client.create_chat()
    assert created.title == "New Chat"
    assert created.messages == ()
    assert created.current_message_id is None
    client.delete_chat(created.id)


def test_pages_and_iteration(client):
    tag = marker()
    ids = [client.create_chat(f"{tag} number {i}").id for i in range(5)]
    page = client.chats(q=tag, limit=2)
    assert isinstance(page, ChatPage)
    assert len(page.items) == 2
    assert all(isinstance(item, ChatSummary) for item in page.items)
    assert page.next_cursor
    listed = list(client.iter_chats(q=tag, limit=2))
    assert [c.id for c in listed] == ids[::-1]  # newest first
    assert client.chats(q=tag, archived=True).items == ()
    assert list(client.iter_chats(q=f"{tag}-nothing")) == []
    last = client.chats(q=tag, limit=10)
    assert last.next_cursor is None
    for chat_id in ids:
        client.delete_chat(chat_id)


def test_filters_reach_the_server(client):
    tag = marker()
    pinned = client.create_chat(f"{tag} pinned", pinned=True, tags=[tag])
    plain = client.create_chat(f"{tag} plain")
    assert [c.id for c in client.chats(q=tag, pinned=True).items] == [pinned.id]
    assert [c.id for c in client.chats(tag=tag).items] == [pinned.id]
    assert {c.id for c in client.chats(q=tag, folder_id="none").items} == {pinned.id, plain.id}
    client.delete_chat(pinned.id)
    client.delete_chat(plain.id)


def test_unknown_chat_is_404(client):
    with pytest.raises(ChatError) as caught:
        client.chat("no-such-chat")
    error = caught.value
    assert (error.status, error.code, error.reason) == (404, "not_found", "Not Found")
    assert str(error) == "No chat with id 'no-such-chat'. (HTTP 404, not_found)"


def test_an_id_cannot_reach_another_route(client):
    with pytest.raises(ChatError) as caught:
        client.chat("../users/me")
    assert caught.value.status == 404


def test_invalid_input_is_422(client):
    chat = client.create_chat()
    with pytest.raises(ChatError) as caught:
        client.add_message(chat.id, "robot", "beep")
    assert (caught.value.status, caught.value.code) == (422, "invalid")
    assert "role" in caught.value.message
    client.delete_chat(chat.id)


def test_empty_chat_id_is_refused_before_sending(client):
    with pytest.raises(ValueError, match="non-empty"):
        client.chat("")


def test_bad_token_is_403(server):
    with Client(server.url, "not-the-token") as client, pytest.raises(ChatError) as caught:
        client.me()
    error = caught.value
    assert (error.status, error.code) == (403, "forbidden")
    message = str(error)
    assert "refused the token (from arguments)" in message
    assert "JUPYTER_CHAT_TOKEN" in message
    assert "not-the-token" not in message
    assert "\n" not in message


def test_missing_token_is_403(server):
    with Client(server.url) as client, pytest.raises(ChatError, match="refused no token"):
        client.me()


def test_wrong_base_path_says_so(server):
    with (
        Client(f"http://127.0.0.1:{server.port}/", server.token) as client,
        pytest.raises(ChatError) as caught,
    ):
        client.me()
    assert caught.value.status == 404
    assert "No chat API at http://127.0.0.1:" in str(caught.value)
    assert "base path" in str(caught.value)


def test_server_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        Client(f"http://127.0.0.1:{port}/", "t", timeout=5) as client,
        pytest.raises(ChatError) as caught,
    ):
        client.me()
    error = caught.value
    assert (error.status, error.code) == (None, "unreachable")
    assert str(error).startswith(f"Cannot reach the Jupyter server at http://127.0.0.1:{port}/")
    assert "(from arguments)" in str(error)


def test_a_closed_client_says_so(server):
    client = Client(server.url, server.token)
    client.close()
    with pytest.raises(ChatError) as caught:
        client.me()
    assert caught.value.code == "closed"


def test_timeout():
    # Connections are queued by the kernel but never answered.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with Client(url, "t", timeout=0.3) as client, pytest.raises(ChatError) as caught:
            client.me()
    assert (caught.value.status, caught.value.code) == (None, "timeout")
    assert "within 0.3 s" in str(caught.value)


# --- discovery against the real server


def test_discovered_from_the_runtime_file(server, server_file, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(server.runtime_dir))
    monkeypatch.chdir(server.root_dir / "project" / "deeper")
    assert server_file["base_url"] == BASE_PATH
    found = discover()
    assert (found.url, found.token) == (server.url, server.token)
    assert found.source == f"runtime file {server.runtime_dir / f'jpserver-{server.pid}.json'}"
    with Client() as client:
        assert client.me().role == "admin"


def test_discovered_from_jupyterhub_variables(server, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", BASE_PATH)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", server.token)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_URL", f"http://0.0.0.0:{server.port}{BASE_PATH}")
    with Client() as client:
        assert client.url == server.url
        assert client.me().role == "admin"


def test_discovered_from_env(server, monkeypatch):
    monkeypatch.setenv("JUPYTER_CHAT_URL", server.url.rstrip("/"))
    monkeypatch.setenv("JUPYTER_CHAT_TOKEN", server.token)
    with Client() as client:
        assert client.connection.source == "JUPYTER_CHAT_URL"
        assert client.me().role == "admin"


def test_a_page_url_copied_from_the_terminal_works(server, monkeypatch):
    page = f"{server.url}lab/tree/project/x.ipynb?token={server.token}"
    with Client(url=page) as client:
        assert client.url == server.url
        assert client.me().role == "admin"
    monkeypatch.setenv("JUPYTER_CHAT_URL", f"{server.url}lab?token={server.token}")
    with Client() as client:
        assert client.me().role == "admin"


def test_unix_socket_server(socket_server, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(socket_server.runtime_dir))
    found = discover()
    assert found.sock == str(socket_server.sock)
    with Client() as client:
        assert client.me().role == "admin"
        chat = client.create_chat("over a socket")
        assert client.chat(chat.id).title == "over a socket"


# --- answers only a wrong server gives


def test_html_page_is_a_bad_response(fake_server):
    url = fake_server(lambda *_: (200, {"Content-Type": "text/html"}, b"<html>hi</html>"))
    with Client(url, "t") as client, pytest.raises(ChatError) as caught:
        client.me()
    assert (caught.value.status, caught.value.code) == (200, "bad_response")
    assert "not JSON" in str(caught.value)


def test_unexpected_json_is_a_bad_response(fake_server):
    url = fake_server(lambda *_: (200, {"Content-Type": "application/json"}, b'{"id": 1}'))
    with Client(url, "t") as client, pytest.raises(ChatError, match="unexpected shape"):
        client.me()


def test_html_404_means_no_chat_api(fake_server):
    url = fake_server(lambda *_: (404, {"Content-Type": "text/html"}, b"<h1>404</h1>"))
    with Client(url, "t") as client, pytest.raises(ChatError) as caught:
        client.me()
    assert caught.value.code == "not_found"
    assert f"No chat API at {url}chat-ext/api/" in str(caught.value)


def test_plain_500(fake_server):
    url = fake_server(lambda *_: (500, {}, b"boom"))
    with Client(url, "t") as client, pytest.raises(ChatError) as caught:
        client.me()
    assert (caught.value.status, caught.value.code) == (500, "server_error")


def test_redirect_is_not_followed(fake_server):
    url = fake_server(lambda *_: (302, {"Location": "/login?next=%2Fx&token=zzz"}, b""))
    with Client(url, "t") as client, pytest.raises(ChatError) as caught:
        client.me()
    assert (caught.value.status, caught.value.code) == (302, "redirect")
    assert "'/login'" in str(caught.value)
    assert "zzz" not in str(caught.value)


def test_multiline_server_message_becomes_one_line(fake_server):
    body = json.dumps({"message": "first\nsecond", "reason": "Conflict", "code": "conflict"})
    url = fake_server(lambda *_: (409, {"Content-Type": "application/json"}, body.encode()))
    with Client(url, "t") as client, pytest.raises(ChatError) as caught:
        client.delete_chat("x")
    assert str(caught.value) == "first second (HTTP 409, conflict)"


def test_a_repeated_cursor_stops_iteration(fake_server):
    page = {"items": [], "next_cursor": "same"}
    url = fake_server(
        lambda *_: (200, {"Content-Type": "application/json"}, json.dumps(page).encode())
    )
    with Client(url, "t") as client, pytest.raises(ChatError, match="same page cursor"):
        list(client.iter_chats())


def test_requests_carry_the_token_in_a_header_and_quote_ids(fake_server):
    seen: list[tuple[str, str, dict[str, str]]] = []

    def respond(method, path, headers):
        seen.append((method, path, headers))
        return 204, {}, b""

    url = fake_server(respond)
    with Client(url, "the-token") as client:
        client.delete_chat("a b/c")
    [(method, path, headers)] = seen
    assert (method, path) == ("DELETE", "/chat-ext/api/chats/a%20b%2Fc")
    assert headers["Authorization"] == "token the-token"
    assert headers["User-Agent"].startswith("jupyter-chat-kernel/")
