"""A ``jupyter lab`` subprocess for the browser tests, and its REST API as the tests call it.

The server runs from the interpreter running pytest, with the checkout first on its path,
and keeps every Jupyter file (config, data, runtime, settings, database) in one folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / ".test-artifacts" / "browser"
SERVER_START_TIMEOUT = 90.0

# The news and update checks would reach the internet and put a notification over the UI.
QUIET_NOTIFICATIONS = {"fetchNews": "false", "checkForUpdates": False}


@dataclass
class LabServer:
    base_url: str
    token: str
    log_path: Path

    @property
    def lab_url(self) -> str:
        return f"{self.base_url}lab?token={self.token}"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Calls the server with its token; returns (status, raw body), errors included."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Calls the chat-ext REST API; returns (status, JSON body)."""
        status, raw = self.request(method, f"chat-ext/api/{path.lstrip('/')}", body)
        return status, json.loads(raw) if raw else None

    def create_chat(self, title: str) -> dict[str, Any]:
        status, chat = self.api("POST", "chats", {"title": title})
        assert status == 201, chat
        return chat

    def all_chats(self) -> list[dict[str, Any]]:
        chats: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = "chats?limit=200" + (f"&cursor={cursor}" if cursor else "")
            status, page = self.api("GET", query)
            assert status == 200, page
            chats.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return chats

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


class LabProcess:
    """A ``jupyter lab`` subprocess that can be stopped and started again on the same port,
    token, settings and database, as a server restart would."""

    def __init__(self, root: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.root = root
        self.extra_args = extra_args
        for name in ("config", "data", "runtime", "notebooks"):
            (root / name).mkdir(exist_ok=True)
        _write_json(
            root
            / "user-settings"
            / "@jupyterlab"
            / "apputils-extension"
            / "notification.jupyterlab-settings",
            QUIET_NOTIFICATIONS,
        )
        self.server = LabServer(
            f"http://127.0.0.1:{_free_port()}/", secrets.token_hex(24), root / "lab.log"
        )
        self._process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        port = self.server.base_url.rstrip("/").rsplit(":", 1)[1]
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            # The tests drive JupyterLab through its application object (commands, restored).
            "--LabApp.expose_app_in_browser=True",
            f"--IdentityProvider.token={self.server.token}",
            f"--ServerApp.root_dir={self.root / 'notebooks'}",
            f"--LabApp.user_settings_dir={self.root / 'user-settings'}",
            f"--LabApp.workspaces_dir={self.root / 'workspaces'}",
            f"--ChatExtApp.db_url=sqlite:///{self.root / 'chat.db'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        return [*command, *self.extra_args]

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.root / "config"),
            "JUPYTER_DATA_DIR": str(self.root / "data"),
            # Also holds the cookie secret, so browser logins survive a restart.
            "JUPYTER_RUNTIME_DIR": str(self.root / "runtime"),
            # The server under test is the checkout's code, even over an older install.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }

    def start(self) -> LabServer:
        with self.server.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(), env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_ready(self._process)
        return self.server

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _wait_until_ready(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._fail(f"jupyter lab exited with {process.returncode}")
            try:
                status, _ = self.server.request("GET", "api/status")
            except OSError:
                status = None
            if status == 200:
                self._check_extension_installed()
                return
            time.sleep(0.25)
        self._fail(f"jupyter lab not ready after {SERVER_START_TIMEOUT:.0f} s")

    def _check_extension_installed(self) -> None:
        # Extensions load before the server listens, so their absence is final: say so now
        # rather than time out in the browser.
        install = f"install the project into this environment: pip install -e {REPO}"
        status, _ = self.server.request("GET", "chat-ext/api/users/me")
        if status == 404:
            self._fail(f"the jupyter_chat_ext server extension is not enabled; {install}")
        _, html = self.server.request("GET", "lab")
        if b'"name": "jupyter-chat-ext"' not in html:
            self._fail(f"JupyterLab does not list the jupyter-chat-ext extension; {install}")

    def _fail(self, reason: str) -> NoReturn:
        self.stop()
        pytest.fail(f"{reason}\n--- {self.server.log_path} ---\n{self.server.log_tail()}")


@contextmanager
def running_lab(
    root: Path, log_name: str, extra_args: tuple[str, ...] = ()
) -> Iterator[LabProcess]:
    lab = LabProcess(root, extra_args)
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if lab.server.log_path.exists():
            shutil.copyfile(lab.server.log_path, ARTIFACTS / log_name)
