"""Reading Server-Sent Events the way a browser's EventSource would."""

from __future__ import annotations

import json
from typing import Any


def parse_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


class EventCollector:
    """A tornado streaming_callback that parses events as they arrive."""

    def __init__(self) -> None:
        self.buffer = ""
        self.events: list[tuple[str, Any]] = []

    def __call__(self, chunk: bytes) -> None:
        self.buffer += chunk.decode()
        *complete, self.buffer = self.buffer.split("\n\n")
        for block in complete:
            self.events.extend(parse_events(block + "\n\n"))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def text(self) -> str:
        return "".join(data["text"] for name, data in self.events if name == "delta")
