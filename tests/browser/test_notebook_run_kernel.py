"""Run on a code block follows the notebook's kernel as it changes, in a real JupyterLab
with a Python kernel."""

from __future__ import annotations

import json

from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, expect
from test_notebook import KERNEL_TIMEOUT_MS, code_cell, open_notebook
from test_notebook_code import answer_with_blocks, block, toast
from test_notebook_run import PYTHON, kernel_of

OUTPUT = ".jp-OutputArea-output"

# The id of the console on a kernel, or null.
CONSOLE_ON_JS = """kernel => Array.from(window.jupyterapp.shell.widgets('main')).find(
    w => w.console && w.sessionContext.session?.kernel?.id === kernel)?.id ?? null"""


def console_on(page: Page, kernel: str) -> Locator:
    """The console on a kernel, once there is one."""
    page.wait_for_function(f"k => ({CONSOLE_ON_JS})(k) !== null", arg=kernel)
    return page.locator(f"#{page.evaluate(CONSOLE_ON_JS, kernel)}")


def session_of(lab: LabServer, name: str) -> str:
    status, raw = lab.request("GET", "api/sessions")
    assert status == 200, raw
    (session,) = {s["id"] for s in json.loads(raw) if s["path"].endswith(name)}
    return session


def run_once(page: Page, lab: LabServer, name: str) -> tuple[Locator, Locator]:
    """A notebook, an answer, and its block run once in a console on the kernel."""
    notebook = open_notebook(page, lab, name, [code_cell("x = 1")])
    answer = answer_with_blocks(page, PYTHON)
    block(answer, "python", "run").click()
    expect(console_on(page, kernel_of(lab, name)).locator(OUTPUT)).to_contain_text(
        "42", timeout=KERNEL_TIMEOUT_MS
    )
    return notebook, answer


def test_run_after_another_kernel_was_chosen_runs_on_it(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    notebook, answer = run_once(page, chat_lab, "rechosen.ipynb")
    old = kernel_of(chat_lab, "rechosen.ipynb")
    # Kernel > Shut Down Kernel, then a kernel chosen again: a new session, which the
    # console linked to the notebook is not in.
    page.evaluate(
        """async name => {
            const notebook = Array.from(window.jupyterapp.shell.widgets('main')).find(
                w => w.context?.path.endsWith(name));
            await notebook.sessionContext.shutdown();
            await notebook.sessionContext.changeKernel({name: 'python3'});
        }""",
        "rechosen.ipynb",
    )
    expect(notebook.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
        "data-status", "idle", timeout=KERNEL_TIMEOUT_MS
    )
    new = kernel_of(chat_lab, "rechosen.ipynb")
    assert new != old

    block(answer, "python", "run").click()
    expect(console_on(page, new).locator(OUTPUT)).to_contain_text("42", timeout=KERNEL_TIMEOUT_MS)
    expect(toast(page, "was not run")).to_have_count(0)


def test_run_after_the_kernel_was_replaced_elsewhere_runs_on_the_new_one(
    chat_page: Page, chat_lab: LabServer
):
    page = chat_page
    _, answer = run_once(page, chat_lab, "replaced.ipynb")
    old = kernel_of(chat_lab, "replaced.ipynb")
    # Another tab (or a script) gives the notebook's session a new kernel; the old one is
    # shut down.
    status, raw = chat_lab.request(
        "PATCH",
        f"api/sessions/{session_of(chat_lab, 'replaced.ipynb')}",
        {"kernel": {"name": "python3"}},
    )
    assert status == 200, raw
    new = kernel_of(chat_lab, "replaced.ipynb")
    assert new != old

    block(answer, "python", "run").click()
    # Run at once on the new kernel, without waiting for the lab to notice the change.
    expect(console_on(page, new).locator(OUTPUT)).to_contain_text("42", timeout=8000)
    expect(toast(page, "was not run")).to_have_count(0)


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    assert module_console.messages == []
