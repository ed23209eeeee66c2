"""ChatWidget's front end in a real JupyterLab: a notebook shows the widget, a question typed
into it streams its answer into the page, and the kernel's ``messages`` trait follows."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from chats_ui import open_lab
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Page, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

# 60 pieces, 20 ms apart: a bit over a second of visible streaming.
MODEL = "fake-chat+delay-chunk-0.02+chunks-60"
# Thinks before it answers, its thoughts apart from the text.
THINKER = "fake-chat+think"
WIDGET = ".jck-chat"
ANSWER = f"{WIDGET} .jck-message[data-role='assistant']"

RECORD_ANSWERS = """() => {
  window.__jckAnswers = [];
  const list = document.querySelector('.jck-chat .jck-messages');
  new MutationObserver(() => {
    const answers = list.querySelectorAll(".jck-message[data-role='assistant'] .jck-content");
    if (answers.length) window.__jckAnswers.push(answers[answers.length - 1].textContent);
  }).observe(list, { subtree: true, childList: true, characterData: true });
}"""

RUN_IN_KERNEL = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code });
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += msg.content.traceback.join('\\n');
  };
  await future.done;
  return out;
}"""


@pytest.fixture(scope="module")
def connected(lab_server: LabServer) -> Iterator[None]:
    """The fake model server, connected to the shared lab for this module only."""
    with UpstreamThread(models=(MODEL, THINKER)) as upstream:
        status, created = lab_server.api(
            "POST", "connections", {"kind": "openai", "base_url": upstream.openai_url}
        )
        assert status == 201, created
        try:
            yield
        finally:
            lab_server.api("DELETE", f"connections/{created['id']}")


@contextmanager
def widget_notebook(lab_server: LabServer, source: str) -> Iterator[str]:
    path = f"widget-{uuid.uuid4().hex[:8]}.ipynb"
    content = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {
                "cell_type": "code",
                "id": "widget",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
        ],
    }
    status, body = lab_server.request(
        "PUT", f"api/contents/{path}", {"type": "notebook", "content": content}
    )
    assert status == 201, body
    try:
        yield path
    finally:
        status, sessions = lab_server.request("GET", "api/sessions")
        for session in json.loads(sessions):
            if session["path"] == path:
                lab_server.request("DELETE", f"api/sessions/{session['id']}")


@pytest.fixture
def notebook(lab_server: LabServer, connected: None) -> Iterator[str]:
    source = f"from jupyter_chat_kernel import ChatWidget\nw = ChatWidget(model={MODEL!r})\nw"
    with widget_notebook(lab_server, source) as path:
        yield path


def run_widget_notebook(page: Page, lab_server: LabServer, notebook: str) -> None:
    open_lab(page, lab_server)
    page.evaluate(
        "path => window.jupyterapp.commands.execute('docmanager:open', {path}).then(() => null)",
        notebook,
    )
    page.wait_for_function(
        """path => {
          const widget = window.jupyterapp.shell.currentWidget;
          const session = widget && widget.sessionContext && widget.sessionContext.session;
          // Until the notebook is current, the current widget may be a restored chat tab.
          return widget && widget.context && widget.context.path === path
            && session && session.kernel
            && session.kernel.connectionStatus === 'connected';
        }""",
        arg=notebook,
        timeout=60_000,
    )
    page.evaluate(
        "() => window.jupyterapp.commands.execute('notebook:run-all-cells').then(() => null)"
    )


def test_the_widget_renders_streams_and_updates_its_messages_trait(
    page: Page, lab_server: LabServer, notebook: str, console_errors: ConsoleErrors, artifacts
):
    errors_before = len(console_errors.messages)
    run_widget_notebook(page, lab_server, notebook)

    widget = page.locator(WIDGET)
    expect(widget).to_be_visible(timeout=60_000)
    expect(widget.locator(".jck-model")).to_have_value(MODEL)
    expect(widget.locator(".jck-title")).to_have_text("New chat")
    page.evaluate(RECORD_ANSWERS)

    prompt = widget.locator(".jck-prompt")
    prompt.fill("hello from the page")
    prompt.press("Enter")

    expect(widget.locator(".jck-message[data-role='user'] .jck-content")).to_have_text(
        "hello from the page"
    )
    expect(widget.locator(".jck-send")).to_have_text("Stop")  # busy while it streams
    answer = page.locator(f"{ANSWER}[data-status='done'] .jck-content")
    expect(answer).to_have_text(re.compile(r"^You said: hello from the page\.*$"), timeout=30_000)
    expect(widget.locator(".jck-send")).to_have_text("Send")
    whole = answer.text_content()
    seen = page.evaluate("() => window.__jckAnswers")
    partial = {text for text in seen if text != whole}
    assert len(partial) >= 2, f"the answer did not stream into the page: {seen}"
    assert all(whole.startswith(text) for text in partial)
    assert page.locator(f"{WIDGET} .jck-error").is_hidden()
    widget.screenshot(path=artifacts / "widget.png")

    # The kernel's side of the same widget: its traits, and the chat on the server.
    out = page.evaluate(
        RUN_IN_KERNEL,
        "import json; print(json.dumps({'chat_id': w.chat_id, 'busy': w.busy, "
        "'messages': [(m['role'], m['content'], m['status']) for m in w.messages]}))",
    )
    state = json.loads(out)
    assert state["busy"] is False
    assert state["messages"] == [
        ["user", "hello from the page", "done"],
        ["assistant", whole, "done"],
    ]
    status, chat = lab_server.api("GET", f"chats/{state['chat_id']}")
    assert status == 200, chat
    assert [m["content"] for m in chat["messages"]] == ["hello from the page", whole]

    # A change made in Python shows in the page.
    page.evaluate(RUN_IN_KERNEL, "w.new_chat()")
    expect(widget.locator(".jck-message")).to_have_count(0)
    assert console_errors.messages[errors_before:] == []
    # Leave the page before its kernel is shut down, which the shared tab would log.
    page.goto("about:blank")


