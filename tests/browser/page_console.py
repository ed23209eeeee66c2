"""What the browser console said during the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Error


@dataclass
class ConsoleErrors:
    """Browser console errors and uncaught page errors, over the whole session."""

    messages: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            self.messages.append(
                f"console.error: {message.text} ({where.get('url')}:{where.get('lineNumber')})"
            )

    def on_page_error(self, error: Error) -> None:
        self.messages.append(f"pageerror: {error.message}\n{error.stack or ''}")

    def forget_caused(self, since: int, count: int, *markers: str) -> None:
        """Forgets the browser's reports of the failures a test caused on purpose: of what
        was said after the first `since` messages, the `count` that contain one of `markers`
        (no more, no fewer). Whatever else was said stays."""
        said = self.messages[since:]
        caused = [m for m in said if any(marker in m for marker in markers)]
        assert len(caused) == count, said
        self.messages[since:] = [m for m in said if m not in caused]

    def forget_possible(self, since: int, marker: str) -> None:
        """Forgets what JupyterLab itself may or may not say, by timing, about an action a
        test takes on purpose (its debugger's state asked of a kernel being restarted): of
        what was said after the first `since` messages, any that contain `marker`."""
        self.messages[since:] = [m for m in self.messages[since:] if marker not in m]
