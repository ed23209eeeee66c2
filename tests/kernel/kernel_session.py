"""A real IPython kernel started by the test server, driven over jupyter_client."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jupyter_client


@dataclass
class Run:
    """What one execution sent back, in order."""

    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def stream(self, name: str) -> str:
        return "".join(
            m["content"]["text"]
            for m in self.messages
            if m["msg_type"] == "stream" and m["content"]["name"] == name
        )

    @property
    def stdout(self) -> str:
        return self.stream("stdout")

    @property
    def stderr(self) -> str:
        return self.stream("stderr")

    @property
    def errors(self) -> list[str]:
        return [
            "\n".join(m["content"]["traceback"]) for m in self.messages if m["msg_type"] == "error"
        ]

    def displays(self) -> list[dict[str, Any]]:
        """display_data and update_display_data messages' contents, in order."""
        return [
            {"type": m["msg_type"], **m["content"]}
            for m in self.messages
            if m["msg_type"] in ("display_data", "update_display_data")
        ]

    def final(self) -> dict[str, Any]:
        """The MIME bundle the first display shows at the end."""
        shown = self.displays()
        assert shown, f"nothing displayed; stderr: {self.stderr!r}, errors: {self.errors}"
        display_id = shown[0]["transient"]["display_id"]
        return [d for d in shown if d["transient"].get("display_id") == display_id][-1]["data"]

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return self.reply["content"].get("payload", [])


class KernelSession:
    """A notebook session (so the kernel gets JPY_SESSION_NAME) or a bare kernel."""

    def __init__(self, server: Any, notebook: str | None) -> None:
        self.server = server
        self.api = httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"token {server.token}"},
            timeout=30,
            trust_env=False,
        )
        if notebook is None:
            started = self.api.post("api/kernels", json={"name": "python3"})
            assert started.status_code == 201, started.text
            self.kernel_id = started.json()["id"]
            self.session_id = None
        else:
            started = self.api.post(
                "api/sessions",
                json={"path": notebook, "type": "notebook", "kernel": {"name": "python3"}},
            )
            assert started.status_code == 201, started.text
            self.kernel_id = started.json()["kernel"]["id"]
            self.session_id = started.json()["id"]
        self.client = self._connect()

    def _connect(self) -> jupyter_client.BlockingKernelClient:
        connection_file = self.server.runtime_dir / f"kernel-{self.kernel_id}.json"
        deadline = time.monotonic() + 30
        while not connection_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        client = jupyter_client.BlockingKernelClient(connection_file=str(connection_file))
        client.load_connection_file()
        client.start_channels()
        _wait_for_ready(client)
        return client

    def execute(self, code: str, timeout: float = 60) -> Run:
        messages: list[dict[str, Any]] = []
        reply = self.client.execute_interactive(
            code, timeout=timeout, output_hook=messages.append, allow_stdin=False
        )
        return Run(reply, messages)

    def start(self, code: str) -> str:
        """Send code without waiting; collect it with ``collect``."""
        return self.client.execute(code, allow_stdin=False)

    def collect(self, msg_id: str, until: Any = None, timeout: float = 60) -> list[dict[str, Any]]:
        """IOPub messages of ``msg_id`` until ``until(messages)`` or the kernel goes idle."""
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.client.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
            except Exception:  # queue.Empty
                break
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "status":
                if message["content"]["execution_state"] == "idle":
                    return messages
                continue
            messages.append(message)
            if until is not None and until(messages):
                return messages
        raise TimeoutError(f"no end of {msg_id} within {timeout} s: {messages[-3:]}")

    def reply(self, msg_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.client.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def iopub(self, until: Any, timeout: float = 30) -> list[dict[str, Any]]:
        """Every IOPub message, whatever its parent, until ``until(messages)`` is true."""
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while not until(messages):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waited {timeout} s; last messages: {messages[-3:]}")
            try:
                messages.append(self.client.get_iopub_msg(timeout=left))
            except Exception:  # queue.Empty
                continue
        return messages

    def send_comm(self, comm_id: str, data: dict[str, Any]) -> None:
        """A comm message, as a front end sends it."""
        message = self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.client.shell_channel.send(message)

    def restart(self) -> None:
        answer = self.api.post(f"api/kernels/{self.kernel_id}/restart")
        assert answer.status_code == 200, answer.text
        _wait_for_ready(self.client)

    def interrupt(self) -> None:
        answer = self.api.post(f"api/kernels/{self.kernel_id}/interrupt")
        assert answer.status_code == 204, answer.text

    def close(self) -> None:
        self.client.stop_channels()
        if self.session_id is not None:
            self.api.delete(f"api/sessions/{self.session_id}")
        self.api.delete(f"api/kernels/{self.kernel_id}")
        self.api.close()


def _wait_for_ready(client: jupyter_client.BlockingKernelClient, timeout: float = 60) -> None:
    # A kernel still starting on a busy machine has no heartbeat yet, which wait_for_ready
    # takes for a dead kernel: ask again until the deadline.
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.wait_for_ready(timeout=max(1, deadline - time.monotonic()))
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
