"""The Chats side panel in a real JupyterLab: listing, live updates, creating, paging."""

from __future__ import annotations

import re

from chats_ui import (
    CHAT_TITLES,
    EMPTY_STATE,
    NEW_CHAT,
    PANEL,
    PANEL_TAB,
    SCROLLER,
    change_theme,
    open_chats_panel,
    open_lab,
    server_away,
    title_in_panel,
    unique,
)
from lab_process import LabProcess, LabServer
from list_ui import SEARCH, answer_dialog, chat_menu
from page_console import ConsoleErrors
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def test_lists_chats_created_before_the_page_opened(page: Page, lab_server: LabServer):
    titles = [unique("First chat"), unique("Second chat")]
    for title in titles:
        lab_server.create_chat(title)

    open_lab(page, lab_server)
    expect(page.locator(PANEL_TAB)).to_have_attribute("title", "Chats")
    # Through the palette, as a user would, to cover the command too. A new lab's Launcher
    # may open a moment later and take the focus, which closes the palette: then again.
    item = page.locator('.lm-CommandPalette-item[data-command="chat-ext:open-panel"]')
    for attempt in range(3):
        page.keyboard.press("Control+Shift+C")
        try:
            page.locator(".lm-CommandPalette-input").fill("Open Chats", timeout=3000)
            item.click(timeout=3000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise

    expect(page.locator(PANEL)).to_be_visible()
    for title in titles:
        expect(title_in_panel(page, title)).to_have_count(1)
    # Newest first, as the server orders them.
    shown = page.locator(CHAT_TITLES).all_inner_texts()
    assert shown.index(titles[1]) < shown.index(titles[0])


def test_the_launcher_starts_a_chat(page: Page, lab_server: LabServer):
    open_lab(page, lab_server)
    page.evaluate("() => window.jupyterapp.commands.execute('launcher:create')")
    card = page.locator('.jp-LauncherCard[title="Start a new chat"]').last
    # Named as the Launcher's other cards are: "Chat" beside "Notebook" and "Console".
    expect(card.locator(".jp-LauncherCard-label")).to_have_text("Chat")
    card.click()
    expect(page.locator("#jp-main-dock-panel .jp-ChatExt-chatView")).to_be_visible()


def test_file_new_chat_starts_a_chat(page: Page, lab_server: LabServer):
    open_lab(page, lab_server)
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="New").first.hover()
    # Beside "Notebook" and "Console", named as they are.
    item = page.locator('.lm-Menu-item[data-command="chat-ext:new-chat"]')
    expect(item.locator(".lm-Menu-itemLabel")).to_have_text("Chat")
    item.click()
    expect(page.locator("#jp-main-dock-panel .jp-ChatExt-chatView")).to_be_visible()


def test_a_chat_created_elsewhere_appears_live(page: Page, lab_server: LabServer):
    open_chats_panel(page, lab_server)
    page.evaluate("() => { window.__chatExtSamePage = true; }")

    title = unique("Live chat")
    lab_server.create_chat(title)

    expect(title_in_panel(page, title)).to_have_count(1)
    assert page.evaluate("() => window.__chatExtSamePage === true"), "the page was reloaded"
    expect(page.locator(CHAT_TITLES).first).to_have_text(title)


def test_new_chat_button_opens_a_new_chat(page: Page, lab_server: LabServer):
    open_chats_panel(page, lab_server)
    expect(page.locator(CHAT_TITLES).first).to_be_visible()
    stored_before = len(lab_server.all_chats())

    page.locator(NEW_CHAT).click()

    # The panel shows the new chat in place of the list; it is stored with its first message.
    view = page.locator(f"{PANEL} .jp-ChatExt-chatView")
    expect(view.locator(".jp-ChatExt-chatTitle")).to_have_text("New Chat")
    assert len(lab_server.all_chats()) == stored_before
    view.locator('button[title="Back to the list of chats"]').click()
    expect(page.locator(CHAT_TITLES).first).to_be_visible()


