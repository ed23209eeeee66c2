"""A real Jupyter server with the extension, run as a subprocess, for the kernel client tests.

The kernel package talks to the server over HTTP only, and its sync client would block an
in-process server's event loop, so the server runs in its own process as it does for a kernel.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from .kernel_session import KernelSession
from .magic_calls import loaded_kernel

REPO = Path(__file__).resolve().parents[2]
BASE_PATH = "/jh/user/kernel-test/"
MISSING_LOCAL_MODEL = "no-such-org/no-such-local-model"

# Everything discovery reads; cleared so that the machine running the tests cannot leak in.
DISCOVERY_VARS = (
    "JUPYTER_CHAT_URL",
    "JUPYTER_CHAT_TOKEN",
    "JUPYTERHUB_SERVICE_PREFIX",
    "JUPYTERHUB_SERVICE_URL",
    "JUPYTERHUB_API_TOKEN",
    "JUPYTER_RUNTIME_DIR",
)


@pytest.fixture(autouse=True)
def clean_discovery_env(monkeypatch, tmp_path_factory):
    for name in DISCOVERY_VARS:
        monkeypatch.delenv(name, raising=False)
    # An empty runtime dir, so that a server running on this machine is never discovered.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path_factory.mktemp("no-servers")))


@dataclass(frozen=True)
class RunningServer:
    url: str  # base URL, with BASE_PATH
    token: str
    port: int
    pid: int
    root_dir: Path
    runtime_dir: Path
    log: Path
    sock: Path | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTERHUB_", "JUPYTER_CHAT_")) and k != "JUPYTER_TOKEN"
    }
    paths = [str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    env.update(
        PYTHONPATH=os.pathsep.join(paths),
        # A blank configuration: only this extension, none the environment enables.
        JUPYTER_NO_CONFIG="1",
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
    )
    return env


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _launch(home: Path, *, sock: Path | None = None) -> tuple[subprocess.Popen, RunningServer]:
    root = home / "root"
    (root / "project" / "deeper").mkdir(parents=True)
    token = secrets.token_hex(16)
    port = _free_port()
    log = home / "server.log"
    argv = [
        sys.executable,
        "-m",
        "jupyter_server",
        '--ServerApp.jpserver_extensions={"jupyter_chat_ext": True}',
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_unauthenticated_access=False",
        f"--ServerApp.root_dir={root}",
        f"--ChatExtApp.db_url=sqlite:///{home / 'chat.db'}",
        # A local model that is on no machine, as the default one is on most: its connection
        # lists no models, and says at length how to download it.
        f"--ChatExtApp.local_model={MISSING_LOCAL_MODEL}",
        "--no-browser",
    ]
    if sock is None:
        url = f"http://127.0.0.1:{port}{BASE_PATH}"
        argv += [
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.base_url={BASE_PATH}",
        ]
    else:
        url = "http://localhost/"
        argv.append(f"--sock={sock}")
    if hasattr(os, "getuid") and os.getuid() == 0:
        argv.append("--allow-root")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, env=_server_env(home), cwd=home, stdout=out, stderr=subprocess.STDOUT
        )
    running = RunningServer(url, token, port, proc.pid, root, home / "runtime", log, sock)
    return proc, running


def _wait_ready(proc: subprocess.Popen, server: RunningServer) -> None:
    probe = f"{server.url}chat-ext/api/users/me"
    transport = httpx.HTTPTransport(uds=str(server.sock)) if server.sock else None
    deadline = time.monotonic() + 60
    with httpx.Client(
        headers={"Authorization": f"token {server.token}"},
        timeout=2,
        trust_env=False,
        transport=transport,
    ) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"jupyter server exited with {proc.returncode}:\n{_tail(server.log)}")
            try:
                if http.get(probe).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    pytest.fail(f"jupyter server did not answer {probe} within 60 s:\n{_tail(server.log)}")


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[dict[str, RunningServer]]:
    """Both servers, started side by side: one on a TCP port under a JupyterHub-like base path,
    one on a Unix socket (where the platform has them)."""
    homes = {"tcp": (tmp_path_factory.mktemp("jupyter-server"), None)}
    with contextlib.ExitStack() as stack:
        if hasattr(socket, "AF_UNIX"):
            # Socket paths are limited to about 100 bytes, which pytest's temporary paths exceed.
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="jck-")))
            homes["unix"] = (home, home / "s.sock")
        launched = {}
        try:
            for name, (home, sock) in homes.items():
                launched[name] = _launch(home, sock=sock)
            for proc, running in launched.values():
                _wait_ready(proc, running)
            yield {name: running for name, (_, running) in launched.items()}
        finally:
            for proc, _ in launched.values():
                proc.terminate()
            for proc, _ in launched.values():
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


@pytest.fixture(scope="session")
def server(servers) -> RunningServer:
    return servers["tcp"]


@pytest.fixture(scope="session")
def socket_server(servers) -> RunningServer:
    if "unix" not in servers:
        pytest.skip("no Unix sockets on this platform")
    return servers["unix"]


@pytest.fixture
def server_file(server) -> dict:
    """The server's own jpserver-<pid>.json, as it wrote it."""
    return json.loads((server.runtime_dir / f"jpserver-{server.pid}.json").read_text())


