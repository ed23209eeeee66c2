"""Ask About This Cell in a lab with no model to use, or whose model list cannot be
fetched: the focus goes where the user can act, with the words saying why, and back to the
input once a model is there; in a real JupyterLab."""

from __future__ import annotations

import re

from chat_view_ui import INPUT, PANEL_VIEW, reload_lab
from chats_ui import intercepted
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, Route, expect
from test_model_selector import connection_ids, switched_off
from test_notebook import code_cell, open_notebook

# What a screen reader is given for the focused element: its name and its description.
DESCRIBED_BY_JS = """() => (document.activeElement.getAttribute('aria-describedby') ?? '')
    .split(' ').map(id => document.getElementById(id)?.textContent ?? '').join(' ')"""


def ask_about_first_cell(page: Page, notebook: Locator) -> None:
    notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click(button="right")
    page.locator('.lm-Menu-item[data-command="chat-ext:ask-about-cell"]').click()


def test_ask_about_a_cell_with_no_model_focuses_what_adds_one(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    ids = connection_ids(chat_lab)
    with switched_off(chat_lab, page, ids):
        notebook = open_notebook(page, chat_lab, "nomodel.ipynb", [code_cell("total = 1")])
        ask_about_first_cell(page, notebook)

        view = page.locator(PANEL_VIEW)
        box = view.locator(INPUT)
        expect(box).to_be_disabled()
        expect(box).to_have_value(
            "About this cell of `nomodel.ipynb`:\n\n```python\ntotal = 1\n```\n\n"
        )
        # Not left on the page: on the button that adds a model (the owner is an admin),
        # described by the words that say why nothing can be sent.
        first_run = view.locator(".jp-ChatExt-firstRun")
        button = first_run.get_by_role("button", name="Add a model connection")
        expect(button).to_be_focused()
        expect(first_run).to_contain_text("No model is available yet")
        described = page.evaluate(DESCRIBED_BY_JS)
        assert "No model is available yet" in described, described
        assert "Connect an OpenAI-compatible server" in described, described

        # A model connected meanwhile (elsewhere): the input takes the focus, text kept.
        for connection_id in ids:
            chat_lab.api("PATCH", f"connections/{connection_id}", {"enabled": True})
        expect(first_run).to_have_count(0, timeout=30_000)
        expect(box).to_be_enabled()
        expect(box).to_be_focused()
        expect(box).to_have_value(
            "About this cell of `nomodel.ipynb`:\n\n```python\ntotal = 1\n```\n\n"
        )


def test_ask_about_a_cell_when_the_models_cannot_be_loaded_focuses_retry(
    chat_page: Page, chat_lab: LabServer, module_console: ConsoleErrors
):
    page = chat_page
    said_before = len(module_console.messages)
    # The model list's requests fail as they do while the Jupyter server is away; while
    # `holding`, they wait in `held` for the test to fail them.
    asked: list[str] = []
    holding: list[bool] = []
    held: list[Route] = []

    def away(route: Route) -> None:
        asked.append(route.request.url)
        if holding:
            held.append(route)
        else:
            route.abort("connectionrefused")

    with intercepted(page, "**/chat-ext/api/models*", away, "GET"):
        reload_lab(page)
        notebook = open_notebook(page, chat_lab, "nolist.ipynb", [code_cell("total = 2")])
        ask_about_first_cell(page, notebook)

        view = page.locator(PANEL_VIEW)
        box = view.locator(INPUT)
        expect(box).to_be_disabled()
        expect(box).to_have_value(
            "About this cell of `nolist.ipynb`:\n\n```python\ntotal = 2\n```\n\n"
        )
        # The failure, in the message area, with Retry: the focus is there, not on the page.
        failed = view.locator(".jp-ChatExt-modelsFailed")
        expect(failed).to_contain_text("Could not load the models")
        expect(failed).to_contain_text("The Jupyter server could not be reached")
        retry = failed.locator("button")  # named Retry, or Trying again… while it tries
        expect(retry).to_have_accessible_name("Retry")
        expect(retry).to_be_focused()
        described = page.evaluate(DESCRIBED_BY_JS)
        assert "Could not load the models" in described, described
        assert "could not be reached" in described, described

        # Retry asks again and says so while it waits, the focus staying on it; still away,
        # it says when it failed again, and the failure and the focus stay.
        expect(failed.locator(".jp-ChatExt-triedAgain")).to_have_count(0)
        before = len(asked)
        holding.append(True)
        retry.click()
        expect(retry).to_have_text("Trying again…")
        expect(retry).to_have_attribute("aria-disabled", "true")
        expect(retry).to_be_focused()
        for _ in range(50):
            if held:
                break
            page.wait_for_timeout(100)
        assert len(asked) > before, "Retry did not ask for the models"
        holding.clear()
        while held:
            held.pop().abort("connectionrefused")
        expect(failed.locator(".jp-ChatExt-triedAgain")).to_contain_text(
            re.compile(r"^Tried again at \S+.*: it failed again\.$")
        )
        expect(retry).to_have_text("Retry")
        expect(retry).to_have_attribute("aria-disabled", "false")
        expect(failed).to_contain_text("Could not load the models")
        expect(retry).to_be_focused()

    # Back: the view, asking again by itself, finds the models; the input takes the focus,
    # with the cell's text kept.
    expect(failed).to_have_count(0, timeout=30_000)
    expect(box).to_be_enabled()
    expect(box).to_be_focused()
    expect(box).to_have_value("About this cell of `nolist.ipynb`:\n\n```python\ntotal = 2\n```\n\n")
    module_console.forget_caused(said_before, len(asked), "ERR_CONNECTION_REFUSED")


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    assert module_console.messages == []
