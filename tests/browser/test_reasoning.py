"""A reasoning model's thoughts in the chat view: shown while it thinks, then folded above
its answer with how long it thought, and still there after a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from chat_view_ui import (
    ANSWER,
    PANEL_VIEW,
    chat_id_of,
    new_chat_in_panel,
    pick_model,
    reload_lab,
    run_command,
    send,
)
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Page, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

# Thinks one word every 50 ms, then answers.
THINKING = "fake-chat+think+delay-chunk-0.05"


@pytest.fixture(scope="module")
def upstream() -> Iterator[UpstreamThread]:
    with UpstreamThread(models=(THINKING,)) as server:
        yield server


def test_thoughts_fold_above_the_answer(chat_page: Page, chat_lab: LabServer):
    view = new_chat_in_panel(chat_page)
    pick_model(view, THINKING)
    question = "why is the sky blue on a clear summer afternoon"
    send(view, question)
    answer = view.locator(ANSWER).last
    reasoning = answer.locator(".jp-ChatExt-reasoning")
    summary = reasoning.locator("summary")
    expect(summary).to_have_text("Thinking…")

    expect(answer).to_have_attribute("data-status", "done")
    expect(summary).to_have_text(re.compile(r"^Thought for \d+ seconds?$"))
    body = answer.locator(".jp-ChatExt-messageBody")
    expect(body).to_have_text(f"You said: {question}")
    thoughts = reasoning.locator(".jp-ChatExt-reasoningText")
    expect(thoughts).not_to_be_visible()  # folded
    summary.focus()
    summary.press("Enter")
    expect(thoughts).to_have_text(f"Thinking about: {question}")

    # Stored with the answer: a reload shows it again, folded.
    reload_lab(chat_page)
    view = chat_page.locator(PANEL_VIEW)
    answer = view.locator(ANSWER).last
    expect(answer.locator(".jp-ChatExt-reasoning summary")).to_have_text(
        re.compile(r"^Thought for \d+ seconds?$")
    )
    expect(answer.locator(".jp-ChatExt-reasoningText")).not_to_be_visible()
    expect(answer.locator(".jp-ChatExt-messageBody")).to_have_text(f"You said: {question}")


def test_a_reload_while_it_thinks_follows_the_thoughts_to_the_end(
    chat_page: Page, chat_lab: LabServer
):
    view = new_chat_in_panel(chat_page)
    pick_model(view, THINKING)
    question = " ".join(f"word{i}" for i in range(120))  # some 6 s of thinking
    send(view, question)
    answer = view.locator(ANSWER).last
    expect(answer.locator(".jp-ChatExt-reasoning summary")).to_have_text("Thinking…")
    chat_id = chat_id_of(view)

    reload_lab(chat_page)
    run_command(chat_page, "chat-ext:open-chat", {"chatId": chat_id})
    view = chat_page.locator(PANEL_VIEW)
    expect(view.locator(".jp-ChatExt-chatViewBody")).to_have_attribute("data-chat-id", chat_id)
    answer = view.locator(ANSWER).last
    expect(answer).to_have_attribute("data-status", "streaming")
    summary = answer.locator(".jp-ChatExt-reasoning summary")
    expect(summary).to_have_text("Thinking…")
    expect(answer).to_have_attribute("data-status", "done", timeout=20_000)
    expect(summary).to_have_text(re.compile(r"^Thought for \d+ seconds?$"))
    summary.click()
    # Nothing lost or repeated across the reload.
    expect(answer.locator(".jp-ChatExt-reasoningText")).to_have_text(f"Thinking about: {question}")
    expect(answer.locator(".jp-ChatExt-messageBody")).to_have_text(f"You said: {question}")


def test_stopped_while_it_thinks_keeps_the_thoughts(chat_page: Page, chat_lab: LabServer):
    view = new_chat_in_panel(chat_page)
    pick_model(view, THINKING)
    question = " ".join(f"item{i}" for i in range(60))
    send(view, question)
    chat_id = chat_id_of(view)
    answer = view.locator(ANSWER).last
    summary = answer.locator(".jp-ChatExt-reasoning summary")
    expect(summary).to_have_text("Thinking…")
    view.locator(".jp-ChatExt-stop").click()
    expect(answer).to_have_attribute("data-status", "stopped")
    expect(answer.locator(".jp-ChatExt-messageNote")).to_have_text("Stopped.")
    expect(summary).to_have_text(re.compile(r"^Thought for \d+ seconds?$"))
    summary.click()
    shown = answer.locator(".jp-ChatExt-reasoningText").inner_text()
    assert shown and f"Thinking about: {question}".startswith(shown), shown
    reload_lab(chat_page)
    run_command(chat_page, "chat-ext:open-chat", {"chatId": chat_id})
    answer = chat_page.locator(PANEL_VIEW).locator(ANSWER).last
    expect(answer).to_have_attribute("data-status", "stopped")
    answer.locator(".jp-ChatExt-reasoning summary").click()
    expect(answer.locator(".jp-ChatExt-reasoningText")).to_have_text(shown)


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    # Runs last: by now the test above has driven the module's page.
    assert module_console.messages == []
