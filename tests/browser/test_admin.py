"""The admin screens in a real JupyterLab: connections against a fake upstream, presets,
and a user's API keys."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_ui import (
    connection_row,
    fill_connection_form,
    open_admin,
    open_keys,
    verify,
)
from chats_ui import change_theme
from lab_process import LabServer
from list_ui import answer_dialog
from own_lab import module_lab
from page_console import ConsoleErrors
from playwright.sync_api import Page, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

lab_server = module_lab("lab-admin.log")
SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(scope="module")
def upstream() -> Iterator[UpstreamThread]:
    with UpstreamThread(api_key=SECRET, models=["fake-chat", "fake-code"]) as up:
        yield up


def test_admin_adds_verifies_and_edits_a_connection(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    screen = open_admin(page, lab_server)

    screen.locator(".jp-ChatExt-addConnection").click()
    fill_connection_form(
        screen, name="Fake OpenAI", base_url=upstream.openai_url, api_key="sk-wrong-key-999999"
    )
    row = connection_row(screen, "Fake OpenAI")
    expect(row).to_have_count(1)
    # Masked: never the key itself, anywhere on the page.
    expect(row).to_contain_text("sk-****9999")
    assert "sk-wrong-key-999999" not in page.content()

    verdict = verify(row)
    expect(verdict).to_contain_text("Unreachable")
    expect(verdict).to_contain_text("401")

    # The key field is write-only: empty when editing; typing replaces the stored key.
    row.locator(".jp-ChatExt-edit").click()
    expect(screen.locator("input.jp-ChatExt-apiKey")).to_have_value("")
    fill_connection_form(screen, api_key=SECRET)
    expect(row).to_contain_text("sk-****cdef")
    verdict = verify(row)
    expect(verdict).to_contain_text("Reachable")
    expect(verdict).to_contain_text("2 models")

    status, connections = lab_server.api("GET", "connections")
    assert status == 200
    stored = next(c for c in connections["items"] if c["name"] == "Fake OpenAI")
    assert stored["base_url"] == upstream.openai_url.rstrip("/")

    row.locator("input.jp-ChatExt-enabled").uncheck()
    expect(row.locator("input.jp-ChatExt-enabled")).not_to_be_checked()
    row.locator("input.jp-ChatExt-enabled").check()
    expect(row.locator("input.jp-ChatExt-enabled")).to_be_checked()


def test_admin_adds_verifies_and_removes_an_ollama_connection(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    screen = open_admin(page, lab_server)
    screen.locator(".jp-ChatExt-addConnection").click()
    # This Ollama server wants a bearer token: sent as an extra header, shown masked.
    fill_connection_form(
        screen,
        kind="ollama",
        name="Fake Ollama",
        base_url=upstream.ollama_url,
        headers=f"Authorization: Bearer {SECRET}",
    )
    row = connection_row(screen, "Fake Ollama")
    expect(row.locator(".jp-ChatExt-verdict")).to_have_text("")
    expect(verify(row)).to_contain_text("Reachable")
    assert SECRET not in page.content()

    row.locator(".jp-ChatExt-remove").click()
    answer_dialog(page)
    expect(row).to_have_count(0)
    _, connections = lab_server.api("GET", "connections")
    assert "Fake Ollama" not in [c["name"] for c in connections["items"]]


def test_admin_creates_a_preset(
    page: Page, lab_server: LabServer, upstream: UpstreamThread, artifacts: Path
):
    screen = open_admin(page, lab_server)
    screen.get_by_role("tab", name="Presets").click()
    screen.locator(".jp-ChatExt-addPreset").click()
    form = screen.locator(".jp-ChatExt-presetForm")
    form.locator(".jp-ChatExt-presetName").fill("Code Helper")
    expect(form.locator(".jp-ChatExt-presetId")).to_have_value("code-helper")
    form.locator(".jp-ChatExt-baseModel").select_option("fake-code")
    form.locator(".jp-ChatExt-description").fill("Answers with code")
    form.locator(".jp-ChatExt-systemPrompt").fill("You write Python.")
    form.locator(".jp-ChatExt-param-temperature").fill("0.2")
    form.locator(".jp-ChatExt-visibility").select_option("public")
    form.locator(".jp-ChatExt-save").click()

    row = screen.locator(".jp-ChatExt-presets tr[data-preset-id='code-helper']")
    expect(row).to_contain_text("Code Helper")
    expect(row).to_contain_text("Everyone")
    status, presets = lab_server.api("GET", "presets")
    assert status == 200
    (preset,) = [p for p in presets["items"] if p["id"] == "code-helper"]
    assert preset["base_model"] == "fake-code"
    assert preset["system_prompt"] == "You write Python."
    assert preset["params"]["temperature"] == 0.2
    assert preset["visibility"] == "public"
    screen.screenshot(path=artifacts / "admin-presets-light.png")


def test_screenshots_of_the_admin_screen(page: Page, lab_server: LabServer, artifacts: Path):
    screen = open_admin(page, lab_server)
    screen.get_by_role("tab", name="Connections").click()
    expect(verify(connection_row(screen, "Fake OpenAI"))).to_contain_text("Reachable")
    screen.screenshot(path=artifacts / "admin-light.png")
    try:
        change_theme(page, "JupyterLab Dark", light=False)
        screen.screenshot(path=artifacts / "admin-dark.png")
    finally:
        change_theme(page, "JupyterLab Light", light=True)


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
    expect(screen.locator(".jp-ChatExt-keyList")).to_contain_text("laptop")
    assert openai_models(lab_server, key) == 200
    screen.screenshot(path=artifacts / "api-keys-light.png")

    # Shown once: after "Done", the secret is nowhere on the page, only its prefix.
    screen.locator(".jp-ChatExt-dismissKey").click()
    expect(secret).to_have_count(0)
    assert key not in page.content()

    row = screen.locator(".jp-ChatExt-keyList tbody tr", has_text="laptop")
    row.locator(".jp-ChatExt-revoke").click()
    answer_dialog(page)
    expect(row).to_have_count(0)
    assert openai_models(lab_server, key) == 401


def test_no_console_errors_on_the_admin_screens(
    page: Page, lab_server: LabServer, console_errors: ConsoleErrors
):
    assert console_errors.messages == []
