"""Run on a code block of an answer tells the user why the code was not run (no notebook,
no kernel, a kernel shut down), and still queues code on a busy kernel, in a real
JupyterLab with a Python kernel."""

from __future__ import annotations

import json
import re

from chat_view_ui import run_command, write_notebook
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, expect
from test_notebook import KERNEL_TIMEOUT_MS, code_cell, open_notebook
from test_notebook_code import TOAST, answer_with_blocks, block, toast

PYTHON = "```python\nprint(6 * 7)\n```"
CONSOLE = ".jp-ConsolePanel"


def kernel_of(lab: LabServer, name: str) -> str:
    status, raw = lab.request("GET", "api/sessions")
    assert status == 200, raw
    (kernel,) = {s["kernel"]["id"] for s in json.loads(raw) if s["path"].endswith(name)}
    return kernel


# The id of the console on a notebook's kernel, or null.
CONSOLE_ID_JS = """name => {
    for (const widget of window.jupyterapp.shell.widgets('main')) {
        if (widget.console && widget.sessionContext.path.endsWith(name)) {
            return widget.id;
        }
    }
    return null;
}"""


def console_id(page: Page, name: str) -> str | None:
    return page.evaluate(CONSOLE_ID_JS, name)


def console_of(page: Page, name: str) -> Locator:
    """The console on a notebook's kernel, once it is open."""
    page.wait_for_function(f"name => ({CONSOLE_ID_JS})(name) !== null", arg=name)
    return page.locator(f"#{console_id(page, name)}")


def test_run_with_no_notebook_open_says_to_open_one(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    answer = answer_with_blocks(page, PYTHON)
    block(answer, "python", "run").click()
    expect(toast(page, "The code was not run: no notebook is open")).to_be_visible()
    # No console of some other kernel opened in its place.
    expect(page.locator(CONSOLE)).to_have_count(0)


def test_run_queues_on_a_busy_kernel(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    notebook = open_notebook(
        page, chat_lab, "busy.ipynb", [code_cell("import time\ntime.sleep(4)")]
    )
    answer = answer_with_blocks(page, PYTHON)
    notebook.locator('[data-command="notebook:run-cell-and-select-next"]').click()
    indicator = notebook.locator(".jp-Notebook-ExecutionIndicator")
    expect(indicator).to_have_attribute("data-status", "busy")
    block(answer, "python", "run").click()
    expect(console_of(page, "busy.ipynb").locator(".jp-OutputArea-output")).to_contain_text(
        "42", timeout=KERNEL_TIMEOUT_MS
    )
    expect(toast(page, "the kernel of busy.ipynb")).to_have_count(0)


def test_run_on_a_kernel_that_was_shut_down_says_so(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    notebook = open_notebook(page, chat_lab, "gone.ipynb", [code_cell("x = 1")])
    answer = answer_with_blocks(page, PYTHON)
    block(answer, "python", "run").click()
    console = console_of(page, "gone.ipynb")
    expect(console.locator(".jp-OutputArea-output")).to_contain_text(
        "42", timeout=KERNEL_TIMEOUT_MS
    )
    cells = console.locator(".jp-CodeConsole-content .jp-CodeCell")
    expect(cells).to_have_count(1)

    status, _ = chat_lab.request("DELETE", f"api/kernels/{kernel_of(chat_lab, 'gone.ipynb')}")
    assert status == 204
    # The notebook sees its kernel go.
    expect(notebook.locator(".jp-Notebook-ExecutionIndicator")).not_to_have_attribute(
        "data-status", "idle", timeout=KERNEL_TIMEOUT_MS
    )
    block(answer, "python", "run").click()
    # Dead at first, then without a kernel once the lab sees its session is gone too.
    told = re.compile(
        r"The code was not run: (the kernel of gone\.ipynb is dead|gone\.ipynb has no kernel)"
    )
    expect(page.locator(TOAST, has_text=told)).to_be_visible()
    # Nothing was left pending in the console. Run is over once it has said so; the lab
    # may have cleared the console by then, its session being gone too, but never added
    # to it.
    assert cells.count() <= 1


def test_run_on_a_notebook_with_no_kernel_says_so(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    folder = chat_lab.log_path.parent / "notebooks"
    write_notebook(folder, "nokernel.ipynb", [code_cell("chosen = None")])
    # A kernel this lab does not have: the lab asks for one, and the user takes No Kernel.
    path = folder / "nokernel.ipynb"
    saved = json.loads(path.read_text())
    saved["metadata"]["kernelspec"] = {"name": "gone", "display_name": "Gone", "language": "gone"}
    saved["metadata"]["language_info"] = {"name": "gone"}
    path.write_text(json.dumps(saved))
    run_command(page, "filebrowser:open-path", {"path": "nokernel.ipynb"})
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Select Kernel")
    dialog.locator(".jp-Dialog-button", has_text="No Kernel").click()
    notebook = page.locator(".jp-NotebookPanel", has_text="chosen = None")
    expect(notebook.locator(".jp-Toolbar-kernelName")).to_contain_text("No Kernel")

    answer = answer_with_blocks(page, PYTHON)
    block(answer, "python", "run").click()
    expect(toast(page, "The code was not run: nokernel.ipynb has no kernel")).to_be_visible()
    # No console was opened on a kernel of its own in the notebook's place.
    assert console_id(page, "nokernel.ipynb") is None


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    assert module_console.messages == []
