"""Run on a code block follows the notebook's kernel as it changes, and says when a kernel
stays on its way past the wait or a console does not open, in a real JupyterLab with a
Python kernel."""

from __future__ import annotations

import json
import re
import sys

from chat_view_ui import reload_lab
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, expect
from test_notebook import KERNEL_TIMEOUT_MS, code_cell, open_notebook
from test_notebook_code import TOAST, answer_with_blocks, block, toast
from test_notebook_run import PYTHON, kernel_of

OUTPUT = ".jp-OutputArea-output"

# The id of the console on a kernel, or null.
CONSOLE_ON_JS = """kernel => Array.from(window.jupyterapp.shell.widgets('main')).find(
    w => w.console && w.sessionContext.session?.kernel?.id === kernel)?.id ?? null"""


# The ids of the consoles linked to a notebook (on its path), whatever their kernel.
CONSOLES_OF_JS = """name => Array.from(window.jupyterapp.shell.widgets('main')).filter(
    w => w.console && w.sessionContext.path.endsWith(name)).map(w => w.id)"""


def consoles_of(page: Page, name: str) -> list[str]:
    return page.evaluate(CONSOLES_OF_JS, name)


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

    # The console linked to the notebook lost its session with the kernel: on No Kernel.
    (left,) = consoles_of(page, "rechosen.ipynb")
    page.wait_for_function(
        """id => Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === id)
            .sessionContext.kernelDisplayName === 'No Kernel'""",
        arg=left,
    )

    block(answer, "python", "run").click()
    console = console_on(page, new)
    expect(console.locator(OUTPUT)).to_contain_text("42", timeout=KERNEL_TIMEOUT_MS)
    expect(console).to_be_visible()
    expect(toast(page, "was not run")).to_have_count(0)
    # The console left on No Kernel is gone: the one on the new kernel is the notebook's only.
    expect(page.locator(f"#{left}")).to_have_count(0)
    assert consoles_of(page, "rechosen.ipynb") == [console.get_attribute("id")]


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


def use_settings(page: Page, lab: LabServer, settings: dict) -> None:
    """The chat settings as the Settings Editor would save them, read by a reloaded page."""
    status, raw = lab.request(
        "PUT", "lab/api/settings/jupyter-chat-ext:chats-panel", {"raw": json.dumps(settings)}
    )
    assert status == 204, raw
    reload_lab(page)


def add_slow_kernel(lab: LabServer, seconds: int) -> None:
    """A Python kernel that takes `seconds` to come up, at each start and restart."""
    folder = lab.log_path.parent / "data" / "kernels" / "slow"
    folder.mkdir(parents=True, exist_ok=True)
    launch = f'sleep {seconds}; exec "{sys.executable}" -m ipykernel_launcher -f "$0"'
    spec = {
        "argv": ["/bin/sh", "-c", launch, "{connection_file}"],
        "display_name": "Slow Python",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec))


def test_run_on_a_kernel_still_restarting_after_the_wait_says_so(
    chat_page: Page, chat_lab: LabServer
):
    page = chat_page
    add_slow_kernel(chat_lab, 6)
    # The wait is the kernelWaitSeconds setting: shortened here from its 30 seconds.
    use_settings(page, chat_lab, {"kernelWaitSeconds": 2})
    notebook = open_notebook(page, chat_lab, "slow.ipynb", [code_cell("x = 1")])
    page.evaluate(
        """async name => {
            const notebook = Array.from(window.jupyterapp.shell.widgets('main')).find(
                w => w.context?.path.endsWith(name));
            await notebook.sessionContext.changeKernel({name: 'slow'});
        }""",
        "slow.ipynb",
    )
    indicator = notebook.locator(".jp-Notebook-ExecutionIndicator")
    expect(indicator).to_have_attribute("data-status", "idle", timeout=KERNEL_TIMEOUT_MS)
    answer = answer_with_blocks(page, PYTHON)

    # Kernel > Restart Kernel…, and Run while the kernel takes its 6 seconds to be back.
    notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click()
    # Not awaited: the command ends with the dialog.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-kernel'); }")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    expect(indicator).to_have_attribute("data-status", "restarting")
    block(answer, "python", "run").click()
    # Said after the 2 seconds, not 30: a restart from the notebook reads as "unknown"
    # until the kernel is back, and is not shown as such.
    told = re.compile(
        r"The code was not run: the kernel of slow\.ipynb was "
        r"(still restarting|not ready) after 2 seconds"
    )
    expect(page.locator(TOAST, has_text=told)).to_be_visible(timeout=8000)
    # Nothing was left pending in a console to run once the kernel is back.
    expect(page.locator(".jp-ConsolePanel .jp-CodeConsole-content .jp-CodeCell")).to_have_count(0)

    # Back, the kernel takes the code.
    expect(indicator).to_have_attribute("data-status", "idle", timeout=KERNEL_TIMEOUT_MS)
    block(answer, "python", "run").click()
    kernel = kernel_of(chat_lab, "slow.ipynb")
    expect(console_on(page, kernel).locator(OUTPUT)).to_contain_text(
        "42", timeout=KERNEL_TIMEOUT_MS
    )


# The console extension, and the plugins that cannot start without it.
NO_CONSOLES = {
    "@jupyterlab/console-extension": True,
    "@jupyterlab/debugger-extension": True,
    "@jupyterlab/inspector-extension:consoles": True,
    "@jupyterlab/tooltip-extension:consoles": True,
}


def test_run_where_a_console_cannot_open_says_why(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    # A lab with consoles turned off (page_config.json, read as each page loads), and what
    # needs them: the command that opens one is not there.
    page_config = chat_lab.log_path.parent / "config" / "labconfig" / "page_config.json"
    page_config.parent.mkdir(parents=True, exist_ok=True)
    page_config.write_text(json.dumps({"disabledExtensions": NO_CONSOLES}))
    try:
        reload_lab(page)
        open_notebook(page, chat_lab, "noconsole.ipynb", [code_cell("x = 1")])
        answer = answer_with_blocks(page, PYTHON)
        block(answer, "python", "run").click()
        expect(
            toast(
                page,
                "The code was not run: a console on the kernel of noconsole.ipynb could not "
                "be opened: Command 'console:create' not registered.",
            )
        ).to_be_visible()
    finally:
        page_config.unlink()
        reload_lab(page)


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    # JupyterLab's debugger asks each kernel for its state as it starts; a kernel this module
    # restarts, shuts down or replaces may cut that request short, which it then reports.
    module_console.forget_possible(0, "Could not restore the debugger state")
    assert module_console.messages == []
