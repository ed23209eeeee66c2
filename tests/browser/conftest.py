"""Fixtures: one ``jupyter lab`` and one headless Chromium tab for the whole session.

Run these tests on their own (``pytest tests/browser``); see pytest.ini beside this file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_process import ARTIFACTS, LabProcess, LabServer, running_lab
from page_console import ConsoleErrors
from playwright.sync_api import Browser, Page, expect, sync_playwright

# The chat view's own lab, page and fake model server (used by its test modules).
pytest_plugins = ["chat_view_ui"]

CHROMIUM = os.environ.get("CHAT_EXT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UI_TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with running_lab(tmp_path_factory.mktemp("lab"), "lab.log") as lab:
        yield lab.server


@pytest.fixture
def restartable_lab(tmp_path: Path) -> Iterator[LabProcess]:
    """A server of the test's own, for tests that stop it; its outage stays out of the
    shared session's console."""
    with running_lab(tmp_path, "lab-restarted.log") as lab:
        yield lab


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture(scope="session")
def page(browser: Browser, console_errors: ConsoleErrors) -> Iterator[Page]:
    """One tab for the whole session, listened to from before JupyterLab loads."""
    expect.set_options(timeout=UI_TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    tab.on("console", console_errors.on_console)
    tab.on("pageerror", console_errors.on_page_error)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def screenshot_on_failure(request: pytest.FixtureRequest, artifacts: Path) -> Iterator[None]:
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    # The session's tab, or the page of a module with a lab of its own (chat_view_ui).
    for name in ("page", "chat_page"):
        if name in request.fixturenames:
            tab: Page = request.getfixturevalue(name)
            tab.screenshot(path=artifacts / f"failed-{request.node.name}.png")
