"""The chat view in a real JupyterLab: a lab of the module's own with a fake model server,
and the steps the chat view and notebook tests take through the UI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chats_ui import open_lab
from lab_process import LabServer, running_lab
from page_console import ConsoleErrors
from playwright.sync_api import Browser, Locator, Page, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

# The fake model repeats the question, then says this: a code block and a formula.
REPLY = (
    "Here is the code:\n\n"
    "```python\nprint(6 * 7)\n```\n\n"
    "And Euler's identity: $e^{i\\pi} + 1 = 0$\n\n"
    "- first point\n- second point\n"
)
FAST = "fake-chat"
SLOW = "fake-chat+delay-chunk-0.05"
FAILING = "fake-chat+error-503"
MODELS = (FAST, SLOW, FAILING)

PANEL = "#jp-chat-ext-panel"
PANEL_VIEW = f"{PANEL} .jp-ChatExt-chatView"
MESSAGE = ".jp-ChatExt-message"
ANSWER = ".jp-ChatExt-message-assistant"
QUESTION = ".jp-ChatExt-message-user"
INPUT = "textarea.jp-ChatExt-input"
UI_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def upstream() -> Iterator[UpstreamThread]:
    with UpstreamThread(models=MODELS, reply=REPLY) as server:
        yield server


@pytest.fixture(scope="module")
def chat_lab(
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    upstream: UpstreamThread,
) -> Iterator[LabServer]:
    """A lab whose only chat models are the fake upstream's (no local model; the local
    embedding model is there, and must not be offered for chats)."""
    args = (
        f"--ChatExtApp.openai_api_base_urls={upstream.openai_url}",
        "--ChatExtApp.local_model=",
    )
    name = request.module.__name__
    with running_lab(tmp_path_factory.mktemp(name), f"{name}.log", args) as lab:
        # The first model list asks the upstream; have it ready before the page asks.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, models = lab.server.api("GET", "models")
            if status == 200 and models["items"]:
                break
            time.sleep(0.2)
        yield lab.server


@pytest.fixture(scope="module")
def module_console() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture(scope="module")
def chat_page(
    browser: Browser, chat_lab: LabServer, module_console: ConsoleErrors
) -> Iterator[Page]:
    """One tab on the module's lab, listened to from before JupyterLab loads."""
    expect.set_options(timeout=UI_TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.on("console", module_console.on_console)
    tab.on("pageerror", module_console.on_page_error)
    open_lab(tab, chat_lab)
    # A new lab opens a Launcher a moment after its layout is restored, and the Launcher
    # takes the focus: wait for it, or it takes the focus from the first test's controls.
    tab.wait_for_function("() => !!document.activeElement?.closest('.jp-Launcher')")
    yield tab
    context.close()


def reload_lab(page: Page) -> None:
    page.reload()
    page.wait_for_function("() => window.jupyterapp !== undefined")
    page.evaluate("() => window.jupyterapp.restored.then(() => null)")


def run_command(page: Page, command: str, args: dict | None = None) -> None:
    page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args).then(() => null)",
        [command, args or {}],
    )


def new_chat_in_panel(page: Page) -> Locator:
    run_command(page, "chat-ext:new-chat")
    view = page.locator(PANEL_VIEW)
    expect(view).to_be_visible()
    return view


def pick_model(view: Locator, model_id: str) -> None:
    view.locator(".jp-ChatExt-modelButton").click()
    search = view.locator(".jp-ChatExt-modelSearch")
    expect(search).to_be_focused()
    search.fill(model_id)
    option = view.locator(f'.jp-ChatExt-modelOption[data-model-id="{model_id}"]')
    expect(option).to_be_visible()
    # Narrowed to one, the first option is the active one: Enter takes it.
    expect(view.locator(".jp-ChatExt-modelOption.jp-mod-active")).to_have_attribute(
        "data-model-id", model_id
    )
    search.press("Enter")
    expect(view.locator(".jp-ChatExt-modelButton")).to_contain_text(model_id)


def send(view: Locator, text: str) -> None:
    box = view.locator(INPUT)
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")


def answer_with_status(view: Locator, status: str) -> Locator:
    return view.locator(f'{ANSWER}[data-status="{status}"]')


def wait_answered(view: Locator, count: int = 1) -> Locator:
    """The last answer, once `count` answers are done."""
    done = answer_with_status(view, "done")
    expect(done).to_have_count(count)
    return done.last


def stored_branch(lab: LabServer, chat_id: str) -> list[dict]:
    status, chat = lab.api("GET", f"chats/{chat_id}")
    assert status == 200, chat
    return chat["messages"]


def answered_chat(page: Page, question: str = "hello") -> tuple[Locator, str]:
    """A new chat in the panel with the fast model, once it has answered ``question``: its
    view and its id."""
    view = new_chat_in_panel(page)
    pick_model(view, FAST)
    send(view, question)
    wait_answered(view)
    return view, chat_id_of(view)


def chat_id_of(view: Locator) -> str:
    """The id of the chat a view shows (once its first message is stored)."""
    body = view.locator(".jp-ChatExt-chatViewBody")
    expect(body).not_to_have_attribute("data-chat-id", "")
    return body.get_attribute("data-chat-id") or ""


def write_notebook(lab_root: Path, name: str, cells: list[dict]) -> None:
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab_root / name).write_text(json.dumps(notebook))


def shot(target: Page | Locator, artifacts: Path, name: str) -> Path:
    path = artifacts / name
    target.screenshot(path=path)
    return path
