"""What the %chat magics' tests share: a kernel with them loaded, on a notebook's path, and
reading what a cell showed and what the server stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx

from .kernel_session import KernelSession, Run

if TYPE_CHECKING:
    from .conftest import RunningServer

NOTEBOOK = "project/analysis.ipynb"


@contextmanager
def loaded_kernel(
    server: RunningServer, notebook: str | None = NOTEBOOK
) -> Iterator[KernelSession]:
    """A kernel with the magics loaded, on the notebook's path (None: a kernel with no
    notebook, as a console's or a script's)."""
    session = KernelSession(server, notebook)
    try:
        loaded = session.execute("%load_ext jupyter_chat_kernel")
        assert loaded.status == "ok", loaded.errors
        yield session
    finally:
        session.close()


def chat(kernel: KernelSession, code: str) -> Run:
    run = kernel.execute(code)
    assert run.status == "ok", run.errors
    assert not run.errors
    return run


def one_line(run: Run) -> str:
    """The single stderr line a failure gives, with no traceback anywhere."""
    assert run.status == "ok" and not run.errors, run.errors
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    return lines[0]


def interrupted_line(run: Run) -> str:
    """The one line an interrupted %chat ends its cell with: an interrupt, so that a loop and
    the cells queued after it stop too, shown as that line and not a traceback."""
    assert run.status == "error", "the cell ends as an interrupted cell does"
    [error] = [m["content"] for m in run.messages if m["msg_type"] == "error"]
    assert len(error["traceback"]) == 1, error["traceback"]
    assert "Traceback" not in error["traceback"][0]
    assert run.stderr == ""
    return error["traceback"][0]


def markdown(run: Run) -> str:
    data = run.final()
    assert "text/markdown" in data, data
    return data["text/markdown"]


def chat_detail(api: httpx.Client, chat_id: str) -> dict:
    answer = api.get(f"chats/{chat_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def notebook_chats(api: httpx.Client) -> list[dict]:
    """The chats tagged for the test notebook, newest first."""
    return [
        item
        for item in api.get("chats", params={"limit": 200}).json()["items"]
        if any(tag.startswith("notebook:analysis.ipynb#") for tag in item["tags"])
    ]


def notebook_chat(api: httpx.Client) -> dict:
    """The newest chat tagged for the test notebook."""
    tagged = notebook_chats(api)
    assert tagged, "no chat is tagged for the notebook"
    return chat_detail(api, tagged[0]["id"])
