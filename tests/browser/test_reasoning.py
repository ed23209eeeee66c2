"""A reasoning model's thoughts in the chat view: shown while it thinks, then folded above
its answer with how long it thought, and still there after a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from chat_view_ui import ANSWER, PANEL_VIEW, new_chat_in_panel, pick_model, reload_lab, send
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


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    # Runs last: by now the test above has driven the module's page.
    assert module_console.messages == []