def test_screenshots_in_light_and_dark_themes(page: Page, lab_server: LabServer, artifacts):
    open_chats_panel(page, lab_server)
    expect(page.locator(CHAT_TITLES).first).to_be_visible()
    page.locator(PANEL).screenshot(path=artifacts / "panel-light.png")
    page.screenshot(path=artifacts / "lab-light.png")

    try:
        change_theme(page, "JupyterLab Dark", light=False)
        page.locator(PANEL).screenshot(path=artifacts / "panel-dark.png")
    finally:
        change_theme(page, "JupyterLab Light", light=True)


def test_scrolling_to_the_end_loads_the_next_page(page: Page, lab_server: LabServer, artifacts):
    oldest = min(lab_server.all_chats(), key=lambda chat: chat["updated_at"])
    for number in range(55):
        lab_server.create_chat(f"Bulk chat {number:02d}")
    total = len(lab_server.all_chats())

    open_lab(page, lab_server)
    open_chats_panel(page, lab_server)
    items = page.locator(CHAT_TITLES)
    expect(items).to_have_count(50)
    expect(title_in_panel(page, oldest["title"])).to_have_count(0)

    page.locator(SCROLLER).evaluate("element => { element.scrollTop = element.scrollHeight; }")

    expect(items).to_have_count(total)
    expect(title_in_panel(page, oldest["title"]).first).to_be_visible()
    page.locator(PANEL).screenshot(path=artifacts / "panel-after-paging.png")


def test_empty_state_and_catching_up_after_a_server_restart(
    browser: Browser, restartable_lab: LabProcess, artifacts
):
    lab = restartable_lab.server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    try:
        open_chats_panel(tab, lab)
        expect(tab.locator(EMPTY_STATE)).to_contain_text("No chats yet")
        tab.locator(PANEL).screenshot(path=artifacts / "panel-empty.png")

        restartable_lab.stop()
        restartable_lab.start()
        title = unique("After restart")
        lab.create_chat(title)

        # Shown either by an event on the reopened socket or by the reload that follows it.
        expect(title_in_panel(tab, title)).to_have_count(1, timeout=45_000)
        expect(tab.locator(EMPTY_STATE)).to_have_count(0)
    finally:
        context.close()


def test_a_server_that_cannot_be_reached_is_said_to_be_one(
    page: Page, lab_server: LabServer, console_errors: ConsoleErrors
):
    logged_before = len(console_errors.messages)
    title = unique("Unreachable")
    lab_server.create_chat(title)
    open_chats_panel(page, lab_server)
    expect(title_in_panel(page, title)).to_have_count(1)
    away = "The Jupyter server could not be reached"

    # A change from a chat's menu: the dialog says the server is away, not "Failed to fetch".
    with server_away(page, re.compile(r"/chat-ext/api/chats/")):
        chat_menu(page, title, "Pin")
        expect(page.locator(".jp-Dialog")).to_contain_text(away)
        answer_dialog(page, accept=False)

    # The list itself, searched while the server is away; Retry once it is back.
    error = page.locator(f"{PANEL} .jp-ChatExt-error")
    with server_away(page, re.compile(r"/chat-ext/api/chats\?")):
        page.locator(SEARCH).fill(title)
        expect(error).to_contain_text(f"Could not load chats: {away}")
    error.locator("button", has_text="Retry").click()
    expect(title_in_panel(page, title)).to_have_count(1)
    page.locator(SEARCH).fill("")

    console_errors.forget_caused(logged_before, 2, "ERR_CONNECTION_REFUSED")


def test_no_console_errors_during_the_run(
    page: Page, lab_server: LabServer, console_errors: ConsoleErrors
):
    # Runs last: by now every test above has driven the same tab.
    open_chats_panel(page, lab_server)
    assert console_errors.messages == []
