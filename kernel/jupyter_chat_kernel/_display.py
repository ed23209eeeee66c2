"""A cell output that shows an answer as it streams, updated in place and not too often."""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any

from ._types import ModelList, ModelOut

WAITING = "…"
# Shown while a reasoning model thinks, before its answer begins.
THINKING = "Thinking…"
_CODE_BLOCK = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)


def bundle(text: str, format: str) -> dict[str, Any]:
    """The MIME bundle showing ``text`` in ``format`` while it streams."""
    if format in ("text", "json"):
        return {"text/plain": text or WAITING}
    return {"text/markdown": text or WAITING, "text/plain": text or WAITING}


def code_of(text: str) -> str:
    """The code in an answer: its fenced blocks joined, or the whole answer if it has none."""
    blocks = [match.group(2).rstrip("\n") for match in _CODE_BLOCK.finditer(text)]
    return "\n\n".join(blocks) if blocks else text.strip()


def json_of(text: str) -> Any:
    """The JSON value of an answer, fenced or not; ValueError if it has none."""
    blocks = [match.group(2) for match in _CODE_BLOCK.finditer(text)]
    return json.loads(blocks[0] if blocks else text)


def models_bundle(models: ModelList) -> dict[str, str]:
    """The models as a table (Markdown, and aligned plain text), then the problems the server
    reports: a connection that is down, a preset whose base model is gone or whose id hides
    a connection's model."""
    header = ("model", "name", "connection", "kind")
    rows = [(m.id, m.name, m.connection_name or "", _kind(m)) for m in models.items]
    if rows:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        plain = [
            "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in [header, *rows]
        ]
        markdown = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        markdown += ["| " + " | ".join(_escaped(v) for v in row) + " |" for row in rows]
    elif models.errors:
        # Connections there are, but none answers: adding one is not what is missing.
        plain = markdown = ["No model can be used now."]
    else:
        plain = markdown = ["No models: an admin adds a connection in the Chats panel's settings."]
    if models.errors:
        plain = [*plain, "", "Problems:"]
        plain += [f"  {name}: {problem}" for name, problem in models.errors.items()]
        markdown = [*markdown, "", "**Problems:**", ""]
        markdown += [
            f"- {_escaped(name)}: {_escaped(problem)}" for name, problem in models.errors.items()
        ]
    return {"text/markdown": "\n".join(markdown), "text/plain": "\n".join(plain)}


def _kind(model: ModelOut) -> str:
    kind = "preset" if model.preset else (model.kind or "")
    return f"{kind}, embeddings" if model.embedding else kind


def _escaped(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def error_line(message: str) -> None:
    """One line on the cell's stderr: how every failure of the magics is shown."""
    print(message, file=sys.stderr, flush=True)


class LiveOutput:
    """One display in the cell's output, replaced in place as the answer grows: at most once
    every ``interval`` seconds while streaming, and always at the end. Nothing is displayed
    until something is shown."""

    def __init__(self, format: str, interval: float) -> None:
        self.format = format
        self.interval = interval
        self._shown = ""
        self._last = time.monotonic()
        self._handle: Any = None

    def update(self, text: str) -> None:
        now = time.monotonic()
        if text != self._shown and now - self._last >= self.interval:
            self.show(text)

    def show(self, text: str) -> None:
        """Show ``text`` now, whatever the interval (an empty one as a waiting mark)."""
        self.replace(bundle(text, self.format))
        self._shown, self._last = text, time.monotonic()

    def clear(self) -> None:
        """Empty the display, if there is one."""
        if self._handle is not None:
            self.replace({"text/plain": ""})

    def replace(self, data: dict[str, Any]) -> None:
        """Show another MIME bundle in the same place (the final form of the answer)."""
        if self._handle is None:
            from IPython.display import display

            self._handle = display(data, raw=True, display_id=True)
        else:
            self._handle.update(data, raw=True)
