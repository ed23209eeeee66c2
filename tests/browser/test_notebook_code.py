"""Code blocks of answers go into a notebook or console by their language, in a real
JupyterLab with a Python kernel."""

from __future__ import annotations

import re

from chat_view_ui import (
    ANSWER,
    FAST,
    SLOW,
    new_chat_in_panel,
    pick_model,
    send,
    wait_answered,
)
from lab_process import LabServer
from playwright.sync_api import Locator, Page, expect
from test_notebook import KERNEL_TIMEOUT_MS, code_cell, open_notebook

TOAST = ".Toastify__toast"


def block(answer: Locator, language: str, action: str) -> Locator:
    label = answer.page.locator(".jp-ChatExt-codeLanguage", has_text=re.compile(f"^{language}$"))
    code = answer.locator(".jp-ChatExt-code", has=label)
    return code.first.locator(f'[data-action="{action}"]')


def answer_with_blocks(page: Page, blocks: str) -> Locator:
    view = new_chat_in_panel(page)
    pick_model(view, FAST)
    send(view, f"Some blocks:\n\n{blocks}")
    return wait_answered(view)


def toast(page: Page, text: str) -> Locator:
    return page.locator(TOAST, has_text=text)


def test_a_code_block_being_written_waits_for_its_end(chat_page: Page):
    """Its buttons wait, so a click never takes half a block."""
    view = new_chat_in_panel(chat_page)
    pick_model(view, SLOW)  # a word every 50 ms
    lines = "\n".join(f"line{i} = {i}" for i in range(30))
    send(view, f"Some code:\n\n```python\n{lines}\n```\n\nThat is all.")
    writing = view.locator(f'{ANSWER}[data-status="streaming"]')
    expect(writing.locator(".jp-ChatExt-code pre")).to_contain_text("line3 = 3")
    answer = view.locator(f'[data-message-id="{writing.get_attribute("data-message-id")}"]')
    for action in ("copy", "insert", "run"):
        expect(block(answer, "python", action)).to_be_disabled()
    expect(answer).to_have_attribute("data-status", "done")
    for action in ("copy", "insert", "run"):
        expect(block(answer, "python", action)).to_be_enabled()
    expect(answer.locator(".jp-ChatExt-code pre").first).to_have_text(lines)


def test_code_blocks_go_in_by_their_language(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    notebook = open_notebook(page, chat_lab, "languages.ipynb", [code_cell("x = 1")])
    answer = answer_with_blocks(
        page,
        "```bash\ncd /tmp\necho $((6 * 7))-from-bash\n```\n\n"
        "```markdown\n# Findings\n```\n\n"
        "```sql\nselect 1;\n```",
    )
    cells = notebook.locator(".jp-Cell")

    # A shell block runs in one shell through IPython's cell magic, not as Python.
    block(answer, "bash", "insert").click()
    expect(cells).to_have_count(2)
    expect(cells.nth(1).locator(".cm-content")).to_have_text(
        "%%bashcd /tmpecho $((6 * 7))-from-bash"
    )
    expect(cells.nth(1)).to_have_class(re.compile("jp-CodeCell"))

    # Markdown goes in as a Markdown cell.
    block(answer, "markdown", "insert").click()
    expect(cells).to_have_count(3)
    expect(cells.nth(2)).to_have_class(re.compile("jp-MarkdownCell"))
    expect(cells.nth(2).locator("h1")).to_contain_text("Findings")

    # A language the kernel cannot run is kept as Markdown, and the user is told why.
    block(answer, "sql", "insert").click()
    expect(cells).to_have_count(4)
    expect(cells.nth(3)).to_have_class(re.compile("jp-MarkdownCell"))
    expect(cells.nth(3).locator("pre")).to_contain_text("select 1;")
    expect(toast(page, "The sql code went in as a Markdown cell")).to_be_visible()

    block(answer, "bash", "run").click()
    console = page.locator(".jp-ConsolePanel")
    expect(console.locator(".jp-OutputArea-output")).to_contain_text(
        "42-from-bash", timeout=KERNEL_TIMEOUT_MS
    )
    block(answer, "sql", "run").click()
    expect(toast(page, "The sql code was not run: the kernel does not run sql")).to_be_visible()
    block(answer, "markdown", "run").click()
    expect(toast(page, "The markdown code was not run")).to_be_visible()
    # Nothing but the shell block reached the console.
    expect(console.locator(".jp-CodeConsole-content .jp-CodeCell")).to_have_count(1)