Reply = tuple[int, dict[str, str], bytes]
Respond = Callable[[str, str, dict[str, str]], Reply]


@pytest.fixture
def fake_server() -> Iterator[Callable[[Respond], str]]:
    """Start a tiny HTTP server answering with ``respond(method, path, headers)``; gives its URL.

    For answers the real server never gives: HTML pages, redirects, malformed JSON.
    """
    servers: list[ThreadingHTTPServer] = []

    def start(respond: Respond) -> str:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, headers, body = respond(self.command, self.path, dict(self.headers))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


# Models the test upstream serves; the suffixes are its fault switches (see its faults module).
MODEL = "fake-chat"
SLOW_MODEL = "fake-chat+delay-chunk-0.05+chunks-200"  # 200 pieces over 10 s: time to interrupt
STEADY_MODEL = "fake-chat+delay-chunk-0.02+chunks-40"  # under a second, in visible steps
# 200 pieces over 3 s: time to cut a stream and follow the answer again, short to wait out.
BRISK_MODEL = "fake-chat+delay-chunk-0.015+chunks-200"
DOWN_MODEL = "fake-chat+error-503"
THINK_MODEL = "fake-chat+think"  # thinks before it answers, its thoughts apart from the text
SLOW_THINK_MODEL = "fake-chat+think+delay-chunk-0.1"  # thinks a word every 0.1 s, then answers
QUIET_MODEL = "fake-chat+delay-first-1.5"  # silent for 1.5 s once its answer has started


def api_client(server: RunningServer) -> httpx.Client:
    """The chat API of the TCP server, with its token."""
    return httpx.Client(
        base_url=f"{server.url}chat-ext/api/",
        headers={"Authorization": f"token {server.token}"},
        timeout=30,
        trust_env=False,
    )


@pytest.fixture(scope="module")
def api(server) -> Iterator[httpx.Client]:
    with api_client(server) as client:
        yield client


@pytest.fixture(scope="module")
def kernel(server, upstream) -> Iterator[KernelSession]:
    """A kernel with the magics loaded, on the test notebook's path: one per test module."""
    with loaded_kernel(server) as session:
        yield session


@pytest.fixture(scope="session")
def upstream(server):
    """A fake OpenAI-compatible model server, connected to the TCP server for the session."""
    from jupyter_chat_ext.testing.upstream import UpstreamThread

    with (
        UpstreamThread(
            models=(
                MODEL,
                SLOW_MODEL,
                STEADY_MODEL,
                BRISK_MODEL,
                DOWN_MODEL,
                THINK_MODEL,
                SLOW_THINK_MODEL,
                QUIET_MODEL,
            )
        ) as up,
        api_client(server) as api,
    ):
        created = api.post(
            "connections", json={"kind": "openai", "base_url": up.openai_url, "name": "Fake"}
        )
        assert created.status_code == 201, created.text
        try:
            yield up
        finally:
            api.delete(f"connections/{created.json()['id']}")


def sent_for(upstream, question: str) -> dict:
    """The body of the last request the model server got whose last message is ``question``
    (chats the server names in the background send requests of their own)."""
    for request in reversed(upstream.requests):
        messages = (request.body or {}).get("messages") or []
        if messages and messages[-1].get("content") == question:
            return request.body
    raise AssertionError(f"the model server never got {question!r}")
