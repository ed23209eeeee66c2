"""Chats and notebooks in a real JupyterLab: code blocks of answers inserted into the active
notebook and run in its kernel; "Explain This Error", "Ask About This Cell" and "Send
Selection to Chat" from the cell menu and the palette."""

from __future__ import annotations

import json
import re

from chat_view_ui import (
    ANSWER,
    FAST,
    INPUT,
    PANEL_VIEW,
    QUESTION,
    chat_id_of,
    new_chat_in_panel,
    pick_model,
    run_command,
    send,
    stored_branch,
    wait_answered,
    write_notebook,
)
from lab_process import ARTIFACTS, LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, expect

KERNEL_TIMEOUT_MS = 60_000


def code_cell(source: str) -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def open_notebook(page: Page, lab: LabServer, name: str, cells: list[dict]) -> Locator:
    write_notebook(lab.log_path.parent / "notebooks", name, cells)
    widget_id = page.evaluate(
        """async path => {
            const app = window.jupyterapp;
            const widget = await app.commands.execute('docmanager:open', {path});
            await widget.context.ready;
            await widget.sessionContext.ready;
            const kernel = widget.sessionContext.session.kernel;
            while (kernel.status !== 'idle' || kernel.connectionStatus !== 'connected') {
                await new Promise(resolve => setTimeout(resolve, 100));
            }
            return widget.id;
        }""",
        name,
    )
    notebook = page.locator(f"#{widget_id}")
    expect(notebook.locator(".jp-Cell")).to_have_count(len(cells))
    # The kernel is up when the toolbar's status says idle.
    expect(notebook.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
        "data-status", "idle", timeout=KERNEL_TIMEOUT_MS
    )
    notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click()
    return notebook


