"""A chat's settings in the chat view: a system prompt and parameters set before the first
message or later, used by the answers, refused values shown in the dialog as typed, reset."""

from __future__ import annotations

import re
import time

from chat_view_ui import (
    FAST,
    answered_chat,
    chat_id_of,
    new_chat_in_panel,
    pick_model,
    send,
    wait_answered,
)
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, Route, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

DIALOG = ".jp-Dialog"


def open_settings(view: Locator) -> Locator:
    view.locator(".jp-ChatExt-settingsButton").click()
    dialog = view.page.locator(DIALOG)
    expect(dialog.locator(".jp-ChatExt-settingsForm")).to_be_visible()
    # The dialog puts the focus in its first field once shown; typing waits for that.
    expect(dialog.locator(".jp-ChatExt-settings-system")).to_be_focused()
    return dialog


def press(dialog: Locator, label: str) -> None:
    dialog.locator(".jp-Dialog-button", has_text=label).click()


def refused(dialog: Locator, reason: str) -> None:
    """The dialog is back with ``reason``, and has put the focus in its first field (a field
    filled before that would lose its text to the one taking the focus)."""
    expect(dialog.locator(".jp-ChatExt-settingsError")).to_contain_text(reason)
    expect(dialog.locator(".jp-ChatExt-settings-system")).to_be_focused()


def last_asked(upstream: UpstreamThread) -> dict:
    """The last answer the model was asked for (a new chat's title aside)."""
    bodies = [r.body for r in upstream.requests if r.path == "/v1/chat/completions"]
    return [b for b in bodies if b.get("max_tokens") != 24][-1]


def test_settings_shape_the_answers_and_bad_values_come_back_as_typed(
    chat_page: Page, chat_lab: LabServer, upstream: UpstreamThread
):
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAST)
    button = view.locator(".jp-ChatExt-settingsButton")
    expect(button).to_have_attribute("aria-pressed", "false")

    # Set before the chat exists: they go with its first message.
    dialog = open_settings(view)
    dialog.locator(".jp-ChatExt-settings-system").fill("Answer in French.")
    dialog.locator(".jp-ChatExt-settings-temperature").fill("0.4")
    press(dialog, "Save")
    expect(dialog).to_have_count(0)
    expect(button).to_have_attribute("aria-pressed", "true")
    send(view, "hello")
    wait_answered(view)
    asked = last_asked(upstream)
    assert asked["messages"][0] == {"role": "system", "content": "Answer in French."}
    assert asked["temperature"] == 0.4
    chat_id = chat_id_of(view)
    _, chat = chat_lab.api("GET", f"chats/{chat_id}")
    assert chat["meta"]["settings"]["system"] == "Answer in French."

    # A number out of range is flagged where it is typed, and Save waits for a good one.
    dialog = open_settings(view)
    expect(dialog.locator(".jp-ChatExt-settings-system")).to_have_value("Answer in French.")
    dialog.locator(".jp-ChatExt-settings-system").fill("Answer in German.")
    temperature = dialog.locator(".jp-ChatExt-settings-temperature")
    temperature.fill("5")
    field_error = dialog.locator(".jp-ChatExt-settingsFieldError")
    expect(field_error).to_be_visible()
    expect(temperature).to_have_attribute("aria-invalid", "true")
    # The field keeps its name; the browser's reason is its description.
    expect(temperature).to_have_accessible_name("Temperature")
    expect(temperature).to_have_accessible_description(field_error.inner_text())
    expect(temperature).to_have_accessible_description(re.compile(r"\S"))
    expect(dialog.locator(".jp-Dialog-button", has_text="Save")).to_be_disabled()
    temperature.fill("0.93")
    expect(dialog.locator(".jp-ChatExt-settingsFieldError")).to_have_count(0)

    # What the server refuses brings the dialog back with its reason, as it was typed.
    dialog.locator(".jp-ChatExt-settings-other").fill('{"model": "other"}')
    press(dialog, "Save")
    refused(dialog, "'model' cannot be set")
    expect(dialog.locator(".jp-ChatExt-settings-system")).to_have_value("Answer in German.")
    expect(dialog.locator(".jp-ChatExt-settings-temperature")).to_have_value("0.93")
    dialog.locator(".jp-ChatExt-settings-other").fill("{not json")
    press(dialog, "Save")
    refused(dialog, "Other options must be a JSON object.")
    expect(dialog.locator(".jp-ChatExt-settingsError")).to_have_text(
        "Other options must be a JSON object."
    )
    dialog.locator(".jp-ChatExt-settings-other").fill('{"num_ctx": 4096}')
    press(dialog, "Save")
    expect(dialog).to_have_count(0)
    send(view, "and now")
    wait_answered(view, 2)
    asked = last_asked(upstream)
    assert asked["messages"][0]["content"] == "Answer in German."
    assert (asked["temperature"], asked["num_ctx"]) == (0.93, 4096)

    # Cancel changes nothing; reset takes them away.
    dialog = open_settings(view)
    dialog.locator(".jp-ChatExt-settings-system").fill("Forget this.")
    press(dialog, "Cancel")
    _, chat = chat_lab.api("GET", f"chats/{chat_id}")
    assert chat["meta"]["settings"]["system"] == "Answer in German."
    dialog = open_settings(view)
    press(dialog, "Reset")
    expect(button).to_have_attribute("aria-pressed", "false")
    _, chat = chat_lab.api("GET", f"chats/{chat_id}")
    assert "settings" not in chat["meta"]


