"""What the upstream saw: every request, and every client that left before its answer ended."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    """Lower-cased names, so `"cookie" in r.headers` is the whole check."""
    body: Any
    """The parsed JSON body, or None when it was empty or not JSON (see `text`)."""
    text: str
    at: float = field(default_factory=time.monotonic)
    """`time.monotonic()` on arrival; comparable across processes on one Linux machine."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedRequest:
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Disconnect:
    """A client that went away while its request was still being answered."""

    method: str
    path: str
    request_index: int
    """Index into the server's `requests`."""
    at: float = field(default_factory=time.monotonic)
    """When the server noticed (`time.monotonic()`), to check how fast cancellation spreads."""
    wall: float = field(default_factory=time.time)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Disconnect:
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def header_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers are joined with ", " as HTTP allows, so nothing sent is lost."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out
