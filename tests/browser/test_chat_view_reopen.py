"""What a chat view shows again when its chat is opened again, another branch is shown or the
page is reloaded: answers that failed before are shown with Retry but not announced again, and
the text typed and not sent is back in the input."""

from __future__ import annotations

import json
import time

from chat_view_ui import (
    ANSWER,
    FAILING,
    FAST,
    INPUT,
    PANEL,
    PANEL_VIEW,
    answer_with_status,
    answered_chat,
    chat_id_of,
    new_chat_in_panel,
    pick_model,
    reload_lab,
    run_command,
    send,
    wait_answered,
)
from lab_process import LabServer
from playwright.sync_api import Locator, Page, expect

ERROR = ".jp-ChatExt-messageError"
# What a screen reader reads out as soon as it appears.
ALERT = '[role="alert"]'


def alerts(view: Locator) -> Locator:
    return view.locator(f"{ALERT}, [aria-live='assertive']")


def test_a_stored_failed_answer_is_shown_not_announced_again(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    view = new_chat_in_panel(page)
    pick_model(view, FAILING)
    send(view, "this will fail")
    # Failing now, the answer's error is announced.
    failed = answer_with_status(view, "error")
    expect(failed.locator(ERROR)).to_contain_text("503")
    expect(failed.locator(ERROR)).to_have_attribute("role", "alert")
    chat_id = chat_id_of(view)

    # Opened again, the chat shows the error, with Retry, but does not announce it again.
    view.locator('button[title="Back to the list of chats"]').click()
    expect(page.locator(f"{PANEL} .jp-ChatExt-chatListWidget")).to_be_visible()
    run_command(page, "chat-ext:open-chat", {"chatId": chat_id, "where": "panel"})
    view = page.locator(PANEL_VIEW)
    failed = answer_with_status(view, "error")
    expect(failed.locator(ERROR)).to_contain_text("503")
    expect(failed.locator(f"{ERROR} button", has_text="Retry")).to_be_enabled()
    expect(alerts(view)).to_have_count(0)

    # Answered again and failing again: the new failure is announced ...
    failed.locator('button[title="Answer again, as a new branch"]').click()
    second = view.locator('.jp-ChatExt-message-assistant:has([aria-label="Version 2 of 2"])')
    expect(second).to_have_attribute("data-status", "error")
    expect(second.locator(ERROR)).to_have_attribute("role", "alert")
    # ... and the versions switched to and back are shown as stored, not announced.
    view.locator('button[title="Previous version"]').click()
    first = view.locator('.jp-ChatExt-message-assistant:has([aria-label="Version 1 of 2"])')
    expect(first.locator(ERROR)).to_contain_text("503")
    expect(alerts(view)).to_have_count(0)
    view.locator('button[title="Next version"]').click()
    expect(second.locator(ERROR)).to_contain_text("503")
    expect(alerts(view)).to_have_count(0)

    # Nor after a reload; Retry still answers it.
    page.wait_for_timeout(1500)  # JupyterLab saves which chat the panel shows a moment later
    reload_lab(page)
    view = page.locator(PANEL_VIEW)
    expect(view.locator(".jp-ChatExt-chatViewBody")).to_have_attribute("data-chat-id", chat_id)
    failed = answer_with_status(view, "error")
    expect(failed.locator(ERROR)).to_contain_text("503")
    expect(alerts(view)).to_have_count(0)
    pick_model(view, FAST)
    failed.locator(f"{ERROR} button", has_text="Retry").click()
    expect(wait_answered(view)).to_contain_text("You said: this will fail")


DRAFTS_STATE = "jupyter-chat-ext:drafts"


def saved_drafts(lab: LabServer) -> dict[str, str]:
    """The unsent texts JupyterLab has written into the page's workspace, by chat id."""
    status, raw = lab.request("GET", "lab/api/workspaces/default")
    assert status == 200, raw
    saved = json.loads(raw)["data"].get(DRAFTS_STATE) or []
    return {chat_id: text for chat_id, text, _source in saved}


def wait_saved(lab: LabServer, expected: dict[str, str]) -> None:
    deadline = time.monotonic() + 15
    while (saved := saved_drafts(lab)) != expected:
        assert time.monotonic() < deadline, f"saved {saved}, not {expected}"
        time.sleep(0.2)


def open_in_panel(page: Page, chat_id: str | None) -> Locator:
    if chat_id is None:
        run_command(page, "chat-ext:new-chat")
    else:
        run_command(page, "chat-ext:open-chat", {"chatId": chat_id, "where": "panel"})
    view = page.locator(PANEL_VIEW)
    expect(view.locator(".jp-ChatExt-chatViewBody")).to_have_attribute(
        "data-chat-id", chat_id or ""
    )
    return view


def test_unsent_text_comes_back_after_a_reload(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    _, other_id = answered_chat(page, "a chat left alone")
    _, chat_id = answered_chat(page, "a chat to come back to")
    fresh = open_in_panel(page, None)
    fresh.locator(INPUT).fill("the start of a new chat")
    view = open_in_panel(page, chat_id)
    view.locator(INPUT).fill("a follow-up")
    view.locator(INPUT).fill("a follow-up kept across a reload")
    wait_saved(
        chat_lab, {"": "the start of a new chat", chat_id: "a follow-up kept across a reload"}
    )

    reload_lab(page)
    view = page.locator(PANEL_VIEW)
    expect(view.locator(".jp-ChatExt-chatViewBody")).to_have_attribute("data-chat-id", chat_id)
    expect(view.locator(INPUT)).to_have_value("a follow-up kept across a reload")
    # Each text goes to its own chat only.
    other = open_in_panel(page, other_id)
    expect(other.locator(ANSWER)).to_have_count(1)
    expect(other.locator(INPUT)).to_have_value("")
    fresh = open_in_panel(page, None)
    expect(fresh.locator(INPUT)).to_have_value("the start of a new chat")

    # Sent, the text is no longer kept: the next reload finds the input empty.
    view = open_in_panel(page, chat_id)
    expect(view.locator(INPUT)).to_have_value("a follow-up kept across a reload")
    pick_model(view, FAST)
    view.locator(INPUT).press("Enter")
    expect(wait_answered(view, 2)).to_contain_text("You said: a follow-up kept across a reload")
    wait_saved(chat_lab, {"": "the start of a new chat"})
    reload_lab(page)
    view = page.locator(PANEL_VIEW)
    expect(view.locator(".jp-ChatExt-chatViewBody")).to_have_attribute("data-chat-id", chat_id)
    expect(view.locator(ANSWER)).to_have_count(2)
    expect(view.locator(INPUT)).to_have_value("")


def test_text_typed_just_before_a_reload_comes_back(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    _, chat_id = answered_chat(page, "a chat reloaded at once")
    view = open_in_panel(page, chat_id)
    view.locator(INPUT).fill("typed, then reloaded at once")
    # Before the pause that saves it, and before JupyterLab writes its state.
    reload_lab(page)
    view = open_in_panel(page, chat_id)
    expect(view.locator(INPUT)).to_have_value("typed, then reloaded at once")
    # Once: JupyterLab's state has it now, the tab's copy is gone.
    deadline = time.monotonic() + 15
    while saved_drafts(chat_lab).get(chat_id) != "typed, then reloaded at once":
        assert time.monotonic() < deadline, saved_drafts(chat_lab)
        time.sleep(0.2)
    left = page.evaluate("() => Object.keys(sessionStorage).filter(k => k.includes('drafts'))")
    assert left == [], left
