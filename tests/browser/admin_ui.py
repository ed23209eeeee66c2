"""Opening and driving the "Chat Models" (admin) and "Chat API Keys" screens."""

from __future__ import annotations

import re

from chats_ui import open_lab, unique
from lab_process import LabServer
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from jupyter_chat_ext.testing.upstream import UpstreamThread

ADMIN = "#jp-chat-ext-admin"
KEYS = "#jp-chat-ext-keys"
# The key the fake upstream asks for.
SECRET = "sk-test-0123456789abcdef"


def ensure_lab(page: Page, lab: LabServer) -> None:
    if not page.url.startswith(f"{lab.base_url}lab"):
        open_lab(page, lab)


def run_from_palette(page: Page, label: str, command: str) -> None:
    # The palette's own command rather than its shortcut, which a key press can miss
    # while the page is still settling. A new lab's Launcher may open a moment later and
    # take the focus, which closes the palette, before or after the label is typed: then
    # again.
    item = page.locator(f'.lm-CommandPalette-item[data-command="{command}"]')
    for attempt in range(3):
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:activate-command-palette')"
            ".then(() => null)"
        )
        try:
            page.locator(".lm-CommandPalette-input").fill(label, timeout=5000)
            expect(item).to_have_class(re.compile(r"\blm-mod-active\b"), timeout=5000)
            break
        except (PlaywrightTimeoutError, AssertionError):
            if attempt == 2:
                raise
    page.keyboard.press("Enter")


def open_admin(page: Page, lab: LabServer) -> Locator:
    ensure_lab(page, lab)
    run_from_palette(page, "Chat Models", "chat-ext:open-admin")
    screen = page.locator(ADMIN)
    expect(screen).to_be_visible()
    return screen


def open_keys(page: Page, lab: LabServer) -> Locator:
    ensure_lab(page, lab)
    run_from_palette(page, "Chat API Keys", "chat-ext:open-keys")
    screen = page.locator(KEYS)
    expect(screen).to_be_visible()
    return screen


def connection_row(screen: Locator, name: str) -> Locator:
    return screen.locator(".jp-ChatExt-connections tbody tr").filter(
        has=screen.page.locator(".jp-ChatExt-connection-name", has_text=name)
    )


def fill_connection_form(
    screen: Locator,
    *,
    kind: str | None = None,
    name: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    headers: str | None = None,
) -> None:
    form = screen.locator(".jp-ChatExt-connectionForm")
    expect(form).to_be_visible()
    if kind is not None:
        form.locator(".jp-ChatExt-kind select").select_option(kind)
    if name is not None:
        form.locator("input.jp-ChatExt-name").fill(name)
    if base_url is not None:
        form.locator("input.jp-ChatExt-baseUrl").fill(base_url)
    if api_key is not None:
        form.locator("input.jp-ChatExt-apiKey").fill(api_key)
    if headers is not None:
        form.locator("textarea.jp-ChatExt-headers").fill(headers)
    form.locator("button.jp-ChatExt-save").click()
    expect(form).to_have_count(0)


def verify(row: Locator) -> Locator:
    """Presses the row's Verify button; returns the cell that shows the verdict."""
    row.locator(".jp-ChatExt-verify").click()
    verdict = row.locator(".jp-ChatExt-verdict")
    expect(verdict).not_to_have_text("")
    expect(verdict).not_to_have_text("Checking…")
    return verdict


def add_connections(lab: LabServer, upstream: UpstreamThread, *names: str) -> None:
    """Connections made over the API (open the screen again to list them)."""
    for name in names:
        status, created = lab.api(
            "POST",
            "connections",
            {"kind": "openai", "name": name, "base_url": upstream.openai_url, "api_key": SECRET},
        )
        assert status == 201, created


def reopen_admin(page: Page, lab: LabServer) -> Locator:
    """The admin screen opened anew, so that it lists what changed over the API."""
    ensure_lab(page, lab)
    close_screen(page, ADMIN)
    return open_admin(page, lab)


def close_screen(page: Page, selector: str) -> None:
    """Closes the screen (``ADMIN``, ``KEYS``) if it is open, so that it opens anew."""
    page.evaluate(
        """id => {
            for (const widget of window.jupyterapp.shell.widgets('main')) {
                if (widget.id === id) widget.close();
            }
        }""",
        selector.removeprefix("#"),
    )
    expect(page.locator(selector)).to_have_count(0)


def connection_on_screen(
    page: Page, lab: LabServer, upstream: UpstreamThread, prefix: str
) -> tuple[str, Locator, Locator]:
    """A connection made over the API, named `prefix` and a suffix: its name, and the admin
    screen opened anew with its row."""
    name = unique(prefix)
    add_connections(lab, upstream, name)
    screen = reopen_admin(page, lab)
    return name, screen, connection_row(screen, name)


def field_of(form: Locator, control: str) -> Locator:
    """The labelled field around a form control."""
    return form.locator(".jp-ChatExt-field").filter(has=form.page.locator(control))


def lines_of(element: Locator) -> int:
    """How many lines the element's text takes."""
    return element.evaluate(
        """element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            return new Set([...range.getClientRects()].map(rect => rect.top)).size;
        }"""
    )


def bring_to_front(page: Page) -> None:
    """What the page sees when its browser tab comes back to the front."""
    page.evaluate("() => window.dispatchEvent(new FocusEvent('focus'))")
