"""Discovery of the Jupyter server: each source, their order, and the message when none is found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_chat_kernel import ChatError, Client, Connection, ConnectionNotFound, discover

SECRET = "s3cret-token-value"


def write_server(
    folder: Path,
    *,
    pid: int | None = None,
    port: int = 8888,
    root_dir: Path | str = "/",
    token: str = "tok",
    hostname: str = "127.0.0.1",
    base_url: str = "/",
    secure: bool = False,
    sock: str = "",
    mtime: float | None = None,
) -> Path:
    pid = os.getpid() if pid is None else pid
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"jpserver-{pid}-{port}.json"
    path.write_text(
        json.dumps(
            {
                "base_url": base_url,
                "hostname": hostname,
                "password": False,
                "pid": pid,
                "port": port,
                "root_dir": str(root_dir),
                "secure": secure,
                "sock": sock,
                "token": token,
                "url": f"http://{hostname}:{port}{base_url}",
                "version": "2.14.0",
            }
        )
    )
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def runtime(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "runtime"
    folder.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(folder))
    return folder


# --- JUPYTER_CHAT_URL / JUPYTER_CHAT_TOKEN


def test_env_url_and_token(monkeypatch):
    monkeypatch.setenv("JUPYTER_CHAT_URL", "http://127.0.0.1:8899")
    monkeypatch.setenv("JUPYTER_CHAT_TOKEN", SECRET)
    found = discover()
    assert found == Connection("http://127.0.0.1:8899/", SECRET, "JUPYTER_CHAT_URL")


def test_env_url_keeps_base_path(monkeypatch):
    monkeypatch.setenv("JUPYTER_CHAT_URL", "https://hub.example.org/user/ada")
    assert discover().url == "https://hub.example.org/user/ada/"


def test_env_url_copied_from_the_browser_gives_its_token(monkeypatch):
    monkeypatch.setenv("JUPYTER_CHAT_URL", f"http://localhost:8888/lab/?token={SECRET}#x")
    found = discover()
    assert found.url == "http://localhost:8888/"
    assert found.token == SECRET


@pytest.mark.parametrize(
    ("copied", "base"),
    [
        ("http://127.0.0.1:8888/lab?token={}", "http://127.0.0.1:8888/"),
        ("http://localhost:8888/tree?token={}", "http://localhost:8888/"),
        ("http://localhost:8888/lab/tree/lab/tree/x.ipynb?token={}", "http://localhost:8888/"),
        ("http://localhost:8888/notebooks/a/b.ipynb?token={}", "http://localhost:8888/"),
        (
            "https://hub.example/user/alice/lab/tree/x.ipynb?token={}",
            "https://hub.example/user/alice/",
        ),
        (
            "https://hub.example/jh/user/alice/work/doc/tree/x.ipynb?token={}",
            "https://hub.example/jh/user/alice/work/",
        ),
        ("https://hub.example/user/lab/lab?token={}", "https://hub.example/user/lab/"),
        ("http://localhost:8888/base/voila/render/x.ipynb?token={}", "http://localhost:8888/base/"),
        (
            "http://localhost:8888/base/chat-ext/api/chats/abc?token={}",
            "http://localhost:8888/base/",
        ),
        ("http://localhost:8888/base/?token={}", "http://localhost:8888/base/"),
    ],
)
def test_a_page_url_gives_the_base_url_and_its_token(copied, base):
    found = Client(copied.format(SECRET)).connection
    assert (found.url, found.token, found.source) == (base, SECRET, "arguments")


def test_env_url_of_the_api_itself_gives_the_base_url(monkeypatch):
    monkeypatch.setenv("JUPYTER_CHAT_URL", "http://localhost:8888/user/ada/chat-ext/api")
    assert discover().url == "http://localhost:8888/user/ada/"


def test_env_url_without_token_has_empty_token(monkeypatch):
    monkeypatch.setenv("JUPYTER_CHAT_URL", "http://localhost:8888/")
    assert discover().token == ""


@pytest.mark.parametrize("value", ["localhost:8888", "ftp://host/", "http://", "http://h:99999/"])
def test_env_url_that_is_not_a_url(monkeypatch, value):
    monkeypatch.setenv("JUPYTER_CHAT_URL", value + f"?token={SECRET}")
    with pytest.raises(ConnectionNotFound) as caught:
        discover()
    message = str(caught.value)
    assert "JUPYTER_CHAT_URL" in message
    assert SECRET not in message
    assert "\n" not in message


def test_env_comes_before_hub_and_runtime_files(monkeypatch, runtime):
    write_server(runtime, token="from-file")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "from-hub")
    monkeypatch.setenv("JUPYTER_CHAT_URL", "http://127.0.0.1:9000/")
    monkeypatch.setenv("JUPYTER_CHAT_TOKEN", "from-env")
    found = discover()
    assert (found.url, found.token, found.source) == (
        "http://127.0.0.1:9000/",
        "from-env",
        "JUPYTER_CHAT_URL",
    )


def test_token_alone_replaces_the_discovered_token(monkeypatch, runtime):
    write_server(runtime, token="from-file", port=8123)
    monkeypatch.setenv("JUPYTER_CHAT_TOKEN", "mine")
    found = discover()
    assert found.url == "http://127.0.0.1:8123/"
    assert found.token == "mine"
    assert found.source.endswith("token from JUPYTER_CHAT_TOKEN")


# --- JupyterHub


def hub_env(monkeypatch, prefix="/user/ada/", token=SECRET, service_url=None):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", prefix)
    if token is not None:
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
    if service_url is not None:
        monkeypatch.setenv("JUPYTERHUB_SERVICE_URL", service_url)


@pytest.mark.parametrize(
    ("service_url", "expected"),
    [
        ("http://127.0.0.1:47001/user/ada/", "http://127.0.0.1:47001/user/ada/"),
        ("http://0.0.0.0:8888/user/ada/", "http://127.0.0.1:8888/user/ada/"),
        ("http://:8890/user/ada/", "http://127.0.0.1:8890/user/ada/"),
        ("http://[::]:8890/user/ada/", "http://[::1]:8890/user/ada/"),
        ("https://10.0.0.5:8443/user/ada/", "https://10.0.0.5:8443/user/ada/"),
        ("http://jupyter-ada/user/ada/", "http://jupyter-ada:8888/user/ada/"),
    ],
)
def test_hub_service_url(monkeypatch, runtime, service_url, expected):
    write_server(runtime)
    hub_env(monkeypatch, service_url=service_url)
    found = discover()
    assert found.url == expected
    assert found.token == SECRET
    assert "JUPYTERHUB_SERVICE_URL" in found.source


def test_hub_without_service_url_uses_the_default_port(monkeypatch):
    hub_env(monkeypatch, prefix="/user/ada")
    found = discover()
    assert found.url == "http://127.0.0.1:8888/user/ada/"
    assert "JUPYTERHUB_SERVICE_PREFIX" in found.source


def test_hub_prefix_without_token_is_skipped(monkeypatch, runtime):
    hub_env(monkeypatch, token=None)
    write_server(runtime, token="from-file")
    assert discover().token == "from-file"


def test_hub_prefix_without_token_is_reported(monkeypatch, runtime):
    hub_env(monkeypatch, token=None)
    with pytest.raises(ConnectionNotFound, match="JUPYTERHUB_API_TOKEN is not"):
        discover()


# --- runtime files


def test_runtime_file(runtime):
    write_server(runtime, port=8765, token="tok", base_url="/base/")
    found = discover()
    assert found.url == "http://127.0.0.1:8765/base/"
    assert found.token == "tok"
    assert found.source.startswith("runtime file ")
    assert str(runtime) in found.source
    assert found.sock is None


def test_runtime_dir_argument_and_cwd(tmp_path):
    folder = tmp_path / "elsewhere"
    write_server(folder, port=1111, root_dir=tmp_path / "a")
    write_server(folder, port=2222, root_dir=tmp_path / "b")
    (tmp_path / "b" / "sub").mkdir(parents=True)
    found = discover({}, runtime_dir=folder, cwd=tmp_path / "b" / "sub")
    assert found.url == "http://127.0.0.1:2222/"


def test_dead_servers_are_ignored(runtime, tmp_path):
    write_server(runtime, pid=dead_pid(), port=1111, root_dir=tmp_path)
    write_server(runtime, port=2222, root_dir="/somewhere/else")
    assert discover(cwd=tmp_path).url == "http://127.0.0.1:2222/"


def test_only_dead_servers_is_none_found(runtime):
    write_server(runtime, pid=dead_pid())
    with pytest.raises(ConnectionNotFound, match="1 found, none for a running server"):
        discover()


def test_the_most_specific_root_dir_wins(runtime, tmp_path):
    (tmp_path / "project" / "notebooks").mkdir(parents=True)
    write_server(runtime, port=1111, root_dir=tmp_path)
    write_server(runtime, port=2222, root_dir=tmp_path / "project")
    write_server(runtime, port=3333, root_dir=tmp_path / "other")
    found = discover(cwd=tmp_path / "project" / "notebooks")
    assert found.url == "http://127.0.0.1:2222/"


def test_a_root_dir_that_only_shares_a_name_prefix_does_not_contain(runtime, tmp_path):
    (tmp_path / "projects").mkdir()
    now = time.time()
    write_server(runtime, port=1111, root_dir=tmp_path / "proj", mtime=now)
    write_server(runtime, port=2222, root_dir=tmp_path, mtime=now - 100)
    assert discover(cwd=tmp_path / "projects").url == "http://127.0.0.1:2222/"


def test_the_parent_process_wins(runtime, tmp_path):
    write_server(runtime, port=1111, root_dir=tmp_path)
    write_server(runtime, pid=os.getppid(), port=2222, root_dir="/somewhere/else")
    assert discover(cwd=tmp_path).url == "http://127.0.0.1:2222/"


def test_newest_file_breaks_ties(runtime, tmp_path):
    now = time.time()
    write_server(runtime, port=1111, root_dir="/x", mtime=now - 100)
    write_server(runtime, port=2222, root_dir="/y", mtime=now)
    write_server(runtime, port=3333, root_dir="/z", mtime=now - 50)
    assert discover(cwd=tmp_path).url == "http://127.0.0.1:2222/"


@pytest.mark.parametrize(
    ("hostname", "secure", "expected"),
    [
        ("0.0.0.0", False, "http://127.0.0.1:8888/"),
        ("", False, "http://localhost:8888/"),
        ("::", False, "http://[::1]:8888/"),
        ("::1", False, "http://[::1]:8888/"),
        ("localhost", True, "https://localhost:8888/"),
    ],
)
def test_runtime_file_address(runtime, hostname, secure, expected):
    write_server(runtime, hostname=hostname, secure=secure)
    assert discover().url == expected


def test_unix_socket_server(runtime):
    write_server(runtime, sock="/run/jupyter.sock", base_url="/b/")
    found = discover()
    assert found.sock == "/run/jupyter.sock"
    assert found.url == "http://localhost/b/"
    assert found.is_local


def test_unreadable_and_foreign_files_are_skipped(runtime):
    (runtime / "jpserver-1.json").write_text("{not json")
    (runtime / "jpserver-2.json").write_text("[1, 2]")
    (runtime / "jpserver-3.json").write_text(json.dumps({"pid": os.getpid()}))
    (runtime / "kernel-123.json").write_text(json.dumps({"pid": os.getpid(), "port": 1}))
    write_server(runtime, port=4444)
    assert discover().url == "http://127.0.0.1:4444/"


def test_runtime_dir_without_jupyter_core(monkeypatch, tmp_path):
    monkeypatch.delenv("JUPYTER_RUNTIME_DIR")
    monkeypatch.setitem(sys.modules, "jupyter_core.paths", None)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    write_server(tmp_path / "data" / "runtime", port=5555)
    assert discover().url == "http://127.0.0.1:5555/"


def test_runtime_dir_from_jupyter_core(monkeypatch, tmp_path):
    monkeypatch.delenv("JUPYTER_RUNTIME_DIR")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    write_server(tmp_path / "data" / "runtime", port=6666)
    assert discover().url == "http://127.0.0.1:6666/"


# --- nothing found


def test_none_found_says_what_to_set(runtime):
    with pytest.raises(ConnectionNotFound) as caught:
        discover()
    error = caught.value
    message = str(error)
    assert message.startswith("No Jupyter server found for jupyter-chat-kernel.")
    assert "Set the environment variables JUPYTER_CHAT_URL" in message
    assert "JUPYTER_CHAT_TOKEN" in message
    assert "JUPYTER_CHAT_URL (not set)" in message
    assert "JUPYTERHUB_SERVICE_PREFIX (not set)" in message
    assert f"jpserver-*.json files in {runtime} (none)" in message
    assert "\n" not in message
    assert isinstance(error, ChatError)
    assert (error.status, error.code) == (None, "no_server")


def test_client_without_server_raises_connection_not_found(runtime):
    with pytest.raises(ConnectionNotFound):
        Client()


# --- the token stays secret


def test_token_is_not_in_reprs(monkeypatch):
    monkeypatch.setenv("JUPYTER_CHAT_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("JUPYTER_CHAT_TOKEN", SECRET)
    found = discover()
    assert SECRET not in repr(found)
    assert SECRET not in str(found)
    with Client() as client:
        assert SECRET not in repr(client)
        assert "http://127.0.0.1:9/" in repr(client)
    with Client(f"http://127.0.0.1:9/?token={SECRET}") as client:
        assert client.connection.token == SECRET
        assert SECRET not in repr(client)
        assert client.url == "http://127.0.0.1:9/"


def test_explicit_token_replaces_the_discovered_one(runtime):
    write_server(runtime, token="from-file")
    with Client(token="given") as client:
        assert client.connection.token == "given"
        assert client.connection.source.endswith("token from arguments")
