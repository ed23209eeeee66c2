"""End to end: an IPython kernel started by the server finds it with no configuration at all."""

from __future__ import annotations

import json
import os

import pytest

from .kernel_session import KernelSession

pytest.importorskip("ipykernel")
pytest.importorskip("jupyter_client")

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
    kernel = None
    try:
        kernel = KernelSession(server, None)
        run = kernel.execute(CODE)
        assert run.status == "ok", run.errors
        server_file = server.runtime_dir / f"jpserver-{server.pid}.json"
        assert run.stdout.splitlines() == [f"sync runtime file {server_file} admin", "async admin"]
    finally:
        if kernel is not None:
            kernel.close()
        decoy.unlink()