def test_settings_changed_elsewhere_show_and_the_dialog_works_from_the_keyboard(
    chat_page: Page, chat_lab: LabServer
):
    view, chat_id = answered_chat(chat_page)
    button = view.locator(".jp-ChatExt-settingsButton")
    expect(button).to_have_attribute("aria-pressed", "false")

    # Set in another tab (or over REST): this view shows them at once.
    status, _ = chat_lab.api("PATCH", f"chats/{chat_id}", {"settings": {"system": "Elsewhere."}})
    assert status == 200
    expect(button).to_have_attribute("aria-pressed", "true")

    # Opened from the keyboard: the system prompt takes the focus, Tab goes on to the
    # parameters, Escape closes it unchanged and the focus goes back to the button.
    button.focus()
    button.press("Enter")
    dialog = chat_page.locator(DIALOG)
    system = dialog.locator(".jp-ChatExt-settings-system")
    expect(system).to_be_focused()
    expect(system).to_have_value("Elsewhere.")
    system.press("Tab")
    expect(dialog.locator(".jp-ChatExt-settings-noSystem")).to_be_focused()
    chat_page.keyboard.press("Tab")
    expect(dialog.locator(".jp-ChatExt-settings-temperature")).to_be_focused()
    chat_page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(button).to_be_focused()
    _, chat = chat_lab.api("GET", f"chats/{chat_id}")
    assert chat["meta"]["settings"] == {"system": "Elsewhere.", "params": {"options": {}}}

    # Cleared elsewhere: the mark goes, and the dialog opens empty.
    status, _ = chat_lab.api("PATCH", f"chats/{chat_id}", {"settings": None})
    assert status == 200
    expect(button).to_have_attribute("aria-pressed", "false")
    dialog = open_settings(view)
    expect(dialog.locator(".jp-ChatExt-settings-system")).to_have_value("")
    press(dialog, "Cancel")
    expect(dialog).to_have_count(0)


def test_no_system_prompt_at_all_is_a_setting_of_its_own(
    chat_page: Page, chat_lab: LabServer, upstream: UpstreamThread
):
    view, chat_id = answered_chat(chat_page)
    button = view.locator(".jp-ChatExt-settingsButton")

    dialog = open_settings(view)
    dialog.locator(".jp-ChatExt-settings-system").fill("Not this.")
    dialog.locator(".jp-ChatExt-settings-noSystem").check()
    system = dialog.locator(".jp-ChatExt-settings-system")
    expect(system).to_be_disabled()
    # And looks it, in the dark theme too (JupyterLab's fields do not change when disabled).
    opacity = "e => Number(getComputedStyle(e).opacity)"
    assert system.evaluate(opacity) < dialog.locator(".jp-ChatExt-settings-stop").evaluate(opacity)
    press(dialog, "Save")
    expect(dialog).to_have_count(0)
    # It is a setting: the button says the chat has some, and the server keeps "".
    expect(button).to_have_attribute("aria-pressed", "true")
    _, chat = chat_lab.api("GET", f"chats/{chat_id}")
    assert chat["meta"]["settings"]["system"] == ""
    send(view, "and now")
    wait_answered(view, 2)
    assert [m["role"] for m in last_asked(upstream)["messages"]] == [
        "user",
        "assistant",
        "user",
    ]

    # Opened again, it shows as it was saved, and saving another field keeps it.
    dialog = chat_page.locator(DIALOG)
    button.click()
    box = dialog.locator(".jp-ChatExt-settings-noSystem")
    expect(box).to_be_checked()
    expect(box).to_be_focused()
    dialog.locator(".jp-ChatExt-settings-temperature").fill("0.5")
    press(dialog, "Save")
    expect(dialog).to_have_count(0)
    # The dialog closes as the save sets off.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        settings = chat_lab.api("GET", f"chats/{chat_id}")[1]["meta"]["settings"]
        if settings["params"].get("temperature") == 0.5:
            break
        time.sleep(0.1)
    assert settings["system"] == "" and settings["params"]["temperature"] == 0.5, settings


def test_settings_saved_while_the_first_message_is_on_its_way_are_kept(
    chat_page: Page, chat_lab: LabServer, upstream: UpstreamThread
):
    held: list[Route] = []
    completions = "**/chat-ext/api/chat/completions*"

    def hold(route: Route) -> None:
        held.append(route)

    chat_page.route(completions, hold)
    try:
        view = new_chat_in_panel(chat_page)
        pick_model(view, FAST)
        send(view, "hello")
        for _ in range(100):  # Playwright hands the route over while it waits
            if held:
                break
            chat_page.wait_for_timeout(50)
        assert len(held) == 1
        # The request has left, with no settings, and is held: the chat does not exist yet.
        dialog = open_settings(view)
        dialog.locator(".jp-ChatExt-settings-system").fill("Saved late.")
        press(dialog, "Save")
        expect(dialog).to_have_count(0)
        held[0].continue_()
    finally:
        chat_page.unroute(completions, hold)
    wait_answered(view)
    chat_id = chat_id_of(view)

    def stored() -> str | None:
        _, chat = chat_lab.api("GET", f"chats/{chat_id}")
        return chat["meta"].get("settings", {}).get("system")

    # Saved once the chat exists, beside the answer being written: it may land after it.
    for _ in range(50):
        if stored() == "Saved late.":
            break
        chat_page.wait_for_timeout(100)
    assert stored() == "Saved late."
    send(view, "again")
    wait_answered(view, 2)
    assert last_asked(upstream)["messages"][0]["content"] == "Saved late."


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    # Runs last: by now the test above has driven the module's page. A refused save is an
    # answer the page expects, not an error.
    assert [m for m in module_console.messages if "422" not in m] == []
