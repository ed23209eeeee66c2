"""Chats in and out: the JSON export, Markdown, and reading imports.

Imports accept our own export document (one chat or many) and Open WebUI's chat export (a list of
chats, or one, each holding ``chat.history.messages`` as a tree or ``chat.messages`` as a list),
best effort: unknown fields are ignored, but a file that holds no chat at all is refused.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ..core.content import content_text
from ..core.errors import ValidationFailed
from ..core.handlers import format_validation_error
from ..models.schemas import Params
from .schemas import ExportChat, ExportDocument, ExportMessage
from .settings import ChatSettings, with_settings

_ROLES = {"system", "user", "assistant", "tool"}

# Open WebUI writes a reasoning model's thoughts into the answer's text, opening it, as
# <details type="reasoning" duration="N"><summary>...</summary> lines quoted with "> " </details>.
_OPEN_WEBUI_THOUGHT = re.compile(
    r'\A\s*<details type="reasoning"(?P<attrs>[^>]*)>\s*(?:<summary>.*?</summary>)?\n?'
    r"(?P<body>.*?)</details>[ \t]*\n?",
    re.DOTALL,
)
_DURATION = re.compile(r'\bduration="(\d+(?:\.\d+)?)"')


def to_markdown(title: str, branch: Iterable[ExportMessage | Any]) -> str:
    """The branch the user sees, as a Markdown document."""
    lines = [f"# {title}", ""]
    for message in branch:
        who = message.role.capitalize()
        if message.model and message.role == "assistant":
            who += f" ({message.model})"
        lines += [f"## {who}", ""]
        thought = _thought(message.meta or {}) if message.role == "assistant" else ""
        if thought:
            lines += [thought, ""]
        lines += [message.content.rstrip(), ""]
    return "\n".join(lines)


def _thought(meta: dict[str, Any]) -> str:
    """A reasoning model's thoughts, folded as the chat view shows them."""
    reasoning = meta.get("reasoning")
    if not isinstance(reasoning, str) or not reasoning.strip():
        return ""
    ms = meta.get("reasoning_ms")
    if isinstance(ms, int | float) and not isinstance(ms, bool):
        seconds = max(1, int(ms / 1000 + 0.5))
        summary = f"Thought for {seconds} second{'s' if seconds != 1 else ''}"
    else:
        summary = "Thoughts"
    return f"<details>\n<summary>{summary}</summary>\n\n{reasoning.strip()}\n\n</details>"


def parse_import(data: Any) -> list[ExportChat]:
    """Every chat found in ``data``, or a 422 saying what was expected."""
    if isinstance(data, dict) and data.get("format") == "jupyter-chat-ext":
        try:
            return ExportDocument.model_validate(data).chats
        except ValidationError as error:
            raise ValidationFailed(
                f"Not a valid jupyter-chat-ext export: {format_validation_error(error)}"
            ) from None
    items = data if isinstance(data, list) else [data]
    chats = [_from_open_webui(item) for item in items if _looks_like_open_webui(item)]
    if not chats:
        raise ValidationFailed(
            "The file holds no chat: expected a jupyter-chat-ext export "
            '({"format": "jupyter-chat-ext", "chats": [...]}) or an Open WebUI chat export.'
        )
    return chats


