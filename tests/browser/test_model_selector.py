"""The model selector and the first-run screen of a chat, as the model list changes: a
server that is down, a narrow side panel, and a connection added after the chat opened."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from chat_view_ui import FAST, INPUT, PANEL, new_chat_in_panel, reload_lab
from chats_ui import intercepted
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Page, Route, expect

from jupyter_chat_ext.testing.upstream import RefusedPort


def connection_ids(lab: LabServer, but: str = "") -> list[str]:
    """The connections' ids, but for the one named ``but``."""
    status, connections = lab.api("GET", "connections")
    assert status == 200, connections
    return [c["id"] for c in connections["items"] if c["name"] != but]


@contextmanager
def switched_off(lab: LabServer, page: Page, ids: list[str]) -> Iterator[None]:
    """These connections off, and the page reloaded to see it; then on again."""
    for connection_id in ids:
        lab.api("PATCH", f"connections/{connection_id}", {"enabled": False})
    try:
        reload_lab(page)
        yield
    finally:
        for connection_id in ids:
            lab.api("PATCH", f"connections/{connection_id}", {"enabled": True})
        reload_lab(page)


@pytest.fixture
def dead_connection(chat_lab: LabServer) -> Iterator[str]:
    """A connection to a server that refuses connections, named for the test."""
    with RefusedPort() as port:
        status, created = chat_lab.api(
            "POST",
            "connections",
            {"kind": "openai", "name": "Down Server", "base_url": f"{port.url}/v1"},
        )
        assert status == 201, created
        try:
            yield created["name"]
        finally:
            chat_lab.api("DELETE", f"connections/{created['id']}")


def test_the_selector_says_which_connection_could_not_be_listed(
    chat_page: Page, chat_lab: LabServer, dead_connection: str
):
    page = chat_page
    reload_lab(page)
    view = new_chat_in_panel(page)
    view.locator(".jp-ChatExt-modelButton").click()
    # The healthy server's models are there to choose from, the embedding model not ...
    expect(view.locator(f'.jp-ChatExt-modelOption[data-model-id="{FAST}"]')).to_be_visible()
    embedder = view.locator('.jp-ChatExt-modelOption[data-model-id="all-MiniLM-L6-v2"]')
    expect(embedder).to_have_count(0)
    # ... and the one that is down is named, with its error, rather than silently missing.
    problems = view.locator(".jp-ChatExt-modelErrors")
    expect(problems).to_contain_text(dead_connection)
    expect(problems).to_contain_text("Cannot connect")
    view.locator(".jp-ChatExt-modelSearch").press("Escape")
    expect(problems).to_have_count(0)


def test_servers_that_are_there_but_down_are_not_said_to_be_missing(
    chat_page: Page, chat_lab: LabServer, dead_connection: str
):
    page = chat_page
    with switched_off(chat_lab, page, connection_ids(chat_lab, but=dead_connection)):
        view = new_chat_in_panel(page)
        first_run = view.locator(".jp-ChatExt-firstRun")
        # A server to check, not one to connect: the screen says so, and names it.
        expect(first_run.locator("h3")).to_have_text("No model can be used now")
        expect(first_run).to_contain_text(dead_connection)
        expect(first_run.locator("button")).to_have_text("Check the model connections")
        expect(view.locator(INPUT)).to_have_attribute("placeholder", "No model can be used now.")


