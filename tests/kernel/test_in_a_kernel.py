"""End to end: an IPython kernel started by the server finds it with no configuration at all."""

from __future__ import annotations

import json
import os
import time

import httpx
import pytest

pytest.importorskip("ipykernel")
jupyter_client = pytest.importorskip("jupyter_client")

CODE = """
from jupyter_chat_kernel import AsyncClient, Client
with Client() as chat:
    print("sync", chat.connection.source, chat.me().role)
async with AsyncClient() as chat:
    print("async", (await chat.me()).role)
"""


def test_a_kernel_started_by_the_server_finds_it(server):
    # A decoy server serving the same folder, with a newer file: only the rule that the kernel's
    # parent process is its server tells the two apart.
    decoy = server.runtime_dir / f"jpserver-{os.getpid()}.json"
    decoy.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "port": 9,
                "hostname": "127.0.0.1",
                "base_url": "/",
                "root_dir": str(server.root_dir),
                "token": "decoy",
                "secure": False,
                "sock": "",
            }
        )
    )
    api = httpx.Client(
        base_url=server.url,
        headers={"Authorization": f"token {server.token}"},
        timeout=30,
        trust_env=False,
    )
    started = api.post("api/kernels", json={"name": "python3"})
    assert started.status_code == 201, started.text
    kernel_id = started.json()["id"]
    client = None
    try:
        connection_file = server.runtime_dir / f"kernel-{kernel_id}.json"
        deadline = time.monotonic() + 30
        while not connection_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        client = jupyter_client.BlockingKernelClient(connection_file=str(connection_file))
        client.load_connection_file()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        output: list[str] = []

        def collect(msg):
            if msg["msg_type"] == "stream":
                output.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                output.append("\n".join(msg["content"]["traceback"]))

        reply = client.execute_interactive(CODE, timeout=60, output_hook=collect)
        text = "".join(output)
        assert reply["content"]["status"] == "ok", text
        server_file = server.runtime_dir / f"jpserver-{server.pid}.json"
        assert text.splitlines() == [f"sync runtime file {server_file} admin", "async admin"]
    finally:
        if client is not None:
            client.stop_channels()
        api.delete(f"api/kernels/{kernel_id}")
        api.close()
        decoy.unlink()
