"""Fault switches: what can go wrong with an upstream, set per server or per request.

Per request, a model name carries `+`-separated directives after the model, for example
`fake-chat+chunks-200`, `fake-chat+delay-first-2`, `fake-chat+cut`, `fake-chat+error-503`,
`fake-chat+hang`, `fake-chat+garbage`, `fake-chat+stream-error`, `fake-chat+delay-chunk-0.05`,
`fake-chat+pause-mid-3`, `fake-chat+spread-sse`; and `fake-chat+think` (a model that reasons
first) or `fake-chat+think-tags` (one that writes its reasoning into the text).
A name made only of directives (`chunks-200`) means the server's first model. Such names can
also be listed as models, so a browser test can pick a faulty model from the UI.
"""

from __future__ import annotations

import dataclasses
import re
import socket
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    """Everything a test can make the upstream do wrong. The defaults are a healthy server."""

    first_token_delay: float = 0.0
    """Seconds before anything (headers included) is sent."""
    chunk_delay: float = 0.0
    """Seconds between streamed chunks."""
    cut_stream: bool = False
    """Close the connection halfway through the body, without `[DONE]` or `done: true`."""
    error_status: int | None = None
    """Answer with this status and an error body in the route's (OpenAI or Ollama) shape."""
    error_message: str | None = None
    hang: bool = False
    """Accept the request and never answer, until the client goes away."""
    garbage: bool = False
    """Put non-JSON bytes halfway into a stream (which then goes on), or make the body garbage."""
    stream_error: bool = False
    """Stop a stream halfway with an in-band error event, as providers do on overload."""
    pause_mid: float = 0.0
    """Seconds a stream goes silent halfway, before it goes on."""
    spread_sse: bool = False
    """Frame server-sent events in every way the standard allows (see `openai_payloads.Spread`):
    no fault, but few servers do it."""
    paths: tuple[str, ...] = ()
    """Only requests whose path starts with one of these; empty means every route."""
    times: int | None = None
    """Apply to this many matching requests, then clear (for retry tests); None: forever."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Faults:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        data = dict(data)
        if "paths" in data:
            data["paths"] = tuple(data["paths"] or ())
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["paths"] = list(self.paths)
        return out

    def applies_to(self, path: str) -> bool:
        return not self.paths or any(path.startswith(p) for p in self.paths)


@dataclass
class ModelRequest:
    """A requested model name split into the model and its per-request directives."""

    base: str | None
    chunks: int | None = None
    think: str | None = None
    """"field": the answer's reasoning comes apart from its text (OpenAI's `reasoning_content`,
    Ollama's `thinking`); "tags": inside the text, as `<think>...</think>` before the answer."""
    overrides: dict[str, Any] = field(default_factory=dict)


_DIRECTIVES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"chunks-(\d+)"), lambda m: {"chunks": int(m.group(1))}),
    (re.compile(r"delay-first-([\d.]+)"), lambda m: {"first_token_delay": float(m.group(1))}),
    (re.compile(r"delay-chunk-([\d.]+)"), lambda m: {"chunk_delay": float(m.group(1))}),
    (re.compile(r"error-(\d{3})"), lambda m: {"error_status": int(m.group(1))}),
    (re.compile(r"cut"), lambda m: {"cut_stream": True}),
    (re.compile(r"hang"), lambda m: {"hang": True}),
    (re.compile(r"garbage"), lambda m: {"garbage": True}),
    (re.compile(r"stream-error"), lambda m: {"stream_error": True}),
    (re.compile(r"pause-mid-([\d.]+)"), lambda m: {"pause_mid": float(m.group(1))}),
    (re.compile(r"spread-sse"), lambda m: {"spread_sse": True}),
    (re.compile(r"think"), lambda m: {"think": "field"}),
    (re.compile(r"think-tags"), lambda m: {"think": "tags"}),
]


def parse_model(name: str) -> ModelRequest:
    """Split `fake-chat+chunks-200+cut` into the model and its directives."""
    request = ModelRequest(base=None)
    for part in name.split("+"):
        for pattern, build in _DIRECTIVES:
            match = pattern.fullmatch(part)
            if match:
                values = build(match)
                request.chunks = values.pop("chunks", request.chunks)
                request.think = values.pop("think", request.think)
                request.overrides.update(values)
                break
        else:
            request.base = part if request.base is None else f"{request.base}+{part}"
    return request


def merged(faults: Faults, overrides: dict[str, Any]) -> Faults:
    return dataclasses.replace(faults, **overrides) if overrides else faults


class RefusedPort:
    """A loopback port where connections are refused, kept reserved while open.

    The socket is bound but never listens, so the kernel answers connects with a reset and no
    other test can take the port meanwhile.
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> RefusedPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def refused_url() -> str:
    """The URL of a loopback port with nothing listening (not reserved: prefer `RefusedPort`)."""
    with RefusedPort() as port:
        return port.url