def _looks_like_open_webui(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    chat = item.get("chat", item)
    if not isinstance(chat, dict):
        return False
    history = chat.get("history")
    return (isinstance(history, dict) and isinstance(history.get("messages"), dict)) or (
        isinstance(chat.get("messages"), list)
    )


def _time(value: Any, fallback: datetime) -> datetime:
    """Open WebUI writes seconds (or, in places, milliseconds or nanoseconds) since the epoch."""
    if isinstance(value, int | float) and value > 0:
        while value > 1e11:
            value /= 1000
        return datetime.fromtimestamp(value, tz=UTC)
    return fallback


def _from_open_webui(item: dict[str, Any]) -> ExportChat:
    chat = item.get("chat", item)
    now = datetime.now(tz=UTC)
    created = _time(item.get("created_at") or chat.get("timestamp"), now)
    updated = _time(item.get("updated_at"), created)
    history = chat.get("history") if isinstance(chat.get("history"), dict) else None
    messages: list[ExportMessage] = []
    current = None
    if history and isinstance(history.get("messages"), dict):
        raw = history["messages"]
        for key, m in raw.items():
            if not isinstance(m, dict) or m.get("role") not in _ROLES:
                continue
            parent = m.get("parentId")
            messages.append(_message(m.get("id") or key, parent, m, created))
        known = {m.id for m in messages}
        messages = [
            m.model_copy(update={"parent_id": m.parent_id if m.parent_id in known else None})
            for m in messages
        ]
        current = history.get("currentId") if history.get("currentId") in known else None
    else:
        parent = None
        for i, m in enumerate(chat.get("messages") or []):
            if not isinstance(m, dict) or m.get("role") not in _ROLES:
                continue
            mid = str(m.get("id") or f"m{i}")
            messages.append(_message(mid, parent, m, created))
            parent = mid
    tags = item.get("meta", {}).get("tags") if isinstance(item.get("meta"), dict) else None
    if not isinstance(tags, list):
        tags = chat.get("tags") if isinstance(chat.get("tags"), list) else []
    title = str(item.get("title") or chat.get("title") or "Imported chat")[:500] or "Imported chat"
    return ExportChat(
        id=str(item.get("id") or chat.get("id") or ""),
        title=title,
        pinned=bool(item.get("pinned")),
        archived=bool(item.get("archived")),
        tags=[str(t)[:100] for t in tags if isinstance(t, str | int) and str(t).strip()],
        created_at=created,
        updated_at=updated,
        current_message_id=current,
        meta=with_settings({"imported_from": "open-webui"}, _open_webui_settings(chat)),
        messages=messages,
    )


def _open_webui_settings(chat: dict[str, Any]) -> ChatSettings | None:
    """The chat's own system prompt and parameters, from Open WebUI's ``chat.params``. Only
    the parameters this server knows by name come along, each one only if its value fits;
    Open WebUI's own switches and Ollama's options stay behind, as they would reach every
    kind of model server here."""
    params = chat.get("params")
    if not isinstance(params, dict):
        return None
    kept: dict[str, Any] = {}
    for name in Params.model_fields.keys() - {"options"}:
        if params.get(name) is None:
            continue
        try:
            Params.model_validate({name: params[name]})
        except ValidationError:
            continue
        kept[name] = params[name]
    system = params.get("system")
    return ChatSettings(
        system=system[:100_000] if isinstance(system, str) and system.strip() else None,
        params=Params.model_validate(kept),
    )


def _message(mid: Any, parent: Any, m: dict[str, Any], fallback: datetime) -> ExportMessage:
    at = _time(m.get("timestamp"), fallback)
    model = m.get("model") or (m.get("models") or [None])[0]
    content = content_text(m.get("content"))
    meta: dict[str, Any] = {"usage": m["usage"]} if isinstance(m.get("usage"), dict) else {}
    if m["role"] == "assistant":
        content, thought = _open_webui_thought(content)
        meta.update(thought)
    return ExportMessage(
        id=str(mid),
        parent_id=str(parent) if parent else None,
        role=m["role"],
        content=content,
        model=str(model)[:255] if model else None,
        created_at=at,
        updated_at=at,
        meta=meta,
    )


def _open_webui_thought(content: str) -> tuple[str, dict[str, Any]]:
    """An Open WebUI answer's text without the thoughts that open it, and those thoughts as
    the answer's ``reasoning`` (and ``reasoning_ms``), as a reasoning model's are kept here."""
    found = _OPEN_WEBUI_THOUGHT.match(content)
    if found is None:
        return content, {}
    lines = []
    for line in html.unescape(found["body"]).strip("\n").splitlines():
        if line.startswith("> "):
            line = line[2:]
        elif line.rstrip() == ">":
            line = ""
        lines.append(line.rstrip())
    meta: dict[str, Any] = {}
    reasoning = "\n".join(lines).strip()
    if reasoning:
        meta["reasoning"] = reasoning
        duration = _DURATION.search(found["attrs"])
        if duration:
            meta["reasoning_ms"] = round(float(duration[1]) * 1000)
    return content[found.end() :].lstrip("\n"), meta
