"""The admin screens in a real JupyterLab: connections against a fake upstream, presets,
and a user's API keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_ui import (
    ADMIN,
    KEYS,
    SECRET,
    add_connections,
    connection_row,
    ensure_lab,
    field_of,
    fill_connection_form,
    lines_of,
    open_admin,
    reopen_admin,
    verify,
)
from chats_ui import change_theme, unique
from lab_process import LabServer
from list_ui import DIALOG, answer_dialog
from own_lab import module_lab
from page_console import ConsoleErrors
from playwright.sync_api import Page, Route, expect

from jupyter_chat_ext.testing.upstream import RefusedPort, UpstreamThread

lab_server = module_lab("lab-admin.log")


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
    expect(row).to_contain_text("****9999")  # a short key shows only its end
    assert "sk-wrong-key-999999" not in page.content()

    verdict = verify(row)
    # Reached, and refused: the server's own words, its status said once.
    expect(verdict).to_contain_text("Refused")
    expect(verdict).to_contain_text("401")
    assert verdict.inner_text().count("401") == 1, verdict.inner_text()

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

    # Verify counts what chats can use, and names allowlisted ids the server lacks.
    path = f"connections/{stored['id']}"
    lab_server.api("PATCH", path, {"model_ids": [upstream.settings.models[0], "no-such-model"]})
    verdict = verify(row)
    expect(verdict).to_contain_text("1 model")
    expect(verdict).to_contain_text("Not on the server: no-such-model")
    lab_server.api("PATCH", path, {"model_ids": []})

    # Two quick clicks: the server ends with the last one (each waits for the one before).
    _, connections = lab_server.api("GET", "connections")
    before = next(c for c in connections["items"] if c["name"] == "Fake OpenAI")["updated_at"]
    row.locator("input.jp-ChatExt-enabled").uncheck()
    row.locator("input.jp-ChatExt-enabled").check()
    expect(row.locator("input.jp-ChatExt-enabled")).to_be_checked()
    for _ in range(50):
        _, connections = lab_server.api("GET", "connections")
        stored = next(c for c in connections["items"] if c["name"] == "Fake OpenAI")
        if stored["enabled"] and stored["updated_at"] != before:
            break
        page.wait_for_timeout(100)
    assert stored["enabled"] is True


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
    form.locator(".jp-ChatExt-baseModel select").select_option("fake-code")
    form.locator(".jp-ChatExt-description").fill("Answers with code")
    form.locator(".jp-ChatExt-systemPrompt").fill("You write Python.")
    form.locator(".jp-ChatExt-param-temperature").fill("0.2")
    form.locator(".jp-ChatExt-visibility select").select_option("public")
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


@pytest.mark.parametrize(
    ("label", "screen"), [("Chat Models and Connections", ADMIN), ("Chat API Keys", KEYS)]
)
def test_the_settings_menu_opens_the_screen(
    page: Page, lab_server: LabServer, label: str, screen: str
):
    ensure_lab(page, lab_server)
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text=label).click()
    expect(page.locator(screen)).to_be_visible()
    # Its tab cuts a long label short, and names the screen in full on hover.
    tab = page.locator(f".lm-DockPanel-tabBar .lm-TabBar-tab[data-id='{screen[1:]}']")
    expect(tab).to_have_attribute("title", label)


def test_a_forms_choices_look_like_its_text_fields(page: Page, lab_server: LabServer):
    screen = open_admin(page, lab_server)
    screen.get_by_role("tab", name="Presets").click()
    screen.locator(".jp-ChatExt-addPreset").click()
    form = screen.locator(".jp-ChatExt-presetForm")
    text = form.locator(".jp-ChatExt-description").bounding_box()
    for name in ("baseModel", "visibility"):
        choice = form.locator(f".jp-ChatExt-{name}")
        # JupyterLab's caret says it is a list to choose from.
        expect(choice.locator("svg")).to_be_visible()
        box = choice.locator("select").bounding_box()
        assert text and box
        # As tall as a text field, and as wide as its column, not stretched to its row.
        assert abs(box["height"] - text["height"]) <= 1, (name, box, text)
        assert abs(box["width"] - text["width"]) <= 2, (name, box, text)
    form.locator("button", has_text="Cancel").click()


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


def test_a_long_status_leaves_the_url_readable(page: Page, lab_server: LabServer):
    name = unique("Refusing")
    with RefusedPort() as port:
        url = f"{port.url}/v1"
        status, created = lab_server.api(
            "POST", "connections", {"kind": "openai", "name": name, "base_url": url}
        )
        assert status == 201, created
        screen = reopen_admin(page, lab_server)
        row = connection_row(screen, name)
        expect(verify(row)).to_contain_text("Unreachable")
    cell = row.locator("td", has_text=url)
    # The status's long sentence wraps; the URL keeps a column it can be read in.
    assert lines_of(cell) <= 2, cell.bounding_box()
    lab_server.api("DELETE", f"connections/{created['id']}")


def test_a_narrow_screen_keeps_its_heading_and_forms_in_view(
    page: Page, lab_server: LabServer, upstream: UpstreamThread, artifacts: Path
):
    add_connections(lab_server, upstream, unique("Narrow"))
    page.set_viewport_size({"width": 700, "height": 800})
    try:
        screen = reopen_admin(page, lab_server)
        table = screen.locator(".jp-ChatExt-connections")
        expect(table).to_be_visible()
        content = screen.locator(".jp-ChatExt-screen")
        scroll_width, width = content.evaluate("e => [e.scrollWidth, e.clientWidth]")
        box = table.bounding_box()
        assert box and box["width"] > width, "the screen is wide enough for the table"
        # The table scrolls on its own: the screen itself does not, so that its heading and
        # forms stay in view.
        assert scroll_width <= width, (scroll_width, width)
        screen.screenshot(path=artifacts / "admin-narrow.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_editing_another_connection_shows_its_values_and_asks_before_losing_changes(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    first, second = unique("First"), unique("Second")
    add_connections(lab_server, upstream, first, second)
    screen = reopen_admin(page, lab_server)
    form = screen.locator(".jp-ChatExt-connectionForm")

    connection_row(screen, first).locator(".jp-ChatExt-edit").click()
    expect(form.locator("input.jp-ChatExt-name")).to_have_value(first)
    # Straight on to the next row's Edit, nothing changed: the form is that row's at once.
    connection_row(screen, second).locator(".jp-ChatExt-edit").click()
    expect(form.locator("h3")).to_contain_text(second)
    expect(page.locator(DIALOG)).to_have_count(0)
    expect(form.locator("input.jp-ChatExt-name")).to_have_value(second)
    form.locator("input.jp-ChatExt-prefix").fill("two/")
    # With a change typed, another row's Edit asks first; "no" keeps the form as it is.
    connection_row(screen, first).locator(".jp-ChatExt-edit").click()
    expect(page.locator(DIALOG)).to_contain_text("not saved")
    answer_dialog(page, accept=False)
    expect(form.locator("h3")).to_contain_text(second)
    expect(form.locator("input.jp-ChatExt-prefix")).to_have_value("two/")
    form.locator("button.jp-ChatExt-save").click()
    expect(form).to_have_count(0)

    _, connections = lab_server.api("GET", "connections")
    by_name = {c["name"]: c for c in connections["items"]}
    assert by_name[first]["prefix"] == ""
    assert by_name[second]["prefix"] == "two/"


def test_a_configured_connection_is_edited_and_removed_knowingly(page: Page, lab_server: LabServer):
    # The local model is configured (ChatExtApp.local_model): its model id is no URL.
    _, connections = lab_server.api("GET", "connections")
    local = next(c for c in connections["items"] if c["kind"] == "local" and c["origin"] != "api")
    screen = reopen_admin(page, lab_server)
    row = screen.locator(f"tr[data-connection-id='{local['id']}']")
    row.locator(".jp-ChatExt-edit").click()
    form = screen.locator(".jp-ChatExt-connectionForm")
    # What the configuration sets is shown, not offered for a change the server refuses.
    model = form.locator("input.jp-ChatExt-baseUrl")
    expect(model).to_have_value(local["base_url"])
    expect(model).to_be_disabled()
    hint = field_of(form, "input.jp-ChatExt-baseUrl").locator(".jp-ChatExt-field-hint")
    expect(hint).to_contain_text("configuration: changed there")

    renamed = unique("Local")
    form.locator("input.jp-ChatExt-name").fill(renamed)
    form.locator("button.jp-ChatExt-save").click()
    expect(form).to_have_count(0)
    expect(row.locator(".jp-ChatExt-connection-name")).to_contain_text(renamed)
    lab_server.api("PATCH", f"connections/{local['id']}", {"name": local["name"]})

    # Removed, it would come back at the next start: the question says so.
    row.locator(".jp-ChatExt-remove").click()
    expect(page.locator(".jp-Dialog")).to_contain_text("comes back when the server restarts")
    answer_dialog(page, accept=False)


def test_a_half_filled_form_waits_while_the_other_tab_is_shown(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    screen = reopen_admin(page, lab_server)
    connections_tab = screen.get_by_role("tab", name="Connections")
    presets_tab = screen.get_by_role("tab", name="Presets")
    # Each tab's panel is there to be named by its tab, shown or not.
    for tab in (connections_tab, presets_tab):
        panel = tab.get_attribute("aria-controls")
        expect(screen.locator(f"[role='tabpanel'][id='{panel}']")).to_have_count(1)

    name = unique("Half Filled")
    prefix = name.split()[-1] + "/"
    screen.locator(".jp-ChatExt-addConnection").click()
    connection_form = screen.locator(".jp-ChatExt-connectionForm")
    connection_form.locator("input.jp-ChatExt-name").fill(name)
    connection_form.locator("input.jp-ChatExt-baseUrl").fill(upstream.openai_url)
    connection_form.locator("input.jp-ChatExt-apiKey").fill(SECRET)
    connection_form.locator("input.jp-ChatExt-prefix").fill(prefix)

    presets_tab.click()
    screen.locator(".jp-ChatExt-addPreset").click()
    preset_form = screen.locator(".jp-ChatExt-presetForm")
    preset_form.locator(".jp-ChatExt-systemPrompt").fill("A long prompt, typed with care.")

    connections_tab.click()
    expect(connection_form.locator("input.jp-ChatExt-name")).to_have_value(name)
    connection_form.locator("button.jp-ChatExt-save").click()
    expect(connection_form).to_have_count(0)
    expect(connection_row(screen, name)).to_have_count(1)

    # Back on the presets: the prompt is still there, and the new models are offered.
    presets_tab.click()
    expect(preset_form.locator(".jp-ChatExt-systemPrompt")).to_have_value(
        "A long prompt, typed with care."
    )
    new_model = preset_form.locator(f".jp-ChatExt-baseModel option[value='{prefix}fake-chat']")
    expect(new_model).to_have_count(1)
    preset_form.locator("button", has_text="Cancel").click()
    connections_tab.click()


def test_a_new_preset_is_made_from_the_base_model_it_shows(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    add_connections(lab_server, upstream, unique("Base Models"))
    # The lists are slow to come: the form opens before they do, and they say they are coming.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    lists = ("**/chat-ext/api/models", "**/chat-ext/api/presets")
    for url in lists:
        page.route(url, hold)
    try:
        screen = reopen_admin(page, lab_server)
        screen.get_by_role("tab", name="Presets").click()
        expect(screen.locator("#jp-ChatExt-tabpanel-presets .jp-ChatExt-status")).to_have_text(
            "Loading…"
        )
        screen.locator(".jp-ChatExt-addPreset").click()
        form = screen.locator(".jp-ChatExt-presetForm")
        expect(form.locator(".jp-ChatExt-baseModel option")).to_have_text(["Loading models…"])
        name = unique("Slow List")
        form.locator(".jp-ChatExt-presetName").fill(name)
        assert held, "the presets tab did not ask for its lists"
    finally:
        for route in held:
            route.continue_()
        for url in lists:
            page.unroute(url)
    expect(screen.locator("#jp-ChatExt-tabpanel-presets .jp-ChatExt-status")).to_have_count(0)
    # Once the list comes, the select shows its first model, and that is what is saved.
    base_model = form.locator(".jp-ChatExt-baseModel select")
    expect(base_model).not_to_have_value("")
    shown = base_model.input_value()
    form.locator(".jp-ChatExt-save").click()
    expect(form).to_have_count(0)

    _, presets = lab_server.api("GET", "presets")
    (preset,) = [p for p in presets["items"] if p["name"] == name]
    assert preset["base_model"] == shown


def test_a_preset_is_made_from_a_model_that_chats(page: Page, lab_server: LabServer):
    # The local embedding model (ChatExtApp.local_embedding_model) answers no chat.
    _, models = lab_server.api("GET", "models")
    embedding = [m["id"] for m in models["items"] if m["embedding"]]
    assert embedding, "the test needs the local embedding model (the 'test' extra has it)"
    screen = reopen_admin(page, lab_server)
    screen.get_by_role("tab", name="Presets").click()
    screen.locator(".jp-ChatExt-addPreset").click()
    form = screen.locator(".jp-ChatExt-presetForm")
    options = form.locator(".jp-ChatExt-baseModel select option")
    expect(options.first).not_to_have_text("No models available")
    offered = options.evaluate_all("options => options.map(option => option.value)")
    assert not set(embedding) & set(offered), offered
    form.locator("button", has_text="Cancel").click()


def test_validation_errors_show_beside_their_fields(
    page: Page, lab_server: LabServer, upstream: UpstreamThread, console_errors: ConsoleErrors
):
    logged_before = len(console_errors.messages)
    add_connections(lab_server, upstream, unique("Validated"))  # base models for the preset
    screen = open_admin(page, lab_server)
    screen.get_by_role("tab", name="Presets").click()
    screen.locator(".jp-ChatExt-addPreset").click()
    form = screen.locator(".jp-ChatExt-presetForm")
    name = unique("Too Hot")
    form.locator(".jp-ChatExt-presetName").fill(name)
    temperature = form.locator(".jp-ChatExt-param-temperature")
    temperature.fill("5")
    form.locator(".jp-ChatExt-save").click()

    # The server's verdict on a parameter shows under that parameter, which takes the focus.
    error = field_of(form, ".jp-ChatExt-param-temperature").locator(".jp-ChatExt-field-error")
    expect(error).to_contain_text("less than or equal to 2")
    expect(temperature).to_have_attribute("aria-invalid", "true")
    expect(temperature).to_be_focused()
    expect(form.locator(".jp-ChatExt-field-error")).to_have_count(1)

    # Options that are not JSON are caught before sending, and shown by their field too.
    # (A temperature between two steps of the field's arrows is a temperature all the same.)
    temperature.fill("0.33")
    other = form.locator(".jp-ChatExt-param-other")
    other.fill('{"num_ctx": ')
    form.locator(".jp-ChatExt-save").click()
    expect(
        field_of(form, ".jp-ChatExt-param-other").locator(".jp-ChatExt-field-error")
    ).to_contain_text("JSON object")
    expect(temperature).not_to_have_attribute("aria-invalid", "true")
    expect(form.locator(".jp-ChatExt-field-error")).to_have_count(1)

    # An option the server sets itself is refused by the server, and marked on the options.
    other.fill('{"model": "another"}')
    form.locator(".jp-ChatExt-save").click()
    expect(
        field_of(form, ".jp-ChatExt-param-other").locator(".jp-ChatExt-field-error")
    ).to_contain_text("cannot be set")
    other.fill('{"num_ctx": 8192}')
    form.locator(".jp-ChatExt-save").click()
    expect(form).to_have_count(0)
    expect(screen.locator(".jp-ChatExt-presets tr", has_text=name)).to_have_count(1)
    _, presets = lab_server.api("GET", "presets")
    (saved,) = [p for p in presets["items"] if p["name"] == name]
    assert saved["params"]["temperature"] == 0.33

    # A connection's address in a scheme the server refuses.
    screen.get_by_role("tab", name="Connections").click()
    screen.locator(".jp-ChatExt-addConnection").click()
    form = screen.locator(".jp-ChatExt-connectionForm")
    form.locator("input.jp-ChatExt-baseUrl").fill("ftp://models.example.com/v1")
    form.locator("button.jp-ChatExt-save").click()
    expect(
        field_of(form, "input.jp-ChatExt-baseUrl").locator(".jp-ChatExt-field-error")
    ).to_contain_text("http:// or https://")
    expect(form.locator("input.jp-ChatExt-baseUrl")).to_be_focused()
    form.locator("button", has_text="Cancel").click()
    expect(form).to_have_count(0)

    # The browser logs each request the server refused (422); those were this test's point.
    console_errors.forget_caused(logged_before, 3, "status of 422")


def test_forms_take_the_keyboard_focus_and_give_it_back(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    name = unique("Keyboard")
    add_connections(lab_server, upstream, name)
    screen = reopen_admin(page, lab_server)
    form = screen.locator(".jp-ChatExt-connectionForm")

    add = screen.locator(".jp-ChatExt-addConnection")
    add.focus()
    page.keyboard.press("Enter")
    expect(form.locator(".jp-ChatExt-kind select")).to_be_focused()
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(add).to_be_focused()

    # Verify from the keyboard: the verdict shows and the focus stays on the button.
    row = connection_row(screen, name)
    verify_button = row.locator(".jp-ChatExt-verify")
    verify_button.focus()
    page.keyboard.press("Enter")
    expect(row.locator(".jp-ChatExt-verdict")).to_contain_text("Reachable")
    expect(verify_button).to_be_focused()

    edit = row.locator(".jp-ChatExt-edit")
    edit.focus()
    page.keyboard.press("Enter")
    # Editing: the type cannot change, so the name is the first field to take the focus.
    name_field = form.locator("input.jp-ChatExt-name")
    expect(name_field).to_be_focused()
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(edit).to_be_focused()

    # Saved with Enter: the focus is back on the row's Edit button.
    page.keyboard.press("Enter")
    expect(name_field).to_be_focused()
    renamed = unique("Renamed")
    name_field.fill(renamed)
    name_field.press("Enter")
    expect(form).to_have_count(0)
    renamed_edit = connection_row(screen, renamed).locator(".jp-ChatExt-edit")
    expect(renamed_edit).to_be_focused()

    # The tabs are one stop in the Tab order; the arrows move between them.
    connections_tab = screen.get_by_role("tab", name="Connections")
    presets_tab = screen.get_by_role("tab", name="Presets")
    expect(connections_tab).to_have_attribute("tabindex", "0")
    expect(presets_tab).to_have_attribute("tabindex", "-1")
    connections_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(presets_tab).to_be_focused()
    expect(presets_tab).to_have_attribute("tabindex", "0")
    expect(connections_tab).to_have_attribute("tabindex", "-1")
    new_preset = screen.locator(".jp-ChatExt-addPreset")
    new_preset.focus()
    page.keyboard.press("Enter")
    expect(screen.locator(".jp-ChatExt-presetForm .jp-ChatExt-presetName")).to_be_focused()
    page.keyboard.press("Escape")
    expect(screen.locator(".jp-ChatExt-presetForm")).to_have_count(0)
    expect(new_preset).to_be_focused()


def test_removing_a_connection_names_the_presets_made_from_its_models(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    name = unique("Solo")
    prefix = name.replace(" ", "-").lower() + "/"
    body = {"kind": "openai", "name": name, "base_url": upstream.openai_url, "prefix": prefix}
    body["api_key"] = SECRET
    status, created = lab_server.api("POST", "connections", body)
    assert status == 201, created
    preset = {
        "id": prefix.rstrip("/") + "-tuned",
        "name": name + " tuned",
        "base_model": f"{prefix}fake-chat",
        "visibility": "public",
    }
    status, made = lab_server.api("POST", "presets", preset)
    assert status == 201, made
    screen = reopen_admin(page, lab_server)
    connection_row(screen, name).locator(".jp-ChatExt-remove").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(f"presets made from them: “{preset['name']}”")
    answer_dialog(page, accept=False)
    expect(connection_row(screen, name)).to_have_count(1)
    lab_server.api("DELETE", f"presets/{preset['id']}")
    lab_server.api("DELETE", f"connections/{created['id']}")


def test_removing_a_row_leaves_the_focus_on_the_next_one(
    page: Page, lab_server: LabServer, upstream: UpstreamThread
):
    first, second = unique("First"), unique("Second")
    add_connections(lab_server, upstream, first, second)
    screen = reopen_admin(page, lab_server)
    connection_row(screen, first).locator(".jp-ChatExt-remove").focus()
    page.keyboard.press("Enter")
    answer_dialog(page)
    expect(connection_row(screen, first)).to_have_count(0)
    # Not lost on the page: on the same button of a row still there.
    expect(page.locator(".jp-ChatExt-connections .jp-ChatExt-remove:focus")).to_have_count(1)


def test_no_console_errors_on_the_admin_screens(
    page: Page, lab_server: LabServer, console_errors: ConsoleErrors
):
    assert console_errors.messages == []
