"""The admin screen when the server refuses a change, cannot be reached, or was changed from
another browser tab: what it shows stays true, and what was typed stays."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from admin_ui import (
    SECRET,
    add_connections,
    bring_to_front,
    connection_on_screen,
    connection_row,
    field_of,
    open_admin,
    reopen_admin,
    verify,
)
from chats_ui import server_away, unique
from lab_process import LabServer
from list_ui import answer_dialog
from own_lab import module_lab
from page_console import ConsoleErrors
from playwright.sync_api import Page, Route, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

lab_server = module_lab("lab-admin-errors.log")
CONNECTIONS_ERROR = "section[aria-labelledby='jp-ChatExt-conn-h'] > .jp-ChatExt-error"


@pytest.fixture(scope="module")
def upstream() -> Iterator[UpstreamThread]:
    with UpstreamThread(api_key=SECRET, models=["fake-chat"]) as up:
        yield up


def test_changes_made_in_another_tab_show_when_back_in_front(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    screen = open_admin(page, lab_server)
    name = unique("Elsewhere")
    add_connections(lab_server, upstream, name)
    bring_to_front(page)
    expect(connection_row(screen, name)).to_have_count(1)


def test_a_refused_change_leaves_the_list_showing_what_is_stored(
    page: Page, lab_server: LabServer, upstream: UpstreamThread, console_errors: ConsoleErrors
):
    logged_before = len(console_errors.messages)
    name, screen, row = connection_on_screen(page, lab_server, upstream, "Refused")
    switch = row.locator("input.jp-ChatExt-enabled")
    expect(switch).to_be_checked()

    # The server refuses to switch it off: the switch shows it on, as it still is.
    def refuse(route: Route) -> None:
        if route.request.method == "PATCH":
            body = {"message": "Try again later.", "reason": "", "code": ""}
            route.fulfill(status=503, json=body)
        else:
            route.continue_()

    page.route("**/chat-ext/api/connections/*", refuse)
    try:
        switch.click()
        expect(screen.locator(CONNECTIONS_ERROR)).to_have_text("Try again later.")
        expect(switch).to_be_checked()
    finally:
        page.unroute("**/chat-ext/api/connections/*")

    # Removed in another tab meanwhile: removing it here says so, and the row goes.
    _, connections = lab_server.api("GET", "connections")
    (stored,) = [c for c in connections["items"] if c["name"] == name]
    assert lab_server.api("DELETE", f"connections/{stored['id']}")[0] == 204
    row.locator(".jp-ChatExt-remove").click()
    answer_dialog(page)
    expect(screen.locator(CONNECTIONS_ERROR)).to_contain_text("No connection")
    expect(row).to_have_count(0)

    console_errors.forget_caused(logged_before, 2, "status of 503", "status of 404")


def test_a_server_that_cannot_be_reached_is_said_to_be_one(
    page: Page, lab_server: LabServer, upstream: UpstreamThread, console_errors: ConsoleErrors
):
    logged_before = len(console_errors.messages)
    name, screen, row = connection_on_screen(page, lab_server, upstream, "Away")
    form = screen.locator(".jp-ChatExt-connectionForm")
    prefix = form.locator("input.jp-ChatExt-prefix")
    with server_away(page, "**/chat-ext/api/connections/**"):
        # The Jupyter server's failure, not to be taken for the model server's.
        expect(verify(row)).to_contain_text("The Jupyter server could not be reached")
        row.locator(".jp-ChatExt-edit").click()
        prefix.fill("away/")
        form.locator("button.jp-ChatExt-save").click()
        expect(form.locator(".jp-ChatExt-error")).to_contain_text(
            "The Jupyter server could not be reached"
        )
    # What was typed is still there, and saves once the server is back.
    expect(prefix).to_have_value("away/")
    form.locator("button.jp-ChatExt-save").click()
    expect(form).to_have_count(0)
    _, connections = lab_server.api("GET", "connections")
    assert [c["prefix"] for c in connections["items"] if c["name"] == name] == ["away/"]

    console_errors.forget_caused(logged_before, 2, "ERR_CONNECTION_REFUSED")


def test_a_model_list_that_cannot_be_read_says_why_in_the_preset_form(
    page: Page, lab_server: LabServer, upstream: UpstreamThread, console_errors: ConsoleErrors
):
    logged_before = len(console_errors.messages)
    add_connections(lab_server, upstream, unique("Listed"))
    with server_away(page, "**/chat-ext/api/models"):
        screen = reopen_admin(page, lab_server)
        screen.get_by_role("tab", name="Presets").click()
        screen.locator(".jp-ChatExt-addPreset").click()
        form = screen.locator(".jp-ChatExt-presetForm")
        base_model = form.locator(".jp-ChatExt-baseModel select")
        expect(base_model.locator("option")).to_have_text(["No models available"])
        # Why there are none: the Jupyter server, not the model servers.
        error = field_of(form, ".jp-ChatExt-baseModel select").locator(".jp-ChatExt-field-error")
        expect(error).to_have_text(
            re.compile(r"^Could not load the models: The Jupyter server could not be reached")
        )
        form.locator(".jp-ChatExt-presetName").fill(unique("Waiting"))
    # Back, the list is read again when the browser tab comes to the front, typing kept.
    bring_to_front(page)
    expect(base_model.locator("option[value='fake-chat']").first).to_be_attached()
    expect(error).to_have_count(0)
    expect(form.locator(".jp-ChatExt-presetName")).not_to_have_value("")
    form.locator("button", has_text="Cancel").click()

    console_errors.forget_caused(logged_before, 2, "ERR_CONNECTION_REFUSED")


def test_no_console_errors_on_the_admin_screen(console_errors: ConsoleErrors):
    assert console_errors.messages == []
