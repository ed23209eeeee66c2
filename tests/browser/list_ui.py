"""Driving the chat list: its per-chat and per-folder menus, dialogs and filters."""

from __future__ import annotations

import re

from chats_ui import PANEL
from playwright.sync_api import Locator, Page, expect

SEARCH = f"{PANEL} .jp-ChatExt-search input"
TAG_FILTER = f"{PANEL} .jp-ChatExt-tagFilter select"
ARCHIVED = f"{PANEL} .jp-ChatExt-archivedToggle"
NEW_FOLDER = f"{PANEL} .jp-ChatExt-newFolder"
GROUP_LABELS = f"{PANEL} .jp-ChatExt-group .jp-ChatExt-group-label"
DIALOG = ".jp-Dialog"
MENU_ITEM = ".lm-Menu .lm-Menu-item"


def any_chat_item(page: Page, title: str) -> Locator:
    """A chat item by title, anywhere: usable inside another locator's `has`."""
    exactly = re.compile(f"^{re.escape(title)}$")
    return page.locator(".jp-ChatExt-chatItem").filter(
        has=page.locator(".jp-ChatExt-chatItem-title", has_text=exactly)
    )


def chat_item(page: Page, title: str) -> Locator:
    return page.locator(PANEL).locator(any_chat_item(page, title))


def group_holding(page: Page, title: str) -> Locator:
    """The date group (section) that shows the chat titled `title`."""
    return page.locator(f"{PANEL} .jp-ChatExt-group").filter(has=any_chat_item(page, title))


def folder_row(page: Page, name: str) -> Locator:
    return page.locator(f"{PANEL} .jp-ChatExt-folder-row").filter(
        has=page.locator(".jp-ChatExt-folder-name", has_text=name)
    )


def menu_item(page: Page, label: str) -> Locator:
    return page.locator(MENU_ITEM, has=page.locator(".lm-Menu-itemLabel", has_text=label))


def choose(page: Page, *labels: str) -> None:
    """Picks a menu item, going through submenus: choose(page, "Tags", "Add Tag…")."""
    for label in labels[:-1]:
        menu_item(page, label).last.hover()
    menu_item(page, labels[-1]).last.click()
    expect(page.locator(".lm-Menu")).to_have_count(0)


def chat_menu(page: Page, title: str, *labels: str) -> None:
    item = chat_item(page, title)
    item.hover()
    item.locator(".jp-ChatExt-chatItem-menu").click()
    choose(page, *labels)


def folder_menu(page: Page, name: str, *labels: str) -> None:
    row = folder_row(page, name)
    row.hover()
    row.locator(".jp-ChatExt-folder-menu").click()
    choose(page, *labels)


def answer_dialog(page: Page, text: str | None = None, *, accept: bool = True) -> None:
    """Types `text` into the open dialog's input (if given), then accepts or cancels."""
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    if text is not None:
        dialog.locator("input").first.fill(text)
    button = ".jp-mod-accept" if accept else ".jp-mod-reject"
    dialog.locator(f"button{button}").click()
    expect(dialog).to_have_count(0)


def widen_left_area(page: Page, pixels: int) -> None:
    """Drags the handle between the left side panel and the main area to the right."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=5)
    page.mouse.up()
    # Away from the list, so that no row shows as hovered.
    page.mouse.move(x + pixels + 400, y)
