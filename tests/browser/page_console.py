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
