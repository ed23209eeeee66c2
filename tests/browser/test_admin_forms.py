"""The Chat Models screen's forms: what a screen reader is told of their fields, and what
was typed in one is not lost to another opened over it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from admin_ui import SECRET, add_connections, connection_on_screen, reopen_admin
from chats_ui import unique
from lab_process import LabServer
from list_ui import DIALOG, answer_dialog
from own_lab import module_lab
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

lab_server = module_lab("lab-admin-forms.log")


@pytest.fixture(scope="module")
def upstream() -> Iterator[UpstreamThread]:
    with UpstreamThread(api_key=SECRET, models=["fake-chat"]) as up:
        yield up


def description_of(control: Locator) -> list[str]:
    """The texts that the control's aria-describedby points at, in its order."""
    ids = (control.get_attribute("aria-describedby") or "").split()
    return [control.page.locator(f"[id='{id_}']").inner_text() for id_ in ids]


def test_a_field_is_named_by_its_label_and_described_by_its_hint_and_error(
    page: Page, lab_server: LabServer, upstream: UpstreamThread, console_errors: ConsoleErrors
):
    logged_before = len(console_errors.messages)
    _, screen, row = connection_on_screen(page, lab_server, upstream, "Described")
    row.locator(".jp-ChatExt-edit").click()
    form = screen.locator(".jp-ChatExt-connectionForm")

    # Each control's name is its label alone: not its hint, nor its error.
    base_url = form.get_by_role("textbox", name="Base URL", exact=True)
    expect(base_url).to_have_class(re.compile(r"\bjp-ChatExt-baseUrl\b"))
    kind = form.get_by_role("combobox", name="Type", exact=True)
    expect(kind).to_have_value("openai")
    headers = form.get_by_role("textbox", name="Extra headers", exact=True)
    expect(headers).to_have_class(re.compile(r"\bjp-ChatExt-headers\b"))
    # The hint describes it instead.
    assert description_of(base_url) == ["e.g. https://api.openai.com/v1"]
    assert description_of(headers) == ["One “Name: value” a line."]
    assert description_of(kind) == []
    # A click on the label still reaches the control.
    form.locator("label", has_text=re.compile(r"^Base URL$")).click()
    expect(base_url).to_be_focused()

    # A value refused: its reason describes the field too, before the hint.
    base_url.fill("ftp://models.example.com/v1")
    form.locator("button.jp-ChatExt-save").click()
    expect(base_url).to_have_attribute("aria-invalid", "true")
    expect(base_url).to_have_accessible_name("Base URL")
    error, hint = description_of(base_url)
    assert "http:// or https://" in error, error
    assert hint == "e.g. https://api.openai.com/v1"
    expect(base_url).to_have_accessible_description(f"{error} {hint}")
    form.locator("button", has_text="Cancel").click()
    expect(form).to_have_count(0)

    # The browser logs the request the server refused (422); that was this test's point.
    console_errors.forget_caused(logged_before, 1, "status of 422")


def test_a_preset_form_with_changes_asks_before_another_form_replaces_it(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    add_connections(lab_server, upstream, unique("Base"))
    name = unique("Stored")
    preset_id = name.replace(" ", "-").lower()
    stored = {
        "id": preset_id,
        "name": name,
        "base_model": "fake-chat",
        "system_prompt": "Be brief.",
    }
    status, made = lab_server.api("POST", "presets", stored)
    assert status == 201, made
    screen = reopen_admin(page, lab_server)
    screen.get_by_role("tab", name="Presets").click()
    form = screen.locator(".jp-ChatExt-presetForm")
    edit = screen.locator(f".jp-ChatExt-presets tr[data-preset-id='{preset_id}'] .jp-ChatExt-edit")

    screen.locator(".jp-ChatExt-addPreset").click()
    form.locator(".jp-ChatExt-presetName").fill("A draft typed with care")
    edit.click()
    expect(page.locator(DIALOG)).to_contain_text("not saved")
    answer_dialog(page, accept=False)
    # Kept as typed, and the focus is back on the button that asked.
    expect(form.locator("h3")).to_have_text("New preset")
    expect(form.locator(".jp-ChatExt-presetName")).to_have_value("A draft typed with care")
    expect(edit).to_be_focused()

    # "Discard": the form is the preset's, with its own values.
    edit.click()
    answer_dialog(page)
    expect(form.locator("h3")).to_contain_text(name)
    expect(form.locator(".jp-ChatExt-presetName")).to_have_value(name)
    expect(form.locator(".jp-ChatExt-presetName")).to_be_focused()

    # Add over an edit with changes asks too; discarded, the change is not saved.
    form.locator(".jp-ChatExt-systemPrompt").fill("Be long-winded.")
    screen.locator(".jp-ChatExt-addPreset").click()
    answer_dialog(page)
    expect(form.locator("h3")).to_have_text("New preset")
    expect(form.locator(".jp-ChatExt-presetName")).to_have_value("")
    form.locator("button", has_text="Cancel").click()
    expect(form).to_have_count(0)
    _, presets = lab_server.api("GET", "presets")
    (kept,) = [p for p in presets["items"] if p["id"] == preset_id]
    assert kept["system_prompt"] == "Be brief."


def test_no_console_errors_on_the_admin_forms(console_errors: ConsoleErrors):
    assert console_errors.messages == []
