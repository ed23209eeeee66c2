"""The "Chat API Keys" screen in a real JupyterLab: a user's keys for the compatible APIs."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from admin_ui import KEYS, bring_to_front, close_screen, ensure_lab, open_keys
from chats_ui import unique
from lab_process import LabServer
from list_ui import answer_dialog
from own_lab import module_lab
from page_console import ConsoleErrors
from playwright.sync_api import Page, Route, expect

lab_server = module_lab("lab-api-keys.log")


def openai_models(lab: LabServer, key: str) -> int:
    request = urllib.request.Request(
        f"{lab.base_url}chat-ext/openai/v1/models", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_api_key_is_shown_once_works_and_is_revoked(
    page: Page, lab_server: LabServer, artifacts: Path
):
    screen = open_keys(page, lab_server)
    expect(screen.locator(".jp-ChatExt-url").first).to_have_text(
        f"{lab_server.base_url}chat-ext/openai/v1"
    )

    screen.locator(".jp-ChatExt-keyName").fill("laptop")
    screen.locator(".jp-ChatExt-createKey").click()
    secret = screen.locator(".jp-ChatExt-secret")
    expect(secret).to_be_visible()
    key = secret.inner_text()
    assert key.startswith("cx-")
    expect(screen.locator(".jp-ChatExt-ownKeys")).to_contain_text("laptop")
    assert openai_models(lab_server, key) == 200
    screen.screenshot(path=artifacts / "api-keys-light.png")

    # Shown once: after "Done", the secret is nowhere on the page, only its prefix.
    screen.locator(".jp-ChatExt-dismissKey").click()
    expect(secret).to_have_count(0)
    assert key not in page.content()

    row = screen.locator(".jp-ChatExt-ownKeys tbody tr", has_text="laptop")
    row.locator(".jp-ChatExt-revoke").click()
    answer_dialog(page)
    expect(row).to_have_count(0)
    assert openai_models(lab_server, key) == 401


def test_a_key_can_be_made_to_expire(page: Page, lab_server: LabServer):
    screen = open_keys(page, lab_server)
    expiry = screen.locator(".jp-ChatExt-keyExpiry select")
    expect(expiry).to_have_value("")  # until revoked, unless chosen
    name = unique("for a month")
    screen.locator(".jp-ChatExt-keyName").fill(name)
    expiry.select_option(label="In 30 days")
    screen.locator(".jp-ChatExt-createKey").click()
    expect(screen.locator(".jp-ChatExt-newKey")).to_contain_text("which works until")
    status, keys = lab_server.api("GET", "users/me/keys")
    assert status == 200, keys
    [made] = [k for k in keys["items"] if k["name"] == name]
    made_at, ends = (datetime.fromisoformat(made[k]) for k in ("created_at", "expires_at"))
    assert (ends - made_at).total_seconds() == 30 * 86_400
    row = screen.locator(".jp-ChatExt-ownKeys tbody tr", has_text=name)
    shown = row.locator(".jp-ChatExt-key-expiry")
    expect(shown).not_to_have_text("Never")
    assert shown.inner_text() == page.evaluate(
        "at => new Date(at).toLocaleString()", made["expires_at"]
    )
    # One made with the default choice works until it is revoked.
    other = unique("for good")
    screen.locator(".jp-ChatExt-dismissKey").click()
    screen.locator(".jp-ChatExt-keyName").fill(other)
    expiry.select_option(label="Never")
    screen.locator(".jp-ChatExt-createKey").click()
    never = screen.locator(".jp-ChatExt-ownKeys tbody tr", has_text=other)
    expect(never.locator(".jp-ChatExt-key-expiry")).to_have_text("Never")


def test_an_admin_sees_every_users_keys_and_revokes_any(page: Page, lab_server: LabServer):
    screen = open_keys(page, lab_server)
    name = unique("admin's own")
    screen.locator(".jp-ChatExt-keyName").fill(name)
    screen.locator(".jp-ChatExt-createKey").click()
    # This key's, not the one an earlier test may have left shown.
    expect(screen.locator(".jp-ChatExt-newKey")).to_contain_text(name)
    key = screen.locator(".jp-ChatExt-secret").inner_text()
    screen.locator(".jp-ChatExt-dismissKey").click()
    status, me = lab_server.api("GET", "users/me")
    assert status == 200 and me["role"] == "admin", me
    # Listed again among every user's keys, with its owner, as soon as it is made.
    everyone = screen.locator(".jp-ChatExt-allKeys")
    row = everyone.locator("tbody tr", has_text=name)
    expect(row.locator(".jp-ChatExt-key-owner")).to_have_text(me["username"])
    assert key not in page.content()
    row.locator(".jp-ChatExt-revoke").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(f"Revoke “{name}” of {me['username']}?")
    answer_dialog(page)
    expect(row).to_have_count(0)
    # Gone from the admin's own list too, and from the API at once.
    expect(screen.locator(".jp-ChatExt-ownKeys tbody tr", has_text=name)).to_have_count(0)
    assert openai_models(lab_server, key) == 401


def test_a_user_who_is_not_an_admin_sees_only_their_own_keys(page: Page, lab_server: LabServer):
    asked_for_all: list[str] = []

    def as_a_user(route: Route) -> None:
        me = route.fetch().json()
        route.fulfill(json={**me, "role": "user"})

    page.route("**/chat-ext/api/users/me", as_a_user)
    page.route("**/chat-ext/api/keys", lambda route: asked_for_all.append(route.request.url))
    try:
        ensure_lab(page, lab_server)
        close_screen(page, KEYS)
        screen = open_keys(page, lab_server)
        name = unique("a user's")
        screen.locator(".jp-ChatExt-keyName").fill(name)
        screen.locator(".jp-ChatExt-createKey").click()
        own = screen.locator(".jp-ChatExt-ownKeys tbody tr", has_text=name)
        expect(own).to_have_count(1)
        expect(screen.get_by_role("heading", name="Your keys")).to_be_visible()
        expect(screen.get_by_role("heading", name=re.compile("^Every user"))).to_have_count(0)
        expect(screen.locator(".jp-ChatExt-allKeys")).to_have_count(0)
        assert asked_for_all == [], "a user's screen does not ask for everyone's keys"
    finally:
        page.unroute("**/chat-ext/api/users/me")
        page.unroute("**/chat-ext/api/keys")
        close_screen(page, KEYS)


def test_the_focus_goes_from_a_new_key_to_its_copy_button_and_back(
    page: Page, lab_server: LabServer
):
    screen = open_keys(page, lab_server)
    name = screen.locator("input.jp-ChatExt-keyName")
    name.fill(unique("keyboard"))
    screen.locator(".jp-ChatExt-createKey").focus()
    page.keyboard.press("Enter")
    # On what to do with the new key, not lost with the Create button (disabled until
    # another name is typed).
    expect(screen.locator(".jp-ChatExt-newKey .jp-ChatExt-copy")).to_be_focused()
    screen.locator(".jp-ChatExt-dismissKey").focus()
    page.keyboard.press("Enter")
    expect(screen.locator(".jp-ChatExt-newKey")).to_have_count(0)
    expect(name).to_be_focused()


def test_a_narrow_screen_keeps_the_create_button_whole(
    page: Page, lab_server: LabServer, artifacts: Path
):
    page.set_viewport_size({"width": 560, "height": 800})
    try:
        screen = open_keys(page, lab_server)
        create = screen.locator(".jp-ChatExt-createKey")
        expect(create).to_be_visible()
        field = screen.locator(".jp-ChatExt-keyForm .jp-ChatExt-field").first.bounding_box()
        assert field and field["width"] < 360, "the screen is wide enough for the whole form"
        # Its label on one line, not cut in half by the button's height: the field gives way.
        assert create.evaluate("e => e.scrollHeight <= e.clientHeight"), create.bounding_box()
        # Nothing (a URL, the form) widens the screen past its edge, the button with it.
        content = screen.locator(".jp-ChatExt-screen")
        scroll_width, width = content.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll_width <= width, (scroll_width, width)
        box, edge = create.bounding_box(), content.bounding_box()
        assert box and edge and box["x"] + box["width"] <= edge["x"] + edge["width"], box
        screen.screenshot(path=artifacts / "api-keys-narrow.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_a_key_made_in_another_tab_shows_when_back_in_front(page: Page, lab_server: LabServer):
    screen = open_keys(page, lab_server)
    name = unique("elsewhere")
    status, made = lab_server.api("POST", "users/me/keys", {"name": name})
    assert status == 201, made
    bring_to_front(page)
    expect(screen.locator(".jp-ChatExt-ownKeys tbody tr", has_text=name)).to_have_count(1)


def test_the_keys_say_they_are_coming_until_they_come(page: Page, lab_server: LabServer):
    held: list[Route] = []
    keys = "**/chat-ext/api/users/me/keys"

    def hold(route: Route) -> None:
        held.append(route)

    page.route(keys, hold)
    try:
        ensure_lab(page, lab_server)
        close_screen(page, KEYS)
        screen = open_keys(page, lab_server)
        status = screen.locator(".jp-ChatExt-status")
        expect(status).to_have_text("Loading keys…")
        # Making a key does not wait for the list.
        expect(screen.locator(".jp-ChatExt-keyName")).to_be_enabled()
        assert held, "the screen did not ask for its keys"
    finally:
        for route in held:
            route.continue_()
        page.unroute(keys)
    expect(status).to_have_count(0)
    # The user's own keys, or that there are none (the admins' list of everyone's is apart).
    own = screen.locator("section[aria-labelledby='jp-ChatExt-keys-h']")
    expect(own.locator(".jp-ChatExt-ownKeys, .jp-ChatExt-empty")).to_have_count(1)


def test_no_console_errors_on_the_api_keys_screen(console_errors: ConsoleErrors):
    assert console_errors.messages == []