def test_enter_while_an_answer_streams_keeps_the_next_question_and_the_answer(
    page: Page, lab_server: LabServer, notebook: str, console_errors: ConsoleErrors
):
    errors_before = len(console_errors.messages)
    run_widget_notebook(page, lab_server, notebook)
    widget = page.locator(WIDGET)
    expect(widget).to_be_visible(timeout=60_000)
    prompt = widget.locator(".jck-prompt")
    prompt.fill("the first question")
    prompt.press("Enter")
    expect(widget.locator(".jck-send")).to_have_text("Stop")
    prompt.fill("the next question")
    prompt.press("Enter")  # typed while the answer streams: not a Stop

    answer = page.locator(f"{ANSWER} .jck-content").first
    expect(widget.locator(".jck-send")).to_have_text("Send", timeout=30_000)
    expect(page.locator(ANSWER).first).to_have_attribute("data-status", "done")
    expect(answer).to_have_text(re.compile(r"^You said: the first question\.*$"))
    assert len(answer.text_content()) == 60, "the whole answer, not a stopped one"
    expect(prompt).to_have_value("the next question")

    prompt.press("Enter")  # and now it is sent
    expect(page.locator(f"{ANSWER}[data-status='done']")).to_have_count(2, timeout=30_000)
    expect(prompt).to_have_value("")
    assert console_errors.messages[errors_before:] == []
    page.goto("about:blank")


def test_an_answer_that_is_only_thoughts_says_so(
    page: Page, lab_server: LabServer, connected: None, console_errors: ConsoleErrors
):
    # The chat's stop sequence cuts the whole answer: the model thinks, then says nothing.
    status, chat = lab_server.api(
        "POST", "chats", {"title": "Thinker", "settings": {"params": {"stop": ["You"]}}}
    )
    assert status == 201, chat
    source = (
        "from jupyter_chat_kernel import ChatWidget\n"
        f"w = ChatWidget(chat_id={chat['id']!r}, model={THINKER!r})\nw"
    )
    errors_before = len(console_errors.messages)
    with widget_notebook(lab_server, source) as notebook:
        run_widget_notebook(page, lab_server, notebook)
        widget = page.locator(WIDGET)
        expect(widget).to_be_visible(timeout=60_000)
        prompt = widget.locator(".jck-prompt")
        prompt.fill("ponder")
        prompt.press("Enter")
        answer = page.locator(f"{ANSWER}[data-status='done'] .jck-content")
        # Not an empty bubble, as if nothing had happened.
        expect(answer).to_have_text(
            "(no answer: the model only thought; its thoughts are in the chat)"
        )
        _, stored = lab_server.api("GET", f"chats/{chat['id']}")
        assert stored["messages"][-1]["content"] == ""
        assert stored["messages"][-1]["meta"]["reasoning"] == "Thinking about: ponder"
        assert console_errors.messages[errors_before:] == []
        page.goto("about:blank")


def test_opening_the_model_selector_reads_the_list_again(
    page: Page, lab_server: LabServer, connected: None, console_errors: ConsoleErrors
):
    from tests.kernel.relay import Relay

    server = urlsplit(lab_server.base_url)
    with Relay(server.port) as relay:  # refuses connections: the server is away
        url = f"http://127.0.0.1:{relay.port}{server.path}"
        source = (
            "import jupyter_chat_kernel._widget as module\n"
            "module._MODELS_PAUSE = 3600  # the selector alone reads the list again\n"
            "from jupyter_chat_kernel import ChatWidget, Client\n"
            f"w = ChatWidget(client=Client({url!r}, {lab_server.token!r}))\nw"
        )
        errors_before = len(console_errors.messages)
        with widget_notebook(lab_server, source) as notebook:
            run_widget_notebook(page, lab_server, notebook)
            widget = page.locator(WIDGET)
            expect(widget).to_be_visible(timeout=60_000)
            expect(widget.locator(".jck-error")).to_contain_text("Cannot reach")
            select = widget.locator(".jck-model")
            expect(select.locator("option")).to_have_count(0)
            relay.start()
            select.click()
            expect(select.locator(f"option[value='{MODEL}']")).to_have_count(1, timeout=15_000)
            expect(widget.locator(".jck-error")).to_be_hidden()
            page.keyboard.press("Escape")
            assert console_errors.messages[errors_before:] == []
            page.goto("about:blank")
