"""Finding and opening the Chats panel in a JupyterLab tab."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from lab_process import LabServer
from playwright.sync_api import Locator, Page, Route, expect

PANEL = "#jp-chat-ext-panel"
PANEL_TAB = '.jp-SideBar .lm-TabBar-tab[data-id="jp-chat-ext-panel"]'
CHAT_TITLES = f"{PANEL} .jp-ChatExt-chatItem-title"
SCROLLER = f"{PANEL} .jp-ChatExt-chatList-scroller"
EMPTY_STATE = f"{PANEL} .jp-ChatExt-empty"
NEW_CHAT = f"{PANEL} .jp-ChatExt-newChat"
BACK_TO_LIST = f'{PANEL} button[title="Back to the list of chats"]'


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def open_lab(page: Page, lab: LabServer) -> None:
    page.goto(lab.lab_url)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    # Until the saved layout is restored, the panel may still open or close by itself.
    page.evaluate("() => window.jupyterapp.restored")
    expect(page.locator(PANEL_TAB)).to_be_visible()


def open_chats_panel(page: Page, lab: LabServer) -> None:
    if not page.url.startswith(f"{lab.base_url}lab"):
        open_lab(page, lab)
    if not page.locator(PANEL).is_visible():
        page.locator(PANEL_TAB).click()
    expect(page.locator(PANEL)).to_be_visible()
    # The panel comes back showing the chat it last showed, which other tests may have left;
    # it is busy until it has (the list shows first, and that chat may then replace it).
    expect(page.locator(f"{PANEL}[aria-busy='true']")).to_have_count(0)
    back = page.locator(BACK_TO_LIST)
    if back.count():
        back.click()
    expect(page.locator(SCROLLER)).to_be_visible()


def title_in_panel(page: Page, title: str) -> Locator:
    return page.locator(CHAT_TITLES, has_text=title)


def change_theme(page: Page, theme: str, *, light: bool) -> None:
    page.evaluate(
        "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})"
        ".then(() => null)",
        theme,
    )
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", str(light).lower())
    # A splash screen covers the UI while the theme's CSS loads.
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)


@contextmanager
def intercepted(
    page: Page, url: str | re.Pattern[str], answer: Callable[[Route], None], method: str | None
) -> Iterator[None]:
    """Within the block, the page's requests to `url` (those of `method` only, if given)
    get `answer` instead of reaching the server."""

    def route_one(route: Route) -> None:
        if method is None or route.request.method == method:
            answer(route)
        else:
            route.continue_()

    page.route(url, route_one)
    try:
        yield
    finally:
        page.unroute(url, route_one)


def server_away(
    page: Page, url: str | re.Pattern[str], method: str | None = None
) -> AbstractContextManager[None]:
    """Within the block, the page's requests to `url` (those of `method` only, if given)
    fail as they do when the Jupyter server has gone away; the browser logs each one as
    ERR_CONNECTION_REFUSED."""
    return intercepted(page, url, lambda route: route.abort("connectionrefused"), method)
