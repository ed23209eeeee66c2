"""A fake upstream in another process: `UpstreamProcess` starts one, `RemoteUpstream` drives one.

Both talk to `/_control` with the standard library only, so a browser or kernel test (or a
person with curl) can switch faults on the `make run` demo server as well.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from .faults import Faults
from .records import Disconnect, RecordedRequest

_SOURCE_ROOT = Path(__file__).resolve().parents[3]


class RemoteUpstream:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def ollama_url(self) -> str:
        return self.url

    def control(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST (or, without a payload, GET) `/_control`; returns the server's whole state."""
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.url}/_control", data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def set_faults(self, faults: Faults | None = None, **switches: Any) -> None:
        self.control({"faults": dataclasses.replace(faults or Faults(), **switches).to_json()})

    def update_settings(self, **settings: Any) -> None:
        self.control({"settings": settings})

    def reset(self) -> None:
        self.control({"reset": True})

    @property
    def requests(self) -> list[RecordedRequest]:
        return [RecordedRequest.from_json(r) for r in self.control()["requests"]]

    @property
    def disconnects(self) -> list[Disconnect]:
        return [Disconnect.from_json(d) for d in self.control()["disconnects"]]

    def wait_for_disconnects(self, count: int = 1, within: float = 2.0) -> list[Disconnect]:
        deadline = time.monotonic() + within
        while len(seen := self.disconnects) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(seen)} of {count} disconnects seen")
            time.sleep(0.02)
        return seen


class UpstreamProcess(RemoteUpstream):
    """`with UpstreamProcess("--reply", "Hi") as up:` runs `python -m ...upstream` until exit."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__("")
        self.args = args
        self.env = env
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> UpstreamProcess:
        command = [sys.executable, "-m", __package__ or "", "--port", "0", "--print-url"]
        env = {**os.environ, **(self.env or {})}
        # The child must import this very package, installed or not (a source checkout).
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_SOURCE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        self.process = subprocess.Popen(
            [*command, *self.args], stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline().strip() if ready else ""
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the fake upstream process did not start (got {line!r})")
        self.url = line
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> UpstreamProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
