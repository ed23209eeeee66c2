"""One fake upstream's state: its settings, current faults and what it recorded.

Handlers get this object through `initialize`, so two servers in one test never share state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .faults import Faults, ModelRequest, parse_model
from .records import Disconnect, RecordedRequest


@dataclass
class Settings:
    models: tuple[str, ...] = ("fake-chat", "fake-embed")
    """Model ids served by both APIs; the first is the default for directive-only names."""
    api_key: str | None = None
    """When set, requests must carry `Authorization: Bearer <api_key>`."""
    reply: str = ""
    """Canned text appended to every echo reply."""
    chunks: int | None = None
    """Content pieces per streamed reply; None streams one piece per word."""
    dimensions: int = 32
    """Embedding length when the request does not ask for one."""

    def update(self, data: dict[str, Any]) -> None:
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for name, value in data.items():
            setattr(self, name, tuple(value) if name == "models" else value)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["models"] = list(self.models)
        return out


@dataclass
class UpstreamState:
    settings: Settings = field(default_factory=Settings)
    faults: Faults = field(default_factory=Faults)
    requests: list[RecordedRequest] = field(default_factory=list)
    disconnects: list[Disconnect] = field(default_factory=list)

    def resolve_model(self, name: str) -> tuple[str | None, ModelRequest]:
        """The served model a requested name refers to (None if unknown), and its directives."""
        # Ollama clients add the default tag; the served names may or may not carry it.
        request = parse_model(name.removesuffix(":latest"))
        if request.base is None:
            return self.settings.models[0] if self.settings.models else None, request
        for served in self.settings.models:
            base = parse_model(served.removesuffix(":latest")).base
            if base == request.base:
                return base, request
        return None, request

    def take_faults(self, path: str) -> Faults:
        """The faults for one request, counting it against `times`."""
        faults = self.faults
        if not faults.applies_to(path):
            return Faults()
        if faults.times is not None:
            if faults.times <= 0:
                self.faults = Faults()
                return self.faults
            remaining = faults.times - 1
            self.faults = (
                Faults() if remaining <= 0 else dataclasses.replace(faults, times=remaining)
            )
        return faults

    def reset(self) -> None:
        self.faults = Faults()
        self.requests.clear()
        self.disconnects.clear()

    def control(self, payload: dict[str, Any]) -> None:
        """Apply a `POST /_control` body: `reset`, then `faults` (replacing), then `settings`."""
        unknown = set(payload) - {"reset", "faults", "settings"}
        if unknown:
            raise ValueError(f"unknown control key(s): {', '.join(sorted(unknown))}")
        if payload.get("reset"):
            self.reset()
        if "faults" in payload:
            self.faults = Faults.from_json(payload["faults"] or {})
        if "settings" in payload:
            self.settings.update(payload["settings"] or {})

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_json(),
            "faults": self.faults.to_json(),
            "requests": [r.to_json() for r in self.requests],
            "disconnects": [d.to_json() for d in self.disconnects],
        }