def test_a_list_that_could_not_be_listed_again_says_it_is_older(
    chat_page: Page, chat_lab: LabServer, module_console: ConsoleErrors
):
    page = chat_page
    said_before = len(module_console.messages)
    reload_lab(page)
    view = new_chat_in_panel(page)
    button = view.locator(".jp-ChatExt-modelButton")
    expect(button).to_be_enabled()
    # A list is reused for 15 s; opening the selector after that lists the models again.
    page.wait_for_timeout(15_500)
    refused: list[str] = []

    def away(route: Route) -> None:
        refused.append(route.request.url)
        route.abort("connectionrefused")

    stale = view.locator(".jp-ChatExt-modelsStale")
    with intercepted(page, "**/chat-ext/api/models*", away, "GET"):
        button.click()
        # The list shown is still there to choose from, said to be the older one, and why.
        expect(stale).to_contain_text(
            re.compile(
                r"^The models could not be listed again: The Jupyter server could not be "
                r"reached.*\. These are the ones listed at \S+.*\.$"
            )
        )
        expect(view.locator(f'.jp-ChatExt-modelOption[data-model-id="{FAST}"]')).to_be_visible()
        view.locator(".jp-ChatExt-modelSearch").press("Escape")
    # Listed again on the next opening, the list is the current one: no note.
    button.click()
    expect(view.locator(f'.jp-ChatExt-modelOption[data-model-id="{FAST}"]')).to_be_visible()
    expect(stale).to_have_count(0)
    view.locator(".jp-ChatExt-modelSearch").press("Escape")
    module_console.forget_caused(said_before, len(refused), "ERR_CONNECTION_REFUSED")


def test_the_model_list_fits_in_the_side_panel(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    view = new_chat_in_panel(page)
    view.locator(".jp-ChatExt-modelButton").click()
    popup = view.locator(".jp-ChatExt-modelPopup")
    expect(popup).to_be_visible()
    panel = page.locator(PANEL).bounding_box()
    box = popup.bounding_box()
    assert panel is not None and box is not None
    # Nothing of it hidden past the panel's edge (the side panel clips what overflows).
    assert box["x"] >= panel["x"]
    assert box["x"] + box["width"] <= panel["x"] + panel["width"] + 0.5
    view.locator(".jp-ChatExt-modelSearch").press("Escape")


def test_first_run_screen_gives_way_once_an_admin_connects_a_model(
    chat_page: Page, chat_lab: LabServer
):
    page = chat_page
    with switched_off(chat_lab, page, connection_ids(chat_lab)):
        view = new_chat_in_panel(page)
        first_run = view.locator(".jp-ChatExt-firstRun")
        expect(first_run).to_be_visible()
        expect(view.locator(INPUT)).to_be_disabled()

        # The admin follows the first-run screen's button and switches a connection on ...
        first_run.locator("button").click()
        admin = page.locator("#jp-chat-ext-admin")
        expect(admin).to_be_visible()
        switch = admin.locator("input.jp-ChatExt-enabled").first
        switch.check()
        expect(switch).to_be_checked()

        # ... and the chat still open beside it can be used at once, without a reload.
        expect(first_run).to_have_count(0)
        expect(view.locator(INPUT)).to_be_enabled()
        expect(view.locator(".jp-ChatExt-modelButton")).to_be_enabled()


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    assert module_console.messages == []


def test_home_and_end_move_in_the_search_text_and_ctrl_moves_in_the_list(
    chat_page: Page, chat_lab: LabServer
):
    view = new_chat_in_panel(chat_page)
    # The new chat puts the cursor in its input a frame after it shows: wait, as a person
    # would, so that it does not come after the search has it.
    expect(view.locator("textarea.jp-ChatExt-input")).to_be_focused()
    view.locator(".jp-ChatExt-modelButton").click()
    search = view.locator(".jp-ChatExt-modelSearch")
    options = view.locator(".jp-ChatExt-modelOption")
    expect(options.first).to_have_class(re.compile("jp-mod-active"))
    search.fill("fake")
    search.press("Home")
    assert search.evaluate("input => input.selectionStart") == 0
    expect(options.first).to_have_class(re.compile("jp-mod-active"))
    search.press("Control+End")
    expect(options.last).to_have_class(re.compile("jp-mod-active"))
    search.press("End")
    assert search.evaluate("input => input.selectionStart") == len("fake")
    search.press("Control+Home")
    expect(options.first).to_have_class(re.compile("jp-mod-active"))
    search.press("Escape")