def test_insert_and_run_a_code_block_from_an_answer(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    notebook = open_notebook(page, chat_lab, "insert.ipynb", [code_cell("x = 1")])

    view = new_chat_in_panel(page)
    pick_model(view, FAST)
    send(view, "Some code, please")
    answer = wait_answered(view)

    answer.locator('.jp-ChatExt-code [data-action="insert"]').click()
    cells = notebook.locator(".jp-Cell")
    expect(cells).to_have_count(2)
    expect(cells.nth(1).locator(".cm-content")).to_have_text("print(6 * 7)")

    answer.locator('.jp-ChatExt-code [data-action="run"]').click()
    console = page.locator(".jp-ConsolePanel")
    expect(console.locator(".jp-OutputArea-output")).to_contain_text(
        "42", timeout=KERNEL_TIMEOUT_MS
    )
    # The console runs in the notebook's own kernel, not a new one.
    status, raw = chat_lab.request("GET", "api/sessions")
    sessions = [s for s in json.loads(raw) if s["path"].endswith("insert.ipynb")]
    assert status == 200 and len({s["kernel"]["id"] for s in sessions}) == 1


def test_explain_this_error_from_the_cell_menu(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    notebook = open_notebook(page, chat_lab, "fails.ipynb", [code_cell("ratio = 1 / 0")])
    notebook.locator('[data-command="notebook:run-cell-and-select-next"]').click()
    expect(notebook.locator(".jp-OutputArea-output").first).to_contain_text(
        "ZeroDivisionError", timeout=KERNEL_TIMEOUT_MS
    )

    notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click(button="right")
    explain = page.locator('.lm-Menu-item[data-command="chat-ext:explain-error"]')
    expect(explain).to_be_visible()
    # The chat's items are one group, set apart from JupyterLab's own by a separator.
    items = page.locator(".lm-Menu-content > .lm-Menu-item").evaluate_all(
        "items => items.map(i => i.dataset.type === 'separator' ? '|' : i.dataset.command)"
    )
    ours = ["chat-ext:ask-about-cell", "chat-ext:explain-error", "chat-ext:send-selection"]
    start = items.index(ours[0])
    assert items[start - 1 : start + 3] == ["|", *ours], items
    explain.click()

    view = page.locator(PANEL_VIEW)
    question = view.locator(QUESTION).last
    expect(question).to_contain_text("ratio = 1 / 0")
    expect(question).to_contain_text("ZeroDivisionError")
    expect(question.locator(".jp-ChatExt-sourceButton")).to_have_text("From fails.ipynb, cell 1")
    expect(view.locator(f'{ANSWER}[data-status="done"]')).to_contain_text("ZeroDivisionError")
    page.screenshot(path=ARTIFACTS / "chat-explain-error.png")
    stored = stored_branch(chat_lab, chat_id_of(view))[0]
    source = stored["meta"]["source"]
    assert source.pop("cellId")
    assert source == {"kind": "error", "notebook": "fails.ipynb", "cell": 0}
    assert "\x1b[" not in stored["content"], "the traceback's colour codes were sent"


def test_ask_about_a_cell_and_send_a_selection(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    notebook = open_notebook(
        page, chat_lab, "ask.ipynb", [code_cell("total = sum(range(10))"), code_cell("mean = 4.5")]
    )
    notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click(button="right")
    page.locator('.lm-Menu-item[data-command="chat-ext:ask-about-cell"]').click()

    view = page.locator(PANEL_VIEW)
    box = view.locator(INPUT)
    expect(box).to_be_focused()
    assert "total = sum(range(10))" in box.input_value()
    expect(view.locator(".jp-ChatExt-composerSource")).to_contain_text("From ask.ipynb, cell 1")
    expect(view.locator(QUESTION)).to_have_count(0)

    # The second cell's text goes to the same message.
    notebook.locator(".jp-Cell").nth(1).locator(".jp-InputPrompt").click()
    run_command(page, "chat-ext:send-selection")
    expect(box).to_have_value(re.compile("mean = 4.5"))
    value = box.input_value()
    assert "total = sum(range(10))" in value and "mean = 4.5" in value
    box.press("End")
    box.type("What do these compute?")
    box.press("Control+End")
    box.press("Enter")
    expect(wait_answered(view)).to_contain_text("What do these compute?")


def test_the_source_link_opens_the_cell_it_came_from(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    cells = [{**code_cell(text), "id": f"cell-{text[0]}"} for text in ("a = 1", "b = 2")]
    notebook = open_notebook(page, chat_lab, "linked.ipynb", cells)
    notebook.locator(".jp-Cell").nth(1).locator(".jp-InputPrompt").click()
    run_command(page, "chat-ext:ask-about-cell")
    view = page.locator(PANEL_VIEW)
    pick_model(view, FAST)
    box = view.locator(INPUT)
    box.press("Control+End")
    box.press("Enter")
    wait_answered(view)
    stored = stored_branch(chat_lab, chat_id_of(view))[0]
    # Kept by id, which stays with the cell as others come and go.
    assert stored["meta"]["source"] == {
        "kind": "cell",
        "notebook": "linked.ipynb",
        "cell": 1,
        "cellId": "cell-b",
    }

    # Cells come above it, and another cell is active.
    notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click()
    run_command(page, "notebook:insert-cell-above")
    run_command(page, "notebook:insert-cell-above")
    expect(notebook.locator(".jp-Cell")).to_have_count(4)
    link = view.locator(QUESTION).last.locator(".jp-ChatExt-sourceButton")
    expect(link).to_have_text("From linked.ipynb, cell 2")
    link.click()
    active = notebook.locator(".jp-Cell.jp-mod-active")
    expect(active).to_have_count(1)
    expect(active.locator(".cm-content")).to_have_text("b = 2")
    expect(active).to_be_in_viewport()

    # The cell gone, the notebook opens and says so.
    run_command(page, "notebook:delete-cell")
    expect(notebook.locator(".jp-Cell")).to_have_count(3)
    link.click()
    expect(page.locator(".Toastify__toast", has_text="no longer in linked.ipynb")).to_be_visible()


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    assert module_console.messages == []
