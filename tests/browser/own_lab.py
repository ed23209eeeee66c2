"""A JupyterLab of a test module's own, so that what one module leaves behind (folders,
archived chats, connections) never shows in another module's lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from lab_process import LabServer, running_lab
from playwright.sync_api import Page


def module_lab(log_name: str) -> Callable[..., Iterator[LabServer]]:
    """A module-scoped `lab_server` fixture; assign it to `lab_server` in a test module."""

    @pytest.fixture(scope="module")
    def lab_server(tmp_path_factory: pytest.TempPathFactory, page: Page) -> Iterator[LabServer]:
        with running_lab(tmp_path_factory.mktemp("lab"), log_name) as lab:
            yield lab.server
            # Leave the page before its server stops, or the shared tab logs the outage.
            page.goto("about:blank")

    return lab_server
