"""The Chat Models screen's forms: what a screen reader is told of their fields."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from admin_ui import SECRET, connection_on_screen
from lab_process import LabServer
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


def test_no_console_errors_on_the_admin_forms(console_errors: ConsoleErrors):
    assert console_errors.messages == []
